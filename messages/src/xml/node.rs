//! How model types become elements: the [`Node`] trait, field kinds and the `xml_struct!` macro.
//!
//! A complex type is declared once as a field list; each field names its *kind* (`one`, `opt`,
//! `list`, `opt_list`, `jw_opt`, `retour`, `codes`) and element name(s). The kind decides
//! cardinality, wrapper elements and when the field applies (only in iJw, only in retours).

use super::read::Reader;
use super::write::Writer;
use super::{Ctx, Ns, Report};
use crate::error::Error;
use crate::law::Law;

/// A model type that is the content of one element.
pub(crate) trait Node: Sized {
    /// Writes this value as element `name` in namespace `ns`.
    fn write(&self, w: &mut Writer, ns: Ns, name: &'static str);
    /// Reads the content of an element whose start tag was just consumed. `None` means the
    /// content was invalid; the reason is recorded in the reader's report.
    fn read(r: &mut Reader<'_>, empty: bool) -> Result<Option<Self>, Error>;
    /// Checks facets and cardinalities; the report's path points at this element.
    fn check(&self, rep: &mut Report);
    /// The XSD type of the elements this type is the content of, as `xsi:type` would name
    /// it (e.g. `LDT_Geslacht` in the basisschema namespace); `None` when not recorded, and
    /// then an `xsi:type` on such an element is reported.
    const XSD_TYPE: Option<(Ns, &'static str)> = None;
    /// A random valid value.
    #[cfg(feature = "generate")]
    fn generate(g: &mut crate::generate::Gen) -> Self;
}

/// One element of a complex type's sequence.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldSpec {
    /// Element name (for lists: the wrapper element).
    pub name: &'static str,
    /// For lists: the repeated item element inside the wrapper.
    pub item: &'static str,
    /// Whether the element must be present (when it applies).
    pub required: bool,
    /// Only in this law (Jw-only elements such as GezagsdragerBekend).
    pub only_law: Option<Law>,
    /// Only in retour bodies (the RetourCodes of each complex type).
    pub only_retour: bool,
}

impl FieldSpec {
    const fn new(name: &'static str, required: bool) -> Self {
        Self {
            name,
            item: "",
            required,
            only_law: None,
            only_retour: false,
        }
    }

    /// Whether the element belongs in a message of this context.
    pub fn applies(&self, ctx: Ctx) -> bool {
        (self.only_law.is_none() || self.only_law == Some(ctx.law()))
            && (!self.only_retour || ctx.retour)
    }
}

/// Walks an XSD sequence: which field does the next child element fill?
pub(crate) struct Matcher<'s> {
    specs: &'s [FieldSpec],
    ctx: Ctx,
    pos: usize,
    /// Required fields skipped over, to be reported by the caller.
    pub missing: Vec<&'static str>,
}

impl<'s> Matcher<'s> {
    pub fn new(specs: &'s [FieldSpec], ctx: Ctx) -> Self {
        Self {
            specs,
            ctx,
            pos: 0,
            missing: Vec::new(),
        }
    }

    /// The index of the field that an element `local` (in the expected namespace when
    /// `ns_ok`) fills, or the element's name when it is not expected here.
    pub fn classify(&mut self, ns_ok: bool, local: &str) -> Result<usize, String> {
        if ns_ok {
            for j in self.pos..self.specs.len() {
                let spec = &self.specs[j];
                if spec.applies(self.ctx) && spec.name == local {
                    for skipped in &self.specs[self.pos..j] {
                        if skipped.required && skipped.applies(self.ctx) {
                            self.missing.push(skipped.name);
                        }
                    }
                    self.pos = j + 1;
                    return Ok(j);
                }
            }
        }
        Err(local.chars().take(60).collect())
    }

    /// Reports required fields that never came.
    pub fn finish(&mut self, rep: &mut Report) {
        for spec in &self.specs[self.pos..] {
            if spec.required && spec.applies(self.ctx) {
                self.missing.push(spec.name);
            }
        }
        self.report_missing(rep);
    }

    pub fn report_missing(&mut self, rep: &mut Report) {
        for name in self.missing.drain(..) {
            rep.violation(
                "XSD-required",
                format!("required element '{name}' is missing"),
            );
        }
    }
}

/// Reports an unexpected element and skips it.
pub(crate) fn unexpected(r: &mut Reader<'_>, name: &str, empty: bool) -> Result<(), Error> {
    r.report.violation(
        "XSD-sequence",
        format!(
            "element {} is not expected here",
            super::read::shown_name(name)
        ),
    );
    r.skip(empty)
}

/// Reads one child element's content with the path pointing at it.
pub(crate) fn read_child<T: Node>(
    r: &mut Reader<'_>,
    name: &'static str,
    index: Option<usize>,
    empty: bool,
) -> Result<Option<T>, Error> {
    r.report.path.push(name, index);
    if let Some(named) = r.take_xsi_type() {
        let matches = match (named, T::XSD_TYPE) {
            (super::read::XsiType::Named(class, local), Some((ns, ty))) => {
                class.is(ns) && local == ty
            }
            _ => false,
        };
        if !matches {
            r.report.violation(
                "XSD-type",
                "xsi:type names a type other than the element's own type",
            );
        }
    }
    let value = T::read(r, empty);
    r.report.path.pop();
    value
}

/// Checks one child with the path pointing at it.
pub(crate) fn check_child<T: Node>(
    value: &T,
    rep: &mut Report,
    name: &'static str,
    index: Option<usize>,
) {
    rep.path.push(name, index);
    value.check(rep);
    rep.path.pop();
}

/// Reads the items of a wrapper element (e.g. `AangevraagdeProducten/AangevraagdProduct`).
pub(crate) fn read_list<T: Node>(
    r: &mut Reader<'_>,
    spec: &FieldSpec,
    empty: bool,
) -> Result<Vec<T>, Error> {
    r.report.path.push(spec.name, None);
    if r.take_xsi_type().is_some() {
        r.report.violation(
            "XSD-type",
            "xsi:type names a type other than the element's own type",
        );
    }
    let mut items = Vec::new();
    let mut seen = 0usize;
    if !empty {
        while let Some((hit, child_empty)) = r.next_child(|ns, local| {
            if ns.is(Ns::Message) && local == spec.item {
                Ok(())
            } else {
                Err(local.chars().take(60).collect::<String>())
            }
        })? {
            match hit {
                Ok(()) => {
                    seen += 1;
                    if let Some(item) = read_child::<T>(r, spec.item, Some(seen), child_empty)? {
                        items.push(item);
                    }
                }
                Err(name) => unexpected(r, &name, child_empty)?,
            }
        }
    }
    if seen == 0 {
        r.report.violation(
            "XSD-required",
            format!("at least one '{}' is required", spec.item),
        );
    }
    r.report.path.pop();
    Ok(items)
}

/// Writes a wrapper element with its items; nothing when there are no items.
pub(crate) fn write_list<T: Node>(items: &[T], w: &mut Writer, spec: &FieldSpec) {
    if items.is_empty() {
        return;
    }
    w.open(Ns::Message, spec.name);
    for item in items {
        item.write(w, Ns::Message, spec.item);
    }
    w.close(Ns::Message, spec.name);
}

/// Checks a list field: presence when required, then each item.
pub(crate) fn check_list<T: Node>(items: &[T], rep: &mut Report, spec: &FieldSpec) {
    if !spec.applies(rep.ctx) {
        if !items.is_empty() {
            rep.violation(
                "XSD-sequence",
                format!("'{}' does not belong in this message", spec.name),
            );
        }
        return;
    }
    if items.is_empty() {
        if spec.required {
            rep.violation(
                "XSD-required",
                format!("at least one '{}/{}' is required", spec.name, spec.item),
            );
        }
        return;
    }
    rep.path.push(spec.name, None);
    for (i, item) in items.iter().enumerate() {
        check_child(item, rep, spec.item, Some(i + 1));
    }
    rep.path.pop();
}

/// The field kinds used in `xml_struct!` field lists.
pub(crate) mod kind {
    /// A required element `[1..1]`; the field has type `T`.
    pub mod one {
        use super::super::*;

        pub const fn spec(name: &'static str) -> FieldSpec {
            FieldSpec::new(name, true)
        }
        pub fn write<T: Node>(v: &T, w: &mut Writer, ns: Ns, spec: FieldSpec) {
            v.write(w, ns, spec.name);
        }
        pub fn read<T: Node>(
            slot: &mut Option<T>,
            r: &mut Reader<'_>,
            spec: &FieldSpec,
            empty: bool,
        ) -> Result<(), Error> {
            *slot = read_child(r, spec.name, None, empty)?;
            Ok(())
        }
        pub fn finish<T>(slot: Option<T>) -> Option<T> {
            slot
        }
        pub fn check<T: Node>(v: &T, rep: &mut Report, spec: FieldSpec) {
            check_child(v, rep, spec.name, None);
        }
        #[cfg(feature = "generate")]
        pub fn generate<T: Node>(g: &mut crate::generate::Gen, _spec: FieldSpec) -> T {
            T::generate(g)
        }
    }

    /// An optional element `[0..1]`; the field has type `Option<T>`.
    pub mod opt {
        use super::super::*;

        pub const fn spec(name: &'static str) -> FieldSpec {
            FieldSpec::new(name, false)
        }
        pub fn write<T: Node>(v: &Option<T>, w: &mut Writer, ns: Ns, spec: FieldSpec) {
            if let Some(v) = v {
                v.write(w, ns, spec.name);
            }
        }
        pub fn read<T: Node>(
            slot: &mut Option<Option<T>>,
            r: &mut Reader<'_>,
            spec: &FieldSpec,
            empty: bool,
        ) -> Result<(), Error> {
            *slot = Some(read_child(r, spec.name, None, empty)?);
            Ok(())
        }
        pub fn finish<T>(slot: Option<Option<T>>) -> Option<Option<T>> {
            Some(slot.flatten())
        }
        pub fn check<T: Node>(v: &Option<T>, rep: &mut Report, spec: FieldSpec) {
            if let Some(v) = v {
                check_child(v, rep, spec.name, None);
            }
        }
        #[cfg(feature = "generate")]
        pub fn generate<T: Node>(g: &mut crate::generate::Gen, _spec: FieldSpec) -> Option<T> {
            g.maybe().then(|| T::generate(g))
        }
    }

    /// An optional element that exists only in iJw (e.g. `GezagsdragerBekend`).
    pub mod jw_opt {
        use super::super::*;

        pub const fn spec(name: &'static str) -> FieldSpec {
            let mut s = FieldSpec::new(name, false);
            s.only_law = Some(Law::Ijw);
            s
        }
        pub use super::opt::{finish, read, write};
        pub fn check<T: Node>(v: &Option<T>, rep: &mut Report, spec: FieldSpec) {
            if v.is_some() && !spec.applies(rep.ctx) {
                rep.violation(
                    "XSD-sequence",
                    format!("'{}' exists only in iJw messages", spec.name),
                );
                return;
            }
            super::opt::check(v, rep, spec);
        }
        #[cfg(feature = "generate")]
        pub fn generate<T: Node>(g: &mut crate::generate::Gen, spec: FieldSpec) -> Option<T> {
            if spec.applies(g.ctx) {
                super::opt::generate(g, spec)
            } else {
                None
            }
        }
    }

    /// A required wrapper `[1..1]` holding items `[1..n]`; the field has type `Vec<T>`.
    pub mod list {
        use super::super::*;

        pub const fn spec(wrapper: &'static str, item: &'static str) -> FieldSpec {
            let mut s = FieldSpec::new(wrapper, true);
            s.item = item;
            s
        }
        pub fn write<T: Node>(v: &[T], w: &mut Writer, _ns: Ns, spec: FieldSpec) {
            write_list(v, w, &spec);
        }
        pub fn read<T: Node>(
            slot: &mut Option<Vec<T>>,
            r: &mut Reader<'_>,
            spec: &FieldSpec,
            empty: bool,
        ) -> Result<(), Error> {
            *slot = Some(read_list(r, spec, empty)?);
            Ok(())
        }
        pub fn finish<T>(slot: Option<Vec<T>>) -> Option<Vec<T>> {
            Some(slot.unwrap_or_default())
        }
        pub fn check<T: Node>(v: &[T], rep: &mut Report, spec: FieldSpec) {
            check_list(v, rep, &spec);
        }
        #[cfg(feature = "generate")]
        pub fn generate<T: Node>(g: &mut crate::generate::Gen, spec: FieldSpec) -> Vec<T> {
            if !spec.applies(g.ctx) {
                return Vec::new();
            }
            let n = g.list_len(!spec.required);
            (0..n).map(|_| T::generate(g)).collect()
        }
    }

    /// An optional wrapper `[0..1]` holding items `[1..n]`; an empty `Vec` means absent.
    pub mod opt_list {
        use super::super::*;

        pub const fn spec(wrapper: &'static str, item: &'static str) -> FieldSpec {
            let mut s = FieldSpec::new(wrapper, false);
            s.item = item;
            s
        }
        #[cfg(feature = "generate")]
        pub use super::list::generate;
        pub use super::list::{check, finish, read, write};
    }

    /// `RetourCodes/RetourCode[1..n]` present exactly in retour bodies; empty in heen messages.
    pub mod retour {
        use super::super::*;

        pub const fn spec() -> FieldSpec {
            let mut s = FieldSpec::new("RetourCodes", true);
            s.item = "RetourCode";
            s.only_retour = true;
            s
        }
        #[cfg(feature = "generate")]
        pub use super::list::generate;
        pub use super::list::{check, finish, read, write};
    }

    /// `RetourCodes/RetourCode[1..n]` that is always required (325 DeclaratieAntwoord).
    pub mod codes {
        use super::super::*;

        pub const fn spec() -> FieldSpec {
            let mut s = FieldSpec::new("RetourCodes", true);
            s.item = "RetourCode";
            s
        }
        #[cfg(feature = "generate")]
        pub use super::list::generate;
        pub use super::list::{check, finish, read, write};
    }
}

/// Declares a complex type: the struct and its [`Node`] implementation.
macro_rules! xml_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident in $ns:ident {
            $(
                $(#[$fmeta:meta])*
                pub $field:ident : $fty:ty => $kind:ident $args:tt,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $fty, )*
        }

        impl $crate::xml::node::Node for $name {
            fn write(&self, w: &mut $crate::xml::write::Writer, ns: $crate::xml::Ns, name: &'static str) {
                w.open(ns, name);
                $( $crate::xml::node::kind::$kind::write(&self.$field, w, $crate::xml::Ns::$ns, $crate::xml::node::kind::$kind::spec $args); )*
                w.close(ns, name);
            }

            #[allow(unused_assignments, unused_mut)]
            fn read(r: &mut $crate::xml::read::Reader<'_>, empty: bool) -> Result<Option<Self>, $crate::error::Error> {
                use $crate::xml::node::kind;
                const SPECS: &[$crate::xml::node::FieldSpec] = &[ $( $crate::xml::node::kind::$kind::spec $args ),* ];
                let specs = SPECS;
                $( let mut $field: Option<$fty> = None; )*
                let mut m = $crate::xml::node::Matcher::new(specs, r.ctx());
                if !empty {
                    while let Some((hit, child_empty)) =
                        r.next_child(|ns, local| m.classify(ns.is($crate::xml::Ns::$ns), local))?
                    {
                        m.report_missing(&mut r.report);
                        match hit {
                            Ok(idx) => {
                                let mut i = 0usize;
                                $(
                                    if idx == i {
                                        kind::$kind::read(&mut $field, r, &specs[i], child_empty)?;
                                    }
                                    i += 1;
                                )*
                            }
                            Err(name) => $crate::xml::node::unexpected(r, &name, child_empty)?,
                        }
                    }
                }
                m.finish(&mut r.report);
                Ok((|| Some(Self { $( $field: kind::$kind::finish($field)?, )* }))())
            }

            fn check(&self, rep: &mut $crate::xml::Report) {
                $( $crate::xml::node::kind::$kind::check(&self.$field, rep, $crate::xml::node::kind::$kind::spec $args); )*
            }

            #[cfg(feature = "generate")]
            fn generate(g: &mut $crate::generate::Gen) -> Self {
                Self {
                    $( $field: $crate::xml::node::kind::$kind::generate(g, $crate::xml::node::kind::$kind::spec $args), )*
                }
            }
        }
    };
}

pub(crate) use xml_struct;
