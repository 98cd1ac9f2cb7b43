//! Rules shared by several messages: the BSN (CS002), birth dates (TR002, TR134, CS139),
//! product lines with a volume or a budget (CS003, CD041, CD075–CD080, CD095, CD096, CS338,
//! CS343), products that may not overlap (TR302, TR386, TR410) and duplicate lines (TR101).

use foldhash::{HashSet, HashSetExt};
use std::hash::Hash;

use chrono::{Datelike, NaiveDate};

use super::{bsn_valid, overlaps, violation};
use crate::codes::{DatumGebruik, Eenheid, Frequentie, ProductCategorie};
use crate::law::Law;
use crate::model::basis::{Geboortedatum, Omvang, Product};
use crate::types::{Bsn, Budget};
use crate::xml::Report;

/// CS002 on a BSN.
pub(crate) fn bsn(value: &Bsn, rep: &mut Report) {
    if value.0.len() == 9 && !bsn_valid(&value.0) {
        violation(
            rep,
            &[("Bsn", None)],
            "CS002",
            "BSN does not pass the 11-proef",
        );
    }
}

/// 1900-01-01: the date of a birth date that is wholly unknown (IV009, TR002).
fn unknown_birth_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// TR002, TR134 and CS139 on a `Geboortedatum` below the current path.
///
/// TR002: no more than 120 years before the message date, unless unknown (DatumGebruik 3 with
/// 1900-01-01). TR134: not after the message date. CS139: the unknown parts of the date are
/// written as IV009 says — day 01 when the day is unknown (1), 01-01 when day and month are
/// unknown (2), 01-01-1900 when the date is unknown (3).
pub(crate) fn birth_date(g: &Geboortedatum, dagtekening: NaiveDate, rep: &mut Report) {
    let unknown =
        g.datum_gebruik == Some(DatumGebruik::Onbekend) && g.datum == unknown_birth_date();
    let limit = dagtekening
        .checked_sub_months(chrono::Months::new(120 * 12))
        .unwrap_or(NaiveDate::MIN);
    let datum = [("Geboortedatum", None), ("Datum", None)];
    if !unknown && g.datum < limit {
        violation(
            rep,
            &datum,
            "TR002",
            "birth date is more than 120 years before the message date",
        );
    }
    if g.datum > dagtekening {
        violation(rep, &datum, "TR134", "birth date is after the message date");
    }
    let consistent = match g.datum_gebruik {
        None => true,
        Some(DatumGebruik::DagOnbekend) => g.datum.day() == 1,
        Some(DatumGebruik::DagEnMaandOnbekend) => g.datum.day() == 1 && g.datum.month() == 1,
        Some(DatumGebruik::Onbekend) => g.datum == unknown_birth_date(),
    };
    if !consistent {
        violation(
            rep,
            &[("Geboortedatum", None), ("DatumGebruik", None)],
            "CS139",
            "DatumGebruik does not match Datum: an unknown day is written as 01, an unknown \
             month as 01, an unknown date as 1900-01-01",
        );
    }
}

/// Which product line a [`ProductLine`] is: the rules differ in details per message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    /// 301 ToegewezenProduct.
    Allocated,
    /// 315 AangevraagdProduct.
    Requested,
    /// 317 NieuwProduct.
    New,
    /// 317 TeWijzigenProduct (no Product element).
    Changed,
}

impl LineKind {
    fn end_name(self) -> &'static str {
        match self {
            LineKind::Requested => "ToewijzingEinddatum",
            _ => "Einddatum",
        }
    }

    /// The rule that empties Omvang when there is no product code (CD080/CD095/CD096).
    fn no_code_rule(self) -> Option<&'static str> {
        match self {
            LineKind::Allocated => Some("CD080"),
            LineKind::Requested => Some("CD095"),
            LineKind::New => Some("CD096"),
            LineKind::Changed => None,
        }
    }

    /// The rule that limits the frequency of per-period units (CS343 in a 315, else CS338).
    fn frequency_rule(self) -> &'static str {
        match self {
            LineKind::Requested => "CS343",
            _ => "CS338",
        }
    }
}

/// A product line with a volume (Omvang) or a budget: what the 301, 315 and 317 share.
pub(crate) struct ProductLine<'a> {
    /// Which line.
    pub kind: LineKind,
    /// Product; always `None` for [`LineKind::Changed`], which has no Product element.
    pub product: Option<&'a Product>,
    /// Ingangsdatum, ToewijzingIngangsdatum or GewensteIngangsdatum.
    pub start: NaiveDate,
    /// Einddatum or ToewijzingEinddatum.
    pub end: Option<NaiveDate>,
    /// Omvang.
    pub omvang: Option<&'a Omvang>,
    /// Budget.
    pub budget: Option<&'a Budget>,
}

/// 31-12-2020: the cut-off date of CD080, CD095, CD096, CS338 and CS343. The rules apply to
/// lines that end after it or have no end.
fn cut_off() -> NaiveDate {
    NaiveDate::from_ymd_opt(2020, 12, 31).unwrap_or(NaiveDate::MIN)
}

/// CS003, CD041, CD075–CD080, CD095, CD096, CS338 and CS343 on one product line, below the
/// line's path.
pub(crate) fn product_line(l: &ProductLine<'_>, rep: &mut Report) {
    let end_name = l.kind.end_name();
    if l.end.is_some_and(|end| end < l.start) {
        violation(
            rep,
            &[(end_name, None)],
            "CS003",
            format!("{end_name} must be on or after the start date"),
        );
    }
    if l.budget.is_some() && l.end.is_none() {
        violation(
            rep,
            &[(end_name, None)],
            "CD075",
            format!("{end_name} is required with a Budget"),
        );
    }
    if l.omvang
        .is_some_and(|o| o.frequentie == Frequentie::PerWeek)
        && l.end.is_none()
    {
        violation(
            rep,
            &[(end_name, None)],
            "CD076",
            format!("{end_name} is required with Frequentie 2 (per week)"),
        );
    }
    if l.budget.is_some() && l.omvang.is_some() {
        violation(
            rep,
            &[("Omvang", None)],
            "CD077",
            "Omvang stays empty when there is a Budget",
        );
        violation(
            rep,
            &[("Budget", None)],
            "CD078",
            "Budget stays empty when there is an Omvang",
        );
    }
    let recent = l.end.is_none_or(|end| end > cut_off());
    if l.kind != LineKind::Changed {
        let code = l.product.and_then(|p| p.code.as_ref());
        if code.is_some() && l.omvang.is_none() {
            violation(
                rep,
                &[("Omvang", None)],
                "CD041",
                "Omvang is required when Product has a Code",
            );
        }
        if l.budget.is_none() && l.product.is_none() {
            violation(
                rep,
                &[("Product", None)],
                "CD079",
                "Product is required when there is no Budget",
            );
        }
        if let Some(rule) = l.kind.no_code_rule() {
            if code.is_none() && recent && l.omvang.is_some() {
                violation(
                    rep,
                    &[("Omvang", None)],
                    rule,
                    format!(
                        "Omvang stays empty without a product Code when {end_name} is after \
                         2020-12-31 or empty"
                    ),
                );
            }
        }
    }
    if let Some(o) = l.omvang {
        let per_period = matches!(
            o.eenheid,
            Eenheid::Etmaal | Eenheid::Dagdeel | Eenheid::Euro | Eenheid::StuksInspanning
        );
        if per_period && recent && o.frequentie == Frequentie::PerDag {
            violation(
                rep,
                &[("Omvang", None), ("Frequentie", None)],
                l.kind.frequency_rule(),
                format!(
                    "for unit {} the Frequentie must be 2 (per week), 4 (per month) or 6 \
                     (total) when {end_name} is after 2020-12-31 or empty",
                    o.eenheid.code()
                ),
            );
        }
    }
}

/// One period of a product for the overlap rules (TR302, TR386, TR410).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stacked<'a> {
    /// The product, if the line has one.
    pub product: Option<&'a Product>,
    /// First day.
    pub start: NaiveDate,
    /// Last day; open when `None`.
    pub end: Option<NaiveDate>,
}

/// iWmo: products of categories 11, 12, 13 and 14 may overlap, also at category level.
fn may_stack(law: Law, p: Option<&Product>) -> bool {
    law == Law::Iwmo
        && p.is_some_and(|p| {
            matches!(
                p.categorie,
                ProductCategorie::C11
                    | ProductCategorie::C12
                    | ProductCategorie::C13
                    | ProductCategorie::C14
            )
        })
}

/// Whether two lines count as the same product for the overlap rules: the same code where
/// both have one, else the same category; a line without a product is the same as any other
/// (iWmo: except categories 11–14).
fn same_product(law: Law, a: Option<&Product>, b: Option<&Product>) -> bool {
    if may_stack(law, a) || may_stack(law, b) {
        return false;
    }
    match (a, b) {
        (Some(a), Some(b)) => {
            a.categorie == b.categorie
                && match (&a.code, &b.code) {
                    (Some(x), Some(y)) => x == y,
                    _ => true,
                }
        }
        _ => true,
    }
}

/// The indices of the lines that overlap an earlier line of the same product.
pub(crate) fn stacked(law: Law, lines: &[Stacked<'_>]) -> Vec<usize> {
    (0..lines.len())
        .filter(|&i| {
            (0..i).any(|j| {
                let (a, b) = (&lines[i], &lines[j]);
                same_product(law, a.product, b.product)
                    && overlaps((a.start, a.end), (b.start, b.end))
            })
        })
        .collect()
}

/// The logical key of a Product for TR101: category and code.
pub(crate) fn product_key(p: Option<&Product>) -> Option<(ProductCategorie, Option<&str>)> {
    p.map(|p| (p.categorie, p.code.as_ref().map(|c| c.as_str())))
}

/// TR101: the indices of the items whose logical key occurred before in the same list.
pub(crate) fn duplicates<K: Eq + Hash>(keys: impl IntoIterator<Item = K>) -> Vec<usize> {
    let keys = keys.into_iter();
    let mut seen = HashSet::with_capacity(keys.size_hint().0);
    keys.enumerate()
        .filter_map(|(i, k)| (!seen.insert(k)).then_some(i))
        .collect()
}

/// Records TR101 for every duplicate of `keys` at `list/item[i]` below the current path.
pub(crate) fn no_duplicates<K: Eq + Hash>(
    rep: &mut Report,
    list: &'static str,
    item: &'static str,
    what: &str,
    keys: impl IntoIterator<Item = K>,
) {
    for i in duplicates(keys) {
        violation(
            rep,
            &[(list, None), (item, Some(i + 1))],
            "TR101",
            format!("duplicate line: an earlier {item} has the same {what}"),
        );
    }
}
