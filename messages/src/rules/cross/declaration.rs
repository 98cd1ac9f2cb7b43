//! Cross-message rules of the 323 Declaratie (claim) — against the allocations (TR338–TR341,
//! TR304, TR307, TR308, TR384, TR387, TR388, TR321, TR322, TR369) and against earlier claims
//! (TR314, TR333, TR318, TR319, TR323, TR389, TR390) — and of the 325 Declaratie-antwoord
//! against its 323 (TR376, TR337, TR371, TR366, TR367, TR304).

use foldhash::{HashSet, HashSetExt};
use std::borrow::Cow;

use chrono::{Datelike, NaiveDate};

use super::history::{AllocationRecord, ClaimedLine, DeclarationStatus, History, Scope};
use crate::codes::{DebetCredit, Eenheid, Frequentie, ProductCategorie, RedenWijziging};
use crate::law::Law;
use crate::message::DeclarationAnswer;
use crate::model::basis::Omvang;
use crate::model::declaration::{Declaratie, Prestatie};
use crate::money::{self, Variant};
use crate::rules::{at, violation};
use crate::xml::Report;

type Seg = (&'static str, Option<usize>);

const REFERENTIE: [Seg; 2] = [("ProductReferentie", None), ("ReferentieNummer", None)];
const VORIG: [Seg; 2] = [("ProductReferentie", None), ("VorigReferentieNummer", None)];
const TOEWIJZING: [Seg; 1] = [("ToewijzingNummer", None)];
const BEGIN: [Seg; 2] = [("ProductPeriode", None), ("Begindatum", None)];
const EIND: [Seg; 2] = [("ProductPeriode", None), ("Einddatum", None)];
const VOLUME: [Seg; 1] = [("GeleverdVolume", None)];
const BEDRAG: [Seg; 2] = [("IngediendBedrag", None), ("Bedrag", None)];
const DEBET_CREDIT: [Seg; 2] = [("IngediendBedrag", None), ("DebetCredit", None)];

/// Runs `f` at `Clienten/Client[ci]/Prestaties/Prestatie[pi]` (1-based) below the current path.
fn at_line(rep: &mut Report, ci: usize, pi: usize, f: impl FnOnce(&mut Report)) {
    at(
        rep,
        &[
            ("Clienten", None),
            ("Client", Some(ci)),
            ("Prestaties", None),
            ("Prestatie", Some(pi)),
        ],
        f,
    );
}

/// Volumes compared in the allocation's unit, scaled to minutes when the allocation is in hours
/// (uur may be claimed in minuut, IV081): the factor for a line's volume and for the allocated one.
fn scale(allocation_unit: Eenheid, line_unit: Eenheid) -> (u64, u64) {
    match (allocation_unit, line_unit) {
        (Eenheid::Uur, Eenheid::Uur) => (60, 60),
        (Eenheid::Uur, _) => (1, 60),
        _ => (1, 1),
    }
}

/// Days in `[begin, end]`, 0 when empty.
fn days(begin: NaiveDate, end: NaiveDate) -> u64 {
    u64::try_from((end - begin).num_days() + 1).unwrap_or(0)
}

/// Calendar months `[begin, end]` touches, 0 when empty.
fn months(begin: NaiveDate, end: NaiveDate) -> u64 {
    if begin > end {
        return 0;
    }
    let index = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
    u64::try_from(index(end) - index(begin) + 1).unwrap_or(0)
}

/// The largest GeleverdVolume, in the allocation's unit, that fits the Omvang in the product
/// period `[begin, end]` (TR321; IV077 weekly, IV078 monthly, whole-period for Totaal). For the
/// iWmo category 01 (huishoudelijke hulp) with a weekly frequency: 6 × the weekly volume (TR321
/// iWmo). `None` on overflow.
fn max_in_period(
    law: Law,
    a: &AllocationRecord,
    omvang: &Omvang,
    begin: NaiveDate,
    end: NaiveDate,
) -> Option<u64> {
    let volume = omvang.volume.0;
    let b = begin.max(a.ingangsdatum);
    let e = a.einddatum.map_or(end, |x| x.min(end));
    match omvang.frequentie {
        Frequentie::Totaal => Some(volume),
        Frequentie::PerDag => days(b, e).checked_mul(volume),
        Frequentie::PerMaand => Some(money::max_monthly_volume(b, e, volume)),
        Frequentie::PerWeek => {
            let household = law == Law::Iwmo
                && a.product.as_ref().map(|p| p.categorie) == Some(ProductCategorie::C01);
            if household {
                volume.checked_mul(6)
            } else {
                money::max_weekly_volume(
                    begin,
                    end,
                    a.ingangsdatum,
                    a.einddatum,
                    volume,
                    Variant::for_unit(omvang.eenheid),
                )
            }
        }
    }
}

/// The largest total GeleverdVolume, in the allocation's unit, over the allocation's whole
/// duration (TR322, IV077 "maximaal volume over de toewijzingsperiode"). `None` when unbounded
/// (no Einddatum and a frequency other than Totaal) or on overflow.
fn max_total(a: &AllocationRecord, omvang: &Omvang) -> Option<u64> {
    let volume = omvang.volume.0;
    if omvang.frequentie == Frequentie::Totaal {
        return Some(volume);
    }
    let end = a.einddatum?;
    let start = a.ingangsdatum;
    match omvang.frequentie {
        Frequentie::PerDag => days(start, end).checked_mul(volume),
        Frequentie::PerMaand => months(start, end).checked_mul(volume),
        _ => money::max_weekly_volume(
            start,
            end,
            start,
            Some(end),
            volume,
            Variant::for_unit(omvang.eenheid),
        ),
    }
}

/// The line fields a credit line repeats from its debit (IV091) and a 325 from its 323
/// (TR367), with the element path of each, for those that differ.
fn differences(
    a: &Prestatie,
    b: &Prestatie,
    with_vorig: bool,
) -> Vec<(&'static [Seg], &'static str)> {
    let mut out: Vec<(&'static [Seg], &'static str)> = Vec::new();
    if a.toewijzing_nummer != b.toewijzing_nummer {
        out.push((&TOEWIJZING, "ToewijzingNummer"));
    }
    if a.product_categorie != b.product_categorie {
        out.push((&[("ProductCategorie", None)], "ProductCategorie"));
    }
    if a.product_code != b.product_code {
        out.push((&[("ProductCode", None)], "ProductCode"));
    }
    if a.product_periode.begindatum != b.product_periode.begindatum {
        out.push((&BEGIN, "ProductPeriode Begindatum"));
    }
    if a.product_periode.einddatum != b.product_periode.einddatum {
        out.push((&EIND, "ProductPeriode Einddatum"));
    }
    if a.geleverd_volume != b.geleverd_volume {
        out.push((&VOLUME, "GeleverdVolume"));
    }
    if a.eenheid != b.eenheid {
        out.push((&[("Eenheid", None)], "Eenheid"));
    }
    if a.product_tarief != b.product_tarief {
        out.push((&[("ProductTarief", None)], "ProductTarief"));
    }
    if a.ingediend_bedrag.bedrag != b.ingediend_bedrag.bedrag {
        out.push((&BEDRAG, "IngediendBedrag"));
    }
    if with_vorig {
        if a.ingediend_bedrag.debet_credit != b.ingediend_bedrag.debet_credit {
            out.push((&DEBET_CREDIT, "DebetCredit"));
        }
        if a.product_referentie.vorig_referentie_nummer
            != b.product_referentie.vorig_referentie_nummer
        {
            out.push((&VORIG, "VorigReferentieNummer"));
        }
    }
    out
}

/// The 323 Declaratie (claim).
pub(super) fn claim(h: &(impl History + ?Sized), scope: &Scope, d: &Declaratie, rep: &mut Report) {
    rep.path.push("Declaratie", None);
    // TR333: DeclaratieNummer unique per provider and law; a void claim never counted.
    let nummer = d.declaratie_nummer.as_str();
    if h.declaration(scope, nummer)
        .is_some_and(|prior| prior.status != DeclarationStatus::Void)
    {
        violation(
            rep,
            &[("DeclaratieNummer", None)],
            "TR333",
            "this DeclaratieNummer was already used in an earlier claim of this provider",
        );
    }
    // TR318 (the part the messages show, IV090): not before the latest claimed period.
    if let Some(last) = h.last_declaration_period(scope) {
        if d.declaratie_periode.begindatum < last.begindatum {
            violation(
                rep,
                &[("DeclaratiePeriode", None)],
                "TR318",
                format!(
                    "DeclaratiePeriode lies before the latest period already claimed ({} – {})",
                    last.begindatum, last.einddatum
                ),
            );
        }
    }

    // Credit lines of this claim, by the debit they reverse (TR389: a debit credited here may
    // be claimed again here, IV086).
    let credited_here: HashSet<&str> = d
        .clienten
        .iter()
        .flat_map(|c| &c.prestaties)
        .filter(|p| p.ingediend_bedrag.debet_credit == DebetCredit::Credit)
        .filter_map(|p| p.product_referentie.vorig_referentie_nummer.as_ref())
        .map(|v| v.as_str())
        .collect();

    let mut references: HashSet<&str> =
        HashSet::with_capacity(d.clienten.iter().map(|c| c.prestaties.len()).sum::<usize>());
    // Lines that broke no rule, for the sums over their allocation (TR322, TR369).
    let mut clean: Vec<Tally> = Vec::new();
    for (ci, client) in d.clienten.iter().enumerate() {
        for (pi, line) in client.prestaties.iter().enumerate() {
            let before = rep.violations.len();
            let mut limits = None;
            at_line(rep, ci + 1, pi + 1, |rep| {
                let reference = line.product_referentie.referentie_nummer.as_str();
                // TR314: unique within the claim and over all earlier claims of the provider.
                let earlier = h
                    .line(scope, reference)
                    .is_some_and(|l| l.status != super::LineStatus::Void);
                if !references.insert(reference) || earlier {
                    violation(
                        rep,
                        &REFERENTIE,
                        "TR314",
                        if earlier {
                            "this ReferentieNummer was already used in an earlier claim"
                        } else {
                            "this ReferentieNummer occurs more than once in this claim"
                        },
                    );
                }
                // TR319: within the current or an earlier declaration period.
                if line.product_periode.einddatum > d.declaratie_periode.einddatum {
                    violation(
                        rep,
                        &EIND,
                        "TR319",
                        "ProductPeriode ends after the DeclaratiePeriode",
                    );
                }
                match line.ingediend_bedrag.debet_credit {
                    DebetCredit::Credit => credit_line(h, scope, &client.bsn.0, line, rep),
                    DebetCredit::Debet => {
                        limits = debit_line(h, scope, &client.bsn.0, line, &credited_here, rep)
                    }
                }
            });
            if rep.violations.len() == before {
                clean.push(Tally {
                    nummer: line.toewijzing_nummer.0,
                    ci,
                    pi,
                    limits,
                });
            }
        }
    }
    sums(d, clean, rep);
    rep.path.pop();
}

/// A credit line: checked against the debit it reverses (TR323, TR390), not against the
/// allocation (a credit can only be refused for technical reasons, IV085).
fn credit_line(
    h: &(impl History + ?Sized),
    scope: &Scope,
    bsn: &str,
    line: &Prestatie,
    rep: &mut Report,
) {
    let Some(vorig) = &line.product_referentie.vorig_referentie_nummer else {
        return; // CD060, in-message.
    };
    let Some(debit) = h.line(scope, vorig.as_str()) else {
        violation(
            rep,
            &VORIG,
            "TR323",
            "VorigReferentieNummer does not refer to a line sent earlier",
        );
        return;
    };
    let problem = if debit.sign() != DebetCredit::Debet {
        Some("VorigReferentieNummer refers to a credit line, not to a debit line".to_owned())
    } else {
        match debit.status {
            super::LineStatus::Pending => Some(
                "the debit line has not been answered in a 325 yet: only an approved line can be \
                 credited (IV085)"
                    .to_owned(),
            ),
            super::LineStatus::Rejected | super::LineStatus::Void => Some(
                "the debit line was rejected: only an approved line can be credited (IV085)"
                    .to_owned(),
            ),
            super::LineStatus::Approved => {
                let mut fields: Vec<&str> = differences(&debit.prestatie, line, false)
                    .into_iter()
                    .map(|(_, name)| name)
                    .collect();
                if *debit.bsn != *bsn {
                    fields.insert(0, "Bsn");
                }
                if *debit.gemeente != *scope.gemeente {
                    fields.insert(0, "municipality");
                }
                (!fields.is_empty()).then(|| {
                    format!(
                        "a credit line must equal its debit line (IV091); differs in {}",
                        fields.join(", ")
                    )
                })
            }
        }
    };
    if let Some(message) = problem {
        violation(rep, &VORIG, "TR323", message);
    }
    // TR390: the debit was credited before.
    if h.credit_of(scope, vorig.as_str()).is_some() {
        violation(
            rep,
            &DEBET_CREDIT,
            "TR390",
            "the line this credit reverses was already credited",
        );
    }
}

/// A debit line: against its allocation and against earlier debits (TR389). Returns what
/// the sums over the allocation need, when it has an Omvang or a Budget.
fn debit_line(
    h: &(impl History + ?Sized),
    scope: &Scope,
    bsn: &str,
    line: &Prestatie,
    credited_here: &HashSet<&str>,
    rep: &mut Report,
) -> Option<Limits> {
    let nummer = line.toewijzing_nummer.0;
    // TR389: no second debit for the same allocation, product and period, unless the first
    // was credited (earlier or in this claim). Rejected and void debits never counted.
    let (allocation, earlier) = h.allocation_and_lines(scope, nummer);
    let duplicate = earlier.iter().any(|prior| {
        let p = &prior.prestatie;
        p.product_periode == line.product_periode
            && prior.sign() == DebetCredit::Debet
            && prior.status.counts()
            && p.product_categorie == line.product_categorie
            && p.product_code == line.product_code
            && {
                let r = p.product_referentie.referentie_nummer.as_str();
                !credited_here.contains(r) && h.credit_of(scope, r).is_none()
            }
    });
    if duplicate {
        violation(
            rep,
            &DEBET_CREDIT,
            "TR389",
            "a debit line for this allocation, product and period was sent before and not credited",
        );
    }
    let Some(a) = allocation else {
        violation(
            rep,
            &TOEWIJZING,
            "TR338",
            "no allocation (301) with this ToewijzingNummer was received from this municipality",
        );
        return None;
    };
    allocation_line(scope.law, bsn, line, &a, rep);
    Limits::of(&a, &earlier)
}

/// A debit line against its allocation.
fn allocation_line(law: Law, bsn: &str, line: &Prestatie, a: &AllocationRecord, rep: &mut Report) {
    if a.bsn != bsn {
        violation(
            rep,
            &TOEWIJZING,
            "TR304",
            "the allocation with this ToewijzingNummer belongs to another client",
        );
        return;
    }
    if a.reden_wijziging == Some(RedenWijziging::R13) {
        violation(
            rep,
            &TOEWIJZING,
            "TR384",
            "the allocation was removed (RedenWijziging 13): it cannot be claimed",
        );
        return;
    }
    if let Some(product) = &a.product {
        if product.categorie != line.product_categorie {
            violation(
                rep,
                &[("ProductCategorie", None)],
                "TR339",
                format!(
                    "ProductCategorie must be the allocated one, {}",
                    product.categorie.code()
                ),
            );
        }
        if let Some(code) = &product.code {
            if *code != line.product_code {
                violation(
                    rep,
                    &[("ProductCode", None)],
                    "TR340",
                    "ProductCode must be the allocated one",
                );
            }
        }
    }
    let unit_ok = match &a.omvang {
        Some(o) if !money::unit_allowed(o.eenheid, line.eenheid) => {
            violation(
                rep,
                &[("Eenheid", None)],
                "TR341",
                format!(
                    "Eenheid {} does not fit the allocated unit {}",
                    line.eenheid.code(),
                    o.eenheid.code()
                ),
            );
            false
        }
        _ => true,
    };
    // Period: TR307/TR308 against the allocation; TR387/TR388 the exact bounds (IV089), only
    // where the period lies within the allocation.
    let pp = &line.product_periode;
    let starts_in = pp.begindatum >= a.ingangsdatum;
    let ends_in = a.einddatum.is_none_or(|e| pp.einddatum <= e);
    if !starts_in {
        violation(
            rep,
            &BEGIN,
            "TR307",
            format!(
                "ProductPeriode begins before the allocation's Ingangsdatum {}",
                a.ingangsdatum
            ),
        );
    }
    if !ends_in {
        violation(
            rep,
            &EIND,
            "TR308",
            format!(
                "ProductPeriode ends after the allocation's Einddatum {}",
                a.einddatum.map(|e| e.to_string()).unwrap_or_default()
            ),
        );
    }
    if let Some((begin, end)) = money::product_period(a.ingangsdatum, a.einddatum, pp.begindatum) {
        if starts_in && pp.begindatum != begin {
            violation(
                rep,
                &BEGIN,
                "TR387",
                format!(
                    "ProductPeriode must begin on {begin} (first of the month or the allocation's Ingangsdatum)"
                ),
            );
        }
        if ends_in && pp.einddatum != end {
            violation(
                rep,
                &EIND,
                "TR388",
                format!(
                    "ProductPeriode must end on {end} (last of the month or the allocation's Einddatum)"
                ),
            );
        }
    }
    // TR321: the line's volume within the allocated volume for its period.
    if let (true, Some(o)) = (unit_ok, &a.omvang) {
        let (line_factor, allocation_factor) = scale(o.eenheid, line.eenheid);
        let max = max_in_period(law, a, o, pp.begindatum, pp.einddatum);
        let claimed = u128::from(line.geleverd_volume.0) * u128::from(line_factor);
        if let Some(max) = max {
            let allowed = u128::from(max) * u128::from(allocation_factor);
            if claimed > allowed {
                violation(
                    rep,
                    &VOLUME,
                    "TR321",
                    format!(
                        "GeleverdVolume exceeds the {max} (unit {}) allocated for this period",
                        o.eenheid.code()
                    ),
                );
            }
        }
    }
}

/// A clean line of this claim for the sums over its allocation.
struct Tally {
    nummer: u64,
    ci: usize,
    pi: usize,
    /// The allocation's limits and earlier sums (debit lines only).
    limits: Option<Limits>,
}

/// The limits of an allocation and the sums of the lines claimed against it before.
struct Limits {
    /// The allocated unit and the maximum over the whole allocation, scaled as [`scale`].
    volume: Option<(Eenheid, i128)>,
    /// The Budget in eurocent.
    budget: Option<i128>,
    /// GeleverdVolume of the earlier lines that count (not rejected, not void), credits
    /// subtracted, scaled as [`scale`].
    prior_volume: i128,
    /// IngediendBedrag of the same lines, credits subtracted.
    prior_amount: i128,
}

impl Limits {
    fn of(a: &AllocationRecord, earlier: &[Cow<'_, ClaimedLine>]) -> Option<Limits> {
        let volume = a.omvang.as_ref().and_then(|o| {
            max_total(a, o).map(|m| {
                (
                    o.eenheid,
                    i128::from(m) * i128::from(scale(o.eenheid, o.eenheid).1),
                )
            })
        });
        let budget = a.budget.map(i128::from);
        if volume.is_none() && budget.is_none() {
            return None;
        }
        let unit = volume.map(|(u, _)| u);
        let (mut prior_volume, mut prior_amount) = (0, 0);
        for prior in earlier.iter().filter(|l| l.status.counts()) {
            let p = &prior.prestatie;
            prior_volume += signed(p, volume_of(unit, p));
            prior_amount += signed(p, i128::from(p.ingediend_bedrag.bedrag.0));
        }
        Some(Limits {
            volume,
            budget,
            prior_volume,
            prior_amount,
        })
    }
}

/// GeleverdVolume of `p` scaled for an allocation in `unit`.
fn volume_of(unit: Option<Eenheid>, p: &Prestatie) -> i128 {
    let factor = unit.map_or(1, |u| scale(u, p.eenheid).0);
    i128::from(p.geleverd_volume.0) * i128::from(factor)
}

fn signed(p: &Prestatie, v: i128) -> i128 {
    match p.ingediend_bedrag.debet_credit {
        DebetCredit::Debet => v,
        DebetCredit::Credit => -v,
    }
}

/// TR322 (volume) and TR369 (budget) over all lines claimed against an allocation: earlier
/// ones that were not rejected plus this claim's clean lines — credits first, then debits in
/// document order; a debit that would exceed the maximum is reported and not counted.
fn sums(d: &Declaratie, mut clean: Vec<Tally>, rep: &mut Report) {
    clean.sort_by_key(|t| t.nummer); // stable: document order within an allocation
    let line = |t: &Tally| d.clienten.get(t.ci).and_then(|c| c.prestaties.get(t.pi));
    for group in clean.chunk_by(|a, b| a.nummer == b.nummer) {
        let Some(limits) = group.iter().find_map(|t| t.limits.as_ref()) else {
            continue;
        };
        let unit = limits.volume.map(|(u, _)| u);
        let (mut volume, mut amount) = (limits.prior_volume, limits.prior_amount);
        for p in group.iter().filter_map(line).filter(|p| is_credit(p)) {
            volume -= volume_of(unit, p);
            amount -= i128::from(p.ingediend_bedrag.bedrag.0);
        }
        for t in group {
            let Some(p) = line(t).filter(|p| !is_credit(p)) else {
                continue;
            };
            let v = volume_of(unit, p);
            let b = i128::from(p.ingediend_bedrag.bedrag.0);
            let over_volume = limits.volume.filter(|(_, max)| volume + v > *max);
            let over_budget = limits.budget.filter(|max| amount + b > *max);
            if let Some((u, max)) = over_volume {
                let shown = if u == Eenheid::Uur { max / 60 } else { max };
                at_line(rep, t.ci + 1, t.pi + 1, |rep| {
                    violation(
                        rep,
                        &VOLUME,
                        "TR322",
                        format!(
                            "with the lines claimed before, GeleverdVolume exceeds the {shown} (unit {}) allocated over the whole allocation",
                            u.code()
                        ),
                    )
                });
            }
            if let Some(max) = over_budget {
                at_line(rep, t.ci + 1, t.pi + 1, |rep| {
                    violation(
                        rep,
                        &BEDRAG,
                        "TR369",
                        format!(
                            "with the lines claimed before, the claimed amounts exceed the allocated Budget of {max} cent"
                        ),
                    )
                });
            }
            if over_volume.is_none() && over_budget.is_none() {
                volume += v;
                amount += b;
            }
        }
    }
}

fn is_credit(p: &Prestatie) -> bool {
    p.ingediend_bedrag.debet_credit == DebetCredit::Credit
}

/// The 325 Declaratie-antwoord (claim answer) against the 323 it answers.
pub(super) fn answer(
    h: &(impl History + ?Sized),
    scope: &Scope,
    a: &DeclarationAnswer,
    rep: &mut Report,
) {
    let Some(body) = &a.body else {
        return;
    };
    let nummer = body.declaratie_nummer.as_str();
    let Some(claim) = h.declaration(scope, nummer) else {
        violation(
            rep,
            &[("DeclaratieAntwoord", None), ("DeclaratieNummer", None)],
            "TR376",
            "no claim (323) with this DeclaratieNummer was sent to this municipality",
        );
        return;
    };
    let claim: Cow<'_, _> = claim;
    if claim.gemeente != scope.gemeente {
        violation(
            rep,
            &[("DeclaratieAntwoord", None), ("DeclaratieNummer", None)],
            "TR376",
            "the claim with this DeclaratieNummer was sent to another municipality",
        );
        return;
    }
    if claim.identificatie != a.header.declaratie_identificatie {
        violation(
            rep,
            &[("Header", None), ("DeclaratieIdentificatie", None)],
            "TR337",
            "DeclaratieIdentificatie differs from the BerichtIdentificatie of the claim",
        );
    }
    if claim.xsd_versie != a.header.xsd_versie_declaratie {
        violation(
            rep,
            &[("Header", None), ("XsdVersieDeclaratie", None)],
            "TR371",
            "XsdVersieDeclaratie differs from the XsdVersie of the claim",
        );
    }
    rep.path.push("DeclaratieAntwoord", None);
    for (ci, client) in body.clienten.iter().enumerate() {
        for (pi, line) in client.prestaties.iter().enumerate() {
            at_line(rep, ci + 1, pi + 1, |rep| {
                let reference = line.product_referentie.referentie_nummer.as_str();
                let sent: Option<Cow<'_, ClaimedLine>> = h
                    .line(scope, reference)
                    .filter(|l| *l.declaratie_nummer == *nummer);
                let Some(sent) = sent else {
                    violation(
                        rep,
                        &REFERENTIE,
                        "TR366",
                        "no line with this ReferentieNummer is in the claim answered",
                    );
                    return;
                };
                if *sent.bsn != *client.bsn.0 {
                    violation(
                        rep,
                        &REFERENTIE,
                        "TR304",
                        "the line with this ReferentieNummer was claimed for another client",
                    );
                }
                for (path, name) in differences(&sent.prestatie, line, true) {
                    violation(
                        rep,
                        path,
                        "TR367",
                        format!("{name} differs from the claimed line"),
                    );
                }
            });
        }
    }
    rep.path.pop();
}
