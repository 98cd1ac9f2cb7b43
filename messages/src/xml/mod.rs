//! The XML codec: a writer in the OP192 form and a validating reader.
//!
//! Both are driven by the [`node::Node`] implementations of the model types, which the
//! `xml_struct!` macro generates from one field list per complex type, so that writing,
//! reading, validating and generating can never disagree about element names or order.

pub(crate) mod node;
pub(crate) mod read;
pub(crate) mod wf;
pub(crate) mod write;

use crate::error::Violation;
use crate::law::{Law, MessageKind};

/// Which namespace an element lives in.
///
/// Children of basisschema complex types (CDT_*) are in the basisschema namespace; every
/// other element is in the message's own namespace (`elementFormDefault="qualified"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    /// The message namespace, e.g. `…/ijw/3_2/jw315/schema`.
    Message,
    /// The basisschema namespace, e.g. `…/ijw/3_2/basisschema/schema`.
    Basis,
}

/// What every codec step needs to know about the message at hand.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    /// The message kind.
    pub kind: MessageKind,
    /// True inside a retour body, where complex types carry RetourCodes.
    pub retour: bool,
}

impl Ctx {
    pub fn law(&self) -> Law {
        self.kind.law
    }
}

/// The element path of the current position, rendered into violations.
#[derive(Debug, Default)]
pub(crate) struct Path {
    segments: Vec<(&'static str, Option<usize>)>,
}

impl Path {
    pub fn push(&mut self, name: &'static str, index: Option<usize>) {
        self.segments.push((name, index));
    }

    pub fn pop(&mut self) {
        self.segments.pop();
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        for (name, index) in &self.segments {
            s.push('/');
            s.push_str(name);
            if let Some(i) = index {
                s.push('[');
                s.push_str(&i.to_string());
                s.push(']');
            }
        }
        if s.is_empty() {
            s.push('/');
        }
        s
    }
}

/// Collects violations at the current path: up to `cap` of them; the rest are only counted.
#[derive(Debug)]
pub(crate) struct Report {
    pub ctx: Ctx,
    pub path: Path,
    pub violations: Vec<Violation>,
    /// The most violations kept.
    pub cap: usize,
    /// Violations found beyond `cap`: counted, not kept.
    pub omitted: usize,
}

impl Report {
    /// A report that keeps every violation (for models built in code, whose size the caller
    /// controls).
    pub fn new(ctx: Ctx) -> Self {
        Self::capped(ctx, usize::MAX)
    }

    /// A report that keeps at most `cap` violations and counts the rest.
    pub fn capped(ctx: Ctx, cap: usize) -> Self {
        Self {
            ctx,
            path: Path::default(),
            violations: Vec::new(),
            cap,
            omitted: 0,
        }
    }

    /// Records that an attribute (named `key` in the input) is not allowed; the name is
    /// shown only when it has the form of the standard's names.
    pub fn attribute_not_allowed(&mut self, key: &str) {
        if self.violations.len() >= self.cap {
            self.omitted += 1;
            return;
        }
        let name = read::shown_name(key);
        self.violation("XSD-attribute", format!("attribute {name} is not allowed"));
    }

    /// Records a violation at the current path.
    pub fn violation(&mut self, rule: &'static str, message: impl Into<String>) {
        if self.violations.len() >= self.cap {
            self.omitted += 1;
            return;
        }
        self.violations.push(Violation {
            rule,
            retourcode: crate::rules::retourcode(rule),
            path: self.path.render(),
            message: message.into(),
        });
    }
}
