//! The amounts of a 323's lines against the contract tariff (controleniveau 4, externe bron,
//! and TR418): TR346 (retourcode 9346) — IngediendBedrag equals GeleverdVolume × ProductTarief
//! unless Eenheid is 83 (euro), where ProductTarief is the unrounded contract tariff — and
//! TR418 (retourcode 0611) — ProductTarief is the contract tariff of the ProductCode.
//!
//! With the contract tariff of a line known (a [`TariffTable`] entry, or one the caller
//! names), both are checked exactly, IV081 included: an hourly tariff claimed in minutes
//! shows the tariff / 60 rounded as ProductTarief, and IngediendBedrag is the hourly tariff
//! × minutes / 60, rounded only at the end (€87,24/h × 240 min: ProductTarief 145,
//! IngediendBedrag 34896, not 145 × 240 = 34800).
//!
//! Without it, TR346 is checked as far as the message allows: exactly (volume × ProductTarief)
//! for every unit but minuut; for a minuut line the amount must be one that some hourly tariff
//! whose minute tariff rounds to ProductTarief gives ([`money::minute_amount_possible`]),
//! since the message does not say whether the contract is per minute or per hour. TR418
//! needs the contract and is not checked.

use chrono::NaiveDate;

use crate::codes::Eenheid;
use crate::error::Violation;
use crate::law::Law;
use crate::message::{Content, Message};
use crate::model::declaration::Prestatie;
use crate::money::{self, ContractTariff, PriceError, Pricing};
use crate::rules::violation;
use crate::tariff::TariffTable;
use crate::xml::{Ctx, Report};

/// Every rule id this module checks, for the rules catalog.
pub const AMOUNT_RULES: &[&str] = &["TR346", "TR418"];

/// What a line is claimed under: where the line stands in the claim and the claim's
/// municipality, law and the line itself, to find its contract tariff.
#[derive(Debug, Clone, Copy)]
pub struct LineAt<'a> {
    /// 0-based index of the Client in the claim.
    pub client: usize,
    /// 0-based index of the Prestatie under its client.
    pub line: usize,
    /// The claim's Ontvanger (CBS gemeentecode).
    pub municipality: &'a str,
    /// The claim's law.
    pub law: Law,
    /// The line.
    pub prestatie: &'a Prestatie,
}

impl LineAt<'_> {
    /// The date that picks the tariff: the ProductPeriode's Begindatum.
    pub fn date(&self) -> NaiveDate {
        self.prestatie.product_periode.begindatum
    }

    /// The line's contract tariff in `table`, if it has one.
    pub fn in_table(&self, table: &TariffTable) -> Option<ContractTariff> {
        let p = self.prestatie;
        table
            .lookup(
                self.municipality,
                self.law,
                p.product_categorie,
                p.product_code.as_str(),
                self.date(),
            )
            .map(|t| t.contract)
    }
}

/// TR346 and TR418 on every line of the claim `message`, with the contract tariffs of
/// `table` (none: TR346 as far as the message allows). Nothing for other messages.
pub fn check(message: &Message, table: Option<&TariffTable>) -> Vec<Violation> {
    check_with(message, |at| table.and_then(|t| at.in_table(t)))
}

/// TR346 and TR418 on every line of the claim `message`, with the contract tariff `contract`
/// gives for a line (none: TR346 as far as the message allows).
pub fn check_with(
    message: &Message,
    contract: impl Fn(&LineAt<'_>) -> Option<ContractTariff>,
) -> Vec<Violation> {
    let Content::Declaration(heen) = &message.content else {
        return Vec::new();
    };
    let mut rep = Report::new(Ctx {
        kind: message.kind(),
        retour: false,
    });
    rep.path.push("Bericht", None);
    rep.path.push("Declaratie", None);
    for (ci, client) in heen.body.clienten.iter().enumerate() {
        for (pi, line) in client.prestaties.iter().enumerate() {
            let at = LineAt {
                client: ci,
                line: pi,
                municipality: &heen.header.ontvanger,
                law: message.law,
                prestatie: line,
            };
            let path = [
                ("Clienten", None),
                ("Client", Some(ci + 1)),
                ("Prestaties", None),
                ("Prestatie", Some(pi + 1)),
            ];
            super::at(&mut rep, &path, |rep| one_line(line, contract(&at), rep));
        }
    }
    rep.violations
}

const AMOUNT: [(&str, Option<usize>); 2] = [("IngediendBedrag", None), ("Bedrag", None)];
const TARIFF: [(&str, Option<usize>); 1] = [("ProductTarief", None)];

fn one_line(line: &Prestatie, contract: Option<ContractTariff>, rep: &mut Report) {
    // Euro lines have no ProductTarief and IngediendBedrag = GeleverdVolume (CD087, CS339);
    // a line without ProductTarief breaks CD087, reported by the in-message rules.
    let Some(shown) = line.product_tarief.map(|b| b.0) else {
        return;
    };
    if line.eenheid == Eenheid::Euro {
        return;
    }
    let volume = line.geleverd_volume.0;
    let claimed = line.ingediend_bedrag.bedrag.0;
    match contract.map(|c| (c, c.price(line.eenheid, volume))) {
        Some((c, Err(PriceError::Unit { .. }))) => violation(
            rep,
            &TARIFF,
            "TR418",
            format!(
                "the contract prices product {} per {}: a line in Eenheid {} cannot carry its \
                 tariff (the claim's unit follows the allocation, OP267; only uur may be \
                 claimed in minuut, IV081)",
                line.product_code.as_str(),
                c.unit,
                line.eenheid.code()
            ),
        ),
        Some((_, Err(PriceError::TooLarge))) => violation(
            rep,
            &AMOUNT,
            "TR346",
            "GeleverdVolume × the contract tariff exceeds the largest amount (99 999 999 cents)",
        ),
        Some((c, Ok(priced))) => {
            if shown != priced.tariff_cents {
                let how = match priced.pricing {
                    Pricing::PerUnit => format!("the contract tariff per {}", c.unit),
                    Pricing::HourInMinutes => format!(
                        "the hourly contract tariff {} / 60, rounded to whole cents (IV081)",
                        c.cents
                    ),
                };
                violation(
                    rep,
                    &TARIFF,
                    "TR418",
                    format!("ProductTarief must be {} cents: {how}", priced.tariff_cents),
                );
            }
            if claimed != priced.amount_cents {
                let how = match priced.pricing {
                    Pricing::PerUnit => format!(
                        "GeleverdVolume {volume} × the contract tariff {} cents",
                        c.cents
                    ),
                    Pricing::HourInMinutes => format!(
                        "the hourly contract tariff {} cents × {volume} minutes / 60, rounded \
                         at the end (IV081), not {volume} × the rounded minute tariff",
                        c.cents
                    ),
                };
                violation(
                    rep,
                    &AMOUNT,
                    "TR346",
                    format!(
                        "IngediendBedrag must be {} cents: {how}",
                        priced.amount_cents
                    ),
                );
            }
        }
        None if line.eenheid == Eenheid::Minuut => {
            if !money::minute_amount_possible(shown, volume, claimed) {
                violation(
                    rep,
                    &AMOUNT,
                    "TR346",
                    format!(
                        "no contract tariff gives IngediendBedrag {claimed} cents for {volume} \
                         minutes at ProductTarief {shown} cents: a tariff per minute gives \
                         {volume} × {shown}, an hourly tariff (IV081) hourly tariff × {volume} \
                         / 60 with an hourly tariff that rounds to {shown} cents a minute"
                    ),
                );
            }
        }
        None => match money::amount(volume, shown) {
            Some(expected) if expected == claimed => {}
            Some(expected) => violation(
                rep,
                &AMOUNT,
                "TR346",
                format!(
                    "IngediendBedrag must be GeleverdVolume {volume} × ProductTarief {shown} = \
                     {expected} cents"
                ),
            ),
            None => violation(
                rep,
                &AMOUNT,
                "TR346",
                "GeleverdVolume × ProductTarief exceeds the largest amount (99 999 999 cents)",
            ),
        },
    }
}
