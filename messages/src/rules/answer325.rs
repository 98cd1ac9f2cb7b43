//! In-message rules of the 325 Declaratie-antwoord (claim answer).

use chrono::NaiveDate;

use super::common::bsn;
use super::declaration::{claimed_line, no_duplicate_lines, signed, zero_total_is_debit};
use super::violation;
use crate::codes::RetourCode;
use crate::message::DeclarationAnswer;
use crate::xml::Report;

/// Codes that do not reject: 0200 (no remark) and 8001 (claim fully granted).
fn rejects(codes: &[RetourCode]) -> bool {
    codes
        .iter()
        .any(|c| !matches!(c, RetourCode::R0200 | RetourCode::R8001))
}

pub(crate) fn check(m: &DeclarationAnswer, dagtekening: NaiveDate, rep: &mut Report) {
    if m.header.declaratie_identificatie.dagtekening > dagtekening {
        violation(
            rep,
            &[
                ("Header", None),
                ("DeclaratieIdentificatie", None),
                ("Dagtekening", None),
            ],
            "TR134",
            "the claim's Dagtekening is after the date of this answer",
        );
    }
    let Some(a) = &m.body else {
        return;
    };
    rep.path.push("DeclaratieAntwoord", None);
    zero_total_is_debit(&a.totaal_ingediend_bedrag, "TotaalIngediendBedrag", rep);
    zero_total_is_debit(&a.totaal_toegekend_bedrag, "TotaalToegekendBedrag", rep);
    let mut listed: i128 = 0;
    for (ci, client) in a.clienten.iter().enumerate() {
        super::at(
            rep,
            &[("Clienten", None), ("Client", Some(ci + 1))],
            |rep| {
                bsn(&client.bsn, rep);
                let client_rejected = rejects(&client.retour_codes);
                for (pi, line) in client.prestaties.iter().enumerate() {
                    super::at(
                        rep,
                        &[("Prestaties", None), ("Prestatie", Some(pi + 1))],
                        |rep| {
                            claimed_line(line, dagtekening, rep);
                            listed += signed(
                                line.ingediend_bedrag.bedrag.0,
                                line.ingediend_bedrag.debet_credit,
                            );
                            if !client_rejected && !rejects(&line.retour_codes) {
                                violation(
                                    rep,
                                    &[("RetourCodes", None)],
                                    "TR342",
                                    "only rejected prestaties are listed in a claim answer",
                                );
                            }
                        },
                    );
                }
            },
        );
    }
    no_duplicate_lines(&a.clienten, rep);
    let granted = signed(
        a.totaal_toegekend_bedrag.totaal_bedrag.0,
        a.totaal_toegekend_bedrag.debet_credit,
    );
    if rejects(&a.retour_codes) {
        if granted != 0 {
            violation(
                rep,
                &[("TotaalToegekendBedrag", None)],
                "TR342",
                "a rejected claim answer grants 0",
            );
        }
        if !a.clienten.is_empty() {
            violation(
                rep,
                &[("Clienten", None)],
                "TR342",
                "a rejected claim answer lists no prestaties",
            );
        }
    } else {
        let claimed = signed(
            a.totaal_ingediend_bedrag.totaal_bedrag.0,
            a.totaal_ingediend_bedrag.debet_credit,
        );
        let difference = claimed - granted;
        if listed != difference {
            violation(
                rep,
                &[("TotaalToegekendBedrag", None)],
                "TR342",
                format!(
                    "the listed (rejected) prestaties add up to {} cent {}, but \
                     TotaalIngediendBedrag − TotaalToegekendBedrag is {} cent {}",
                    listed.unsigned_abs(),
                    if listed < 0 { "C" } else { "D" },
                    difference.unsigned_abs(),
                    if difference < 0 { "C" } else { "D" },
                ),
            );
        }
    }
    rep.path.pop();
}
