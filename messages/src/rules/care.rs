//! In-message rules of 305 Start zorg and 307 Stop zorg.

use chrono::NaiveDate;

use super::common::{birth_date, bsn, no_duplicates, product_key};
use super::violation;
use crate::codes::StatusAanlevering;
use crate::model::care::{CareStartClient, CareStopClient};
use crate::xml::Report;

fn status(s: StatusAanlevering, rep: &mut Report) {
    if !matches!(
        s,
        StatusAanlevering::EersteAanlevering | StatusAanlevering::Verwijderen
    ) {
        violation(
            rep,
            &[("StatusAanlevering", None)],
            "CS058",
            "StatusAanlevering must be 1 (eerste aanlevering) or 3 (verwijderen aanlevering)",
        );
    }
}

pub(crate) fn start(c: &CareStartClient, dagtekening: NaiveDate, rep: &mut Report) {
    rep.path.push("Client", None);
    bsn(&c.bsn, rep);
    birth_date(&c.geboortedatum, dagtekening, rep);
    no_duplicates(
        rep,
        "StartProducten",
        "StartProduct",
        "ToewijzingNummer, Product and Begindatum",
        c.start_producten.iter().map(|p| {
            (
                p.toewijzing_nummer,
                product_key(p.product.as_ref()),
                p.begindatum,
            )
        }),
    );
    for (i, p) in c.start_producten.iter().enumerate() {
        super::at(
            rep,
            &[("StartProducten", None), ("StartProduct", Some(i + 1))],
            |rep| {
                status(p.status_aanlevering, rep);
                if p.begindatum > dagtekening {
                    violation(
                        rep,
                        &[("Begindatum", None)],
                        "TR134",
                        "Begindatum is after the message date",
                    );
                }
            },
        );
    }
    rep.path.pop();
}

pub(crate) fn stop(c: &CareStopClient, dagtekening: NaiveDate, rep: &mut Report) {
    rep.path.push("Client", None);
    bsn(&c.bsn, rep);
    birth_date(&c.geboortedatum, dagtekening, rep);
    no_duplicates(
        rep,
        "StopProducten",
        "StopProduct",
        "ToewijzingNummer, Product, Begindatum, Einddatum and RedenBeeindiging",
        c.stop_producten.iter().map(|p| {
            (
                p.toewijzing_nummer,
                product_key(p.product.as_ref()),
                p.begindatum,
                p.einddatum,
                p.reden_beeindiging,
            )
        }),
    );
    for (i, p) in c.stop_producten.iter().enumerate() {
        super::at(
            rep,
            &[("StopProducten", None), ("StopProduct", Some(i + 1))],
            |rep| {
                status(p.status_aanlevering, rep);
                if p.einddatum < p.begindatum {
                    violation(
                        rep,
                        &[("Einddatum", None)],
                        "TR018",
                        "Einddatum is before Begindatum",
                    );
                }
                if p.einddatum > dagtekening {
                    violation(
                        rep,
                        &[("Einddatum", None)],
                        "TR134",
                        "Einddatum is after the message date",
                    );
                }
            },
        );
    }
    rep.path.pop();
}
