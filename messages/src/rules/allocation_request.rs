//! In-message rules of 315 Verzoek om toewijzing, 317 Verzoek om wijziging and 319 Antwoord.

use foldhash::{HashSet, HashSetExt};

use chrono::NaiveDate;

use super::common::product_key;
use super::common::{
    LineKind, ProductLine, Stacked, birth_date, bsn, no_duplicates, product_line, stacked,
};
use super::violation;
use crate::codes::{RedenAfwijzingVerzoek, TypeVerwijzer, VerzoekAntwoord};
use crate::model::answer::Antwoord;
use crate::model::change::ChangeRequestClient;
use crate::model::request::RequestClient;
use crate::xml::Report;

pub(crate) fn request(c: &RequestClient, dagtekening: NaiveDate, rep: &mut Report) {
    rep.path.push("Client", None);
    bsn(&c.bsn, rep);
    birth_date(&c.geboortedatum, dagtekening, rep);
    let mut refs = HashSet::new();
    no_duplicates(
        rep,
        "AangevraagdeProducten",
        "AangevraagdProduct",
        "ReferentieAanbieder",
        c.aangevraagde_producten
            .iter()
            .map(|p| p.referentie_aanbieder.0.as_str()),
    );
    for (i, p) in c.aangevraagde_producten.iter().enumerate() {
        super::at(
            rep,
            &[
                ("AangevraagdeProducten", None),
                ("AangevraagdProduct", Some(i + 1)),
            ],
            |rep| {
                if !refs.insert(p.referentie_aanbieder.0.as_str()) {
                    violation(
                        rep,
                        &[("ReferentieAanbieder", None)],
                        "TR383",
                        "ReferentieAanbieder must be unique per AangevraagdProduct in the message",
                    );
                }
                product_line(
                    &ProductLine {
                        kind: LineKind::Requested,
                        product: p.product.as_ref(),
                        start: p.toewijzing_ingangsdatum,
                        end: p.toewijzing_einddatum,
                        omvang: p.omvang.as_ref(),
                        budget: p.budget.as_ref(),
                    },
                    rep,
                );
                if p.beschikking_nummer.is_some() != p.beschikking_ingangsdatum.is_some() {
                    violation(
                        rep,
                        &[("BeschikkingIngangsdatum", None)],
                        "CD043",
                        "BeschikkingIngangsdatum is required with a BeschikkingNummer and not allowed without",
                    );
                }
                let v = &p.verwijzer;
                let medical = matches!(
                    v.type_,
                    TypeVerwijzer::T02
                        | TypeVerwijzer::T03
                        | TypeVerwijzer::T04
                        | TypeVerwijzer::T05
                );
                if medical && v.zorgverlener_code.is_some() && v.naam.is_some() {
                    violation(
                        rep,
                        &[("Verwijzer", None), ("Naam", None)],
                        "CD066",
                        "with a ZorgverlenerCode the referrer's Naam stays empty",
                    );
                }
                if medical && v.zorgverlener_code.is_none() && v.naam.is_none() {
                    violation(
                        rep,
                        &[("Verwijzer", None), ("Naam", None)],
                        "CD067",
                        "without a ZorgverlenerCode the referrer's Naam is required",
                    );
                }
                if !medical && v.zorgverlener_code.is_some() {
                    violation(
                        rep,
                        &[("Verwijzer", None), ("ZorgverlenerCode", None)],
                        "CD068",
                        "ZorgverlenerCode is only for referrer types 02, 03, 04 and 05",
                    );
                }
            },
        );
    }
    // TR386: the same product twice only for periods that do not overlap.
    let periods: Vec<Stacked<'_>> = c
        .aangevraagde_producten
        .iter()
        .map(|p| Stacked {
            product: p.product.as_ref(),
            start: p.toewijzing_ingangsdatum,
            end: p.toewijzing_einddatum,
        })
        .collect();
    for i in stacked(rep.ctx.law(), &periods) {
        violation(
            rep,
            &[
                ("AangevraagdeProducten", None),
                ("AangevraagdProduct", Some(i + 1)),
            ],
            "TR386",
            "the same product is requested twice for overlapping periods",
        );
    }
    rep.path.pop();
}

pub(crate) fn change(c: &ChangeRequestClient, dagtekening: NaiveDate, rep: &mut Report) {
    rep.path.push("Client", None);
    bsn(&c.bsn, rep);
    let v = &c.verzoek;
    rep.path.push("Verzoek", None);
    if v.ongewijzigde_producten.is_empty() && v.te_wijzigen_producten.is_empty() {
        violation(
            rep,
            &[],
            "TR352",
            "a request for change needs at least one OngewijzigdProduct or TeWijzigenProduct",
        );
    }
    if v.te_wijzigen_producten.is_empty() && v.nieuwe_producten.is_empty() {
        violation(
            rep,
            &[],
            "TR353",
            "a request for change needs at least one TeWijzigenProduct or NieuwProduct",
        );
    }
    // TR380 applies to new products only: a change of an existing allocation may start on
    // or before the message date when it starts at the allocation's Ingangsdatum (TR357,
    // a cross-message rule), which TR380 on TeWijzigenProduct would make impossible.
    for (i, p) in v.nieuwe_producten.iter().enumerate() {
        if p.gewenste_ingangsdatum <= dagtekening {
            violation(
                rep,
                &[
                    ("NieuweProducten", None),
                    ("NieuwProduct", Some(i + 1)),
                    ("GewensteIngangsdatum", None),
                ],
                "TR380",
                "GewensteIngangsdatum of a new product must be after the message date",
            );
        }
    }
    no_duplicates(
        rep,
        "OngewijzigdeProducten",
        "OngewijzigdProduct",
        "ToewijzingNummer",
        v.ongewijzigde_producten.iter().map(|p| p.toewijzing_nummer),
    );
    no_duplicates(
        rep,
        "TeWijzigenProducten",
        "TeWijzigenProduct",
        "ToewijzingNummer",
        v.te_wijzigen_producten.iter().map(|p| p.toewijzing_nummer),
    );
    no_duplicates(
        rep,
        "NieuweProducten",
        "NieuwProduct",
        "Product and GewensteIngangsdatum",
        v.nieuwe_producten
            .iter()
            .map(|p| (product_key(p.product.as_ref()), p.gewenste_ingangsdatum)),
    );
    for (i, p) in v.te_wijzigen_producten.iter().enumerate() {
        super::at(
            rep,
            &[
                ("TeWijzigenProducten", None),
                ("TeWijzigenProduct", Some(i + 1)),
            ],
            |rep| {
                product_line(
                    &ProductLine {
                        kind: LineKind::Changed,
                        product: None,
                        start: p.gewenste_ingangsdatum,
                        end: p.einddatum,
                        omvang: p.omvang.as_ref(),
                        budget: p.budget.as_ref(),
                    },
                    rep,
                )
            },
        );
    }
    for (i, p) in v.nieuwe_producten.iter().enumerate() {
        super::at(
            rep,
            &[("NieuweProducten", None), ("NieuwProduct", Some(i + 1))],
            |rep| {
                product_line(
                    &ProductLine {
                        kind: LineKind::New,
                        product: p.product.as_ref(),
                        start: p.gewenste_ingangsdatum,
                        end: p.einddatum,
                        omvang: p.omvang.as_ref(),
                        budget: p.budget.as_ref(),
                    },
                    rep,
                )
            },
        );
    }
    // TR410: the same new product twice only for periods that do not overlap.
    let periods: Vec<Stacked<'_>> = v
        .nieuwe_producten
        .iter()
        .map(|p| Stacked {
            product: p.product.as_ref(),
            start: p.gewenste_ingangsdatum,
            end: p.einddatum,
        })
        .collect();
    for i in stacked(rep.ctx.law(), &periods) {
        violation(
            rep,
            &[("NieuweProducten", None), ("NieuwProduct", Some(i + 1))],
            "TR410",
            "the same new product twice for overlapping periods",
        );
    }
    rep.path.pop();
    rep.path.pop();
}

pub(crate) fn answer(a: &Antwoord, rep: &mut Report) {
    rep.path.push("Antwoord", None);
    let refused = a.verzoek_antwoord == VerzoekAntwoord::Afgewezen;
    if refused && a.reden_afwijzing_verzoek.is_none() {
        violation(
            rep,
            &[("RedenAfwijzingVerzoek", None)],
            "CD085",
            "a refused request needs RedenAfwijzingVerzoek",
        );
    }
    if !refused && a.reden_afwijzing_verzoek.is_some() {
        violation(
            rep,
            &[("RedenAfwijzingVerzoek", None)],
            "CD086",
            "a request under investigation has no RedenAfwijzingVerzoek",
        );
    }
    if rep.ctx.law() == crate::law::Law::Ijw {
        let residence = a.reden_afwijzing_verzoek == Some(RedenAfwijzingVerzoek::R8);
        if residence && a.woonplaatsbeginsel.is_none() {
            violation(
                rep,
                &[("Woonplaatsbeginsel", None)],
                "TR377",
                "reason 8 (woonplaatsbeginsel) needs Woonplaatsbeginsel",
            );
        }
        if !residence && a.woonplaatsbeginsel.is_some() {
            violation(
                rep,
                &[("Woonplaatsbeginsel", None)],
                "TR409",
                "Woonplaatsbeginsel only with reason 8",
            );
        }
    }
    rep.path.pop();
}
