//! From the proto requests to the typed model of `ketenpoort-messages`, for all five submits
//! and both laws.
//!
//! Conversion checks only what the model cannot hold: dates written as `YYYY-MM-DD`, codes
//! that are on no codelist, required fields left empty, amounts that cannot be computed.
//! Everything else (lengths, patterns, the law's codelists, in-message rules) is checked on
//! the model afterwards, so each rule is stated once, in the messages crate.

use std::fmt::{self, Display};

use chrono::NaiveDate;
use ketenpoort_messages::codes::*;
use ketenpoort_messages::model::basis::*;
use ketenpoort_messages::model::care::{
    CareStartClient, CareStopClient, StartProduct, StopProduct,
};
use ketenpoort_messages::model::change::{
    ChangeRequestClient, NieuwProduct, OngewijzigdProduct, TeWijzigenProduct, Verzoek,
};
use ketenpoort_messages::model::declaration::{Declaratie, DeclaratieClient, Prestatie};
use ketenpoort_messages::model::header::Header;
use ketenpoort_messages::model::request::{AangevraagdProduct, RequestClient};
use ketenpoort_messages::money;
use ketenpoort_messages::types::*;
use ketenpoort_messages::{Content, Heen, Law, Message};

use crate::error::FieldViolation;
use crate::proto;

/// Collects the problems found while converting one request.
#[derive(Debug, Default)]
pub(crate) struct Conv {
    /// Everything found so far.
    pub violations: Vec<FieldViolation>,
    /// The contract tariff of each claim line that has one (from the request or the tariff
    /// table), by (client index, line index), for the amount rules (TR346, TR418).
    pub contracts: std::collections::HashMap<(usize, usize), money::ContractTariff>,
}

/// A stand-in date used where a date could not be read; the request is refused anyway.
const NO_DATE: NaiveDate = NaiveDate::MIN;

/// An element of a repeated proto field, `list[index]`, below `parent` when there is one
/// (`clients[0].lines[3]`). Written out only when a violation names it: a valid request
/// builds no path strings.
#[derive(Clone, Copy)]
struct Item<'a> {
    parent: Option<&'a Item<'a>>,
    list: &'static str,
    index: usize,
}

impl<'a> Item<'a> {
    fn new(list: &'static str, index: usize) -> Self {
        Item {
            parent: None,
            list,
            index,
        }
    }

    fn under(self, parent: &'a Item<'a>) -> Self {
        Item {
            parent: Some(parent),
            ..self
        }
    }
}

impl Display for Item<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            write!(f, "{parent}.")?;
        }
        write!(f, "{}[{}]", self.list, self.index)
    }
}

/// The field `leaf` of a message field, `parent.leaf`, written out only when needed.
#[derive(Clone, Copy)]
struct Leaf<'a>(&'a dyn Display, &'static str);

impl Display for Leaf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// `YYYY-MM-DD` (exactly: four, two and two ASCII digits) as a real calendar date.
fn parse_iso_date(value: &str) -> Option<NaiveDate> {
    let b = value.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        b[range]
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
    };
    let year = i32::try_from(number(0..4)).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7), number(8..10))
}

impl Conv {
    fn bad(&mut self, field: impl Display, rule: &str, description: impl Into<String>) {
        self.violations.push(FieldViolation::request(
            field.to_string(),
            rule,
            description,
        ));
    }

    fn required(&mut self, field: impl Display, value: &str) -> String {
        if value.is_empty() {
            self.bad(field, "XSD-required", "is required");
        }
        value.to_owned()
    }

    fn parse_date(&mut self, field: impl Display, value: &str) -> Option<NaiveDate> {
        let parsed = parse_iso_date(value);
        if parsed.is_none() {
            self.bad(
                field,
                "XSD-date",
                "must be a real calendar date written as YYYY-MM-DD",
            );
        }
        parsed
    }

    /// A required date.
    fn date(&mut self, field: impl Display, value: &str) -> NaiveDate {
        if value.is_empty() {
            self.bad(field, "XSD-required", "is required (a date YYYY-MM-DD)");
            return NO_DATE;
        }
        self.parse_date(field, value).unwrap_or(NO_DATE)
    }

    /// An optional date: empty is absent.
    fn opt_date(&mut self, field: impl Display, value: &str) -> Option<NaiveDate> {
        if value.is_empty() {
            None
        } else {
            self.parse_date(field, value)
        }
    }

    /// An optional code: empty is absent.
    fn opt_code<T>(&mut self, field: impl Display, value: &str, list: &str) -> Option<T>
    where
        T: CodeList,
    {
        if value.is_empty() {
            return None;
        }
        let code = T::from_code(value);
        if code.is_none() {
            let shown = if value.len() <= 4 && value.bytes().all(|b| b.is_ascii_alphanumeric()) {
                format!("'{value}'")
            } else {
                "the value".into()
            };
            self.bad(
                field,
                "XSD-enumeration",
                format!("{shown} is not a code of {list}"),
            );
        }
        code
    }

    /// A required code.
    fn code<T: CodeList>(&mut self, field: impl Display, value: &str, list: &str) -> T {
        if value.is_empty() {
            self.bad(
                field,
                "XSD-required",
                format!("is required (a {list} code)"),
            );
            return T::first();
        }
        self.opt_code(field, value, list).unwrap_or_else(T::first)
    }
}

/// The codelist enums of the messages crate, as conversion needs them.
pub(crate) trait CodeList: Sized + Copy {
    fn from_code(code: &str) -> Option<Self>;
    fn first() -> Self;
}

macro_rules! code_list {
    ($($t:ty),* $(,)?) => {
        $(impl CodeList for $t {
            fn from_code(code: &str) -> Option<Self> {
                <$t>::from_code(code)
            }
            fn first() -> Self {
                <$t>::ALL[0]
            }
        })*
    };
}

code_list!(
    DatumGebruik,
    DebetCredit,
    Eenheid,
    Frequentie,
    Geslacht,
    JaNee,
    ProductCategorie,
    RedenBeeindiging,
    RedenVerzoek,
    StatusAanlevering,
    TypeVerwijzer,
);

/// The law of a request.
pub(crate) fn law(common: &proto::SubmitCommon) -> Result<Law, FieldViolation> {
    match proto::Law::try_from(common.law) {
        Ok(proto::Law::Ijw) => Ok(Law::Ijw),
        Ok(proto::Law::Iwmo) => Ok(Law::Iwmo),
        _ => Err(FieldViolation::request(
            "common.law",
            "XSD-required",
            "must be LAW_IJW or LAW_IWMO",
        )),
    }
}

fn opt<T: From<String>>(value: &str) -> Option<T> {
    (!value.is_empty()).then(|| T::from(value.to_owned()))
}

fn nummer(value: u64) -> Option<Nummer> {
    (value != 0).then_some(Nummer(value))
}

// === parts ===

fn identity(
    c: &mut Conv,
    client: Option<&proto::ClientIdentity>,
) -> (Bsn, Geboortedatum, Geslacht, VerkorteNaam) {
    let default = proto::ClientIdentity::default();
    if client.is_none() {
        c.bad("client", "XSD-required", "is required");
    }
    let p = client.unwrap_or(&default);
    let bsn = Bsn(c.required("client.bsn", &p.bsn));
    let geboortedatum = Geboortedatum {
        datum: c.date("client.birth_date", &p.birth_date),
        datum_gebruik: c.opt_code("client.birth_date_use", &p.birth_date_use, "DatumGebruik"),
    };
    let geslacht = c.code("client.sex", &p.sex, "Geslacht");
    let naam = VerkorteNaam {
        geslachtsnaam: Achternaam {
            achternaam: Naam(c.required("client.surname", &p.surname)),
            voorvoegsel: opt(&p.surname_prefix),
        },
        voornamen: opt(&p.given_names),
        voorletters: opt(&p.initials),
    };
    (bsn, geboortedatum, geslacht, naam)
}

fn product(c: &mut Conv, field: impl Display, p: Option<&proto::Product>) -> Option<Product> {
    let p = p?;
    if p.category.is_empty() && p.code.is_empty() {
        return None;
    }
    Some(Product {
        categorie: c.code(Leaf(&field, "category"), &p.category, "ProductCategorie"),
        code: opt(&p.code),
    })
}

fn extent(c: &mut Conv, field: impl Display, e: Option<&proto::Extent>) -> Option<Omvang> {
    let e = e?;
    Some(Omvang {
        volume: Volume(e.volume),
        eenheid: c.code(Leaf(&field, "unit"), &e.unit, "Eenheid"),
        frequentie: c.code(Leaf(&field, "frequency"), &e.frequency, "Frequentie"),
    })
}

// === 315 ===

/// 315 Verzoek om toewijzing.
pub(crate) fn request_for_allocation(
    c: &mut Conv,
    law: Law,
    header: Header,
    r: &proto::SubmitRequestForAllocationRequest,
) -> Message {
    let (bsn, geboortedatum, geslacht, naam) = identity(c, r.client.as_ref());
    let mut producten = Vec::with_capacity(r.products.len());
    for (i, p) in r.products.iter().enumerate() {
        let field = Item::new("products", i);
        let referrer = p.referrer.clone().unwrap_or_default();
        if p.referrer.is_none() {
            c.bad(Leaf(&field, "referrer"), "XSD-required", "is required");
        }
        producten.push(AangevraagdProduct {
            referentie_aanbieder: Referentie(
                c.required(Leaf(&field, "provider_reference"), &p.provider_reference),
            ),
            beschikking_nummer: nummer(p.decision_number),
            product: product(c, Leaf(&field, "product"), p.product.as_ref()),
            beschikking_ingangsdatum: c
                .opt_date(Leaf(&field, "decision_start_date"), &p.decision_start_date),
            toewijzing_ingangsdatum: c.date(Leaf(&field, "start_date"), &p.start_date),
            toewijzing_einddatum: c.opt_date(Leaf(&field, "end_date"), &p.end_date),
            omvang: extent(c, Leaf(&field, "extent"), p.extent.as_ref()),
            budget: p.budget_cents.map(Budget),
            verwijzer: Verwijzer {
                type_: c.code(
                    Leaf(&field, "referrer.type"),
                    &referrer.r#type,
                    "TypeVerwijzer",
                ),
                naam: opt(&referrer.name),
                zorgverlener_code: opt(&referrer.agb_code),
            },
            raamcontract: c.opt_code(
                Leaf(&field, "framework_contract"),
                &p.framework_contract,
                "JaNee",
            ),
            commentaar: opt(&p.comment),
            retour_codes: vec![],
        });
    }
    Message {
        law,
        content: Content::RequestForAllocation(Heen {
            header,
            body: RequestClient {
                bsn,
                geboortedatum,
                geslacht,
                naam,
                gezagsdrager_bekend: c.opt_code("guardian_known", &r.guardian_known, "JaNee"),
                commentaar: opt(&r.comment),
                aangevraagde_producten: producten,
                retour_codes: vec![],
            },
        }),
    }
}

// === 305 / 307 ===

/// 305 Start zorg.
pub(crate) fn care_start(
    c: &mut Conv,
    law: Law,
    header: Header,
    r: &proto::SubmitCareStartRequest,
) -> Message {
    let (bsn, geboortedatum, geslacht, naam) = identity(c, r.client.as_ref());
    let mut producten = Vec::with_capacity(r.products.len());
    for (i, p) in r.products.iter().enumerate() {
        let field = Item::new("products", i);
        producten.push(StartProduct {
            toewijzing_nummer: nummer(p.allocation_number),
            product: product(c, Leaf(&field, "product"), p.product.as_ref()),
            toewijzing_ingangsdatum: c.opt_date(
                Leaf(&field, "allocation_start_date"),
                &p.allocation_start_date,
            ),
            begindatum: c.date(Leaf(&field, "start_date"), &p.start_date),
            status_aanlevering: c.code(
                Leaf(&field, "delivery_status"),
                &p.delivery_status,
                "StatusAanlevering",
            ),
            retour_codes: vec![],
        });
    }
    Message {
        law,
        content: Content::CareStart(Heen {
            header,
            body: CareStartClient {
                bsn,
                geboortedatum,
                geslacht,
                naam,
                start_producten: producten,
                retour_codes: vec![],
            },
        }),
    }
}

/// 307 Stop zorg.
pub(crate) fn care_stop(
    c: &mut Conv,
    law: Law,
    header: Header,
    r: &proto::SubmitCareStopRequest,
) -> Message {
    let (bsn, geboortedatum, geslacht, naam) = identity(c, r.client.as_ref());
    let mut producten = Vec::with_capacity(r.products.len());
    for (i, p) in r.products.iter().enumerate() {
        let field = Item::new("products", i);
        producten.push(StopProduct {
            toewijzing_nummer: nummer(p.allocation_number),
            product: product(c, Leaf(&field, "product"), p.product.as_ref()),
            toewijzing_ingangsdatum: c.opt_date(
                Leaf(&field, "allocation_start_date"),
                &p.allocation_start_date,
            ),
            begindatum: c.date(Leaf(&field, "start_date"), &p.start_date),
            reden_beeindiging: c.code(
                Leaf(&field, "end_reason"),
                &p.end_reason,
                "RedenBeeindiging",
            ),
            einddatum: c.date(Leaf(&field, "end_date"), &p.end_date),
            status_aanlevering: c.code(
                Leaf(&field, "delivery_status"),
                &p.delivery_status,
                "StatusAanlevering",
            ),
            retour_codes: vec![],
        });
    }
    Message {
        law,
        content: Content::CareStop(Heen {
            header,
            body: CareStopClient {
                bsn,
                geboortedatum,
                geslacht,
                naam,
                stop_producten: producten,
                retour_codes: vec![],
            },
        }),
    }
}

// === 317 ===

/// 317 Verzoek om wijziging.
pub(crate) fn change_request(
    c: &mut Conv,
    law: Law,
    header: Header,
    r: &proto::SubmitChangeRequestRequest,
) -> Message {
    let changed = r
        .changed
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let field = Item::new("changed", i);
            TeWijzigenProduct {
                toewijzing_nummer: Nummer(p.allocation_number),
                gewenste_ingangsdatum: c
                    .date(Leaf(&field, "desired_start_date"), &p.desired_start_date),
                einddatum: c.opt_date(Leaf(&field, "end_date"), &p.end_date),
                omvang: extent(c, Leaf(&field, "extent"), p.extent.as_ref()),
                budget: p.budget_cents.map(Budget),
                retour_codes: vec![],
            }
        })
        .collect();
    let new_products = r
        .new_products
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let field = Item::new("new_products", i);
            NieuwProduct {
                product: product(c, Leaf(&field, "product"), p.product.as_ref()),
                gewenste_ingangsdatum: c
                    .date(Leaf(&field, "desired_start_date"), &p.desired_start_date),
                einddatum: c.opt_date(Leaf(&field, "end_date"), &p.end_date),
                omvang: extent(c, Leaf(&field, "extent"), p.extent.as_ref()),
                budget: p.budget_cents.map(Budget),
                retour_codes: vec![],
            }
        })
        .collect();
    Message {
        law,
        content: Content::ChangeRequest(Heen {
            header,
            body: ChangeRequestClient {
                bsn: Bsn(c.required("bsn", &r.bsn)),
                verzoek: Verzoek {
                    referentie_aanbieder: Referentie(
                        c.required("provider_reference", &r.provider_reference),
                    ),
                    reden_verzoek: c.code("reason", &r.reason, "RedenVerzoek"),
                    ongewijzigde_producten: r
                        .unchanged_allocations
                        .iter()
                        .map(|&n| OngewijzigdProduct {
                            toewijzing_nummer: Nummer(n),
                            retour_codes: vec![],
                        })
                        .collect(),
                    te_wijzigen_producten: changed,
                    nieuwe_producten: new_products,
                    retour_codes: vec![],
                },
                retour_codes: vec![],
            },
        }),
    }
}

// === 323 ===

/// The claimed month `YYYY-MM` as its first and last day.
fn month(c: &mut Conv, value: &str) -> (NaiveDate, NaiveDate) {
    let first = if value.is_empty() {
        c.bad("month", "XSD-required", "is required (YYYY-MM)");
        None
    } else {
        let b = value.as_bytes();
        let shaped = b.len() == 7
            && b[4] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, ch)| i == 4 || ch.is_ascii_digit());
        let d = shaped
            .then(|| parse_iso_date(&format!("{value}-01")))
            .flatten();
        if d.is_none() {
            c.bad("month", "XSD-date", "must be a month written as YYYY-MM");
        }
        d
    };
    first.map_or((NO_DATE, NO_DATE), money::declaration_period)
}

/// The contract tariff a claim line names (`contract_tariff_cents` with its unit), if any.
fn requested_contract(
    c: &mut Conv,
    field: Item<'_>,
    l: &proto::DeclarationLine,
) -> Option<money::ContractTariff> {
    let unit = l.contract_tariff_unit.as_str();
    match l.contract_tariff_cents {
        Some(cents) => {
            if cents > Bedrag::MAX {
                c.bad(
                    Leaf(&field, "contract_tariff_cents"),
                    "XSD-maxInclusive",
                    "exceeds the largest amount (99 999 999 cents)",
                );
                return None;
            }
            let parsed = money::TariffUnit::parse(unit);
            if parsed.is_none() {
                c.bad(
                    Leaf(&field, "contract_tariff_unit"),
                    if unit.is_empty() {
                        "XSD-required"
                    } else {
                        "XSD-enumeration"
                    },
                    "must be the contract's unit: uur, minuut, dagdeel, etmaal, week, maand, \
                     stuks, or an Eenheid code",
                );
            }
            parsed.map(|unit| money::ContractTariff { cents, unit })
        }
        None if !unit.is_empty() => {
            c.bad(
                Leaf(&field, "contract_tariff_cents"),
                "XSD-required",
                "is required with contract_tariff_unit",
            );
            None
        }
        None => None,
    }
}

/// 323 Declaratie. `number` is the DeclaratieNummer (the client's, or a placeholder that
/// the caller replaces); `tariffs` the contract tariff table. A line's contract tariff is
/// the one the request names, else the table's (for the claim's municipality, law, product
/// and ProductPeriode's Begindatum); with one, a missing ProductTarief and IngediendBedrag
/// are filled from it (IV081 for an hourly tariff claimed in minutes) and recorded in `c`
/// for TR346/TR418. Without one, a missing amount is volume × tariff for every unit but
/// minuut (whose amount depends on the contract's unit). The total is computed (TR358).
pub(crate) fn declaration(
    c: &mut Conv,
    law: Law,
    header: Header,
    number: String,
    tariffs: &ketenpoort_messages::tariff::TariffTable,
    r: &proto::SubmitDeclarationRequest,
) -> Message {
    let (begin, end) = month(c, &r.month);
    let dagtekening = header.bericht_identificatie.dagtekening;
    let municipality = header.ontvanger.clone();
    let mut clienten = Vec::with_capacity(r.clients.len());
    for (ci, client) in r.clients.iter().enumerate() {
        let client_field = Item::new("clients", ci);
        let mut prestaties = Vec::with_capacity(client.lines.len());
        for (li, l) in client.lines.iter().enumerate() {
            let field = Item::new("lines", li).under(&client_field);
            let unit: Eenheid = c.code(Leaf(&field, "unit"), &l.unit, "Eenheid");
            let category: ProductCategorie = c.code(
                Leaf(&field, "product_category"),
                &l.product_category,
                "ProductCategorie",
            );
            let code = c.required(Leaf(&field, "product_code"), &l.product_code);
            let period_start = c.date(Leaf(&field, "period_start"), &l.period_start);
            let contract = requested_contract(c, field, l).or_else(|| {
                if tariffs.is_empty() {
                    return None;
                }
                tariffs
                    .lookup(&municipality, law, category, &code, period_start)
                    .map(|t| t.contract)
            });
            if let Some(k) = contract {
                c.contracts.insert((ci, li), k);
            }
            // A contract that cannot price this unit is reported by TR418 on the model.
            let priced = contract.and_then(|k| k.price(unit, l.delivered_volume).ok());
            if contract.is_some_and(|k| {
                k.price(unit, l.delivered_volume) == Err(money::PriceError::TooLarge)
            }) {
                c.bad(
                    Leaf(&field, "amount_cents"),
                    "XSD-maxInclusive",
                    "delivered_volume × the contract tariff exceeds the largest amount \
                     (99 999 999 cents)",
                );
            }
            let tariff = l
                .tariff_cents
                .or_else(|| (unit != Eenheid::Euro).then_some(priced?.tariff_cents));
            let amount = match (l.amount_cents, priced, tariff) {
                (Some(a), _, _) => a,
                (None, Some(p), _) => p.amount_cents,
                (None, None, Some(_)) if unit == Eenheid::Minuut => {
                    c.bad(
                        Leaf(&field, "amount_cents"),
                        "XSD-required",
                        "is required for a minute line without a known contract tariff: \
                         under an hourly contract the amount is the hourly tariff × minutes / \
                         60, not minutes × the rounded minute tariff (IV081); give \
                         amount_cents, or contract_tariff_cents with contract_tariff_unit, or \
                         configure the tariff table",
                    );
                    0
                }
                (None, None, Some(t)) => match money::amount(l.delivered_volume, t) {
                    Some(a) => a,
                    None => {
                        c.bad(
                            Leaf(&field, "amount_cents"),
                            "XSD-maxInclusive",
                            "delivered_volume × tariff_cents exceeds the largest amount \
                             (99 999 999 cents)",
                        );
                        0
                    }
                },
                (None, None, None) => {
                    c.bad(
                        Leaf(&field, "amount_cents"),
                        "XSD-required",
                        "is required when tariff_cents is absent and no contract tariff is \
                         known",
                    );
                    0
                }
            };
            prestaties.push(Prestatie {
                product_referentie: ProductReferentie {
                    referentie_nummer: ReferentieNummer(
                        c.required(Leaf(&field, "reference_number"), &l.reference_number),
                    ),
                    vorig_referentie_nummer: opt(&l.previous_reference_number),
                },
                toewijzing_nummer: Nummer(l.allocation_number),
                product_categorie: category,
                product_code: ProductCode(code),
                product_periode: GeslotenPeriode {
                    begindatum: period_start,
                    einddatum: c.date(Leaf(&field, "period_end"), &l.period_end),
                },
                geleverd_volume: Volume(l.delivered_volume),
                eenheid: unit,
                product_tarief: tariff.map(Bedrag),
                ingediend_bedrag: BedragMetDc {
                    bedrag: Bedrag(amount),
                    debet_credit: if l.credit {
                        DebetCredit::Credit
                    } else {
                        DebetCredit::Debet
                    },
                },
                retour_codes: vec![],
            });
        }
        clienten.push(DeclaratieClient {
            bsn: Bsn(c.required(Leaf(&client_field, "bsn"), &client.bsn)),
            prestaties,
            retour_codes: vec![],
        });
    }
    let body = Declaratie {
        declaratie_nummer: DeclaratieNummer(number),
        declaratie_periode: GeslotenPeriode {
            begindatum: begin,
            einddatum: end,
        },
        declaratie_dagtekening: dagtekening,
        totaal_ingediend_bedrag: total(&clienten),
        clienten,
    };
    Message {
        law,
        content: Content::Declaration(Heen { header, body }),
    }
}

/// TotaalIngediendBedrag of the clients' lines: Σ debit − Σ credit (TR358).
pub(crate) fn total(clienten: &[DeclaratieClient]) -> TotaalBedragMetDc {
    let (amount, sign) = money::total(clienten.iter().flat_map(|c| {
        c.prestaties
            .iter()
            .map(|p| (p.ingediend_bedrag.bedrag.0, p.ingediend_bedrag.debet_credit))
    }));
    TotaalBedragMetDc {
        totaal_bedrag: TotaalBedrag(amount),
        debet_credit: sign,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_chrono_reads_the_iso_form() {
        for year in [0, 1, 1900, 2000, 2024, 2025, 9999] {
            for month in 0..=13 {
                for day in 0..=32 {
                    let text = format!("{year:04}-{month:02}-{day:02}");
                    let chrono = NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok();
                    assert_eq!(parse_iso_date(&text), chrono, "{text}");
                }
            }
        }
        for text in [
            "",
            "2025-1-01",
            "2025-01-1",
            "25-01-01",
            "2025/01/01",
            " 2025-01-01",
            "2025-01-01 ",
            "+2025-01-01",
            "2025-0a-01",
            "２０２５-01-01",
            "2025-01-01T00",
        ] {
            assert_eq!(parse_iso_date(text), None, "{text:?}");
        }
    }

    #[test]
    fn paths_name_the_proto_fields() {
        let client = Item::new("clients", 1);
        let line = Item::new("lines", 2).under(&client);
        assert_eq!(Leaf(&line, "unit").to_string(), "clients[1].lines[2].unit");
        assert_eq!(Leaf(&client, "bsn").to_string(), "clients[1].bsn");
        let product = Item::new("products", 0);
        let nested = Leaf(&product, "extent");
        assert_eq!(Leaf(&nested, "unit").to_string(), "products[0].extent.unit");
    }
}
