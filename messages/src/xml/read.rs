//! The reader: a pull parser over quick-xml that walks the XSD sequence of each type.
//!
//! Well-formedness problems, limits and DTDs are fatal ([`Error`]); schema problems are
//! recorded as violations and reading goes on, so one run reports every problem in a message.

use std::borrow::Cow;

use quick_xml::Reader as XmlReader;
use quick_xml::events::{BytesStart, Event};

use super::{Ctx, Ns, Report, wf};
use crate::error::{Error, XmlProblem};

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

/// The XML Schema instance namespace (`xsi:`).
pub(crate) const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// The namespace the `xml` prefix is bound to by definition.
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of `xmlns` attributes, which no prefix may be bound to.
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// Up to this many declarations in scope, a prefix is resolved by a scan; above it, through
/// the map of innermost bindings. Either way a lookup costs a bounded amount of work.
const SCAN_LIMIT: usize = 8;

/// One namespace declaration in scope.
#[derive(Debug)]
struct Binding {
    /// The prefix; empty for the default namespace.
    prefix: Box<str>,
    uri: Box<str>,
    class: ChildNs,
    /// Depth of the element that declared it; it goes out of scope with that element.
    depth: usize,
    /// The binding of the same prefix that this one shadows, as an index into the stack.
    shadowed: Option<usize>,
}

/// What an `xsi:type` attribute names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum XsiType {
    /// A QName whose prefix is in scope: the namespace class and the local name.
    Named(ChildNs, String),
    /// Not a QName, or its prefix is not declared: never a type of the schema.
    Unresolved,
}

/// An attribute other than a namespace declaration or a schema-location hint.
pub(crate) enum Attribute<'a> {
    /// `xsi:type`, resolved.
    XsiType(XsiType),
    /// Anything else (3.2 messages allow no attributes): its name.
    Other(&'a str),
}

/// Attributes of one element checked for duplicates (see [`Namespaces::declare`]).
const DUPLICATE_CHECK_LIMIT: usize = 1024;

/// The namespace declarations in scope, innermost last, with the innermost binding of each
/// prefix in a map so that resolving a name never scans every declaration: reading is linear
/// in the input however many declarations an element carries.
///
/// 3.2 messages declare their two prefixes once on the root, so the class (message /
/// basisschema / other) is computed at declaration time and the common case is a short scan.
#[derive(Debug, Default)]
pub(crate) struct Namespaces {
    bindings: Vec<Binding>,
    innermost: foldhash::HashMap<Box<str>, usize>,
    message_ns: String,
    basis_ns: &'static str,
}

#[cfg(test)]
thread_local! {
    /// Work done by prefix lookups on this thread (bindings compared or map probes), for
    /// the test that reading is linear.
    pub(crate) static PROBES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
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

    fn bind(&mut self, prefix: &str, uri: &str, depth: usize) {
        let class = self.class_of(uri);
        let index = self.bindings.len();
        let prefix: Box<str> = prefix.into();
        let shadowed = self.innermost.insert(prefix.clone(), index);
        self.bindings.push(Binding {
            prefix,
            uri: uri.into(),
            class,
            depth,
            shadowed,
        });
    }

    /// The innermost binding of `prefix`.
    fn lookup(&self, prefix: &str) -> Option<&Binding> {
        if self.bindings.len() <= SCAN_LIMIT {
            #[cfg(test)]
            PROBES.with(|p| p.set(p.get() + self.bindings.len().max(1) as u64));
            self.bindings.iter().rev().find(|b| &*b.prefix == prefix)
        } else {
            #[cfg(test)]
            PROBES.with(|p| p.set(p.get() + 1));
            self.innermost
                .get(prefix)
                .and_then(|&i| self.bindings.get(i))
        }
    }

    /// Reads the attributes of an element at `depth`: namespace declarations come into
    /// scope (checked as the Namespaces in XML recommendation requires); schema-location
    /// hints in the `xsi` namespace are ignored as schema processors do; every other
    /// attribute (3.2 messages have none) is handed to `other`. Attribute values must be
    /// well-formed (no `<`, known references only, XML characters only).
    pub fn declare(
        &mut self,
        start: &BytesStart<'_>,
        depth: usize,
        mut other: impl FnMut(Attribute<'_>),
    ) -> Result<(), XmlProblem> {
        if start
            .attributes_raw()
            .bytes()
            .all(|b| b.is_ascii_whitespace())
        {
            return Ok(());
        }
        // Declarations first: they scope over the element's own attributes too. Two passes
        // rather than a list of the other attributes, so that an element with millions of
        // attributes costs no memory beyond quick-xml's duplicate check.
        let mut others = false;
        let mut seen: foldhash::HashSet<&str> = foldhash::HashSet::default();
        for (i, attr) in start.attributes().with_checks(false).enumerate() {
            let attr = attr.map_err(|e| wf::problem_of(&e.into()))?;
            let key: &str = attr.key.into_inner();
            // Duplicates are looked for among the first attributes only: an element with
            // more is refused anyway (no 3.2 element has attributes beyond a few namespace
            // declarations), and a set of millions of names would cost more memory than the
            // input.
            if i < DUPLICATE_CHECK_LIMIT && !seen.insert(key) {
                return Err(XmlProblem::DuplicateAttribute);
            }
            if !wf::is_qname(key) {
                return Err(XmlProblem::MalformedAttribute);
            }
            let raw: &str = match &attr.value {
                Cow::Borrowed(b) => b,
                Cow::Owned(_) => return Err(XmlProblem::MalformedAttribute),
            };
            let value = wf::attribute_value(raw)?;
            if key == "xmlns" {
                if value != XML_NS && value != XMLNS_NS {
                    self.bind("", &value, depth);
                }
            } else if let Some(prefix) = key.strip_prefix("xmlns:") {
                // libxml2 (xmllint) reports `xmlns:xmlns`, `xmlns:p=""` and binding the
                // reserved prefixes or namespaces as namespace errors, but recovers and
                // validates; they bind nothing here (an empty value undeclares the prefix,
                // as in XML 1.1).
                let reserved =
                    matches!(prefix, "xml" | "xmlns") || value == XML_NS || value == XMLNS_NS;
                if !reserved {
                    self.bind(prefix, &value, depth);
                }
            } else {
                others = true;
            }
        }
        if !others {
            return Ok(());
        }
        for attr in start.attributes().with_checks(false).flatten() {
            let key: &str = attr.key.into_inner();
            if key == "xmlns" || key.starts_with("xmlns:") {
                continue;
            }
            let Some((prefix, local)) = key.split_once(':') else {
                other(Attribute::Other(key));
                continue;
            };
            let uri = if prefix == "xml" {
                XML_NS
            } else {
                match self.lookup(prefix) {
                    Some(b) if !b.uri.is_empty() => &*b.uri,
                    _ => return Err(XmlProblem::UndeclaredPrefix),
                }
            };
            match (uri, local) {
                (XSI_NS, "schemaLocation" | "noNamespaceSchemaLocation") => {}
                (XSI_NS, "type") => {
                    let raw: &str = &attr.value;
                    let value = wf::attribute_value(raw)?;
                    // libxml2 refuses white space around the QName.
                    let t = self.xsi_type(&value);
                    other(Attribute::XsiType(t));
                }
                _ => other(Attribute::Other(key)),
            }
        }
        Ok(())
    }

    /// Resolves the value of an `xsi:type` attribute.
    fn xsi_type(&self, qname: &str) -> XsiType {
        if !wf::is_qname(qname) {
            return XsiType::Unresolved;
        }
        let (prefix, local) = qname.split_once(':').unwrap_or(("", qname));
        match self.lookup(prefix) {
            Some(b) if !b.uri.is_empty() => XsiType::Named(b.class, local.to_owned()),
            _ => XsiType::Unresolved,
        }
    }

    /// Splits a qualified name into its namespace (URI and class) and local name.
    /// An undeclared prefix (or an empty default namespace) resolves to no namespace.
    pub fn resolve<'n>(&self, qname: &'n str) -> (Option<&str>, ChildNs, &'n str) {
        let (prefix, local) = split_qname(qname);
        match self.lookup(prefix) {
            Some(b) if !b.uri.is_empty() => (Some(&b.uri), b.class, local),
            _ => (None, ChildNs::Other, local),
        }
    }

    /// Ends the scope of declarations made deeper than `depth`.
    pub fn leave(&mut self, depth: usize) {
        while self.bindings.last().is_some_and(|b| b.depth > depth) {
            if let Some(b) = self.bindings.pop() {
                match b.shadowed {
                    Some(i) => {
                        self.innermost.insert(b.prefix, i);
                    }
                    None => {
                        self.innermost.remove(&b.prefix);
                    }
                }
            }
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
    /// The `xsi:type` of the element whose start tag was just read, for [`Reader::take_xsi_type`].
    xsi_type: Option<XsiType>,
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
            xsi_type: None,
            report: Report::capped(ctx, crate::error::MAX_VIOLATIONS),
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

    /// The `xsi:type` the element just started carries, if any (consumed).
    pub fn take_xsi_type(&mut self) -> Option<XsiType> {
        self.xsi_type.take()
    }

    fn fatal(&self, problem: XmlProblem) -> Error {
        Error::NotWellFormed {
            position: self.xml.buffer_position(),
            problem,
        }
    }

    fn position(&self) -> usize {
        usize::try_from(self.xml.buffer_position()).unwrap_or(usize::MAX)
    }

    #[inline]
    fn next_event(&mut self) -> Result<Event<'i>, Error> {
        let before = self.xml.buffer_position();
        match self.xml.read_event() {
            Ok(Event::Comment(c)) => {
                wf::comment(c.as_ref()).map_err(|p| not_well_formed(before, p))?;
                Ok(Event::Comment(c))
            }
            Ok(Event::PI(pi)) => {
                wf::processing_instruction(pi.as_ref()).map_err(|p| not_well_formed(before, p))?;
                Ok(Event::PI(pi))
            }
            Ok(Event::Decl(_)) => Err(not_well_formed(before, XmlProblem::MisplacedDeclaration)),
            Ok(Event::DocType(_)) => Err(Error::DoctypeNotAllowed),
            Ok(Event::Eof) => Err(self.fatal(XmlProblem::UnexpectedEnd)),
            Ok(event) => Ok(event),
            Err(e) => Err(not_well_formed(
                self.xml.error_position(),
                wf::problem_of(&e),
            )),
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
                    let c = wf::reference(&r).map_err(|p| self.fatal(p))?;
                    if !reported_text && !is_xml_space(c) {
                        reported_text = true;
                        self.element_only_text();
                    }
                    continue;
                }
                // Comments and PIs were checked by next_event; the rest are refused there.
                _ => continue,
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

    /// Brings an element's namespace declarations into scope, keeps its `xsi:type` for
    /// [`Reader::take_xsi_type`] and reports other attributes.
    #[inline]
    pub fn declare(&mut self, start: &BytesStart<'_>, depth: usize) -> Result<(), Error> {
        self.xsi_type = None;
        // 3.2 messages carry attributes only on the root: the common case is none at all.
        if start.attributes_raw().is_empty() {
            return Ok(());
        }
        self.declare_attributes(start, depth)
    }

    fn declare_attributes(&mut self, start: &BytesStart<'_>, depth: usize) -> Result<(), Error> {
        let mut xsi_type = None;
        let report = &mut self.report;
        let declared = self.ns.declare(start, depth, |a| match a {
            Attribute::XsiType(t) => xsi_type = Some(t),
            Attribute::Other(key) => report.attribute_not_allowed(key),
        });
        declared.map_err(|p| self.fatal(p))?;
        self.xsi_type = xsi_type;
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
        // A character XML does not allow was seen (reported after the element, as before).
        let mut forbidden = false;
        let mut before = self.position();
        loop {
            let event = self.next_event()?;
            let after = self.position();
            // The reader trims leading white space from text (and drops text that is only
            // white space), so the text is taken from the input: everything before the first
            // markup or reference in what this event consumed. A text event consumed only
            // text; any other event starts with markup or a reference, perhaps after white
            // space the reader dropped.
            let consumed = self.input.get(before..after).unwrap_or_default();
            let end = match event {
                Event::Text(_) => consumed.len(),
                _ => consumed
                    .bytes()
                    .position(|b| b == b'<' || b == b'&')
                    .unwrap_or(consumed.len()),
            };
            if end > 0 {
                let piece = consumed.get(..end).unwrap_or_default();
                // One pass over the bytes: plain text (no control character, no `]`, no
                // byte that may start U+FFFE/U+FFFF) needs none of the checks below.
                let plain = piece.bytes().all(|b| b >= 0x20 && b != b']' && b != 0xEF);
                if plain {
                    append(&mut text, Cow::Borrowed(piece));
                } else {
                    if piece.contains("]]>") {
                        return Err(not_well_formed(before as u64, XmlProblem::CdataEndInText));
                    }
                    forbidden |= !all_xml_chars(piece);
                    append(&mut text, normalize_line_ends(piece));
                }
            }
            before = after;
            match event {
                Event::Text(_) => {}
                Event::CData(c) => {
                    let content = c.xml10_content();
                    forbidden |= !all_xml_chars(&content);
                    append(&mut text, content);
                }
                Event::GeneralRef(r) => {
                    let c = wf::reference(&r).map_err(|p| self.fatal(p))?;
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
                _ => {}
            }
        }
        // References were checked by `wf::reference`; the input's pieces and CDATA above.
        if forbidden {
            return Err(self.fatal(XmlProblem::ForbiddenCharacter));
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
                    wf::reference(&r).map_err(|p| self.fatal(p))?;
                }
                _ => {}
            }
        }
        self.ns.leave(self.depth);
        Ok(())
    }
}

/// Splits a qualified name at its first colon into prefix and local name (an empty prefix
/// when there is none). A plain byte loop: names are short, and this runs for every element.
#[inline]
fn split_qname(qname: &str) -> (&str, &str) {
    match qname.bytes().position(|b| b == b':') {
        Some(i) => (
            qname.get(..i).unwrap_or_default(),
            qname.get(i + 1..).unwrap_or_default(),
        ),
        None => ("", qname),
    }
}

/// A not-well-formed error at `position`.
pub(crate) fn not_well_formed(position: u64, problem: XmlProblem) -> Error {
    Error::NotWellFormed { position, problem }
}

/// An element or attribute name as shown in a violation: quoted when it has the form of the
/// standard's names (ASCII letters, with a prefix), otherwise not shown, so that text typed
/// into markup by mistake (`<Jansen-123456782>`) never reaches an error message.
pub(crate) fn shown_name(name: &str) -> String {
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic());
    let ok = name.len() <= 60
        && match name.split_once(':') {
            Some((p, l)) => plain(l) && p.bytes().all(|b| b.is_ascii_alphanumeric()),
            None => plain(name),
        };
    if ok {
        format!("'{name}'")
    } else {
        "(name not shown)".to_owned()
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

#[cfg(test)]
mod tests {
    use super::PROBES;
    use crate::{ReadLimits, read};

    /// A JW315 root with `decls` namespace declarations `xmlns:pN`, then `elements` empty
    /// elements `<pN:a/>` that each resolve one of those prefixes (the hang).
    fn many_declarations(decls: usize, elements: usize) -> String {
        let mut xml = String::from(
            "<jw315:Bericht xmlns:jw315=\"http://www.istandaarden.nl/ijw/3_2/jw315/schema\"",
        );
        for i in 0..decls {
            xml.push_str(&format!(" xmlns:p{i}=\"urn:x{i}\""));
        }
        xml.push('>');
        for i in 0..elements {
            xml.push_str(&format!("<p{}:a/>", i % decls.max(1)));
        }
        xml.push_str("</jw315:Bericht>");
        xml
    }

    /// The prefix-lookup work of reading `xml` on this thread.
    fn probes(xml: &str) -> u64 {
        PROBES.with(|p| p.set(0));
        let result = read(xml.as_bytes(), ReadLimits::default());
        assert!(result.is_err(), "the crafted input is not a valid message");
        PROBES.with(|p| p.get())
    }

    #[test]
    fn prefix_lookups_cost_a_bounded_amount_of_work_each() {
        // 100k declarations × 100k elements took 35 s when every lookup scanned every
        // declaration (10^10 comparisons); now each lookup is one map probe.
        let (decls, elements) = (100_000, 100_000);
        let big = probes(&many_declarations(decls, elements));
        assert!(
            big <= 4 * (decls + elements) as u64,
            "{big} lookup steps for {decls} declarations and {elements} elements"
        );
        // Linear: a hundred times the input costs at most about a hundred times the work.
        let small = probes(&many_declarations(decls / 100, elements / 100));
        assert!(small > 0);
        assert!(
            big <= 150 * small,
            "work grows faster than the input: {small} -> {big}"
        );
    }
}
