//! [`repair`]: turns a random schema-valid message into one that also passes the in-message
//! rules ([`crate::rules::check`]), changing as little as it can: BSN check digits, dates
//! against the message date, conditional fields, periods, totals, duplicate keys.
//!
//! It serves tests that need realistic valid messages (the CLI tests, the property that
//! rule-valid messages are XSD-valid). It is not a validator: callers check the result with
//! [`crate::rules::check`] and [`crate::Message::validate`], and may find a case it misses.

use std::collections::HashSet;

use chrono::{Datelike, Days, Months, NaiveDate};

use crate::codes::*;
use crate::law::Law;
use crate::message::{Content, DeclarationAnswer, Message};
use crate::model::allocation::{AllocationClient, Contact};
use crate::model::answer::{Antwoord, Woonplaatsbeginsel};
use crate::model::basis::*;
use crate::model::care::{CareStartClient, CareStopClient};
use crate::model::change::{ChangeRequestClient, TeWijzigenProduct};
use crate::model::declaration::{Declaratie, DeclaratieClient, Prestatie};
use crate::model::request::RequestClient;
use crate::rules::bsn_valid;
use crate::types::*;

/// Makes `message` pass the in-message rules where random generation broke them. Retours
/// are left alone (no in-message rule applies to them).
pub fn repair(message: &mut Message) {
    let law = message.law;
    match &mut message.content {
        Content::Allocation(m) => {
            let d = message_date(&mut m.header.bericht_identificatie.dagtekening);
            allocation(law, &mut m.body, d);
        }
        Content::CareStart(m) => {
            let d = message_date(&mut m.header.bericht_identificatie.dagtekening);
            care_start(&mut m.body, d);
        }
        Content::CareStop(m) => {
            let d = message_date(&mut m.header.bericht_identificatie.dagtekening);
            care_stop(&mut m.body, d);
        }
        Content::RequestForAllocation(m) => {
            let d = message_date(&mut m.header.bericht_identificatie.dagtekening);
            request(law, &mut m.body, d);
        }
        Content::ChangeRequest(m) => {
            let d = message_date(&mut m.header.bericht_identificatie.dagtekening);
            change(law, &mut m.body, d);
        }
        Content::Answer(m) => answer(law, &mut m.body),
        Content::Declaration(m) => {
            let d = message_date(&mut m.header.bericht_identificatie.dagtekening);
            declaration(&mut m.body, d);
        }
        Content::DeclarationAnswer(m) => declaration_answer(m),
        Content::AllocationRetour(_)
        | Content::CareStartRetour(_)
        | Content::CareStopRetour(_)
        | Content::RequestForAllocationRetour(_)
        | Content::ChangeRequestRetour(_)
        | Content::AnswerRetour(_) => {}
    }
}

// === dates and numbers ===

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn plus(d: NaiveDate, days: u64) -> NaiveDate {
    d.checked_add_days(Days::new(days)).unwrap_or(d)
}

fn minus(d: NaiveDate, days: u64) -> NaiveDate {
    d.checked_sub_days(Days::new(days)).unwrap_or(d)
}

/// Keeps the message date random but between February 2021 and January 2025, so that claim
/// months (the month before the message date) are after 2020 (CS100), birth dates fit in 120
/// years (TR002), and the message is not dated in the future.
fn message_date(dagtekening: &mut NaiveDate) -> NaiveDate {
    let offset = dagtekening.num_days_from_ce().rem_euclid(4 * 365) as u64;
    *dagtekening = plus(ymd(2021, 2, 1), offset);
    *dagtekening
}

/// CS002: replaces the check digit (and, when no digit works, the eighth digit).
fn bsn(b: &mut Bsn) {
    let mut digits: Vec<u8> =
        b.0.bytes()
            .filter(u8::is_ascii_digit)
            .map(|c| c - b'0')
            .collect();
    digits.resize(9, 1);
    if digits[..8].iter().all(|&d| d == 0) {
        digits[0] = 1;
    }
    for _ in 0..10 {
        let sum: u32 = (0..8).map(|i| (9 - i as u32) * u32::from(digits[i])).sum();
        let check = sum % 11;
        if check < 10 {
            digits[8] = check as u8;
            break;
        }
        digits[7] = (digits[7] + 1) % 10;
    }
    b.0 = digits.iter().map(|d| char::from(b'0' + d)).collect();
    debug_assert!(bsn_valid(&b.0));
}

/// TR002, TR134, CS139: a birth date within 119 years before `d`, written as DatumGebruik
/// says.
fn birth(g: &mut Geboortedatum, d: NaiveDate) {
    let oldest = minus(d, 119 * 365);
    if g.datum > d || g.datum < oldest {
        let span = (d - oldest).num_days().max(1) as u64;
        let offset = g.datum.num_days_from_ce().rem_euclid(span as i32) as u64;
        g.datum = plus(oldest, offset);
    }
    g.datum = match g.datum_gebruik {
        None => g.datum,
        Some(DatumGebruik::DagOnbekend) => ymd(g.datum.year(), g.datum.month(), 1),
        Some(DatumGebruik::DagEnMaandOnbekend) => ymd(g.datum.year(), 1, 1),
        Some(DatumGebruik::Onbekend) => ymd(1900, 1, 1),
    };
}

/// Renames later duplicates of `key` with `rename(index)`.
fn unique<T, K: Eq + std::hash::Hash>(
    items: &mut [T],
    key: impl Fn(&T) -> K,
    rename: impl Fn(&mut T, usize),
) {
    let mut seen = HashSet::new();
    for (i, item) in items.iter_mut().enumerate() {
        if !seen.insert(key(item)) {
            rename(item, i);
            seen.insert(key(item));
        }
    }
}

fn category(law: Law) -> ProductCategorie {
    match law {
        Law::Ijw => ProductCategorie::C45,
        Law::Iwmo => ProductCategorie::C01,
    }
}

// === product lines ===

/// The fields of a product line (301, 315, 317) the rules relate.
struct Line<'a> {
    /// `None` for a TeWijzigenProduct, which has no Product element.
    product: Option<&'a mut Option<Product>>,
    start: &'a mut NaiveDate,
    end: &'a mut Option<NaiveDate>,
    omvang: &'a mut Option<Omvang>,
    budget: &'a mut Option<Budget>,
}

fn recent(end: Option<NaiveDate>) -> bool {
    end.is_none_or(|e| e > ymd(2020, 12, 31))
}

/// CS003, CD041, CD075–CD080, CD095, CD096, CS338, CS343.
fn line(law: Law, l: Line<'_>) {
    if l.end.is_some_and(|e| e < *l.start) {
        *l.end = Some(*l.start);
    }
    let was_recent = recent(*l.end);
    if l.budget.is_some() {
        *l.omvang = None;
        if let Some(Some(p)) = l.product {
            p.code = None;
        }
        if l.end.is_none() {
            *l.end = Some(plus(*l.start, 364));
        }
    } else if let Some(product) = l.product {
        let p = product.get_or_insert_with(|| Product {
            categorie: category(law),
            code: None,
        });
        if p.code.is_some() && l.omvang.is_none() {
            *l.omvang = Some(Omvang {
                volume: Volume(1),
                eenheid: Eenheid::Uur,
                frequentie: Frequentie::PerMaand,
            });
        }
        if p.code.is_none() && was_recent {
            *l.omvang = None;
        }
    }
    if let Some(o) = l.omvang.as_mut() {
        if o.frequentie == Frequentie::PerWeek && l.end.is_none() {
            *l.end = Some(plus(*l.start, 364));
        }
        let per_period = matches!(
            o.eenheid,
            Eenheid::Etmaal | Eenheid::Dagdeel | Eenheid::Euro | Eenheid::StuksInspanning
        );
        if per_period && o.frequentie == Frequentie::PerDag && recent(*l.end) {
            o.frequentie = Frequentie::PerMaand;
        }
    }
}

/// TR302, TR386, TR410: gives the lines of a list periods of a year that do not overlap.
fn disjoint<'a>(
    periods: impl Iterator<Item = (&'a mut NaiveDate, &'a mut Option<NaiveDate>)>,
    from: NaiveDate,
) {
    for (k, (start, end)) in periods.enumerate() {
        *start = plus(from, 400 * k as u64);
        *end = Some(plus(*start, 364));
    }
}

// === 301 ===

fn allocation(law: Law, c: &mut AllocationClient, d: NaiveDate) {
    bsn(&mut c.bsn);
    birth(&mut c.geboortedatum, d);
    full_name(&mut c.naam, false);
    if let Some(com) = &mut c.communicatie {
        if com.vorm == Communicatievorm::Tolk {
            com.taal.get_or_insert_with(|| "Pools".into());
        } else {
            com.taal = None;
        }
    }
    unique(
        &mut c.relaties,
        |r| r.nummer.clone(),
        |r, i| r.nummer = format!("REL{i}").into(),
    );
    for r in &mut c.relaties {
        if let Some(g) = &mut r.geboortedatum {
            birth(g, d);
        }
        full_name(&mut r.naam, true);
        contact(&mut r.contact);
    }
    // TR061 then TR101: one contact of kind 01, 02 or 03, each kind once.
    if !c
        .contactgegevens
        .iter()
        .any(|k| matches!(k.soort, AdresSoort::A01 | AdresSoort::A02 | AdresSoort::A03))
    {
        if let Some(first) = c.contactgegevens.first_mut() {
            first.soort = AdresSoort::A02;
        }
    }
    let mut kinds = HashSet::new();
    c.contactgegevens.retain(|k| kinds.insert(k.soort));
    for k in &mut c.contactgegevens {
        contact(k);
    }
    let products = &mut c.toegewezen_producten;
    unique(
        products,
        |p| p.toewijzing_nummer,
        |p, i| p.toewijzing_nummer = Nummer(900_000_000 + i as u64),
    );
    if products.len() > 1 {
        disjoint(
            products
                .iter_mut()
                .map(|p| (&mut p.ingangsdatum, &mut p.einddatum)),
            ymd(2021, 1, 1),
        );
    }
    for p in products.iter_mut() {
        match p.reden_wijziging {
            Some(RedenWijziging::R01) => p.reden_wijziging = None,
            Some(RedenWijziging::R13) => p.einddatum = Some(p.ingangsdatum),
            _ => {}
        }
        line(
            law,
            Line {
                product: Some(&mut p.product),
                start: &mut p.ingangsdatum,
                end: &mut p.einddatum,
                omvang: &mut p.omvang,
                budget: &mut p.budget,
            },
        );
        // A budget may have moved the end: keep CS335.
        if p.reden_wijziging == Some(RedenWijziging::R13) && p.einddatum != Some(p.ingangsdatum) {
            p.reden_wijziging = None;
        }
    }
}

/// CS050 (and CS318 for the client).
fn full_name(n: &mut VolledigeNaam, may_be_organisation: bool) {
    let ok = if n.partnernaam.is_some() {
        matches!(
            n.naam_gebruik,
            NaamGebruik::N1 | NaamGebruik::N2 | NaamGebruik::N3 | NaamGebruik::N4
        )
    } else {
        n.naam_gebruik == NaamGebruik::N1
            || (may_be_organisation && n.naam_gebruik == NaamGebruik::N6)
    };
    if !ok {
        n.naam_gebruik = NaamGebruik::N1;
    }
}

/// CD005, CD009, CD025, CD034, CS003, CS089, TR006.
fn contact(k: &mut Contact) {
    if k.soort != AdresSoort::A04 {
        k.periode = None;
    }
    if let Some(OpenPeriode {
        begindatum: Some(begin),
        einddatum: Some(end),
    }) = &mut k.periode
    {
        if *end < *begin {
            *end = *begin;
        }
    }
    let needs_postcode = matches!(k.soort, AdresSoort::A01 | AdresSoort::A03);
    if needs_postcode && k.adres.is_none() {
        k.adres = Some(Adres {
            huis: None,
            postcode: None,
            straatnaam: None,
            plaatsnaam: None,
            land_code: None,
        });
    }
    if let Some(a) = &mut k.adres {
        let dutch = a.land_code == Some(LandCode::Nl)
            || (a.land_code.is_none() && (a.postcode.is_some() || needs_postcode));
        if dutch {
            a.land_code = Some(LandCode::Nl);
            a.postcode = Some("6511AB".into());
            a.huis.get_or_insert(Huis {
                huisnummer: Huisnummer(12),
                huisletter: None,
                huisnummer_toevoeging: None,
                aanduiding_woonadres: None,
            });
        } else if a.land_code.is_some() {
            a.postcode.get_or_insert_with(|| "1000".into());
        }
    }
    let house = k
        .adres
        .as_ref()
        .is_some_and(|a| a.huis.is_some() && a.postcode.is_some());
    if k.telefoon.is_none() && !house {
        k.telefoon = Some(Telefoonnummers {
            telefoon01: Telefoon {
                telefoonnummer: "0243000000".into(),
                landnummer: "0031".into(),
            },
            telefoon02: None,
        });
    }
}

// === 305, 307 ===

fn care_start(c: &mut CareStartClient, d: NaiveDate) {
    bsn(&mut c.bsn);
    birth(&mut c.geboortedatum, d);
    for (i, p) in c.start_producten.iter_mut().enumerate() {
        p.begindatum = minus(d, i as u64);
        p.status_aanlevering = status(p.status_aanlevering);
    }
}

fn care_stop(c: &mut CareStopClient, d: NaiveDate) {
    bsn(&mut c.bsn);
    birth(&mut c.geboortedatum, d);
    for (i, p) in c.stop_producten.iter_mut().enumerate() {
        p.einddatum = minus(d, i as u64);
        if p.begindatum > p.einddatum {
            p.begindatum = p.einddatum;
        }
        p.status_aanlevering = status(p.status_aanlevering);
    }
}

/// CS058: 1 or 3.
fn status(s: StatusAanlevering) -> StatusAanlevering {
    match s {
        StatusAanlevering::Verwijderen => s,
        _ => StatusAanlevering::EersteAanlevering,
    }
}

// === 315, 317, 319 ===

fn request(law: Law, c: &mut RequestClient, d: NaiveDate) {
    bsn(&mut c.bsn);
    birth(&mut c.geboortedatum, d);
    let products = &mut c.aangevraagde_producten;
    unique(
        products,
        |p| p.referentie_aanbieder.clone(),
        |p, i| p.referentie_aanbieder = format!("REF{i}").into(),
    );
    if products.len() > 1 {
        disjoint(
            products
                .iter_mut()
                .map(|p| (&mut p.toewijzing_ingangsdatum, &mut p.toewijzing_einddatum)),
            ymd(2021, 1, 1),
        );
    }
    for p in products.iter_mut() {
        if p.beschikking_nummer.is_some() {
            p.beschikking_ingangsdatum
                .get_or_insert(p.toewijzing_ingangsdatum);
        } else {
            p.beschikking_ingangsdatum = None;
        }
        let v = &mut p.verwijzer;
        let medical = matches!(
            v.type_,
            TypeVerwijzer::T02 | TypeVerwijzer::T03 | TypeVerwijzer::T04 | TypeVerwijzer::T05
        );
        if !medical {
            v.zorgverlener_code = None;
        } else if v.zorgverlener_code.is_some() {
            v.naam = None;
        } else {
            v.naam.get_or_insert_with(|| "Huisarts".into());
        }
        line(
            law,
            Line {
                product: Some(&mut p.product),
                start: &mut p.toewijzing_ingangsdatum,
                end: &mut p.toewijzing_einddatum,
                omvang: &mut p.omvang,
                budget: &mut p.budget,
            },
        );
    }
}

fn change(law: Law, c: &mut ChangeRequestClient, d: NaiveDate) {
    bsn(&mut c.bsn);
    let v = &mut c.verzoek;
    // TR352 and TR353: something to change.
    if v.te_wijzigen_producten.is_empty()
        && (v.ongewijzigde_producten.is_empty() || v.nieuwe_producten.is_empty())
    {
        v.te_wijzigen_producten.push(TeWijzigenProduct {
            toewijzing_nummer: Nummer(1),
            gewenste_ingangsdatum: plus(d, 1),
            einddatum: None,
            omvang: None,
            budget: None,
            retour_codes: vec![],
        });
    }
    unique(
        &mut v.ongewijzigde_producten,
        |p| p.toewijzing_nummer,
        |p, i| p.toewijzing_nummer = Nummer(800_000_000 + i as u64),
    );
    unique(
        &mut v.te_wijzigen_producten,
        |p| p.toewijzing_nummer,
        |p, i| p.toewijzing_nummer = Nummer(900_000_000 + i as u64),
    );
    for (i, p) in v.te_wijzigen_producten.iter_mut().enumerate() {
        if p.gewenste_ingangsdatum <= d {
            p.gewenste_ingangsdatum = plus(d, 1 + i as u64);
        }
        line(
            law,
            Line {
                product: None,
                start: &mut p.gewenste_ingangsdatum,
                end: &mut p.einddatum,
                omvang: &mut p.omvang,
                budget: &mut p.budget,
            },
        );
    }
    let new = &mut v.nieuwe_producten;
    if new.len() > 1 {
        disjoint(
            new.iter_mut()
                .map(|p| (&mut p.gewenste_ingangsdatum, &mut p.einddatum)),
            plus(d, 1),
        );
    }
    for p in new.iter_mut() {
        line(
            law,
            Line {
                product: Some(&mut p.product),
                start: &mut p.gewenste_ingangsdatum,
                end: &mut p.einddatum,
                omvang: &mut p.omvang,
                budget: &mut p.budget,
            },
        );
    }
}

/// CD085, CD086, TR377, TR409.
fn answer(law: Law, a: &mut Antwoord) {
    match a.verzoek_antwoord {
        VerzoekAntwoord::Afgewezen => {
            a.reden_afwijzing_verzoek
                .get_or_insert(RedenAfwijzingVerzoek::R1);
        }
        VerzoekAntwoord::InOnderzoek => a.reden_afwijzing_verzoek = None,
    }
    if law == Law::Ijw {
        if a.reden_afwijzing_verzoek == Some(RedenAfwijzingVerzoek::R8) {
            a.woonplaatsbeginsel
                .get_or_insert_with(|| Woonplaatsbeginsel {
                    gemeente: "0268".into(),
                    retour_codes: vec![],
                });
        } else {
            a.woonplaatsbeginsel = None;
        }
    }
}

// === 323, 325 ===

/// The claim month: the calendar month before `d`.
fn claim_month(d: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = ymd(d.year(), d.month(), 1);
    let begin = first.checked_sub_months(Months::new(1)).unwrap_or(first);
    (begin, minus(first, 1))
}

fn signed(amount: u64, dc: DebetCredit) -> i128 {
    match dc {
        DebetCredit::Debet => i128::from(amount),
        DebetCredit::Credit => -i128::from(amount),
    }
}

fn total_of(net: i128) -> TotaalBedragMetDc {
    TotaalBedragMetDc {
        totaal_bedrag: TotaalBedrag(u64::try_from(net.unsigned_abs()).unwrap_or(u64::MAX)),
        debet_credit: if net < 0 {
            DebetCredit::Credit
        } else {
            DebetCredit::Debet
        },
    }
}

/// The rules of a claimed line in a 323 or 325: CS325, CD060, CD087, CS339, and the product
/// period inside the claim month (CS100, CS337, TR137, TR335).
fn claimed_line(p: &mut Prestatie, month: (NaiveDate, NaiveDate), label: &str) {
    let days = (month.1 - month.0).num_days().max(0) as u64;
    let offset = p
        .product_periode
        .begindatum
        .num_days_from_ce()
        .rem_euclid(days as i32 + 1) as u64;
    p.product_periode = GeslotenPeriode {
        begindatum: plus(month.0, offset),
        einddatum: month.1,
    };
    if p.eenheid == Eenheid::Euro {
        p.product_tarief = None;
        p.geleverd_volume = Volume(p.ingediend_bedrag.bedrag.0);
    } else {
        // TR346 without a tariff table: IngediendBedrag = GeleverdVolume × ProductTarief
        // (for minutes too: a per-minute contract), kept under the LDT_Bedrag maximum.
        let tariff = p.product_tarief.get_or_insert(Bedrag(100)).0;
        let volume = p.geleverd_volume.0;
        let amount = match crate::money::amount(volume, tariff) {
            Some(a) => a,
            None => {
                let fitting = Bedrag::MAX / tariff.max(1);
                p.geleverd_volume = Volume(volume.min(fitting));
                p.geleverd_volume.0 * tariff
            }
        };
        p.ingediend_bedrag.bedrag = Bedrag(amount);
    }
    if p.ingediend_bedrag.bedrag.0 == 0 {
        p.ingediend_bedrag.debet_credit = DebetCredit::Debet;
    }
    if p.ingediend_bedrag.debet_credit == DebetCredit::Credit {
        p.product_referentie.vorig_referentie_nummer = Some(format!("V{label}").into());
    } else {
        p.product_referentie.vorig_referentie_nummer = None;
    }
}

/// TR101 on the clients (Bsn) and on each client's lines (ProductReferentie).
fn unique_clients(clients: &mut [DeclaratieClient]) {
    for c in clients.iter_mut() {
        bsn(&mut c.bsn);
    }
    let mut seen = HashSet::new();
    for c in clients.iter_mut() {
        while !seen.insert(c.bsn.0.clone()) {
            // Another valid BSN: change the first digit and recompute the check digit.
            let mut digits = c.bsn.0.clone().into_bytes();
            digits[0] = b'0' + (digits[0] - b'0' + 1) % 10;
            c.bsn.0 = String::from_utf8_lossy(&digits).into_owned();
            bsn(&mut c.bsn);
        }
    }
    for (ci, c) in clients.iter_mut().enumerate() {
        unique(
            &mut c.prestaties,
            |p| p.product_referentie.referentie_nummer.clone(),
            |p, pi| p.product_referentie.referentie_nummer = format!("R{ci}x{pi}").into(),
        );
    }
}

fn declaration(m: &mut Declaratie, d: NaiveDate) {
    let month = claim_month(d);
    m.declaratie_periode = GeslotenPeriode {
        begindatum: month.0,
        einddatum: month.1,
    };
    m.declaratie_dagtekening = d;
    unique_clients(&mut m.clienten);
    let mut debit_lines = HashSet::new();
    let mut net: i128 = 0;
    for (ci, c) in m.clienten.iter_mut().enumerate() {
        for (pi, p) in c.prestaties.iter_mut().enumerate() {
            claimed_line(p, month, &format!("{ci}x{pi}"));
            // TR416: one debit line per allocation, product and period.
            if p.ingediend_bedrag.debet_credit == DebetCredit::Debet {
                while !debit_lines.insert((
                    p.toewijzing_nummer,
                    p.product_categorie,
                    p.product_code.clone(),
                    p.product_periode.begindatum,
                )) {
                    p.toewijzing_nummer = Nummer((p.toewijzing_nummer.0 + 1) % Nummer::MAX);
                }
            }
            net += signed(p.ingediend_bedrag.bedrag.0, p.ingediend_bedrag.debet_credit);
        }
    }
    // TR316: no credit line undoes a debit line of this claim.
    let previous: HashSet<String> = m
        .clienten
        .iter()
        .flat_map(|c| &c.prestaties)
        .filter_map(|p| p.product_referentie.vorig_referentie_nummer.clone())
        .map(|v| v.0)
        .collect();
    for c in &mut m.clienten {
        for p in &mut c.prestaties {
            if previous.contains(&p.product_referentie.referentie_nummer.0) {
                p.product_referentie.referentie_nummer.0.insert(0, 'D');
                p.product_referentie.referentie_nummer.0.truncate(20);
            }
        }
    }
    // TR358, CS325.
    m.totaal_ingediend_bedrag = total_of(net);
}

/// Codes that do not reject (see TR342).
fn rejects(codes: &[RetourCode]) -> bool {
    codes
        .iter()
        .any(|c| !matches!(c, RetourCode::R0200 | RetourCode::R8001))
}

fn declaration_answer(m: &mut DeclarationAnswer) {
    let d = message_date(&mut m.header.heen.bericht_identificatie.dagtekening);
    let claimed_on = &mut m.header.declaratie_identificatie.dagtekening;
    if *claimed_on > d {
        *claimed_on = d;
    }
    let Some(a) = &mut m.body else {
        return;
    };
    if rejects(&a.retour_codes) {
        // TR342: a rejected claim answer grants nothing and lists nothing.
        a.clienten.clear();
        a.totaal_toegekend_bedrag = total_of(0);
        a.totaal_ingediend_bedrag = total_of(signed(
            a.totaal_ingediend_bedrag.totaal_bedrag.0,
            a.totaal_ingediend_bedrag.debet_credit,
        ));
        return;
    }
    let month = claim_month(d);
    unique_clients(&mut a.clienten);
    let mut listed: i128 = 0;
    for (ci, c) in a.clienten.iter_mut().enumerate() {
        let client_rejected = rejects(&c.retour_codes);
        for (pi, p) in c.prestaties.iter_mut().enumerate() {
            claimed_line(p, month, &format!("{ci}x{pi}"));
            if !client_rejected && !rejects(&p.retour_codes) {
                p.retour_codes = vec![RetourCode::R9338];
            }
            listed += signed(p.ingediend_bedrag.bedrag.0, p.ingediend_bedrag.debet_credit);
        }
    }
    // TR342: claimed − granted is what the listed lines add up to; CS325 on both totals.
    // Room below the largest TotaalBedrag for the listed lines.
    let granted = signed(
        a.totaal_toegekend_bedrag.totaal_bedrag.0,
        a.totaal_toegekend_bedrag.debet_credit,
    )
    .clamp(-100_000_000_000, 100_000_000_000);
    a.totaal_toegekend_bedrag = total_of(granted);
    a.totaal_ingediend_bedrag = total_of(granted + listed);
}
