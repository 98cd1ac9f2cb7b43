//! Well-formedness checks that quick-xml leaves to its caller, and the mapping of quick-xml's
//! errors to [`XmlProblem`] kinds (quick-xml's own error texts quote the input).
//!
//! quick-xml does not check the characters of comments, processing instructions and
//! attribute values, the grammar of the XML declaration, reserved processing-instruction
//! targets, `<` and references in attribute values, or `]]>` in text; a validating parser
//! such as xmllint refuses all of them, so the reader does too.

use std::borrow::Cow;

use quick_xml::errors::{Error as QxError, IllFormedError, SyntaxError};

use super::read::{is_xml_char, is_xml_space};
use crate::error::XmlProblem;

/// The kind of problem behind a quick-xml error; never its text.
pub(crate) fn problem_of(e: &QxError) -> XmlProblem {
    match e {
        QxError::Syntax(s) => match s {
            SyntaxError::InvalidBangMarkup => XmlProblem::MalformedMarkup,
            _ => XmlProblem::UnclosedMarkup,
        },
        QxError::IllFormed(i) => match i {
            IllFormedError::MissingDeclVersion(_) | IllFormedError::UnknownVersion => {
                XmlProblem::BadDeclaration
            }
            IllFormedError::MissingDoctypeName => XmlProblem::MalformedMarkup,
            IllFormedError::MissingEndTag(_) => XmlProblem::UnexpectedEnd,
            IllFormedError::UnmatchedEndTag(_) => XmlProblem::UnmatchedEndTag,
            IllFormedError::MismatchedEndTag { .. } => XmlProblem::MismatchedEndTag,
            IllFormedError::DoubleHyphenInComment => XmlProblem::DoubleHyphenInComment,
            IllFormedError::UnclosedReference => XmlProblem::UnclosedReference,
        },
        QxError::InvalidAttr(a) => match a {
            quick_xml::events::attributes::AttrError::Duplicated(..) => {
                XmlProblem::DuplicateAttribute
            }
            _ => XmlProblem::MalformedAttribute,
        },
        QxError::Encoding(_) => XmlProblem::NotUtf8,
        QxError::Escape(e) => match e {
            quick_xml::escape::EscapeError::UnrecognizedEntity(..) => XmlProblem::UndeclaredEntity,
            quick_xml::escape::EscapeError::UnterminatedEntity(..) => XmlProblem::UnclosedReference,
            _ => XmlProblem::BadCharacterReference,
        },
        QxError::Namespace(_) => XmlProblem::BadNamespaceDeclaration,
        _ => XmlProblem::MalformedMarkup,
    }
}

/// True when every character is allowed in XML 1.0 (see [`super::read::all_xml_chars`]).
pub(crate) fn chars_ok(s: &str) -> Result<(), XmlProblem> {
    if super::read::all_xml_chars(s) {
        Ok(())
    } else {
        Err(XmlProblem::ForbiddenCharacter)
    }
}

/// The content of a comment (between `<!--` and `-->`): XML characters only. quick-xml
/// checks `--` itself (`check_comments`).
pub(crate) fn comment(content: &str) -> Result<(), XmlProblem> {
    chars_ok(content)
}

/// The content of a processing instruction (between `<?` and `?>`): a target that is a
/// name other than `xml` in any case, then white space and XML characters.
pub(crate) fn processing_instruction(s: &str) -> Result<(), XmlProblem> {
    let end = s.find(is_xml_space).unwrap_or(s.len());
    let target = &s[..end];
    // A colon in the target breaks Namespaces in XML, but libxml2 (xmllint) only warns
    // about it and still validates the document, so it is accepted here too.
    if target.eq_ignore_ascii_case("xml") || !is_name(target) {
        return Err(XmlProblem::BadPiTarget);
    }
    chars_ok(s)
}

/// The content of an XML declaration (between `<?` and `?>`, starting with `xml`):
/// `xml S version Eq '1.x' (S encoding Eq '…')? (S standalone Eq ('yes'|'no'))? S?`.
/// Returns the declared encoding, if any.
pub(crate) fn declaration(s: &str) -> Result<Option<&str>, XmlProblem> {
    let mut rest = s.strip_prefix("xml").ok_or(XmlProblem::BadDeclaration)?;
    let mut pseudo = Vec::with_capacity(3);
    loop {
        let trimmed = rest.trim_start_matches(is_xml_space);
        if trimmed.is_empty() {
            break;
        }
        if trimmed.len() == rest.len() {
            // Pseudo-attributes must be separated by white space.
            return Err(XmlProblem::BadDeclaration);
        }
        let end = trimmed
            .find(|c: char| c == '=' || is_xml_space(c))
            .ok_or(XmlProblem::BadDeclaration)?;
        let name = &trimmed[..end];
        let after = trimmed[end..]
            .trim_start_matches(is_xml_space)
            .strip_prefix('=')
            .ok_or(XmlProblem::BadDeclaration)?
            .trim_start_matches(is_xml_space);
        let quote = after.chars().next().ok_or(XmlProblem::BadDeclaration)?;
        if quote != '"' && quote != '\'' {
            return Err(XmlProblem::BadDeclaration);
        }
        let body = &after[1..];
        let close = body.find(quote).ok_or(XmlProblem::BadDeclaration)?;
        pseudo.push((name, &body[..close]));
        rest = &body[close + 1..];
    }
    let mut it = pseudo.into_iter().peekable();
    match it.next() {
        Some(("version", v))
            if v.len() >= 3
                && v.starts_with("1.")
                && v[2..].bytes().all(|b| b.is_ascii_digit()) => {}
        _ => return Err(XmlProblem::BadDeclaration),
    }
    let mut encoding = None;
    if let Some(&("encoding", e)) = it.peek() {
        let mut chars = e.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
            return Err(XmlProblem::BadDeclaration);
        }
        encoding = Some(e);
        it.next();
    }
    if let Some(&("standalone", v)) = it.peek() {
        if v != "yes" && v != "no" {
            return Err(XmlProblem::BadDeclaration);
        }
        it.next();
    }
    if it.next().is_some() {
        return Err(XmlProblem::BadDeclaration);
    }
    Ok(encoding)
}

/// The value of an attribute as XML defines it: references resolved (only the five
/// predefined entities and character references exist without a DTD), no `<`, only XML
/// characters, and white space characters normalised to spaces. Borrows when nothing changes.
pub(crate) fn attribute_value(s: &str) -> Result<Cow<'_, str>, XmlProblem> {
    chars_ok(s)?;
    if s.contains('<') {
        return Err(XmlProblem::LessThanInAttribute);
    }
    if !s.contains(['&', '\t', '\n', '\r']) {
        return Ok(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['&', '\t', '\n', '\r']) {
        out.push_str(&rest[..i]);
        let c = rest.as_bytes()[i];
        if c != b'&' {
            out.push(' ');
            // CR LF is one line end, so one space.
            let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
            rest = &rest[i + skip..];
            continue;
        }
        let after = &rest[i + 1..];
        let end = after.find(';').ok_or(XmlProblem::UnclosedReference)?;
        out.push(reference(&after[..end])?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// Resolves the name of a reference (between `&` and `;`).
pub(crate) fn reference(name: &str) -> Result<char, XmlProblem> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix('x') {
            Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                u32::from_str_radix(hex, 16).ok()
            }
            None if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) => num.parse().ok(),
            _ => None,
        };
        return match code.and_then(char::from_u32) {
            Some(c) if is_xml_char(c) => Ok(c),
            _ => Err(XmlProblem::BadCharacterReference),
        };
    }
    match name {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        _ => Err(XmlProblem::UndeclaredEntity),
    }
}

/// The XML `Name` production, with the colon allowed (callers split QNames themselves).
pub(crate) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if is_name_start(c) => chars.all(is_name_char),
        _ => false,
    }
}

/// A non-colonised name (`NCName`): a prefix or a local name.
pub(crate) fn is_ncname(s: &str) -> bool {
    !s.contains(':') && is_name(s)
}

fn is_name_start(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// A qualified name: `NCName` or `NCName:NCName`.
pub(crate) fn is_qname(s: &str) -> bool {
    match s.split_once(':') {
        Some((p, l)) => is_ncname(p) && is_ncname(l),
        None => is_ncname(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_follow_the_grammar() {
        assert_eq!(declaration("xml version=\"1.0\""), Ok(None));
        assert_eq!(
            declaration("xml version='1.0' encoding=\"UTF-8\" standalone='yes' "),
            Ok(Some("UTF-8"))
        );
        assert_eq!(declaration("xml version = \"1.0\""), Ok(None));
        for bad in [
            "xml",
            "xml encoding=\"UTF-8\"",
            "xml version=\"1.0\" standalone=\"maybe\"",
            "xml version=\"1.0\"standalone=\"no\"",
            "xml version=\"1.0\" standalone=\"no\" encoding=\"UTF-8\"",
            "xml version=\"2.0\"",
            "xml version=\"1.0",
            "xml version=1.0",
            "xml version=\"1.0\" foo=\"bar\"",
        ] {
            assert_eq!(declaration(bad), Err(XmlProblem::BadDeclaration), "{}", bad);
        }
    }

    #[test]
    fn attribute_values_are_resolved_and_checked() {
        assert_eq!(attribute_value("a&amp;b&#x41;").as_deref(), Ok("a&bA"));
        assert_eq!(attribute_value("a\r\nb\tc").as_deref(), Ok("a b c"));
        assert_eq!(attribute_value("a<"), Err(XmlProblem::LessThanInAttribute));
        assert_eq!(attribute_value("a&b;"), Err(XmlProblem::UndeclaredEntity));
        assert_eq!(attribute_value("a&amp"), Err(XmlProblem::UnclosedReference));
        assert_eq!(attribute_value("a\0"), Err(XmlProblem::ForbiddenCharacter));
        assert_eq!(
            attribute_value("&#0;"),
            Err(XmlProblem::BadCharacterReference)
        );
    }

    #[test]
    fn processing_instruction_targets() {
        assert_eq!(processing_instruction("pi data"), Ok(()));
        for bad in ["XmL", "xml", "XML x", "", "1pi"] {
            assert_eq!(processing_instruction(bad), Err(XmlProblem::BadPiTarget));
        }
    }
}
