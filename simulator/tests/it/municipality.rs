//! The simulated municipality checks like a real one: the cross-message rules and TR135 on
//! 305/307/315/317 (IV028 retours with class codes), the amounts of a 323 against the
//! scenario's tariff table (TR346 9346, TR418 0611), a 319 "aanvraag in onderzoek", the
//! configured refusal reason, and a 317 on an allocation with a total over its period
//! (IV093, TR373). Every answer is checked against the official XSD with xmllint.
//!
//! Expected codes come from the rule texts: TR019 → 9019 ("Het regiebericht kan niet
//! gekoppeld worden aan een toewijzing"), TR135 → 8848 ("Dagtekening moet gelijk zijn aan of
//! voor de systeemdatum liggen"), TR346 → 9346, TR418 → 0611, TR349 → 9349, TR373 → 9373;
//! IV028 for the structure (the broken class gets the rule's code, every other class 0200,
//! the header 0200; a header rule: only the header with its code). Amounts: IV081 (€87,24 an
//! hour, 240 minutes → 145 shown, 34896 claimed; 960 minutes → 139584).

use crate::common;

use chrono::NaiveDate;
use common::*;
use ketenpoort_messages::codes::*;
use ketenpoort_messages::model::basis::*;
use ketenpoort_messages::model::care::{CareStartClient, StartProduct};
use ketenpoort_messages::model::change::{ChangeRequestClient, TeWijzigenProduct, Verzoek};
use ketenpoort_messages::model::declaration::{Declaratie, DeclaratieClient, Prestatie};
use ketenpoort_messages::model::header::Header;
use ketenpoort_messages::tariff::{TariffConfig, TariffRow};
use ketenpoort_messages::types::*;
use ketenpoort_messages::{Content, Heen, Law, Message};
use ketenpoort_sim::Scenario;
use serde_json::Value;
use uuid::Uuid;

const BSN: &str = "123456782";
const DAY: u64 = 24 * 3600;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

fn header(identificatie: &str, dagtekening: NaiveDate) -> Header {
    Header {
        afzender: PROVIDER.into(),
        ontvanger: GEMEENTE.into(),
        bericht_identificatie: BerichtIdentificatie {
            identificatie: identificatie.into(),
            dagtekening,
        },
        xsd_versie: XsdVersie {
            basisschema_xsd_versie: "1.0.0".into(),
            bericht_xsd_versie: "1.0.0".into(),
        },
    }
}

fn naam() -> VerkorteNaam {
    VerkorteNaam {
        geslachtsnaam: Achternaam {
            achternaam: "Jansen".into(),
            voorvoegsel: None,
        },
        voornamen: None,
        voorletters: Some("A".into()),
    }
}

/// A 305 for allocation `nummer` (45A48 from 1 May 2025), care started `begin`.
fn care_start(
    identificatie: &str,
    dagtekening: NaiveDate,
    nummer: u64,
    begin: NaiveDate,
) -> Message {
    Message {
        law: Law::Ijw,
        content: Content::CareStart(Heen {
            header: header(identificatie, dagtekening),
            body: CareStartClient {
                bsn: BSN.into(),
                geboortedatum: Geboortedatum {
                    datum: d(2012, 5, 17),
                    datum_gebruik: None,
                },
                geslacht: Geslacht::Vrouw,
                naam: naam(),
                start_producten: vec![StartProduct {
                    toewijzing_nummer: Some(Nummer(nummer)),
                    product: Some(Product {
                        categorie: ProductCategorie::C45,
                        code: Some("45A48".into()),
                    }),
                    toewijzing_ingangsdatum: Some(d(2025, 5, 1)),
                    begindatum: begin,
                    status_aanlevering: StatusAanlevering::from_code("1").expect("1"),
                    retour_codes: vec![],
                }],
                retour_codes: vec![],
            },
        }),
    }
}

/// A 323 of one line of `minutes` minutes at ProductTarief `tariff` claiming `amount`.
fn claim(
    identificatie: &str,
    nummer: &str,
    allocation: u64,
    month: (NaiveDate, NaiveDate),
    minutes: u64,
    tariff: u64,
    amount: u64,
) -> Message {
    Message {
        law: Law::Ijw,
        content: Content::Declaration(Heen {
            header: header(identificatie, d(2025, 7, 2)),
            body: Declaratie {
                declaratie_nummer: nummer.into(),
                declaratie_periode: GeslotenPeriode {
                    begindatum: month.0,
                    einddatum: month.1,
                },
                declaratie_dagtekening: d(2025, 7, 2),
                totaal_ingediend_bedrag: TotaalBedragMetDc {
                    totaal_bedrag: TotaalBedrag(amount),
                    debet_credit: DebetCredit::Debet,
                },
                clienten: vec![DeclaratieClient {
                    bsn: BSN.into(),
                    prestaties: vec![Prestatie {
                        product_referentie: ProductReferentie {
                            referentie_nummer: format!("{nummer}-1").as_str().into(),
                            vorig_referentie_nummer: None,
                        },
                        toewijzing_nummer: Nummer(allocation),
                        product_categorie: ProductCategorie::C45,
                        product_code: "45A48".into(),
                        product_periode: GeslotenPeriode {
                            begindatum: month.0,
                            einddatum: month.1,
                        },
                        geleverd_volume: Volume(minutes),
                        eenheid: Eenheid::Minuut,
                        product_tarief: Some(Bedrag(tariff)),
                        ingediend_bedrag: BedragMetDc {
                            bedrag: Bedrag(amount),
                            debet_credit: DebetCredit::Debet,
                        },
                        retour_codes: vec![],
                    }],
                    retour_codes: vec![],
                }],
            },
        }),
    }
}

/// Pushes `message` as PROVIDER to 0268.
async fn push(h: &Harness, message: &Message) -> Uuid {
    let traceer = Uuid::new_v4();
    let meta = metadata(
        PROVIDER,
        GEMEENTE,
        &message.kind().code(),
        traceer,
        Uuid::new_v4(),
    );
    let r = h.push(&h.client(PROVIDER), &meta, xml(message)).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap_or_default());
    traceer
}

/// What the provider pulled: the kind, the payload as sent and the message read from it.
struct Pulled {
    kind: String,
    payload: Vec<u8>,
    message: Message,
}

/// Pulls, downloads and confirms everything ready for PROVIDER; checks each payload against
/// its XSD.
async fn pull_all(h: &Harness, test: &str) -> Vec<Pulled> {
    let c = h.client(PROVIDER);
    let list: Vec<Value> = c
        .get(h.pull_url(""))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let mut out = Vec::new();
    for meta in list {
        let url = meta["basisgegevens"]["payload"]["url"]
            .as_str()
            .expect("url")
            .to_owned();
        let payload = c
            .get(&url)
            .send()
            .await
            .expect("payload")
            .bytes()
            .await
            .expect("bytes")
            .to_vec();
        let message = Message::from_xml(&payload).expect("a valid message");
        let kind = message.kind().code();
        assert_xsd_valid(test, &kind, &payload);
        let traceer = meta["referentiegegevens"]["traceerId"]
            .as_str()
            .expect("traceerId")
            .to_owned();
        let r = c
            .delete(h.pull_url(&format!("/{traceer}")))
            .send()
            .await
            .expect("delete");
        assert_eq!(r.status(), 202);
        out.push(Pulled {
            kind,
            payload,
            message,
        });
    }
    out.sort_by(|a, b| a.kind.cmp(&b.kind));
    out
}

fn kinds(pulled: &[Pulled]) -> Vec<&str> {
    pulled.iter().map(|p| p.kind.as_str()).collect()
}

/// A 315 (45A48, 4 uur per week, May–December 2025) answered with its 316 and 301; returns
/// the ToewijzingNummer.
async fn allocated(h: &Harness, test: &str) -> u64 {
    push(h, &request_315_model(PROVIDER, "VOT1", BSN)).await;
    h.advance(3 * DAY).await;
    let pulled = pull_all(h, test).await;
    assert_eq!(kinds(&pulled), ["JW301", "JW316"]);
    match &pulled[0].message.content {
        Content::Allocation(a) => a.body.toegewezen_producten[0].toewijzing_nummer.0,
        _ => panic!("a 301"),
    }
}

#[tokio::test]
async fn a_305_on_an_unknown_allocation_gets_9019_on_its_start_product() {
    let test = "a_305_on_an_unknown_allocation_gets_9019_on_its_start_product";
    let h = start().await;
    // Wednesday 2 April 2025: a 305 for allocation 999, which the municipality never made.
    push(&h, &care_start("START1", d(2025, 4, 2), 999, d(2025, 4, 1))).await;
    h.advance(DAY + 600).await;
    let pulled = pull_all(&h, test).await;
    assert_eq!(kinds(&pulled), ["JW306"]);
    let Content::CareStartRetour(r) = &pulled[0].message.content else {
        panic!("a 306");
    };
    assert_eq!(r.header.retour_codes, vec![RetourCode::R0200]);
    let body = r
        .body
        .as_ref()
        .expect("IV028: the client's classes taken over");
    assert_eq!(body.retour_codes, vec![RetourCode::R0200]);
    assert_eq!(
        body.start_producten[0].retour_codes,
        vec![RetourCode::R9019]
    );
    assert!(String::from_utf8_lossy(&pulled[0].payload).contains("9019</"));
}

#[tokio::test]
async fn a_message_dated_in_the_future_gets_8848_in_the_header() {
    let test = "a_message_dated_in_the_future_gets_8848_in_the_header";
    let h = start().await;
    let nummer = allocated(&h, test).await;
    // Saturday 5 April 2025; the 305 says Monday 7 April.
    push(
        &h,
        &care_start("START2", d(2025, 4, 7), nummer, d(2025, 4, 1)),
    )
    .await;
    h.advance(3 * DAY).await;
    let pulled = pull_all(&h, test).await;
    assert_eq!(kinds(&pulled), ["JW306"]);
    let Content::CareStartRetour(r) = &pulled[0].message.content else {
        panic!("a 306");
    };
    assert_eq!(r.header.retour_codes, vec![RetourCode::R8848]);
    assert!(r.body.is_none(), "a header rule: only the header (IV028)");
    // The same 305 dated today is accepted: a header without codes.
    push(
        &h,
        &care_start("START3", d(2025, 4, 5), nummer, d(2025, 4, 1)),
    )
    .await;
    h.advance(3 * DAY).await;
    let pulled = pull_all(&h, test).await;
    let Content::CareStartRetour(r) = &pulled[0].message.content else {
        panic!("a 306");
    };
    assert!(r.header.retour_codes.is_empty() && r.body.is_none());
}

fn tariff_scenario() -> Scenario {
    Scenario::default()
        .with_tariffs(TariffConfig {
            tariff: vec![TariffRow {
                gemeente: GEMEENTE.into(),
                wet: "ijw".into(),
                productcategorie: Some("45".into()),
                productcode: "45A48".into(),
                eenheid: "uur".into(),
                tarief_eurocent: Some(8724),
                ingangsdatum: Some("2025-01-01".into()),
                ..Default::default()
            }],
            ..Default::default()
        })
        .expect("a valid table")
}

/// The line codes and the DeclaratieAntwoord codes of the 325 in `pulled`.
fn verdict(pulled: &[Pulled]) -> (Vec<RetourCode>, Vec<Vec<RetourCode>>) {
    let Some(Content::DeclarationAnswer(a)) = pulled
        .iter()
        .find(|p| p.kind == "JW325")
        .map(|p| &p.message.content)
    else {
        panic!("a 325: {:?}", kinds(pulled));
    };
    let body = a.body.as_ref().expect("a DeclaratieAntwoord");
    let lines = body
        .clienten
        .iter()
        .flat_map(|c| &c.prestaties)
        .map(|p| p.retour_codes.clone())
        .collect();
    (body.retour_codes.clone(), lines)
}

#[tokio::test]
async fn claims_are_judged_against_the_scenarios_tariff_table() {
    let test = "claims_are_judged_against_the_scenarios_tariff_table";
    let h = start_with(tariff_scenario()).await;
    let nummer = allocated(&h, test).await;
    // To Wednesday 2 July 2025.
    h.advance(88 * DAY).await;
    let _ = pull_all(&h, test).await;
    let may = (d(2025, 5, 1), d(2025, 5, 31));
    let june = (d(2025, 6, 1), d(2025, 6, 30));
    let week = 8 * DAY;
    // May: 240 minutes at €87,24/h → ProductTarief 145, IngediendBedrag 34896: accepted.
    push(&h, &claim("D1", "D1", nummer, may, 240, 145, 34_896)).await;
    h.advance(week).await;
    assert_eq!(
        verdict(&pull_all(&h, test).await),
        (vec![RetourCode::R8001], vec![])
    );
    // June, 960 minutes at 145 claimed as 960 × 1,45 = 1392,00 instead of 1395,84: 9346.
    push(&h, &claim("D2", "D2", nummer, june, 960, 145, 139_200)).await;
    h.advance(week).await;
    assert_eq!(
        verdict(&pull_all(&h, test).await),
        (vec![RetourCode::R0200], vec![vec![RetourCode::R9346]])
    );
    // June again (a rejected line does not count, TR389): the hourly tariff as ProductTarief
    // of a minute line, as the old tutorial had it: 0611.
    push(&h, &claim("D3", "D3", nummer, june, 960, 8724, 139_584)).await;
    h.advance(week).await;
    assert_eq!(
        verdict(&pull_all(&h, test).await),
        (vec![RetourCode::R0200], vec![vec![RetourCode::R0611]])
    );
    // Corrected: 145 shown, 139584 claimed: accepted.
    push(&h, &claim("D4", "D4", nummer, june, 960, 145, 139_584)).await;
    h.advance(week).await;
    assert_eq!(
        verdict(&pull_all(&h, test).await),
        (vec![RetourCode::R8001], vec![])
    );
}

#[tokio::test]
async fn an_aanvraag_in_onderzoek_comes_before_the_decision() {
    let test = "an_aanvraag_in_onderzoek_comes_before_the_decision";
    let mut scenario = Scenario::default();
    scenario.gemeentebot.in_onderzoek = true;
    scenario.gemeentebot.onderzoek_werkdagen = 3;
    let h = start_with(scenario).await;
    // Wednesday 2 April: 316 on Thursday, the 319 "in onderzoek" on Friday 4 April (2
    // working days), the 301 three working days later, Wednesday 9 April.
    push(&h, &request_315_model(PROVIDER, "VOT1", BSN)).await;
    h.advance(2 * DAY + 3600).await;
    let pulled = pull_all(&h, test).await;
    assert_eq!(kinds(&pulled), ["JW316", "JW319"]);
    let Content::Answer(a) = &pulled[1].message.content else {
        panic!("a 319");
    };
    assert_eq!(a.body.verzoek_antwoord, VerzoekAntwoord::InOnderzoek);
    assert_eq!(a.body.reden_afwijzing_verzoek, None);
    assert_eq!(a.body.referentie_aanbieder.as_str(), "REF-1");
    h.advance(4 * DAY).await;
    assert!(
        pull_all(&h, test).await.is_empty(),
        "no decision before 3 working days"
    );
    h.advance(DAY).await;
    assert_eq!(kinds(&pull_all(&h, test).await), ["JW301"]);
}

#[tokio::test]
async fn a_refusal_carries_the_configured_reason() {
    let test = "a_refusal_carries_the_configured_reason";
    let mut scenario = Scenario::default();
    scenario.gemeentebot.weiger_verwijzertypen = vec!["02".into()];
    scenario.gemeentebot.reden_afwijzing = "8".into();
    scenario.gemeentebot.woonplaatsbeginsel = Some("1945".into());
    let h = start_with(scenario).await;
    push(&h, &request_315_model(PROVIDER, "VOT1", BSN)).await;
    h.advance(3 * DAY).await;
    let pulled = pull_all(&h, test).await;
    assert_eq!(kinds(&pulled), ["JW316", "JW319"]);
    let Content::Answer(a) = &pulled[1].message.content else {
        panic!("a 319");
    };
    assert_eq!(a.body.verzoek_antwoord, VerzoekAntwoord::Afgewezen);
    assert_eq!(
        a.body.reden_afwijzing_verzoek,
        Some(RedenAfwijzingVerzoek::R8)
    );
    assert_eq!(
        a.body
            .woonplaatsbeginsel
            .as_ref()
            .map(|w| w.gemeente.as_str()),
        Some("1945")
    );
}

/// A 317 for allocation `nummer` with a new total of `volume` uur over the allocation, from
/// `from`.
fn change_total(identificatie: &str, nummer: u64, from: NaiveDate, volume: u64) -> Message {
    Message {
        law: Law::Ijw,
        content: Content::ChangeRequest(Heen {
            header: header(identificatie, d(2025, 4, 5)),
            body: ChangeRequestClient {
                bsn: BSN.into(),
                verzoek: Verzoek {
                    referentie_aanbieder: identificatie.into(),
                    reden_verzoek: RedenVerzoek::WijzigingToewijzing,
                    ongewijzigde_producten: vec![],
                    te_wijzigen_producten: vec![TeWijzigenProduct {
                        toewijzing_nummer: Nummer(nummer),
                        gewenste_ingangsdatum: from,
                        einddatum: Some(d(2025, 12, 31)),
                        omvang: Some(Omvang {
                            volume: Volume(volume),
                            eenheid: Eenheid::Uur,
                            frequentie: Frequentie::Totaal,
                        }),
                        budget: None,
                        retour_codes: vec![],
                    }],
                    nieuwe_producten: vec![],
                    retour_codes: vec![],
                },
                retour_codes: vec![],
            },
        }),
    }
}

#[tokio::test]
async fn a_change_to_a_total_over_the_allocation_is_not_split() {
    let test = "a_change_to_a_total_over_the_allocation_is_not_split";
    let h = start().await;
    // Allocated: 40 uur in total over 1 May – 31 December 2025.
    let mut request = request_315_model(PROVIDER, "VOT1", BSN);
    if let Content::RequestForAllocation(r) = &mut request.content {
        r.body.aangevraagde_producten[0].omvang = Some(Omvang {
            volume: Volume(40),
            eenheid: Eenheid::Uur,
            frequentie: Frequentie::Totaal,
        });
    }
    push(&h, &request).await;
    h.advance(3 * DAY).await;
    let pulled = pull_all(&h, test).await;
    let nummer = match &pulled[0].message.content {
        Content::Allocation(a) => a.body.toegewezen_producten[0].toewijzing_nummer.0,
        _ => panic!("a 301 first: {:?}", kinds(&pulled)),
    };
    // From 1 June, later than the allocation starts: TR373 (a new total covers the whole
    // allocation) → 9373 on the TeWijzigenProduct, and no 301.
    push(&h, &change_total("VOW1", nummer, d(2025, 6, 1), 60)).await;
    h.advance(3 * DAY).await;
    let pulled = pull_all(&h, test).await;
    assert_eq!(kinds(&pulled), ["JW318"]);
    let Content::ChangeRequestRetour(r) = &pulled[0].message.content else {
        panic!("a 318");
    };
    let body = r.body.as_ref().expect("classes");
    assert_eq!(
        body.verzoek.te_wijzigen_producten[0].retour_codes,
        vec![RetourCode::R9373]
    );
    assert_eq!(body.verzoek.retour_codes, vec![RetourCode::R0200]);
    // From its start: IV093, one allocation, same number and start, the new total.
    push(&h, &change_total("VOW2", nummer, d(2025, 5, 1), 60)).await;
    h.advance(3 * DAY).await;
    let pulled = pull_all(&h, test).await;
    assert_eq!(kinds(&pulled), ["JW301", "JW318"]);
    let Content::Allocation(a) = &pulled[0].message.content else {
        panic!("a 301");
    };
    let products = &a.body.toegewezen_producten;
    assert_eq!(products.len(), 1, "not split");
    assert_eq!(products[0].toewijzing_nummer.0, nummer);
    assert_eq!(products[0].ingangsdatum, d(2025, 5, 1));
    assert_eq!(products[0].omvang.as_ref().map(|o| o.volume.0), Some(60));
}

#[tokio::test]
async fn a_change_request_that_leaves_out_a_current_allocation_gets_9349() {
    let test = "a_change_request_that_leaves_out_a_current_allocation_gets_9349";
    let h = start().await;
    // Two allocations: A (45A48) and B (45A49), 4 uur per week from 1 May 2025.
    let mut request = request_315_model(PROVIDER, "VOT1", BSN);
    if let Content::RequestForAllocation(r) = &mut request.content {
        let mut b = r.body.aangevraagde_producten[0].clone();
        b.referentie_aanbieder = "REF-2".into();
        b.product = Some(Product {
            categorie: ProductCategorie::C45,
            code: Some("45A49".into()),
        });
        r.body.aangevraagde_producten.push(b);
    }
    push(&h, &request).await;
    h.advance(3 * DAY).await;
    let pulled = pull_all(&h, test).await;
    let a = match &pulled[0].message.content {
        Content::Allocation(x) => x.body.toegewezen_producten[0].toewijzing_nummer.0,
        _ => panic!("a 301 first: {:?}", kinds(&pulled)),
    };
    // A 317 that changes A's end and says nothing about B (TR349: it must name every current
    // allocation of the client).
    let mut vow = change_total("VOW1", a, d(2025, 5, 1), 4);
    if let Content::ChangeRequest(c) = &mut vow.content {
        let t = &mut c.body.verzoek.te_wijzigen_producten[0];
        t.einddatum = Some(d(2025, 10, 31));
        t.omvang = Some(Omvang {
            volume: Volume(4),
            eenheid: Eenheid::Uur,
            frequentie: Frequentie::PerWeek,
        });
    }
    push(&h, &vow).await;
    h.advance(3 * DAY).await;
    let pulled = pull_all(&h, test).await;
    assert_eq!(kinds(&pulled), ["JW318"]);
    let Content::ChangeRequestRetour(r) = &pulled[0].message.content else {
        panic!("a 318");
    };
    assert_eq!(r.header.retour_codes, vec![RetourCode::R0200]);
    let body = r.body.as_ref().expect("classes");
    let mut codes: Vec<RetourCode> = body.retour_codes.clone();
    codes.extend(body.verzoek.retour_codes.iter().copied());
    assert!(codes.contains(&RetourCode::R9349), "{codes:?}");
}
