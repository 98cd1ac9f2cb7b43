//! In-message rules of the 301 Toewijzing (allocation).

use chrono::NaiveDate;

use super::common::{
    LineKind, ProductLine, Stacked, birth_date, bsn, no_duplicates, product_line, stacked,
};
use super::violation;
use crate::codes::{AdresSoort, Communicatievorm, LandCode, NaamGebruik, RedenWijziging};
use crate::model::allocation::{AllocationClient, Contact, ToegewezenProduct};
use crate::model::basis::VolledigeNaam;
use crate::xml::Report;

pub(crate) fn check(c: &AllocationClient, dagtekening: NaiveDate, rep: &mut Report) {
    rep.path.push("Client", None);
    bsn(&c.bsn, rep);
    birth_date(&c.geboortedatum, dagtekening, rep);
    name(&c.naam, rep);
    if c.naam.naam_gebruik == NaamGebruik::N6 {
        violation(
            rep,
            &[("Naam", None), ("NaamGebruik", None)],
            "CS318",
            "the client's NaamGebruik may not be 6 (niet-natuurlijk persoon)",
        );
    }
    if let Some(com) = &c.communicatie {
        let interpreter = com.vorm == Communicatievorm::Tolk;
        if interpreter != com.taal.is_some() {
            violation(
                rep,
                &[("Communicatie", None), ("Taal", None)],
                "CD007",
                "Taal is required when Vorm is 1 (tolk taal) and not allowed otherwise",
            );
        }
    }
    no_duplicates(
        rep,
        "Relaties",
        "Relatie",
        "Nummer",
        c.relaties.iter().map(|r| r.nummer.0.as_str()),
    );
    for (i, r) in c.relaties.iter().enumerate() {
        super::at(
            rep,
            &[("Relaties", None), ("Relatie", Some(i + 1))],
            |rep| {
                if let Some(g) = &r.geboortedatum {
                    birth_date(g, dagtekening, rep);
                }
                name(&r.naam, rep);
                super::at(rep, &[("Contact", None)], |rep| contact(&r.contact, rep));
            },
        );
    }
    no_duplicates(
        rep,
        "Contactgegevens",
        "Contact",
        "Soort",
        c.contactgegevens.iter().map(|k| k.soort),
    );
    for (i, k) in c.contactgegevens.iter().enumerate() {
        super::at(
            rep,
            &[("Contactgegevens", None), ("Contact", Some(i + 1))],
            |rep| contact(k, rep),
        );
    }
    let has_address = c
        .contactgegevens
        .iter()
        .any(|k| matches!(k.soort, AdresSoort::A01 | AdresSoort::A02 | AdresSoort::A03));
    if !has_address {
        violation(
            rep,
            &[("Contactgegevens", None)],
            "TR061",
            "the client needs a Contact with Soort 01 (BRP), 02 (correspondence) or 03 (residence)",
        );
    }
    products(&c.toegewezen_producten, rep);
    rep.path.pop();
}

/// CS050 on a full name.
fn name(n: &VolledigeNaam, rep: &mut Report) {
    use NaamGebruik::*;
    let ok = if n.partnernaam.is_some() {
        matches!(n.naam_gebruik, N1 | N2 | N3 | N4)
    } else {
        matches!(n.naam_gebruik, N1 | N6)
    };
    if !ok {
        violation(
            rep,
            &[("Naam", None), ("NaamGebruik", None)],
            "CS050",
            "NaamGebruik must be 1, 2, 3 or 4 with a Partnernaam and 1 or 6 without",
        );
    }
}

/// A Dutch postcode: `[1-9][0-9]{3}[a-zA-Z]{2}` (CS089).
fn dutch_postcode(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() == 6
        && (b'1'..=b'9').contains(&b[0])
        && b[1..4].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_alphabetic)
}

/// CD005, CD009, CD025, CD034, CS003, CS089 and TR006 on a Contact at the current path.
fn contact(k: &Contact, rep: &mut Report) {
    let adres = k.adres.as_ref();
    let postcode = adres.and_then(|a| a.postcode.as_ref());
    let land = adres.and_then(|a| a.land_code);
    let huis = adres.and_then(|a| a.huis.as_ref());
    if postcode.is_some() != land.is_some() {
        violation(
            rep,
            &[("Adres", None), ("LandCode", None)],
            "CD005",
            "LandCode is required with a Postcode and not allowed without",
        );
    }
    let netherlands = land == Some(LandCode::Nl);
    if netherlands && huis.is_none() {
        violation(
            rep,
            &[("Adres", None), ("Huis", None)],
            "CD025",
            "Huis is required when LandCode is NL",
        );
    }
    if matches!(k.soort, AdresSoort::A01 | AdresSoort::A03) && postcode.is_none() {
        violation(
            rep,
            &[("Adres", None), ("Postcode", None)],
            "CD034",
            "Postcode is required for Soort 01 (BRP) and 03 (residence)",
        );
    }
    if netherlands && postcode.is_some_and(|p| !dutch_postcode(&p.0)) {
        violation(
            rep,
            &[("Adres", None), ("Postcode", None)],
            "CS089",
            "with LandCode NL the Postcode must be four digits (not starting with 0) and two letters",
        );
    }
    if let Some(periode) = &k.periode {
        if k.soort != AdresSoort::A04 {
            violation(
                rep,
                &[("Periode", None)],
                "CD009",
                "Periode is only allowed for Soort 04 (temporary address)",
            );
        }
        if let (Some(begin), Some(end)) = (periode.begindatum, periode.einddatum) {
            if end < begin {
                violation(
                    rep,
                    &[("Periode", None), ("Einddatum", None)],
                    "CS003",
                    "Einddatum must be on or after Begindatum",
                );
            }
        }
    }
    if k.telefoon.is_none() && !(huis.is_some() && postcode.is_some()) {
        violation(
            rep,
            &[],
            "TR006",
            "a Contact needs a Telefoon, or an Adres with Huis and Postcode",
        );
    }
}

/// A deleted allocation (Einddatum = Ingangsdatum with RedenWijziging 13 or 01) does not
/// count for TR302.
fn deleted(p: &ToegewezenProduct) -> bool {
    p.einddatum == Some(p.ingangsdatum)
        && matches!(
            p.reden_wijziging,
            Some(RedenWijziging::R13 | RedenWijziging::R01)
        )
}

fn products(list: &[ToegewezenProduct], rep: &mut Report) {
    no_duplicates(
        rep,
        "ToegewezenProducten",
        "ToegewezenProduct",
        "ToewijzingNummer",
        list.iter().map(|p| p.toewijzing_nummer),
    );
    for (i, p) in list.iter().enumerate() {
        super::at(
            rep,
            &[
                ("ToegewezenProducten", None),
                ("ToegewezenProduct", Some(i + 1)),
            ],
            |rep| {
                product_line(
                    &ProductLine {
                        kind: LineKind::Allocated,
                        product: p.product.as_ref(),
                        start: p.ingangsdatum,
                        end: p.einddatum,
                        omvang: p.omvang.as_ref(),
                        budget: p.budget.as_ref(),
                    },
                    rep,
                );
                let reden = [("RedenWijziging", None)];
                if p.reden_wijziging == Some(RedenWijziging::R13)
                    && p.einddatum != Some(p.ingangsdatum)
                {
                    violation(
                        rep,
                        &reden,
                        "CS335",
                        "RedenWijziging 13 (verwijderd) only when Einddatum equals Ingangsdatum",
                    );
                }
                if p.reden_wijziging == Some(RedenWijziging::R01) {
                    violation(
                        rep,
                        &reden,
                        "CS336",
                        "RedenWijziging 01 (administratieve correctie) is no longer used",
                    );
                }
            },
        );
    }
    let live: Vec<(usize, Stacked<'_>)> = list
        .iter()
        .enumerate()
        .filter(|(_, p)| !deleted(p))
        .map(|(i, p)| {
            (
                i,
                Stacked {
                    product: p.product.as_ref(),
                    start: p.ingangsdatum,
                    end: p.einddatum,
                },
            )
        })
        .collect();
    let periods: Vec<Stacked<'_>> = live.iter().map(|(_, s)| *s).collect();
    for k in stacked(rep.ctx.law(), &periods) {
        let i = live[k].0;
        violation(
            rep,
            &[
                ("ToegewezenProducten", None),
                ("ToegewezenProduct", Some(i + 1)),
            ],
            "TR302",
            "the same product is allocated twice for overlapping periods",
        );
    }
}
