//! Lexical forms and facets of the basisschema's simple types, checked without regexes.
//!
//! XSD patterns are anchored and `.` matches any character except CR and LF, so
//! `.*[^\s].*` means "one line with at least one non-blank character".

use crate::xml::Report;
use crate::xml::read::{all_xml_chars, is_xml_space};

/// The XSD `pattern` facets that occur in the 3.2 basisschema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// No pattern.
    None,
    /// `.*[^\s].*`: one line, not blank.
    NonBlankLine,
    /// `([.\s]*\S+[.\s]*)+` (LDT_Commentaar): at least one non-blank character, lines allowed.
    NonBlank,
    /// `[0-9]{n}`.
    Digits(usize),
    /// `[0-9]*`.
    DigitsAny,
    /// `([a-zA-ZÀ-ỳ])+` (LDT_Voorletters).
    Letters,
    /// `([a-zA-Z0-9])+` (DeclaratieNummer, CS319).
    Alnum,
    /// `(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)` (LDT_Versie).
    Version,
}

impl Pattern {
    pub fn matches(self, s: &str) -> bool {
        match self {
            Pattern::None => true,
            // Byte scans: the white space and line ends are ASCII, and every byte of a
            // non-ASCII character is none of them.
            Pattern::NonBlankLine => {
                !s.bytes().any(|b| b == b'\n' || b == b'\r') && s.bytes().any(|b| !is_space(b))
            }
            Pattern::NonBlank => s.bytes().any(|b| !is_space(b)),
            Pattern::Digits(n) => s.len() == n && s.bytes().all(|b| b.is_ascii_digit()),
            Pattern::DigitsAny => s.bytes().all(|b| b.is_ascii_digit()),
            Pattern::Letters => {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphabetic() || ('\u{C0}'..='\u{1EF3}').contains(&c))
            }
            Pattern::Alnum => !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric()),
            Pattern::Version => {
                let parts: Vec<&str> = s.split('.').collect();
                parts.len() == 3
                    && parts.iter().all(|p| {
                        !p.is_empty()
                            && p.bytes().all(|b| b.is_ascii_digit())
                            && (p.len() == 1 || !p.starts_with('0'))
                    })
            }
        }
    }

    fn describe(self) -> String {
        match self {
            Pattern::None => String::new(),
            Pattern::NonBlankLine => {
                "must be one line with at least one non-blank character".into()
            }
            Pattern::NonBlank => "must contain at least one non-blank character".into(),
            Pattern::Digits(n) => format!("must be exactly {n} digits"),
            Pattern::DigitsAny => "must contain digits only".into(),
            Pattern::Letters => "must contain letters only (no dots or spaces)".into(),
            Pattern::Alnum => "must contain letters and digits only".into(),
            Pattern::Version => "must be a version of three numbers separated by dots".into(),
        }
    }
}

/// Facets of a string type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StringFacets {
    pub min: usize,
    pub max: Option<usize>,
    pub pattern: Pattern,
    /// Rule stating the maximum length (RSnnn).
    pub max_rule: &'static str,
    /// Rule stating the pattern (RSnnn/CSnnn).
    pub pattern_rule: &'static str,
}

/// XML white space as a byte.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Checks a string against its facets. Never echoes the value (it may be personal data).
pub(crate) fn check_string(s: &str, f: &StringFacets, rep: &mut Report) {
    if !all_xml_chars(s) {
        rep.violation("XSD-char", "contains a character that XML does not allow");
        return;
    }
    // Lengths are in characters; a string has at most as many characters as bytes, so the
    // characters are counted only when the byte length does not settle the facet.
    let short = s.len() < f.min || (f.min > 1 && s.chars().count() < f.min);
    if short {
        rep.violation("RS033", "must not be empty");
        return;
    }
    if let Some(max) = f.max {
        if s.len() > max {
            let len = s.chars().count();
            if len > max {
                rep.violation(
                    f.max_rule,
                    format!("is {len} characters long, at most {max} allowed"),
                );
            }
        }
    }
    if !f.pattern.matches(s) {
        rep.violation(f.pattern_rule, f.pattern.describe());
    }
}

/// Why an `xs:integer` lexical form was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum IntError {
    /// Not an integer at all.
    Syntax,
    /// Below zero.
    Negative,
    /// Larger than any LDT maximum (does not fit in 64 bits).
    TooLarge,
}

/// Parses an `xs:integer` (whitespace collapsed, optional sign) that must be ≥ 0.
pub(crate) fn parse_unsigned(text: &str) -> Result<u64, IntError> {
    let t = text.trim_matches(is_xml_space);
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'+') => (false, &t[1..]),
        Some(b'-') => (true, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IntError::Syntax);
    }
    let significant = digits.trim_start_matches('0');
    if negative && !significant.is_empty() {
        return Err(IntError::Negative);
    }
    if significant.len() > 19 {
        return Err(IntError::TooLarge);
    }
    significant.parse::<u64>().or(if significant.is_empty() {
        Ok(0)
    } else {
        Err(IntError::TooLarge)
    })
}

/// Rule for a maximum value (RS table of the standard).
pub(crate) fn max_value_rule(max: u64) -> &'static str {
    match max {
        99 => "RS002",
        99_999 => "RS004",
        99_999_999 => "RS005",
        999_999_999 => "RS006",
        999_999_999_999 => "RS040",
        _ => "XSD-maxInclusive",
    }
}

/// Rule for a maximum length (RS table of the standard).
pub(crate) const fn max_length_rule(max: usize) -> &'static str {
    match max {
        1 => "RS008",
        2 => "RS009",
        3 => "RS010",
        4 => "RS011",
        5 => "RS012",
        6 => "RS013",
        8 => "RS014",
        9 => "RS015",
        10 => "RS016",
        12 => "RS017",
        15 => "RS018",
        20 => "RS019",
        24 => "RS020",
        25 => "RS021",
        35 => "RS023",
        36 => "RS024",
        64 => "RS025",
        80 => "RS026",
        200 => "RS028",
        _ => "XSD-maxLength",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_blank_line_follows_xsd_dot_semantics() {
        assert!(Pattern::NonBlankLine.matches(" a "));
        assert!(!Pattern::NonBlankLine.matches("   "));
        assert!(
            !Pattern::NonBlankLine.matches("a\nb"),
            "'.' does not match LF"
        );
        assert!(Pattern::NonBlank.matches(" \n x \n"));
        assert!(!Pattern::NonBlank.matches(" \n\t"));
    }

    #[test]
    fn versions_and_letters() {
        assert!(Pattern::Version.matches("1.0.0"));
        assert!(Pattern::Version.matches("10.20.30"));
        assert!(!Pattern::Version.matches("01.0.0"));
        assert!(!Pattern::Version.matches("1.0"));
        assert!(Pattern::Letters.matches("JÀỳ"));
        assert!(!Pattern::Letters.matches("J."));
    }

    #[test]
    fn integers_follow_xs_integer() {
        assert_eq!(parse_unsigned(" +007 "), Ok(7));
        assert_eq!(parse_unsigned("-0"), Ok(0));
        assert_eq!(parse_unsigned("-1"), Err(IntError::Negative));
        assert_eq!(parse_unsigned("1.0"), Err(IntError::Syntax));
        assert_eq!(parse_unsigned(""), Err(IntError::Syntax));
        assert_eq!(
            parse_unsigned("99999999999999999999999"),
            Err(IntError::TooLarge)
        );
    }
}
