//! The reader: a pull parser over quick-xml that walks the XSD sequence of each type.
//!
//! Well-formedness problems, limits and DTDs are fatal ([`Error`]); schema problems are
//! recorded as violations and reading goes on, so one run reports every problem in a message.

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

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

/// A cursor over the events of one message.
pub(crate) struct Reader<'i> {
    xml: NsReader<&'i [u8]>,
    message_ns: String,
    basis_ns: &'static str,
    depth: usize,
    pub report: Report,
}

impl<'i> Reader<'i> {
    /// A reader positioned just inside the root element of a message of `ctx.kind`.
    pub fn new(xml: NsReader<&'i [u8]>, ctx: Ctx) -> Self {
        Self {
            message_ns: ctx.kind.namespace(),
            basis_ns: ctx.kind.law.basis_namespace(),
            xml,
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

    pub fn into_inner(self) -> (NsReader<&'i [u8]>, Report) {
        (self.xml, self.report)
    }

    fn fatal(&self, detail: impl Into<String>) -> Error {
        Error::NotWellFormed {
            position: self.xml.buffer_position(),
            detail: detail.into(),
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
            let position = self.xml.buffer_position();
            let (ns, event) = self
                .xml
                .read_resolved_event()
                .map_err(|e| Error::NotWellFormed {
                    position,
                    detail: e.to_string(),
                })?;
            let (start, empty) = match event {
                Event::Start(s) => (s, false),
                Event::Empty(s) => (s, true),
                Event::End(_) => {
                    self.depth -= 1;
                    return Ok(None);
                }
                Event::Text(t) => {
                    if !reported_text && !t.chars().all(is_xml_space) {
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
            let class = classify(&ns, &self.message_ns, self.basis_ns);
            self.check_attributes(&start)?;
            let local = start.local_name();
            let local: &str = local.as_ref();
            let decided = decide(class, local);
            if !empty {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(Error::TooDeep { limit: MAX_DEPTH });
                }
            }
            return Ok(Some((decided, empty)));
        }
    }

    /// 3.2 messages use no attributes; only namespace declarations and `xsi:schemaLocation`
    /// hints (which schema processors ignore) may appear.
    pub fn check_attributes(
        &mut self,
        start: &quick_xml::events::BytesStart<'_>,
    ) -> Result<(), Error> {
        for attr in start.attributes() {
            let attr = attr.map_err(|e| self.fatal(e.to_string()))?;
            let key: &str = attr.key.as_ref();
            let allowed = key == "xmlns"
                || key.starts_with("xmlns:")
                || key.ends_with(":schemaLocation")
                || key.ends_with(":noNamespaceSchemaLocation");
            if !allowed {
                let name = key.chars().take(60).collect::<String>();
                self.report.violation(
                    "XSD-attribute",
                    format!("attribute '{name}' is not allowed"),
                );
            }
        }
        Ok(())
    }

    fn element_only_text(&mut self) {
        self.report.violation(
            "XSD-content",
            "character content is not allowed here: the element contains only elements",
        );
    }

    /// Reads the text of a simple element whose start tag was just consumed.
    ///
    /// Returns `None` (with a violation) when the element has child elements.
    pub fn read_text(&mut self, empty: bool) -> Result<Option<String>, Error> {
        if empty {
            return Ok(Some(String::new()));
        }
        let mut text = String::new();
        let mut has_children = false;
        loop {
            let event = self.xml.read_event().map_err(|e| Error::NotWellFormed {
                position: self.xml.error_position(),
                detail: e.to_string(),
            })?;
            match event {
                Event::Text(t) => text.push_str(&t.xml10_content()),
                Event::CData(c) => text.push_str(&c.xml10_content()),
                Event::GeneralRef(r) => {
                    let c = resolve_reference(&r).map_err(|d| self.fatal(d))?;
                    text.push(c);
                }
                Event::Start(_) => {
                    has_children = true;
                    self.depth += 1;
                    self.skip_to_end()?;
                }
                Event::Empty(_) => has_children = true,
                Event::End(_) => {
                    self.depth -= 1;
                    break;
                }
                Event::Comment(_) | Event::PI(_) => {}
                Event::DocType(_) => return Err(Error::DoctypeNotAllowed),
                Event::Decl(_) => return Err(self.fatal("XML declaration inside the document")),
                Event::Eof => return Err(self.fatal("unexpected end of document")),
            }
        }
        if !text.chars().all(is_xml_char) {
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

    fn skip_to_end(&mut self) -> Result<(), Error> {
        let target = self.depth - 1;
        while self.depth > target {
            let event = self.xml.read_event().map_err(|e| Error::NotWellFormed {
                position: self.xml.error_position(),
                detail: e.to_string(),
            })?;
            match event {
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
        Ok(())
    }
}

fn classify(ns: &ResolveResult<'_>, message_ns: &str, basis_ns: &str) -> ChildNs {
    match ns {
        ResolveResult::Bound(n) if n.0 == message_ns => ChildNs::Message,
        ResolveResult::Bound(n) if n.0 == basis_ns => ChildNs::Basis,
        _ => ChildNs::Other,
    }
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
