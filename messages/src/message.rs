//! Whole messages: the [`Message`] enum over all 14 types, reading and writing.

use quick_xml::Reader as XmlReader;
use quick_xml::events::Event;

use crate::error::{Error, Violation, XmlProblem};
use crate::law::{Law, MessageKind, MessageType};
use crate::model::allocation::AllocationClient;
use crate::model::answer::Antwoord;
use crate::model::care::{CareStartClient, CareStopClient};
use crate::model::change::ChangeRequestClient;
use crate::model::declaration::{Declaratie, DeclaratieAntwoord};
use crate::model::header::{DeclarationAnswerHeader, Header, RetourHeader};
use crate::model::request::RequestClient;
use crate::xml::node::{self, FieldSpec, Matcher, Node};
use crate::xml::read::{Attribute, Namespaces, Reader, is_xml_space, not_well_formed, shown_name};
use crate::xml::wf;
use crate::xml::write::Writer;
use crate::xml::{Ctx, Ns, Report};

/// The largest payload VECOZO accepts for iJw/iWmo (25 MB, OP179/BRS06), in bytes.
///
/// VECOZO does not say whether "MB" means 10⁶ or 2²⁰ bytes; ketenpoort refuses at the
/// smaller value so that nothing it accepts can be refused for size.
pub const VECOZO_MAX_PAYLOAD_BYTES: usize = 25_000_000;

/// Limits the reader enforces before and while parsing.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    /// Largest input accepted, in bytes. Default 25 MiB: more than VECOZO ever carries.
    pub max_bytes: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        Self {
            max_bytes: 25 * 1024 * 1024,
        }
    }
}

/// The body element of a message type and whether it is a retour body.
pub(crate) trait Body: Node {
    /// Element name of the body under `Bericht`.
    const ELEMENT: &'static str;
}

impl Body for AllocationClient {
    const ELEMENT: &'static str = "Client";
}
impl Body for CareStartClient {
    const ELEMENT: &'static str = "Client";
}
impl Body for CareStopClient {
    const ELEMENT: &'static str = "Client";
}
impl Body for RequestClient {
    const ELEMENT: &'static str = "Client";
}
impl Body for ChangeRequestClient {
    const ELEMENT: &'static str = "Client";
}
impl Body for Antwoord {
    const ELEMENT: &'static str = "Antwoord";
}
impl Body for Declaratie {
    const ELEMENT: &'static str = "Declaratie";
}
impl Body for DeclaratieAntwoord {
    const ELEMENT: &'static str = "DeclaratieAntwoord";
}

/// A heen (outgoing) message: header and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heen<B> {
    /// Header.
    pub header: Header,
    /// The body (Client, Antwoord or Declaratie).
    pub body: B,
}

/// A retour message: the copied header with retour fields, and, when something was
/// rejected, the body of the heen message with retourcodes on each part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retour<B> {
    /// Header.
    pub header: RetourHeader,
    /// The annotated body; `None` when the whole message was accepted or rejected at header level.
    pub body: Option<B>,
}

/// A 325 Declaratie-antwoord (claim answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclarationAnswer {
    /// Header.
    pub header: DeclarationAnswerHeader,
    /// The answer per claim; `None` when the 323 was rejected as a whole.
    pub body: Option<DeclaratieAntwoord>,
}

/// The content of a message, one variant per message type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// 301 Toewijzing (allocation).
    Allocation(Heen<AllocationClient>),
    /// 302 retour on a 301.
    AllocationRetour(Retour<AllocationClient>),
    /// 305 Start zorg (care start).
    CareStart(Heen<CareStartClient>),
    /// 306 retour on a 305.
    CareStartRetour(Retour<CareStartClient>),
    /// 307 Stop zorg (care stop).
    CareStop(Heen<CareStopClient>),
    /// 308 retour on a 307.
    CareStopRetour(Retour<CareStopClient>),
    /// 315 Verzoek om toewijzing (request for allocation).
    RequestForAllocation(Heen<RequestClient>),
    /// 316 retour on a 315.
    RequestForAllocationRetour(Retour<RequestClient>),
    /// 317 Verzoek om wijziging (request for change).
    ChangeRequest(Heen<ChangeRequestClient>),
    /// 318 retour on a 317.
    ChangeRequestRetour(Retour<ChangeRequestClient>),
    /// 319 Antwoordbericht (answer).
    Answer(Heen<Antwoord>),
    /// 320 retour on a 319.
    AnswerRetour(Retour<Antwoord>),
    /// 323 Declaratie (claim).
    Declaration(Heen<Declaratie>),
    /// 325 Declaratie-antwoord (claim answer).
    DeclarationAnswer(DeclarationAnswer),
}

/// One iJw or iWmo 3.2 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The law.
    pub law: Law,
    /// The message.
    pub content: Content,
}

/// Calls `$f!(variant_binding)` for the variant at hand, for code that is the same for all.
macro_rules! each_content {
    ($content:expr, $v:ident => $body:expr) => {
        match $content {
            Content::Allocation($v) => $body,
            Content::AllocationRetour($v) => $body,
            Content::CareStart($v) => $body,
            Content::CareStartRetour($v) => $body,
            Content::CareStop($v) => $body,
            Content::CareStopRetour($v) => $body,
            Content::RequestForAllocation($v) => $body,
            Content::RequestForAllocationRetour($v) => $body,
            Content::ChangeRequest($v) => $body,
            Content::ChangeRequestRetour($v) => $body,
            Content::Answer($v) => $body,
            Content::AnswerRetour($v) => $body,
            Content::Declaration($v) => $body,
            Content::DeclarationAnswer($v) => $body,
        }
    };
}

impl Content {
    /// The message type of this content.
    pub fn message_type(&self) -> MessageType {
        match self {
            Content::Allocation(_) => MessageType::M301,
            Content::AllocationRetour(_) => MessageType::M302,
            Content::CareStart(_) => MessageType::M305,
            Content::CareStartRetour(_) => MessageType::M306,
            Content::CareStop(_) => MessageType::M307,
            Content::CareStopRetour(_) => MessageType::M308,
            Content::RequestForAllocation(_) => MessageType::M315,
            Content::RequestForAllocationRetour(_) => MessageType::M316,
            Content::ChangeRequest(_) => MessageType::M317,
            Content::ChangeRequestRetour(_) => MessageType::M318,
            Content::Answer(_) => MessageType::M319,
            Content::AnswerRetour(_) => MessageType::M320,
            Content::Declaration(_) => MessageType::M323,
            Content::DeclarationAnswer(_) => MessageType::M325,
        }
    }

    /// The heen header (for retours and the 325: the copied / own heen part).
    pub fn header(&self) -> &Header {
        each_content!(self, m => m.root_header())
    }
}

impl Message {
    /// The message kind (law and type), e.g. JW315.
    pub fn kind(&self) -> MessageKind {
        MessageKind::new(self.law, self.content.message_type())
    }

    /// Checks the message against the schema's facets and cardinalities.
    /// An empty list means the XML this message writes is schema-valid.
    pub fn validate(&self) -> Vec<Violation> {
        let mut rep = Report::new(Ctx {
            kind: self.kind(),
            retour: false,
        });
        rep.path.push("Bericht", None);
        each_content!(&self.content, m => m.check_root(&mut rep));
        rep.violations
    }

    /// Writes the message as XML in the OP192 form (UTF-8, no BOM, CR/LF, one element per
    /// line). Refuses a message that is not schema-valid.
    pub fn to_xml(&self) -> Result<String, Error> {
        let violations = self.validate();
        if !violations.is_empty() {
            return Err(Error::Invalid {
                kind: self.kind(),
                violations,
                omitted: 0,
            });
        }
        // About 720 bytes per claim line in the OP192 form (docs/PERFORMANCE.md).
        let size_hint = match &self.content {
            Content::Declaration(h) => {
                let lines: usize = h.body.clienten.iter().map(|c| c.prestaties.len()).sum();
                4096 + 800 * lines
            }
            _ => 4096,
        };
        let mut w = Writer::new(
            Ctx {
                kind: self.kind(),
                retour: false,
            },
            size_hint,
        );
        w.open_root();
        each_content!(&self.content, m => m.write_root(&mut w));
        w.close(Ns::Message, "Bericht");
        Ok(w.finish())
    }

    /// Reads a message with the default [`ReadLimits`].
    pub fn from_xml(input: &[u8]) -> Result<Message, Error> {
        read(input, ReadLimits::default())
    }

    /// A random schema-valid message of `kind` (feature `generate`).
    #[cfg(feature = "generate")]
    pub fn generate(kind: MessageKind, g: &mut crate::generate::Gen) -> Message {
        g.ctx = Ctx {
            kind,
            retour: false,
        };
        let content = match kind.message_type {
            MessageType::M301 => Content::Allocation(generate_heen(g)),
            MessageType::M302 => Content::AllocationRetour(generate_retour(g)),
            MessageType::M305 => Content::CareStart(generate_heen(g)),
            MessageType::M306 => Content::CareStartRetour(generate_retour(g)),
            MessageType::M307 => Content::CareStop(generate_heen(g)),
            MessageType::M308 => Content::CareStopRetour(generate_retour(g)),
            MessageType::M315 => Content::RequestForAllocation(generate_heen(g)),
            MessageType::M316 => Content::RequestForAllocationRetour(generate_retour(g)),
            MessageType::M317 => Content::ChangeRequest(generate_heen(g)),
            MessageType::M318 => Content::ChangeRequestRetour(generate_retour(g)),
            MessageType::M319 => Content::Answer(generate_heen(g)),
            MessageType::M320 => Content::AnswerRetour(generate_retour(g)),
            MessageType::M323 => Content::Declaration(generate_heen(g)),
            MessageType::M325 => Content::DeclarationAnswer(DeclarationAnswer::generate_root(g)),
        };
        Message {
            law: kind.law,
            content,
        }
    }
}

// === roots ===

/// What every root (Heen, Retour, DeclarationAnswer) can do.
trait Root: Sized {
    fn root_header(&self) -> &Header;
    fn write_root(&self, w: &mut Writer);
    fn read_root(r: &mut Reader<'_>, empty: bool) -> Result<Option<Self>, Error>;
    fn check_root(&self, rep: &mut Report);
}

/// Reads `Header` then the body element (required for heen, optional for retours).
fn read_parts<H: Node, B: Body>(
    r: &mut Reader<'_>,
    empty: bool,
    body_required: bool,
    retour_body: bool,
) -> Result<(Option<H>, Option<B>), Error> {
    let specs = [
        FieldSpec {
            name: "Header",
            item: "",
            required: true,
            only_law: None,
            only_retour: false,
        },
        FieldSpec {
            name: B::ELEMENT,
            item: "",
            required: body_required,
            only_law: None,
            only_retour: false,
        },
    ];
    let mut header = None;
    let mut body = None;
    let mut m = Matcher::new(&specs, r.ctx());
    if !empty {
        while let Some((hit, child_empty)) =
            r.next_child(|ns, local| m.classify(ns.is(Ns::Message), local))?
        {
            m.report_missing(&mut r.report);
            match hit {
                Ok(0) => header = node::read_child::<H>(r, "Header", None, child_empty)?,
                Ok(_) => {
                    let before = r.set_retour(retour_body);
                    body = node::read_child::<B>(r, B::ELEMENT, None, child_empty)?;
                    r.set_retour(before);
                }
                Err(name) => node::unexpected(r, &name, child_empty)?,
            }
        }
    }
    m.finish(&mut r.report);
    Ok((header, body))
}

fn check_body<B: Node>(body: &B, rep: &mut Report, element: &'static str, retour: bool) {
    let before = std::mem::replace(&mut rep.ctx.retour, retour);
    node::check_child(body, rep, element, None);
    rep.ctx.retour = before;
}

impl<B: Body> Root for Heen<B> {
    fn root_header(&self) -> &Header {
        &self.header
    }
    fn write_root(&self, w: &mut Writer) {
        self.header.write(w, Ns::Message, "Header");
        self.body.write(w, Ns::Message, B::ELEMENT);
    }
    fn read_root(r: &mut Reader<'_>, empty: bool) -> Result<Option<Self>, Error> {
        let (header, body) = read_parts::<Header, B>(r, empty, true, false)?;
        Ok(header.zip(body).map(|(header, body)| Heen { header, body }))
    }
    fn check_root(&self, rep: &mut Report) {
        node::check_child(&self.header, rep, "Header", None);
        check_body(&self.body, rep, B::ELEMENT, false);
    }
}

impl<B: Body> Root for Retour<B> {
    fn root_header(&self) -> &Header {
        &self.header.heen
    }
    fn write_root(&self, w: &mut Writer) {
        self.header.write(w, Ns::Message, "Header");
        if let Some(body) = &self.body {
            let before = std::mem::replace(&mut w.ctx.retour, true);
            body.write(w, Ns::Message, B::ELEMENT);
            w.ctx.retour = before;
        }
    }
    fn read_root(r: &mut Reader<'_>, empty: bool) -> Result<Option<Self>, Error> {
        let (header, body) = read_parts::<RetourHeader, B>(r, empty, false, true)?;
        Ok(header.map(|header| Retour { header, body }))
    }
    fn check_root(&self, rep: &mut Report) {
        node::check_child(&self.header, rep, "Header", None);
        if let Some(body) = &self.body {
            check_body(body, rep, B::ELEMENT, true);
        }
    }
}

impl Root for DeclarationAnswer {
    fn root_header(&self) -> &Header {
        &self.header.heen
    }
    fn write_root(&self, w: &mut Writer) {
        self.header.write(w, Ns::Message, "Header");
        if let Some(body) = &self.body {
            let before = std::mem::replace(&mut w.ctx.retour, true);
            body.write(w, Ns::Message, DeclaratieAntwoord::ELEMENT);
            w.ctx.retour = before;
        }
    }
    fn read_root(r: &mut Reader<'_>, empty: bool) -> Result<Option<Self>, Error> {
        let (header, body) =
            read_parts::<DeclarationAnswerHeader, DeclaratieAntwoord>(r, empty, false, true)?;
        Ok(header.map(|header| DeclarationAnswer { header, body }))
    }
    fn check_root(&self, rep: &mut Report) {
        node::check_child(&self.header, rep, "Header", None);
        if let Some(body) = &self.body {
            check_body(body, rep, DeclaratieAntwoord::ELEMENT, true);
        }
    }
}

#[cfg(feature = "generate")]
fn generate_heen<B: Body>(g: &mut crate::generate::Gen) -> Heen<B> {
    Heen {
        header: Header::generate(g),
        body: B::generate(g),
    }
}

#[cfg(feature = "generate")]
fn generate_retour<B: Body>(g: &mut crate::generate::Gen) -> Retour<B> {
    {
        let header = RetourHeader::generate(g);
        let body = g.maybe().then(|| {
            g.ctx.retour = true;
            let b = B::generate(g);
            g.ctx.retour = false;
            b
        });
        Retour { header, body }
    }
}

#[cfg(feature = "generate")]
impl DeclarationAnswer {
    fn generate_root(g: &mut crate::generate::Gen) -> Self {
        let header = DeclarationAnswerHeader::generate(g);
        let body = g.maybe().then(|| {
            g.ctx.retour = true;
            let b = DeclaratieAntwoord::generate(g);
            g.ctx.retour = false;
            b
        });
        DeclarationAnswer { header, body }
    }
}

// === reading ===

/// Reads and schema-checks one message.
///
/// Detects law and message type from the root element's namespace; refuses anything that is
/// not an iJw/iWmo 3.2 message, not well-formed, not UTF-8, has a DTD or exceeds `limits`.
/// Never panics.
pub fn read(input: &[u8], limits: ReadLimits) -> Result<Message, Error> {
    let text = text_of(input, limits)?;
    let (xml, start, empty) = prolog(text)?;
    read_root_element(text, xml, &start, empty)
}

/// Checks that `input` is one well-formed, namespace-well-formed UTF-8 XML document, with the
/// checks [`read`] applies (no DTD, `limits`), whatever its root element. For telling a
/// payload that is not a 3.2 message but is XML from one that is not XML at all. Never panics.
pub fn check_well_formed(input: &[u8], limits: ReadLimits) -> Result<(), Error> {
    let text = text_of(input, limits)?;
    let (mut xml, start, empty) = prolog(text)?;
    let mut ns = Namespaces::default();
    let mut depth = 1usize;
    let element = |ns: &mut Namespaces, s: &quick_xml::events::BytesStart<'_>, depth, at| {
        ns.declare(s, depth, |_| {})
            .map_err(|p| not_well_formed(at, p))?;
        let name = s.name();
        let qname: &str = name.as_ref();
        if !wf::is_qname(qname) {
            return Err(not_well_formed(at, XmlProblem::BadName));
        }
        if qname.contains(':') && ns.resolve(qname).0.is_none() {
            return Err(not_well_formed(at, XmlProblem::UndeclaredPrefix));
        }
        Ok(())
    };
    element(&mut ns, &start, depth, 0)?;
    if empty {
        return epilog(xml);
    }
    loop {
        let position = xml.buffer_position();
        let event = xml
            .read_event()
            .map_err(|e| not_well_formed(xml.error_position(), wf::problem_of(&e)))?;
        let at = |p| not_well_formed(position, p);
        match event {
            Event::Start(s) => {
                depth += 1;
                element(&mut ns, &s, depth, position)?;
            }
            Event::Empty(s) => {
                element(&mut ns, &s, depth + 1, position)?;
                ns.leave(depth);
            }
            Event::End(_) => {
                depth -= 1;
                ns.leave(depth);
                if depth == 0 {
                    return epilog(xml);
                }
            }
            Event::Text(t) => {
                wf::chars_ok(&t).map_err(at)?;
                if t.contains("]]>") {
                    return Err(at(XmlProblem::CdataEndInText));
                }
            }
            Event::CData(c) => wf::chars_ok(&c).map_err(at)?,
            Event::GeneralRef(r) => {
                wf::reference(&r).map_err(at)?;
            }
            Event::Comment(c) => wf::comment(&c).map_err(at)?,
            Event::PI(pi) => wf::processing_instruction(&pi).map_err(at)?,
            Event::Decl(_) => return Err(at(XmlProblem::MisplacedDeclaration)),
            Event::DocType(_) => return Err(Error::DoctypeNotAllowed),
            Event::Eof => return Err(at(XmlProblem::UnexpectedEnd)),
        }
    }
}

/// The input as text: within `limits`, one byte-order mark at most, UTF-8.
fn text_of(input: &[u8], limits: ReadLimits) -> Result<&str, Error> {
    if input.len() > limits.max_bytes {
        return Err(Error::TooLarge {
            size: input.len(),
            limit: limits.max_bytes,
        });
    }
    let input = input.strip_prefix(BOM).unwrap_or(input);
    if input.starts_with(BOM) {
        // quick-xml would drop this one too and shift every position by three bytes.
        return Err(not_well_formed(0, XmlProblem::SecondByteOrderMark));
    }
    std::str::from_utf8(input)
        .map_err(|e| not_well_formed(e.valid_up_to() as u64, XmlProblem::NotUtf8))
}

/// Reads up to the root element's start tag: the XML declaration (only at the very start),
/// then only white space, comments and processing instructions. Returns the reader, the root
/// element's start tag and whether it is empty.
fn prolog(
    text: &str,
) -> Result<(XmlReader<&[u8]>, quick_xml::events::BytesStart<'_>, bool), Error> {
    let mut xml = XmlReader::from_str(text);
    // No events for white space between elements; leaf text is sliced from the input.
    xml.config_mut().trim_text_start = true;
    xml.config_mut().check_comments = true;
    let mut first = true;
    loop {
        let position = xml.buffer_position();
        let event = xml
            .read_event()
            .map_err(|e| not_well_formed(xml.error_position(), wf::problem_of(&e)))?;
        let at_start = std::mem::replace(&mut first, false);
        match event {
            Event::Decl(decl) => {
                // Only at the very start: no white space, comment or second declaration
                // before (the reader drops leading white space, so look at the input).
                if !at_start || !text.starts_with("<?xml") {
                    return Err(not_well_formed(position, XmlProblem::MisplacedDeclaration));
                }
                let encoding = wf::declaration(&decl).map_err(|p| not_well_formed(position, p))?;
                if let Some(enc) = encoding
                    && !enc.eq_ignore_ascii_case("utf-8")
                    && !enc.eq_ignore_ascii_case("utf8")
                {
                    return Err(not_well_formed(position, XmlProblem::EncodingNotUtf8));
                }
            }
            Event::Text(t) if t.chars().all(is_xml_space) => {}
            Event::Comment(c) => wf::comment(&c).map_err(|p| not_well_formed(position, p))?,
            Event::PI(pi) => {
                wf::processing_instruction(&pi).map_err(|p| not_well_formed(position, p))?
            }
            Event::DocType(_) => return Err(Error::DoctypeNotAllowed),
            Event::Start(s) => return Ok((xml, s, false)),
            Event::Empty(s) => return Ok((xml, s, true)),
            Event::Eof => return Err(not_well_formed(position, XmlProblem::NoRootElement)),
            _ => return Err(not_well_formed(position, XmlProblem::ContentBeforeRoot)),
        }
    }
}

/// Reads what follows the root element: only white space, comments and processing
/// instructions may.
fn epilog(mut xml: XmlReader<&[u8]>) -> Result<(), Error> {
    loop {
        let position = xml.buffer_position();
        match xml.read_event() {
            Ok(Event::Eof) => return Ok(()),
            Ok(Event::Text(t)) if t.chars().all(is_xml_space) => {}
            Ok(Event::Comment(c)) => {
                wf::comment(&c).map_err(|p| not_well_formed(position, p))?;
            }
            Ok(Event::PI(pi)) => {
                wf::processing_instruction(&pi).map_err(|p| not_well_formed(position, p))?;
            }
            Ok(Event::Decl(_)) => {
                return Err(not_well_formed(position, XmlProblem::MisplacedDeclaration));
            }
            Ok(Event::DocType(_)) => return Err(Error::DoctypeNotAllowed),
            Ok(_) => return Err(not_well_formed(position, XmlProblem::ContentAfterRoot)),
            Err(e) => return Err(not_well_formed(xml.error_position(), wf::problem_of(&e))),
        }
    }
}

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

fn read_root_element<'i>(
    input: &'i str,
    xml: XmlReader<&'i [u8]>,
    start: &quick_xml::events::BytesStart<'_>,
    empty: bool,
) -> Result<Message, Error> {
    let mut ns = Namespaces::default();
    // The root's attributes are reported once the kind is known; a root with millions of
    // attributes is cut short at the report's cap.
    let mut attributes: Vec<String> = Vec::new();
    let mut more = 0usize;
    ns.declare(start, 1, |a| {
        if attributes.len() >= crate::error::MAX_VIOLATIONS {
            more += 1;
            return;
        }
        attributes.push(match a {
            Attribute::XsiType(_) => "'xsi:type'".to_owned(),
            Attribute::Other(key) => shown_name(key),
        })
    })
    .map_err(|p| not_well_formed(xml.buffer_position(), p))?;
    let qname = start.name();
    let (uri, _, local) = ns.resolve(qname.as_ref());
    let namespace = uri.unwrap_or_default().to_owned();
    let kind = match MessageKind::from_namespace(&namespace) {
        Some(k) if local == "Bericht" => k,
        _ => return Err(unknown_root(&namespace, local)),
    };
    let mut reader = Reader::new(
        input,
        xml,
        ns,
        Ctx {
            kind,
            retour: false,
        },
    );
    reader.report.path.push("Bericht", None);
    for name in attributes {
        reader
            .report
            .violation("XSD-attribute", format!("attribute {name} is not allowed"));
    }
    reader.report.omitted += more;
    finish_read(reader, kind, empty)
}

fn finish_read(mut reader: Reader<'_>, kind: MessageKind, empty: bool) -> Result<Message, Error> {
    let content = match kind.message_type {
        MessageType::M301 => Heen::read_root(&mut reader, empty)?.map(Content::Allocation),
        MessageType::M302 => Retour::read_root(&mut reader, empty)?.map(Content::AllocationRetour),
        MessageType::M305 => Heen::read_root(&mut reader, empty)?.map(Content::CareStart),
        MessageType::M306 => Retour::read_root(&mut reader, empty)?.map(Content::CareStartRetour),
        MessageType::M307 => Heen::read_root(&mut reader, empty)?.map(Content::CareStop),
        MessageType::M308 => Retour::read_root(&mut reader, empty)?.map(Content::CareStopRetour),
        MessageType::M315 => {
            Heen::read_root(&mut reader, empty)?.map(Content::RequestForAllocation)
        }
        MessageType::M316 => {
            Retour::read_root(&mut reader, empty)?.map(Content::RequestForAllocationRetour)
        }
        MessageType::M317 => Heen::read_root(&mut reader, empty)?.map(Content::ChangeRequest),
        MessageType::M318 => {
            Retour::read_root(&mut reader, empty)?.map(Content::ChangeRequestRetour)
        }
        MessageType::M319 => Heen::read_root(&mut reader, empty)?.map(Content::Answer),
        MessageType::M320 => Retour::read_root(&mut reader, empty)?.map(Content::AnswerRetour),
        MessageType::M323 => Heen::read_root(&mut reader, empty)?.map(Content::Declaration),
        MessageType::M325 => {
            DeclarationAnswer::read_root(&mut reader, empty)?.map(Content::DeclarationAnswer)
        }
    };
    let (xml, report) = reader.into_inner();
    epilog(xml)?;
    match content {
        Some(content) if report.violations.is_empty() => Ok(Message {
            law: kind.law,
            content,
        }),
        _ => Err(Error::Invalid {
            kind,
            violations: report.violations,
            omitted: report.omitted,
        }),
    }
}

fn unknown_root(namespace: &str, local: &str) -> Error {
    // Names and namespaces are markup, but a crafted root may carry anything: show only
    // what has the form of a namespace URI and of the standard's element names.
    let shown_ns: String = if namespace.starts_with("http://www.istandaarden.nl/")
        && namespace.len() <= 120
        && namespace.bytes().all(|b| b.is_ascii_graphic())
    {
        namespace.to_owned()
    } else if namespace.is_empty() {
        String::new()
    } else {
        "(a namespace outside the iStandaarden, not shown)".to_owned()
    };
    let shown_local = shown_name(local);
    let shown_local = shown_local.trim_matches('\'');
    let hint = if namespace.is_empty() {
        ": it has no namespace, but 3.2 messages are in the iStandaarden namespaces".to_owned()
    } else if (namespace.contains("istandaarden.nl/ijw/")
        || namespace.contains("istandaarden.nl/iwmo/"))
        && !namespace.contains("/3_2/")
    {
        ": this is another release of the standard; only release 3.2 is supported".to_owned()
    } else if namespace.ends_with("/basisschema/schema") {
        ": the basisschema namespace holds types, not messages".to_owned()
    } else if MessageKind::from_namespace(namespace).is_some() {
        ": the root element of a message must be 'Bericht'".to_owned()
    } else {
        String::new()
    };
    Error::UnknownMessage {
        found: format!("{{{shown_ns}}}{shown_local}"),
        hint,
    }
}
