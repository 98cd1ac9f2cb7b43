//! In-message rules of the 323 Declaratie (claim).

use foldhash::{HashSet, HashSetExt};

use chrono::{Datelike, NaiveDate};

use super::common::{bsn, no_duplicates};
use super::violation;
use crate::codes::{DebetCredit, Eenheid};
use crate::model::basis::{BedragMetDc, TotaalBedragMetDc};
use crate::model::declaration::{Declaratie, DeclaratieClient, Prestatie};
use crate::xml::Report;

/// CS100: claims start on or after 2021-01-01.
fn first_claimable() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 1, 1).unwrap_or(NaiveDate::MIN)
}

fn last_of_month(d: NaiveDate) -> Option<NaiveDate> {
    let first_next = if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    };
    first_next.and_then(|n| n.pred_opt())
}

/// CS325 on a line amount, at the current path.
pub(crate) fn zero_is_debit(amount: &BedragMetDc, element: &'static str, rep: &mut Report) {
    if amount.bedrag.0 == 0 && amount.debet_credit == DebetCredit::Credit {
        violation(
            rep,
            &[(element, None), ("DebetCredit", None)],
            "CS325",
            "an amount of 0 is written as D (debet)",
        );
    }
}

/// CS325 on a total, at the current path.
pub(crate) fn zero_total_is_debit(
    total: &TotaalBedragMetDc,
    element: &'static str,
    rep: &mut Report,
) {
    if total.totaal_bedrag.0 == 0 && total.debet_credit == DebetCredit::Credit {
        violation(
            rep,
            &[(element, None), ("DebetCredit", None)],
            "CS325",
            "an amount of 0 is written as D (debet)",
        );
    }
}

/// A signed amount in eurocent: debit positive, credit negative.
pub(crate) fn signed(amount: u64, dc: DebetCredit) -> i128 {
    match dc {
        DebetCredit::Debet => i128::from(amount),
        DebetCredit::Credit => -i128::from(amount),
    }
}

/// The rules a claimed line has in the 323 and in the 325: CS325, CD060 and TR137, at the
/// line's path.
pub(crate) fn claimed_line(line: &Prestatie, dagtekening: NaiveDate, rep: &mut Report) {
    let credit = line.ingediend_bedrag.debet_credit == DebetCredit::Credit;
    zero_is_debit(&line.ingediend_bedrag, "IngediendBedrag", rep);
    if credit != line.product_referentie.vorig_referentie_nummer.is_some() {
        violation(
            rep,
            &[("ProductReferentie", None), ("VorigReferentieNummer", None)],
            "CD060",
            "VorigReferentieNummer is required on a credit line and not allowed on a debit line",
        );
    }
    let pp = &line.product_periode;
    if pp.einddatum < pp.begindatum || pp.einddatum > dagtekening {
        violation(
            rep,
            &[("ProductPeriode", None), ("Einddatum", None)],
            "TR137",
            "ProductPeriode must end on or after its begin and not after the message date",
        );
    }
}

/// TR101 on the clients of a claim or claim answer and on the lines of each client.
pub(crate) fn no_duplicate_lines(clients: &[DeclaratieClient], rep: &mut Report) {
    no_duplicates(
        rep,
        "Clienten",
        "Client",
        "Bsn",
        clients.iter().map(|c| c.bsn.0.as_str()),
    );
    for (ci, client) in clients.iter().enumerate() {
        super::at(
            rep,
            &[("Clienten", None), ("Client", Some(ci + 1))],
            |rep| {
                no_duplicates(
                    rep,
                    "Prestaties",
                    "Prestatie",
                    "ProductReferentie",
                    client.prestaties.iter().map(|p| {
                        (
                            p.product_referentie.referentie_nummer.0.as_str(),
                            p.product_referentie
                                .vorig_referentie_nummer
                                .as_ref()
                                .map(|v| v.0.as_str()),
                        )
                    }),
                );
            },
        );
    }
}

pub(crate) fn check(d: &Declaratie, dagtekening: NaiveDate, rep: &mut Report) {
    rep.path.push("Declaratie", None);
    if d.declaratie_dagtekening > dagtekening {
        violation(
            rep,
            &[("DeclaratieDagtekening", None)],
            "TR134",
            "DeclaratieDagtekening is after the message date",
        );
    }
    let period = &d.declaratie_periode;
    let p = [("DeclaratiePeriode", None)];
    if period.begindatum < first_claimable() {
        violation(
            rep,
            &p,
            "CS100",
            "DeclaratiePeriode starts before 2021-01-01",
        );
    }
    let whole_month =
        period.begindatum.day() == 1 && last_of_month(period.begindatum) == Some(period.einddatum);
    if !whole_month {
        violation(
            rep,
            &p,
            "CS340",
            "DeclaratiePeriode must be exactly one whole calendar month",
        );
    }
    // TR358 and CS325 on the total.
    let mut debit: i128 = 0;
    let mut credit: i128 = 0;
    // Sized for every line up front and keyed by borrowed text: a 25 MB claim has some
    // 30,000 lines, and growing and cloning into these sets was a visible part of `validate`.
    let lines: usize = d.clienten.iter().map(|c| c.prestaties.len()).sum();
    let mut debit_refs: HashSet<&str> = HashSet::with_capacity(lines);
    let mut previous_refs: HashSet<&str> = HashSet::new();
    let mut debit_lines = HashSet::with_capacity(lines);
    let five_years = d
        .declaratie_dagtekening
        .checked_sub_months(chrono::Months::new(60));
    for (ci, client) in d.clienten.iter().enumerate() {
        rep.path.push("Clienten", None);
        rep.path.push("Client", Some(ci + 1));
        bsn(&client.bsn, rep);
        for (pi, line) in client.prestaties.iter().enumerate() {
            let at = [("Prestaties", None), ("Prestatie", Some(pi + 1))];
            super::at(rep, &at, |rep| {
                claimed_line(line, dagtekening, rep);
                let amount = &line.ingediend_bedrag;
                let credit_line = amount.debet_credit == DebetCredit::Credit;
                match amount.debet_credit {
                    DebetCredit::Debet => debit += i128::from(amount.bedrag.0),
                    DebetCredit::Credit => credit += i128::from(amount.bedrag.0),
                }
                let vorig = &line.product_referentie.vorig_referentie_nummer;
                if let Some(v) = vorig {
                    if !previous_refs.insert(v.0.as_str()) {
                        violation(
                            rep,
                            &[("ProductReferentie", None), ("VorigReferentieNummer", None)],
                            "TR315",
                            "VorigReferentieNummer occurs twice in this claim",
                        );
                    }
                }
                if !credit_line {
                    debit_refs.insert(line.product_referentie.referentie_nummer.0.as_str());
                    let key = (
                        line.toewijzing_nummer.0,
                        line.product_categorie,
                        line.product_code.0.as_str(),
                        line.product_periode.begindatum,
                        line.product_periode.einddatum,
                    );
                    if !debit_lines.insert(key) {
                        violation(
                            rep,
                            &[],
                            "TR416",
                            "a debit line for this allocation, product and period is already in this claim",
                        );
                    }
                }
                let euro = line.eenheid == Eenheid::Euro;
                if euro == line.product_tarief.is_some() {
                    violation(
                        rep,
                        &[("ProductTarief", None)],
                        "CD087",
                        "ProductTarief is required unless the unit is 83 (euro), and not allowed for euro",
                    );
                }
                if euro && line.geleverd_volume.0 != amount.bedrag.0 {
                    violation(
                        rep,
                        &[("IngediendBedrag", None), ("Bedrag", None)],
                        "CS339",
                        "for unit 83 (euro) IngediendBedrag must equal GeleverdVolume",
                    );
                }
                let pp = &line.product_periode;
                let ppath = [("ProductPeriode", None), ("Einddatum", None)];
                if pp.begindatum < first_claimable() {
                    violation(
                        rep,
                        &[("ProductPeriode", None), ("Begindatum", None)],
                        "CS100",
                        "ProductPeriode starts before 2021-01-01",
                    );
                }
                if (pp.begindatum.year(), pp.begindatum.month())
                    != (pp.einddatum.year(), pp.einddatum.month())
                {
                    violation(
                        rep,
                        &ppath,
                        "CS337",
                        "ProductPeriode must end in the month it begins",
                    );
                }
                if five_years.is_some_and(|limit| pp.einddatum < limit) {
                    violation(
                        rep,
                        &ppath,
                        "TR335",
                        "ProductPeriode ends more than 5 years before DeclaratieDagtekening",
                    );
                }
            });
        }
        rep.path.pop();
        rep.path.pop();
    }
    // TR316: a credit line may not undo a debit line of the same message.
    for (ci, client) in d.clienten.iter().enumerate() {
        for (pi, line) in client.prestaties.iter().enumerate() {
            if let Some(v) = &line.product_referentie.vorig_referentie_nummer {
                if debit_refs.contains(v.0.as_str()) {
                    violation(
                        rep,
                        &[
                            ("Clienten", None),
                            ("Client", Some(ci + 1)),
                            ("Prestaties", None),
                            ("Prestatie", Some(pi + 1)),
                            ("ProductReferentie", None),
                            ("VorigReferentieNummer", None),
                        ],
                        "TR316",
                        "a debit line may not be credited in the same claim",
                    );
                }
            }
        }
    }
    let net = debit - credit;
    let total = &d.totaal_ingediend_bedrag;
    let stated = signed(total.totaal_bedrag.0, total.debet_credit);
    if stated != net {
        violation(
            rep,
            &[("TotaalIngediendBedrag", None)],
            "TR358",
            format!(
                "TotaalIngediendBedrag must be Σ debit − Σ credit of the lines: {} cent {}",
                net.unsigned_abs(),
                if net < 0 { "C" } else { "D" }
            ),
        );
    }
    zero_total_is_debit(total, "TotaalIngediendBedrag", rep);
    no_duplicate_lines(&d.clienten, rep);
    rep.path.pop();
}
