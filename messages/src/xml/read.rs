//! The reader: a pull parser over quick-xml that walks the XSD sequence of each type.
//!
//! Well-formedness problems, limits and DTDs are fatal ([`Error`]); schema problems are
//! recorded as violations and reading goes on, so one run reports every problem in a message.

use std::borrow::Cow;

use quick_xml::Reader as XmlReader;
use quick_xml::events::{BytesStart, Event};

use super::{Ctx, Ns, Report};
use crate::error::Error;

/// Deeper than any 3.2 message nests (the deepest is about 8 levels).
pub(crate) const MAX_DEPTH: usize = 32;

/// Where a child element's namespace points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChildNs {
    Message,
    Basis,
    Other,
}

impl ChildNs {
    pub fn is(self, ns: Ns) -> bool {
        matches!(
            (self, ns),
            (ChildNs::Message, Ns::Message) | (ChildNs::Basis, Ns::Basis)
        )
    }
}

/// One namespace declaration in scope.
#[derive(Debug)]
struct Binding {
    /// The prefix; empty for the default namespace.
    prefix: String,
    uri: String,
    class: ChildNs,
    /// Depth of the element that declared it; it goes out of scope with that element.
    depth: usize,
}

/// The namespace declarations in scope, innermost last.
///
/// quick-xml's `NsReader` resolves every name against every declaration; 3.2 messages
/// declare their two prefixes once on the root, so a small stack with the class (message /
/// basisschema / other) computed at declaration time is much cheaper per element.
#[derive(Debug, Default)]
pub(crate) struct Namespaces {
    bindings: Vec<Binding>,
    message_ns: String,
    basis_ns: &'static str,
}

impl Namespaces {
    fn class_of(&self, uri: &str) -> ChildNs {
        if uri.is_empty() {
            ChildNs::Other
        } else if uri == self.message_ns {
            ChildNs::Message
        } else if uri == self.basis_ns {
            ChildNs::Basis
        } else {
            ChildNs::Other
        }
    }

    /// Sets the message's two namespaces once the root element told which message this is.
    pub fn set_message(&mut self, message_ns: String, basis_ns: &'static str) {
        self.message_ns = message_ns;
        self.basis_ns = basis_ns;
        for i in 0..self.bindings.len() {
            self.bindings[i].class = self.class_of(&self.bindings[i].uri);
        }
    }

    /// Reads the attributes of an element at `depth`: namespace declarations come into
    /// scope; any other attribute (3.2 messages have none; `xsi:schemaLocation` hints are
    /// ignored as schema processors do) is reported through `other`.
    pub fn declare(
        &mut self,
        start: &BytesStart<'_>,
        depth: usize,
        mut other: impl FnMut(&str),
    ) -> Result<(), String> {
        if start
            .attributes_raw()
            .bytes()
            .all(|b| b.is_ascii_whitespace())
        {
            return Ok(());
        }
        for attr in start.attributes() {
            let attr = attr.map_err(|e| e.to_string())?;
            let key: &str = attr.key.as_ref();
            let prefix = if key == "xmlns" {
                Some("")
            } else {
                key.strip_prefix("xmlns:")
            };
            match prefix {
                Some(prefix) => {
                    let uri = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| e.to_string())?
                        .into_owned();
                    let class = self.class_of(&uri);
                    self.bindings.push(Binding {
                        prefix: prefix.to_owned(),
                        uri,
                        class,
                        depth,
                    });
                }
                None if key.ends_with(":schemaLocation")
                    || key.ends_with(":noNamespaceSchemaLocation") => {}
                None => other(key),
            }
        }
        Ok(())
    }

    /// Splits a qualified name into its namespace (URI and class) and local name.
    /// An undeclared prefix (or an empty default namespace) resolves to no namespace.
    pub fn resolve<'n>(&self, qname: &'n str) -> (Option<&str>, ChildNs, &'n str) {
        let (prefix, local) = qname.split_once(':').unwrap_or(("", qname));
        match self.bindings.iter().rev().find(|b| b.prefix == prefix) {
            Some(b) if !b.uri.is_empty() => (Some(&b.uri), b.class, local),
            _ => (None, ChildNs::Other, local),
        }
    }

    /// Ends the scope of declarations made deeper than `depth`.
    pub fn leave(&mut self, depth: usize) {
        while self.bindings.last().is_some_and(|b| b.depth > depth) {
            self.bindings.pop();
        }
    }
}

/// A cursor over the events of one message.
pub(crate) struct Reader<'i> {
    /// The whole input; leaf text is sliced from it (see [`Reader::read_text`]).
    input: &'i str,
    xml: XmlReader<&'i [u8]>,
    ns: Namespaces,
    depth: usize,
    pub report: Report,
}

impl<'i> Reader<'i> {
    /// A reader positioned just inside the root element of a message of `ctx.kind`, with the
    /// root's namespace declarations in `ns`.
    ///
    /// `xml` must read `input` with `trim_text_start` set: white space between elements then
    /// produces no events at all, and leaf text is taken from `input` itself.
    pub fn new(input: &'i str, xml: XmlReader<&'i [u8]>, mut ns: Namespaces, ctx: Ctx) -> Self {
        ns.set_message(ctx.kind.namespace(), ctx.kind.law.basis_namespace());
        Self {
            input,
            xml,
            ns,
            depth: 1,
            report: Report::new(ctx),
        }
    }

    pub fn ctx(&self) -> Ctx {
        self.report.ctx
    }

    pub fn set_retour(&mut self, retour: bool) -> bool {
        std::mem::replace(&mut self.report.ctx.retour, retour)
    }

    pub fn into_inner(self) -> (XmlReader<&'i [u8]>, Report) {
        (self.xml, self.report)
    }

    fn fatal(&self, detail: impl Into<String>) -> Error {
        Error::NotWellFormed {
            position: self.xml.buffer_position(),
            detail: detail.into(),
        }
    }

    fn position(&self) -> usize {
        usize::try_from(self.xml.buffer_position()).unwrap_or(usize::MAX)
    }

    #[inline]
    fn next_event(&mut self) -> Result<Event<'i>, Error> {
        match self.xml.read_event() {
            Ok(event) => Ok(event),
            Err(e) => Err(Error::NotWellFormed {
                position: self.xml.error_position(),
                detail: e.to_string(),
            }),
        }
    }

    /// Moves to the next child element of the current complex element.
    ///
    /// `decide` sees the child's namespace and local name and returns what the caller wants to
    /// know about it (usually the index of the matching field). Returns `None` at the parent's
    /// end tag. Character content other than whitespace is recorded as a violation.
    pub fn next_child<R>(
        &mut self,
        mut decide: impl FnMut(ChildNs, &str) -> R,
    ) -> Result<Option<(R, bool)>, Error> {
        let mut reported_text = false;
        loop {
            let (start, empty) = match self.next_event()? {
                Event::Start(s) => (s, false),
                Event::Empty(s) => (s, true),
                Event::End(_) => {
                    self.depth -= 1;
                    self.ns.leave(self.depth);
                    return Ok(None);
                }
                Event::Text(t) => {
                    if !reported_text && !t.bytes().all(|b| is_xml_space(char::from(b))) {
                        reported_text = true;
                        self.element_only_text();
                    }
                    continue;
                }
                Event::CData(c) => {
                    if !reported_text && !c.chars().all(is_xml_space) {
                        reported_text = true;
                        self.element_only_text();
                    }
                    continue;
                }
                Event::GeneralRef(r) => {
                    let c = resolve_reference(&r).map_err(|d| self.fatal(d))?;
                    if !reported_text && !is_xml_space(c) {
                        reported_text = true;
                        self.element_only_text();
                    }
                    continue;
                }
                Event::Comment(_) | Event::PI(_) => continue,
                Event::DocType(_) => return Err(Error::DoctypeNotAllowed),
                Event::Decl(_) => return Err(self.fatal("XML declaration inside the document")),
                Event::Eof => return Err(self.fatal("unexpected end of document")),
            };
            let child_depth = self.depth + 1;
            if child_depth > MAX_DEPTH {
                return Err(Error::TooDeep { limit: MAX_DEPTH });
            }
            self.declare(&start, child_depth)?;
            let qname = start.name();
            let (_, class, local) = self.ns.resolve(qname.as_ref());
            let decided = decide(class, local);
            if empty {
                self.ns.leave(self.depth);
            } else {
                self.depth = child_depth;
            }
            return Ok(Some((decided, empty)));
        }
    }

    /// Brings an element's namespace declarations into scope and reports other attributes.
    pub fn declare(&mut self, start: &BytesStart<'_>, depth: usize) -> Result<(), Error> {
        let mut others: Vec<String> = Vec::new();
        let declared = self.ns.declare(start, depth, |key| {
            others.push(key.chars().take(60).collect())
        });
        declared.map_err(|d| self.fatal(d))?;
        for name in others {
            self.report.violation(
                "XSD-attribute",
                format!("attribute '{name}' is not allowed"),
            );
        }
        Ok(())
    }

    fn element_only_text(&mut self) {
        self.report.violation(
            "XSD-content",
            "character content is not allowed here: the element contains only elements",
        );
    }

    /// Reads the text of a simple element whose start tag was just consumed; borrowed from the
    /// input when it is one plain run of text.
    ///
    /// Returns `None` (with a violation) when the element has child elements.
    pub fn read_text(&mut self, empty: bool) -> Result<Option<Cow<'i, str>>, Error> {
        if empty {
            return Ok(Some(Cow::Borrowed("")));
        }
        let mut text: Cow<'i, str> = Cow::Borrowed("");
        let mut has_children = false;
        let mut before = self.position();
        loop {
            let event = self.next_event()?;
            let after = self.position();
            // The reader trims leading white space from text (and drops text that is only
            // white space), so the text is taken from the input: everything before the first
            // markup or reference in what this event consumed.
            let consumed = self.input.get(before..after).unwrap_or_default();
            let end = consumed.find(['<', '&']).unwrap_or(consumed.len());
            if end > 0 {
                append(&mut text, normalize_line_ends(&consumed[..end]));
            }
            before = after;
            match event {
                Event::Text(_) => {}
                Event::CData(c) => append(&mut text, c.xml10_content()),
                Event::GeneralRef(r) => {
                    let c = resolve_reference(&r).map_err(|d| self.fatal(d))?;
                    text.to_mut().push(c);
                }
                Event::Start(_) => {
                    has_children = true;
                    self.depth += 1;
                    self.skip_to_end()?;
                }
                Event::Empty(_) => has_children = true,
                Event::End(_) => {
                    self.depth -= 1;
                    self.ns.leave(self.depth);
                    break;
                }
                Event::Comment(_) | Event::PI(_) => {}
                Event::DocType(_) => return Err(Error::DoctypeNotAllowed),
                Event::Decl(_) => return Err(self.fatal("XML declaration inside the document")),
                Event::Eof => return Err(self.fatal("unexpected end of document")),
            }
        }
        if !all_xml_chars(&text) {
            return Err(self.fatal("text contains a character XML 1.0 does not allow"));
        }
        if has_children {
            self.report.violation(
                "XSD-content",
                "element has a simple type and may not contain elements",
            );
            return Ok(None);
        }
        Ok(Some(text))
    }

    /// Skips the rest of an element whose start tag was just consumed (nothing if it was empty).
    pub fn skip(&mut self, empty: bool) -> Result<(), Error> {
        if empty {
            return Ok(());
        }
        self.skip_to_end()
    }

    /// Skips to the end of the current element. Namespace declarations inside the skipped
    /// part only scope over it, so they need no tracking.
    fn skip_to_end(&mut self) -> Result<(), Error> {
        let target = self.depth - 1;
        while self.depth > target {
            match self.next_event()? {
                Event::Start(_) => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(Error::TooDeep { limit: MAX_DEPTH });
                    }
                }
                Event::End(_) => self.depth -= 1,
                Event::GeneralRef(r) => {
                    resolve_reference(&r).map_err(|d| self.fatal(d))?;
                }
                Event::DocType(_) => return Err(Error::DoctypeNotAllowed),
                Event::Eof => return Err(self.fatal("unexpected end of document")),
                _ => {}
            }
        }
        self.ns.leave(self.depth);
        Ok(())
    }
}

/// XML end-of-line handling: CR LF and a lone CR become LF. Borrows when there is no CR.
fn normalize_line_ends(s: &str) -> Cow<'_, str> {
    if !s.contains('\r') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Appends a piece of text, borrowing when it is the first piece.
fn append<'i>(text: &mut Cow<'i, str>, piece: Cow<'i, str>) {
    if text.is_empty() {
        *text = piece;
    } else {
        text.to_mut().push_str(&piece);
    }
}

/// True when every character is allowed in XML 1.0: a byte scan, because control characters
/// and U+FFFE/U+FFFF are the only characters valid UTF-8 can carry that XML does not allow.
pub(crate) fn all_xml_chars(s: &str) -> bool {
    let b = s.as_bytes();
    let controls = b
        .iter()
        .all(|&c| c >= 0x20 || c == b'\t' || c == b'\n' || c == b'\r');
    controls && (!b.contains(&0xEF) || s.chars().all(is_xml_char))
}

/// XML white space (`S` production): space, tab, CR, LF.
pub(crate) fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// True for characters allowed in an XML 1.0 document (`Char` production).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Resolves a character reference or one of the five predefined entities. Any other entity
/// is undeclared (messages have no DTD), which makes the document not well-formed.
fn resolve_reference(r: &quick_xml::events::BytesRef<'_>) -> Result<char, String> {
    if r.is_char_ref() {
        return match r.resolve_char_ref() {
            Ok(Some(c)) if is_xml_char(c) => Ok(c),
            Ok(Some(_)) => Err("character reference to a character XML does not allow".into()),
            _ => Err("malformed character reference".into()),
        };
    }
    match r.as_ref() {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        other => Err(format!(
            "undeclared entity '&{};'",
            other.chars().take(40).collect::<String>()
        )),
    }
}
