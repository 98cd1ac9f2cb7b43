//! Cross-message rules (controleniveau 3) of the regie and request messages: 305/307 against
//! the allocation and earlier starts and stops, 315/317 against earlier requests and the current
//! allocations, 319 and 301 as the provider receives them. For each rule a passing and a failing
//! case against a [`MemoryHistory`], from the rule's text (and IV008, IV092, IV093).

use chrono::{NaiveDate, NaiveTime};
use ketenpoort_messages::codes::*;
use ketenpoort_messages::message::{DeclarationAnswer, Retour};
use ketenpoort_messages::model::allocation::{AllocationClient, Contact, ToegewezenProduct};
use ketenpoort_messages::model::answer::Antwoord;
use ketenpoort_messages::model::basis::*;
use ketenpoort_messages::model::care::{
    CareStartClient, CareStopClient, StartProduct, StopProduct,
};
use ketenpoort_messages::model::change::{
    ChangeRequestClient, NieuwProduct, OngewijzigdProduct, TeWijzigenProduct, Verzoek,
};
use ketenpoort_messages::model::declaration::{
    Declaratie, DeclaratieAntwoord, DeclaratieClient, Prestatie,
};
use ketenpoort_messages::model::header::{DeclarationAnswerHeader, Header, RetourHeader};
use ketenpoort_messages::model::request::{AangevraagdProduct, RequestClient};
use ketenpoort_messages::rules::cross::{History, MemoryHistory};
use ketenpoort_messages::rules::{self, cross};
use ketenpoort_messages::types::*;
use ketenpoort_messages::{Content, Heen, Law, Message, Violation};

const AGB: &str = "12345678";
const GEMEENTE: &str = "0268";
const BSN_A: &str = "111222333";
const BSN_B: &str = "123456782";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("a real date")
}

fn header(provider: bool, dagtekening: NaiveDate, id: &str) -> Header {
    let (afzender, ontvanger) = if provider {
        (AGB, GEMEENTE)
    } else {
        (GEMEENTE, AGB)
    };
    Header {
        afzender: afzender.into(),
        ontvanger: ontvanger.into(),
        bericht_identificatie: BerichtIdentificatie {
            identificatie: id.into(),
            dagtekening,
        },
        xsd_versie: XsdVersie {
            basisschema_xsd_versie: "1.0.0".into(),
            bericht_xsd_versie: "1.0.0".into(),
        },
    }
}

fn product(code: &str) -> Option<Product> {
    Some(Product {
        categorie: ProductCategorie::C45,
        code: Some(code.into()),
    })
}

fn weekly(hours: u64) -> Option<Omvang> {
    Some(Omvang {
        volume: Volume(hours),
        eenheid: Eenheid::Uur,
        frequentie: Frequentie::PerWeek,
    })
}

fn allocated(
    nummer: u64,
    product: Option<Product>,
    start: NaiveDate,
    end: Option<NaiveDate>,
) -> ToegewezenProduct {
    ToegewezenProduct {
        toewijzing_nummer: Nummer(nummer),
        referentie_aanbieder: None,
        product,
        toewijzingsdatum: d(2025, 2, 10),
        toewijzingstijd: NaiveTime::from_hms_opt(10, 0, 0).expect("a real time"),
        ingangsdatum: start,
        einddatum: end,
        reden_wijziging: None,
        omvang: weekly(4),
        budget: None,
        commentaar: None,
        retour_codes: vec![],
    }
}

/// A 301 for the client with `bsn` that passes the in-message rules.
fn allocation(bsn: &str, id: &str, products: Vec<ToegewezenProduct>) -> Message {
    Message {
        law: Law::Ijw,
        content: Content::Allocation(Heen {
            header: header(false, d(2025, 2, 10), id),
            body: AllocationClient {
                bsn: bsn.into(),
                geboortedatum: Geboortedatum {
                    datum: d(1990, 5, 17),
                    datum_gebruik: None,
                },
                geslacht: Geslacht::Vrouw,
                naam: VolledigeNaam {
                    geslachtsnaam: Achternaam {
                        achternaam: "Jansen".into(),
                        voorvoegsel: None,
                    },
                    partnernaam: None,
                    voornamen: None,
                    voorletters: Some("A".into()),
                    naam_gebruik: NaamGebruik::N1,
                },
                communicatie: None,
                juridische_status: None,
                wettelijke_vertegenwoordiging: None,
                commentaar: None,
                relaties: vec![],
                contactgegevens: vec![Contact {
                    soort: AdresSoort::A01,
                    adres: Some(Adres {
                        huis: Some(Huis {
                            huisnummer: Huisnummer(12),
                            huisletter: None,
                            huisnummer_toevoeging: None,
                            aanduiding_woonadres: None,
                        }),
                        postcode: Some("6511AB".into()),
                        straatnaam: Some("Hoofdstraat".into()),
                        plaatsnaam: Some("Nijmegen".into()),
                        land_code: Some(LandCode::Nl),
                    }),
                    organisatie: None,
                    telefoon: None,
                    emailadres: None,
                    periode: None,
                    retour_codes: vec![],
                }],
                toegewezen_producten: products,
                retour_codes: vec![],
            },
        }),
    }
}

/// Client A: 1001 (45A48) and 1002 (45A49), both 2025-03-01 – 2025-12-31, 4 uur per week.
/// Client B: 2001 (45A48) from 2025-03-01.
fn history() -> MemoryHistory {
    let mut h = MemoryHistory::new();
    h.record(&allocation(
        BSN_A,
        "G1",
        vec![
            allocated(1001, product("45A48"), d(2025, 3, 1), Some(d(2025, 12, 31))),
            allocated(1002, product("45A49"), d(2025, 3, 1), Some(d(2025, 12, 31))),
        ],
    ));
    h.record(&allocation(
        BSN_B,
        "G2",
        vec![allocated(2001, product("45A48"), d(2025, 3, 1), None)],
    ));
    h
}

fn short_name() -> VerkorteNaam {
    VerkorteNaam {
        geslachtsnaam: Achternaam {
            achternaam: "Jansen".into(),
            voorvoegsel: None,
        },
        voornamen: None,
        voorletters: Some("A".into()),
    }
}

/// Cross-message violations of `m`, which must be schema-valid and pass the in-message rules.
fn cross(h: &impl History, m: &Message) -> Vec<Violation> {
    assert_eq!(m.validate(), vec![], "the case must stay schema-valid");
    assert_eq!(
        rules::check(m),
        vec![],
        "the case must pass the in-message rules"
    );
    cross::check_against(h, m)
}

fn fired(h: &impl History, m: &Message) -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = cross(h, m).into_iter().map(|v| v.rule).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn the(h: &impl History, m: &Message, rule: &str, retourcode: &str) -> Violation {
    let mut found: Vec<Violation> = cross(h, m).into_iter().filter(|v| v.rule == rule).collect();
    assert_eq!(found.len(), 1, "one {rule} expected: {found:?}");
    let v = found.remove(0);
    assert_eq!(v.retourcode, Some(retourcode), "retourcode of {rule}");
    v
}

const NONE: Vec<&str> = Vec::new();

// === 305 / 307 ===

fn sp(nummer: u64, code: &str, begin: NaiveDate, status: StatusAanlevering) -> StartProduct {
    StartProduct {
        toewijzing_nummer: Some(Nummer(nummer)),
        product: product(code),
        toewijzing_ingangsdatum: Some(d(2025, 3, 1)),
        begindatum: begin,
        status_aanlevering: status,
        retour_codes: vec![],
    }
}

fn start(bsn: &str, id: &str, items: Vec<StartProduct>) -> Message {
    Message {
        law: Law::Ijw,
        content: Content::CareStart(Heen {
            header: header(true, d(2025, 6, 2), id),
            body: CareStartClient {
                bsn: bsn.into(),
                geboortedatum: Geboortedatum {
                    datum: d(1990, 5, 17),
                    datum_gebruik: None,
                },
                geslacht: Geslacht::Vrouw,
                naam: short_name(),
                start_producten: items,
                retour_codes: vec![],
            },
        }),
    }
}

fn stp(
    nummer: u64,
    begin: NaiveDate,
    end: NaiveDate,
    reden: RedenBeeindiging,
    status: StatusAanlevering,
) -> StopProduct {
    StopProduct {
        toewijzing_nummer: Some(Nummer(nummer)),
        product: product("45A48"),
        toewijzing_ingangsdatum: Some(d(2025, 3, 1)),
        begindatum: begin,
        reden_beeindiging: reden,
        einddatum: end,
        status_aanlevering: status,
        retour_codes: vec![],
    }
}

fn stop(bsn: &str, id: &str, items: Vec<StopProduct>) -> Message {
    Message {
        law: Law::Ijw,
        content: Content::CareStop(Heen {
            header: header(true, d(2025, 6, 2), id),
            body: CareStopClient {
                bsn: bsn.into(),
                geboortedatum: Geboortedatum {
                    datum: d(1990, 5, 17),
                    datum_gebruik: None,
                },
                geslacht: Geslacht::Vrouw,
                naam: short_name(),
                stop_producten: items,
                retour_codes: vec![],
            },
        }),
    }
}

const NEW: StatusAanlevering = StatusAanlevering::EersteAanlevering;
const DELETE: StatusAanlevering = StatusAanlevering::Verwijderen;
const TEMPORARY: RedenBeeindiging = RedenBeeindiging::R20;
const FOR_GOOD: RedenBeeindiging = RedenBeeindiging::R02;
const START_1: &str = "/Bericht/Client/StartProducten/StartProduct[1]";
const STOP_1: &str = "/Bericht/Client/StopProducten/StopProduct[1]";

/// The history with care for 1001 started on 3 March.
fn started() -> MemoryHistory {
    let mut h = history();
    h.record(&start(
        BSN_A,
        "S1",
        vec![sp(1001, "45A48", d(2025, 3, 3), NEW)],
    ));
    h
}

#[test]
fn tr019_start_and_stop_refer_to_an_allocation_of_the_client() {
    let h = history();
    assert_eq!(
        fired(
            &h,
            &start(BSN_A, "S1", vec![sp(1001, "45A48", d(2025, 3, 3), NEW)])
        ),
        NONE
    );
    let v = the(
        &h,
        &start(BSN_A, "S1", vec![sp(9999, "45A48", d(2025, 3, 3), NEW)]),
        "TR019",
        "9019",
    );
    assert_eq!(v.path, format!("{START_1}/ToewijzingNummer"));
    // 2001 is client B's.
    let v = the(
        &h,
        &start(BSN_A, "S1", vec![sp(2001, "45A48", d(2025, 3, 3), NEW)]),
        "TR019",
        "9019",
    );
    assert!(!v.message.contains(BSN_A) && !v.message.contains(BSN_B));
    let m = stop(
        BSN_A,
        "T1",
        vec![stp(9999, d(2025, 3, 3), d(2025, 5, 31), FOR_GOOD, NEW)],
    );
    let v = the(&h, &m, "TR019", "9019");
    assert_eq!(v.path, format!("{STOP_1}/ToewijzingNummer"));
}

#[test]
fn tr074_a_new_start_or_stop_key_is_not_in_force_already() {
    let h = started();
    let again = start(BSN_A, "S2", vec![sp(1001, "45A48", d(2025, 3, 3), NEW)]);
    let v = the(&h, &again, "TR074", "9074");
    assert_eq!(v.path, START_1);
    assert_eq!(fired(&h, &again), vec!["TR074"], "not also TR326");
    let mut h = started();
    let s = stop(
        BSN_A,
        "T1",
        vec![stp(1001, d(2025, 3, 3), d(2025, 5, 31), FOR_GOOD, NEW)],
    );
    assert_eq!(fired(&h, &s), NONE);
    h.record(&s);
    let same = stop(
        BSN_A,
        "T2",
        vec![stp(1001, d(2025, 3, 3), d(2025, 5, 31), FOR_GOOD, NEW)],
    );
    assert_eq!(fired(&h, &same), vec!["TR074"]);
}

#[test]
fn tr326_no_new_start_before_the_current_one_is_stopped() {
    let mut h = started();
    let restart = start(BSN_A, "S2", vec![sp(1001, "45A48", d(2025, 5, 1), NEW)]);
    let v = the(&h, &restart, "TR326", "9326");
    assert_eq!(v.path, START_1);
    // Another product is another delivery.
    assert_eq!(
        fired(
            &h,
            &start(BSN_A, "S2", vec![sp(1002, "45A49", d(2025, 5, 1), NEW)])
        ),
        NONE
    );
    h.record(&stop(
        BSN_A,
        "T1",
        vec![stp(1001, d(2025, 3, 3), d(2025, 4, 30), TEMPORARY, NEW)],
    ));
    assert_eq!(fired(&h, &restart), NONE);
}

#[test]
fn iv008_delete_and_replace_a_start_in_one_message() {
    let h = started();
    let m = start(
        BSN_A,
        "S2",
        vec![
            sp(1001, "45A48", d(2025, 3, 3), DELETE),
            sp(1001, "45A48", d(2025, 3, 4), NEW),
        ],
    );
    assert_eq!(fired(&h, &m), NONE);
}

#[test]
fn tr063_a_deletion_needs_an_earlier_delivery() {
    let h = history();
    let delete = start(BSN_A, "S2", vec![sp(1001, "45A48", d(2025, 3, 3), DELETE)]);
    let v = the(&h, &delete, "TR063", "9063");
    assert_eq!(v.path, START_1);
    assert_eq!(fired(&started(), &delete), NONE);
    let mut h = started();
    let delete_stop = stop(
        BSN_A,
        "T2",
        vec![stp(1001, d(2025, 3, 3), d(2025, 5, 31), FOR_GOOD, DELETE)],
    );
    assert_eq!(fired(&h, &delete_stop), vec!["TR063"]);
    h.record(&stop(
        BSN_A,
        "T1",
        vec![stp(1001, d(2025, 3, 3), d(2025, 5, 31), FOR_GOOD, NEW)],
    ));
    assert_eq!(fired(&h, &delete_stop), NONE);
}

#[test]
fn tr071_no_deleting_a_start_that_was_stopped() {
    let mut h = started();
    let delete = start(BSN_A, "S2", vec![sp(1001, "45A48", d(2025, 3, 3), DELETE)]);
    assert_eq!(fired(&h, &delete), NONE);
    h.record(&stop(
        BSN_A,
        "T1",
        vec![stp(1001, d(2025, 3, 3), d(2025, 5, 31), FOR_GOOD, NEW)],
    ));
    let v = the(&h, &delete, "TR071", "9071");
    assert_eq!(v.path, START_1);
}

#[test]
fn tr382_a_stop_repeats_the_key_of_a_start_in_force() {
    let h = started();
    let ok = stop(
        BSN_A,
        "T1",
        vec![stp(1001, d(2025, 3, 3), d(2025, 5, 31), FOR_GOOD, NEW)],
    );
    assert_eq!(fired(&h, &ok), NONE);
    let other_begin = stop(
        BSN_A,
        "T1",
        vec![stp(1001, d(2025, 3, 4), d(2025, 5, 31), FOR_GOOD, NEW)],
    );
    let v = the(&h, &other_begin, "TR382", "9069");
    assert_eq!(v.path, STOP_1);
    // A start rejected by its 306 was never sent.
    let mut h = history();
    let s = start(BSN_A, "S1", vec![sp(1001, "45A48", d(2025, 3, 3), NEW)]);
    h.record(&s);
    let Content::CareStart(heen) = &s.content else {
        unreachable!()
    };
    h.record(&Message {
        law: Law::Ijw,
        content: Content::CareStartRetour(Retour {
            header: RetourHeader {
                heen: heen.header.clone(),
                identificatie_retour: "R1".into(),
                dagtekening_retour: d(2025, 6, 3),
                xslt_versie: Some("1.0.0".into()),
                xsd_versie_retour: heen.header.xsd_versie.clone(),
                retour_codes: vec![RetourCode::R0001],
            },
            body: None,
        }),
    });
    assert_eq!(fired(&h, &ok), vec!["TR382"]);
    let resend = start(BSN_A, "S1B", vec![sp(1001, "45A48", d(2025, 3, 3), NEW)]);
    assert_eq!(fired(&h, &resend), NONE);
}

#[test]
fn tr413_tr414_tr415_stops_after_a_stop() {
    let mut h = started();
    h.record(&stop(
        BSN_A,
        "T1",
        vec![stp(1001, d(2025, 3, 3), d(2025, 4, 30), TEMPORARY, NEW)],
    ));
    // After a temporary stop: a definitive one with a later end passes.
    let later = stop(
        BSN_A,
        "T2",
        vec![stp(1001, d(2025, 3, 3), d(2025, 5, 15), FOR_GOOD, NEW)],
    );
    assert_eq!(fired(&h, &later), NONE);
    // TR413: a second temporary stop.
    let twice = stop(
        BSN_A,
        "T2",
        vec![stp(1001, d(2025, 3, 3), d(2025, 5, 15), TEMPORARY, NEW)],
    );
    let v = the(&h, &twice, "TR413", "9413");
    assert_eq!(v.path, format!("{STOP_1}/RedenBeeindiging"));
    // TR414: an end before the end of the stop in force.
    let earlier = stop(
        BSN_A,
        "T2",
        vec![stp(1001, d(2025, 3, 3), d(2025, 4, 15), FOR_GOOD, NEW)],
    );
    let v = the(&h, &earlier, "TR414", "9414");
    assert_eq!(v.path, format!("{STOP_1}/Einddatum"));
    // TR415: nothing after a definitive stop.
    h.record(&later);
    let after = stop(
        BSN_A,
        "T3",
        vec![stp(1001, d(2025, 3, 3), d(2025, 5, 31), TEMPORARY, NEW)],
    );
    let v = the(&h, &after, "TR415", "9415");
    assert_eq!(v.path, STOP_1);
}

// === 315 / 317 ===

fn requested(reference: &str) -> AangevraagdProduct {
    AangevraagdProduct {
        referentie_aanbieder: reference.into(),
        beschikking_nummer: None,
        product: product("45A52"),
        beschikking_ingangsdatum: None,
        toewijzing_ingangsdatum: d(2025, 7, 1),
        toewijzing_einddatum: Some(d(2025, 12, 31)),
        omvang: weekly(4),
        budget: None,
        verwijzer: Verwijzer {
            type_: TypeVerwijzer::T02,
            naam: None,
            zorgverlener_code: Some("01234567".into()),
        },
        raamcontract: None,
        commentaar: None,
        retour_codes: vec![],
    }
}

fn request(bsn: &str, id: &str, references: &[&str]) -> Message {
    Message {
        law: Law::Ijw,
        content: Content::RequestForAllocation(Heen {
            header: header(true, d(2025, 6, 2), id),
            body: RequestClient {
                bsn: bsn.into(),
                geboortedatum: Geboortedatum {
                    datum: d(2012, 5, 17),
                    datum_gebruik: None,
                },
                geslacht: Geslacht::Vrouw,
                naam: short_name(),
                gezagsdrager_bekend: Some(JaNee::Ja),
                commentaar: None,
                aangevraagde_producten: references.iter().map(|r| requested(r)).collect(),
                retour_codes: vec![],
            },
        }),
    }
}

fn changed(nummer: u64, from: NaiveDate) -> TeWijzigenProduct {
    TeWijzigenProduct {
        toewijzing_nummer: Nummer(nummer),
        gewenste_ingangsdatum: from,
        einddatum: Some(d(2025, 12, 31)),
        omvang: weekly(6),
        budget: None,
        retour_codes: vec![],
    }
}

fn kept(nummer: u64) -> OngewijzigdProduct {
    OngewijzigdProduct {
        toewijzing_nummer: Nummer(nummer),
        retour_codes: vec![],
    }
}

/// A 317 of 2 June 2025 for client A.
fn change(
    reference: &str,
    ongewijzigd: Vec<OngewijzigdProduct>,
    te_wijzigen: Vec<TeWijzigenProduct>,
    nieuw: Vec<NieuwProduct>,
) -> Message {
    Message {
        law: Law::Ijw,
        content: Content::ChangeRequest(Heen {
            header: header(true, d(2025, 6, 2), &format!("V{reference}")),
            body: ChangeRequestClient {
                bsn: BSN_A.into(),
                verzoek: Verzoek {
                    referentie_aanbieder: reference.into(),
                    reden_verzoek: RedenVerzoek::WijzigingToewijzing,
                    ongewijzigde_producten: ongewijzigd,
                    te_wijzigen_producten: te_wijzigen,
                    nieuwe_producten: nieuw,
                    retour_codes: vec![],
                },
                retour_codes: vec![],
            },
        }),
    }
}

/// The reference VOW: keep 1001, change 1002 from 1 July.
fn reference_change() -> Message {
    change(
        "VOW-1",
        vec![kept(1001)],
        vec![changed(1002, d(2025, 7, 1))],
        vec![],
    )
}

fn new_product(code: &str, from: NaiveDate) -> NieuwProduct {
    NieuwProduct {
        product: product(code),
        gewenste_ingangsdatum: from,
        einddatum: Some(from + chrono::Days::new(90)),
        omvang: weekly(2),
        budget: None,
        retour_codes: vec![],
    }
}

const VERZOEK: &str = "/Bericht/Client/Verzoek";

#[test]
fn the_reference_requests_pass() {
    let h = history();
    assert_eq!(fired(&h, &request(BSN_A, "Q1", &["VOT-1"])), NONE);
    assert_eq!(fired(&h, &reference_change()), NONE);
}

#[test]
fn tr347_reference_unique_for_the_provider() {
    let mut h = history();
    h.record(&request(BSN_A, "Q1", &["VOT-1"]));
    let v = the(&h, &request(BSN_B, "Q2", &["VOT-1"]), "TR347", "9347");
    assert_eq!(
        v.path,
        "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[1]/ReferentieAanbieder"
    );
    assert_eq!(fired(&h, &request(BSN_B, "Q2", &["VOT-2"])), NONE);
    let mut m = reference_change();
    if let Content::ChangeRequest(x) = &mut m.content {
        x.body.verzoek.referentie_aanbieder = "VOT-1".into();
    }
    let h2 = {
        // Client A's VOT answered, so only the reference clashes.
        let mut h2 = h.clone();
        h2.record(&answer("VOT-1", VerzoekAntwoord::Afgewezen, "A1"));
        h2
    };
    let v = the(&h2, &m, "TR347", "9347");
    assert_eq!(v.path, format!("{VERZOEK}/ReferentieAanbieder"));
    // Twice in one 315: TR347 here, and TR101 in-message.
    let twice = request(BSN_B, "Q3", &["VOT-7", "VOT-7"]);
    let rules: Vec<&str> = cross::check_against(&h, &twice)
        .into_iter()
        .map(|v| v.rule)
        .collect();
    assert_eq!(rules, vec!["TR347"]);
}

#[test]
fn tr374_one_open_request_per_client() {
    let mut h = history();
    let vot = request(BSN_A, "Q1", &["VOT-1"]);
    h.record(&vot);
    let v = the(&h, &request(BSN_A, "Q2", &["VOT-2"]), "TR374", "9374");
    assert_eq!(v.path, "/Bericht/Client/Bsn");
    assert_eq!(fired(&h, &reference_change()), vec!["TR374"]);
    // Another client may.
    assert_eq!(fired(&h, &request(BSN_B, "Q2", &["VOT-2"])), NONE);
    // Closed by a 319 refusal …
    let mut refused = h.clone();
    refused.record(&answer("VOT-1", VerzoekAntwoord::Afgewezen, "A1"));
    assert_eq!(fired(&refused, &request(BSN_A, "Q2", &["VOT-2"])), NONE);
    // … not by "in onderzoek" …
    let mut investigating = h.clone();
    investigating.record(&answer("VOT-1", VerzoekAntwoord::InOnderzoek, "A1"));
    assert_eq!(
        fired(&investigating, &request(BSN_A, "Q2", &["VOT-2"])),
        vec!["TR374"]
    );
    // … by a 301 with its ReferentieAanbieder …
    let mut allocated_h = h.clone();
    let mut p = allocated(1003, product("45A52"), d(2025, 7, 1), Some(d(2025, 12, 31)));
    p.referentie_aanbieder = Some("VOT-1".into());
    allocated_h.record(&allocation(BSN_A, "G3", vec![p]));
    assert_eq!(fired(&allocated_h, &request(BSN_A, "Q2", &["VOT-2"])), NONE);
    // … and by a 316 rejecting the request.
    let Content::RequestForAllocation(heen) = &vot.content else {
        unreachable!()
    };
    let mut echoed = heen.body.clone();
    echoed.retour_codes = vec![RetourCode::R0200];
    echoed.aangevraagde_producten[0].retour_codes = vec![RetourCode::R9347];
    h.record(&Message {
        law: Law::Ijw,
        content: Content::RequestForAllocationRetour(Retour {
            header: RetourHeader {
                heen: heen.header.clone(),
                identificatie_retour: "R1".into(),
                dagtekening_retour: d(2025, 6, 3),
                xslt_versie: None,
                xsd_versie_retour: heen.header.xsd_versie.clone(),
                retour_codes: vec![RetourCode::R0200],
            },
            body: Some(echoed),
        }),
    });
    assert_eq!(fired(&h, &request(BSN_A, "Q2", &["VOT-2"])), NONE);
}

#[test]
fn tr349_the_vow_holds_every_current_allocation() {
    let h = history();
    let missing = change("VOW-1", vec![], vec![changed(1002, d(2025, 7, 1))], vec![]);
    let v = the(&h, &missing, "TR349", "9349");
    assert_eq!(v.path, VERZOEK);
    assert!(v.message.contains("1001"), "{}", v.message);
    // An allocation that ended, or was removed, is not current.
    let mut h = history();
    let mut ended = allocated(1005, product("45A53"), d(2025, 3, 1), Some(d(2025, 5, 31)));
    ended.toewijzingsdatum = d(2025, 2, 11);
    let mut removed = allocated(1006, product("45A54"), d(2025, 3, 1), Some(d(2025, 3, 1)));
    removed.reden_wijziging = Some(RedenWijziging::R13);
    h.record(&allocation(BSN_A, "G5", vec![ended, removed]));
    assert_eq!(fired(&h, &reference_change()), NONE);
}

#[test]
fn tr350_tr351_tr304_kept_and_changed_products_are_current_allocations_of_the_client() {
    let h = history();
    let m = change(
        "VOW-1",
        vec![kept(1001), kept(9999)],
        vec![changed(1002, d(2025, 7, 1))],
        vec![],
    );
    let v = the(&h, &m, "TR350", "9350");
    assert_eq!(
        v.path,
        format!("{VERZOEK}/OngewijzigdeProducten/OngewijzigdProduct[2]/ToewijzingNummer")
    );
    let m = change(
        "VOW-1",
        vec![kept(1001), kept(1002)],
        vec![changed(9999, d(2025, 7, 1))],
        vec![],
    );
    let v = the(&h, &m, "TR351", "9351");
    assert_eq!(
        v.path,
        format!("{VERZOEK}/TeWijzigenProducten/TeWijzigenProduct[1]/ToewijzingNummer")
    );
    let m = change(
        "VOW-1",
        vec![kept(1001), kept(1002)],
        vec![changed(2001, d(2025, 7, 1))],
        vec![],
    );
    let v = the(&h, &m, "TR304", "8187");
    assert_eq!(
        v.path,
        format!("{VERZOEK}/TeWijzigenProducten/TeWijzigenProduct[1]/ToewijzingNummer")
    );
}

#[test]
fn tr357_a_change_not_in_the_future_starts_at_the_allocation() {
    // The in-message TR380 applies to new products only, so a past start of a change is
    // TR357's to judge; checked here on the cross rules alone.
    let h = history();
    let past = change(
        "VOW-1",
        vec![kept(1001)],
        vec![changed(1002, d(2025, 5, 1))],
        vec![],
    );
    let got: Vec<(String, &str)> = cross::check_against(&h, &past)
        .into_iter()
        .map(|v| (v.path, v.rule))
        .collect();
    assert_eq!(
        got,
        vec![(
            format!("{VERZOEK}/TeWijzigenProducten/TeWijzigenProduct[1]/GewensteIngangsdatum"),
            "TR357"
        )]
    );
    let whole = change(
        "VOW-1",
        vec![kept(1001)],
        vec![changed(1002, d(2025, 3, 1))],
        vec![],
    );
    assert_eq!(cross::check_against(&h, &whole), vec![]);
    assert_eq!(fired(&h, &reference_change()), NONE);
}

#[test]
fn tr373_a_new_budget_or_total_covers_the_whole_allocation() {
    let mut h = history();
    let mut total = allocated(1007, product("45A57"), d(2025, 7, 1), Some(d(2025, 12, 31)));
    total.omvang = Some(Omvang {
        volume: Volume(100),
        eenheid: Eenheid::Uur,
        frequentie: Frequentie::Totaal,
    });
    h.record(&allocation(BSN_A, "G7", vec![total]));
    let more = |from: NaiveDate| TeWijzigenProduct {
        omvang: Some(Omvang {
            volume: Volume(120),
            eenheid: Eenheid::Uur,
            frequentie: Frequentie::Totaal,
        }),
        ..changed(1007, from)
    };
    let late = change(
        "VOW-1",
        vec![kept(1001), kept(1002)],
        vec![more(d(2025, 8, 1))],
        vec![],
    );
    let v = the(&h, &late, "TR373", "9373");
    assert_eq!(
        v.path,
        format!("{VERZOEK}/TeWijzigenProducten/TeWijzigenProduct[1]/GewensteIngangsdatum")
    );
    let whole = change(
        "VOW-1",
        vec![kept(1001), kept(1002)],
        vec![more(d(2025, 7, 1))],
        vec![],
    );
    assert_eq!(fired(&h, &whole), NONE);
}

#[test]
fn tr375_tr411_tr412_omvang_follows_the_allocated_product() {
    let mut h = history();
    let mut generic = allocated(1008, None, d(2025, 1, 1), Some(d(2025, 12, 31)));
    generic.omvang = None;
    generic.budget = Some(Budget(500_000));
    let mut category_only = allocated(
        1009,
        Some(Product {
            categorie: ProductCategorie::C45,
            code: None,
        }),
        d(2025, 1, 1),
        None,
    );
    category_only.omvang = None;
    category_only.budget = Some(Budget(300_000));
    h.record(&allocation(BSN_A, "G8", vec![generic, category_only]));
    let budget_only = |nummer| TeWijzigenProduct {
        omvang: None,
        budget: Some(Budget(600_000)),
        einddatum: Some(d(2025, 12, 31)),
        ..changed(nummer, d(2025, 7, 1))
    };
    let with_omvang = |nummer| changed(nummer, d(2025, 7, 1));
    let vow = |te: Vec<TeWijzigenProduct>, keep: Vec<u64>| {
        change("VOW-1", keep.into_iter().map(kept).collect(), te, vec![])
    };
    // Budget changes from 1 July are TR373, so compare with the budget unchanged.
    let same_budget = |nummer, budget| TeWijzigenProduct {
        budget: Some(Budget(budget)),
        ..budget_only(nummer)
    };
    assert_eq!(
        fired(
            &h,
            &vow(vec![same_budget(1008, 500_000)], vec![1001, 1002, 1009])
        ),
        NONE
    );
    let generic_with_omvang = with_omvang(1008);
    let v = the(
        &h,
        &vow(vec![generic_with_omvang], vec![1001, 1002, 1009]),
        "TR375",
        "9375",
    );
    assert_eq!(
        v.path,
        format!("{VERZOEK}/TeWijzigenProducten/TeWijzigenProduct[1]/Omvang")
    );
    let mut coded_without = budget_only(1002);
    coded_without.budget = None;
    coded_without.omvang = None;
    let m = vow(vec![coded_without], vec![1001, 1008, 1009]);
    let got: Vec<&str> = cross::check_against(&h, &m)
        .into_iter()
        .map(|v| v.rule)
        .collect();
    assert_eq!(
        got,
        vec!["TR411"],
        "(the in-message rules want an Omvang or Budget too)"
    );
    let category_with_omvang = with_omvang(1009);
    let v = the(
        &h,
        &vow(vec![category_with_omvang], vec![1001, 1002, 1008]),
        "TR412",
        "9412",
    );
    assert_eq!(
        v.path,
        format!("{VERZOEK}/TeWijzigenProducten/TeWijzigenProduct[1]/Omvang")
    );
    assert_eq!(
        fired(
            &h,
            &vow(vec![same_budget(1009, 300_000)], vec![1001, 1002, 1008])
        ),
        NONE
    );
}

#[test]
fn tr361_no_overlapping_periods_of_one_product() {
    let h = history();
    // 1001 (45A48) runs to 31 December: a new 45A48 from 1 September overlaps, from 2026 not.
    let overlap = change(
        "VOW-1",
        vec![kept(1001)],
        vec![changed(1002, d(2025, 7, 1))],
        vec![new_product("45A48", d(2025, 9, 1))],
    );
    let v = the(&h, &overlap, "TR361", "9361");
    assert_eq!(v.path, format!("{VERZOEK}/NieuweProducten/NieuwProduct[1]"));
    let after = change(
        "VOW-1",
        vec![kept(1001)],
        vec![changed(1002, d(2025, 7, 1))],
        vec![new_product("45A48", d(2026, 1, 1))],
    );
    assert_eq!(fired(&h, &after), NONE);
    let other = change(
        "VOW-1",
        vec![kept(1001)],
        vec![changed(1002, d(2025, 7, 1))],
        vec![new_product("45A52", d(2025, 9, 1))],
    );
    assert_eq!(fired(&h, &other), NONE);
}

// === 319 and 301, as received ===

fn answer(reference: &str, antwoord: VerzoekAntwoord, id: &str) -> Message {
    Message {
        law: Law::Ijw,
        content: Content::Answer(Heen {
            header: header(false, d(2025, 6, 5), id),
            body: Antwoord {
                referentie_aanbieder: reference.into(),
                verzoek_antwoord: antwoord,
                reden_afwijzing_verzoek: (antwoord == VerzoekAntwoord::Afgewezen)
                    .then_some(RedenAfwijzingVerzoek::R1),
                woonplaatsbeginsel: None,
                retour_codes: vec![],
            },
        }),
    }
}

fn requested_history() -> MemoryHistory {
    let mut h = history();
    h.record(&request(BSN_A, "Q1", &["VOT-1"]));
    h
}

#[test]
fn tr355_an_answer_refers_to_a_request() {
    let h = requested_history();
    assert_eq!(
        fired(&h, &answer("VOT-1", VerzoekAntwoord::InOnderzoek, "A1")),
        NONE
    );
    let v = the(
        &h,
        &answer("VOT-9", VerzoekAntwoord::InOnderzoek, "A1"),
        "TR355",
        "9355",
    );
    assert_eq!(v.path, "/Bericht/Antwoord/ReferentieAanbieder");
}

#[test]
fn tr360_tr365_at_most_one_in_onderzoek_then_a_decision() {
    let mut h = requested_history();
    h.record(&answer("VOT-1", VerzoekAntwoord::InOnderzoek, "A1"));
    let refusal = answer("VOT-1", VerzoekAntwoord::Afgewezen, "A2");
    assert_eq!(fired(&h, &refusal), NONE);
    let v = the(
        &h,
        &answer("VOT-1", VerzoekAntwoord::InOnderzoek, "A2"),
        "TR360",
        "9360",
    );
    assert_eq!(v.path, "/Bericht/Antwoord/VerzoekAntwoord");
    h.record(&refusal);
    let v = the(
        &h,
        &answer("VOT-1", VerzoekAntwoord::Afgewezen, "A3"),
        "TR365",
        "9365",
    );
    assert_eq!(v.path, "/Bericht/Antwoord/ReferentieAanbieder");
}

#[test]
fn tr359_no_answer_after_an_allocation() {
    let mut h = requested_history();
    let mut p = allocated(1003, product("45A52"), d(2025, 7, 1), Some(d(2025, 12, 31)));
    p.referentie_aanbieder = Some("VOT-1".into());
    h.record(&allocation(BSN_A, "G3", vec![p]));
    let v = the(
        &h,
        &answer("VOT-1", VerzoekAntwoord::Afgewezen, "A1"),
        "TR359",
        "9359",
    );
    assert_eq!(v.path, "/Bericht/Antwoord/ReferentieAanbieder");
}

#[test]
fn tr379_a_filled_reference_answers_a_request_of_the_client() {
    let h = requested_history();
    let with_reference = |bsn: &str, reference: &str| {
        let mut p = allocated(1003, product("45A52"), d(2025, 7, 1), Some(d(2025, 12, 31)));
        p.referentie_aanbieder = Some(reference.into());
        allocation(bsn, "G3", vec![p])
    };
    assert_eq!(fired(&h, &with_reference(BSN_A, "VOT-1")), NONE);
    let v = the(&h, &with_reference(BSN_A, "VOT-9"), "TR379", "9379");
    assert_eq!(
        v.path,
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]/ReferentieAanbieder"
    );
    assert_eq!(fired(&h, &with_reference(BSN_B, "VOT-1")), vec!["TR379"]);
}

#[test]
fn tr332_a_toewijzing_nummer_keeps_its_client_and_product() {
    let h = history();
    // IV066: a changed allocation keeps its number (here a shorter end).
    let mut shorter = allocated(1001, product("45A48"), d(2025, 3, 1), Some(d(2025, 9, 30)));
    shorter.reden_wijziging = Some(RedenWijziging::R04);
    shorter.toewijzingsdatum = d(2025, 2, 11);
    let both = vec![
        shorter.clone(),
        allocated(1002, product("45A49"), d(2025, 3, 1), Some(d(2025, 12, 31))),
    ];
    assert_eq!(fired(&h, &allocation(BSN_A, "G4", both)), NONE);
    let v = the(&h, &allocation(BSN_B, "G4", vec![shorter]), "TR332", "9332");
    assert_eq!(
        v.path,
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]/ToewijzingNummer"
    );
    let other_product = allocated(1001, product("45A57"), d(2025, 3, 1), Some(d(2025, 12, 31)));
    assert_eq!(
        fired(&h, &allocation(BSN_A, "G4", vec![other_product])),
        vec!["TR332"]
    );
}

/// A 323 with one line on 1001 for March, and its 325 approving it.
fn claimed_and_approved(h: &mut MemoryHistory) -> Prestatie {
    let line = Prestatie {
        product_referentie: ProductReferentie {
            referentie_nummer: "R1".into(),
            vorig_referentie_nummer: None,
        },
        toewijzing_nummer: Nummer(1001),
        product_categorie: ProductCategorie::C45,
        product_code: "45A48".into(),
        product_periode: GeslotenPeriode {
            begindatum: d(2025, 3, 1),
            einddatum: d(2025, 3, 31),
        },
        geleverd_volume: Volume(4),
        eenheid: Eenheid::Uur,
        product_tarief: Some(Bedrag(8724)),
        ingediend_bedrag: BedragMetDc {
            bedrag: Bedrag(4 * 8724),
            debet_credit: DebetCredit::Debet,
        },
        retour_codes: vec![],
    };
    let total = TotaalBedragMetDc {
        totaal_bedrag: TotaalBedrag(4 * 8724),
        debet_credit: DebetCredit::Debet,
    };
    let claim_header = header(true, d(2025, 4, 2), "D1");
    h.record(&Message {
        law: Law::Ijw,
        content: Content::Declaration(Heen {
            header: claim_header.clone(),
            body: Declaratie {
                declaratie_nummer: "D1".into(),
                declaratie_periode: GeslotenPeriode {
                    begindatum: d(2025, 3, 1),
                    einddatum: d(2025, 3, 31),
                },
                declaratie_dagtekening: d(2025, 4, 2),
                totaal_ingediend_bedrag: total.clone(),
                clienten: vec![DeclaratieClient {
                    bsn: BSN_A.into(),
                    prestaties: vec![line.clone()],
                    retour_codes: vec![],
                }],
            },
        }),
    });
    h.record(&Message {
        law: Law::Ijw,
        content: Content::DeclarationAnswer(DeclarationAnswer {
            header: DeclarationAnswerHeader {
                heen: header(false, d(2025, 4, 10), "AD1"),
                declaratie_identificatie: claim_header.bericht_identificatie.clone(),
                xslt_versie: None,
                xsd_versie_declaratie: claim_header.xsd_versie.clone(),
                retour_codes: vec![RetourCode::R0200],
            },
            body: Some(DeclaratieAntwoord {
                declaratie_nummer: "D1".into(),
                totaal_ingediend_bedrag: total.clone(),
                totaal_toegekend_bedrag: total,
                clienten: vec![],
                retour_codes: vec![RetourCode::R8001],
            }),
        }),
    });
    line
}

#[test]
fn tr385_no_removing_an_allocation_with_approved_lines() {
    let mut removed = allocated(1001, product("45A48"), d(2025, 3, 1), Some(d(2025, 3, 1)));
    removed.reden_wijziging = Some(RedenWijziging::R13);
    removed.toewijzingsdatum = d(2025, 4, 20);
    let m = allocation(
        BSN_A,
        "G9",
        vec![
            removed,
            allocated(1002, product("45A49"), d(2025, 3, 1), Some(d(2025, 12, 31))),
        ],
    );
    let h = history();
    assert_eq!(fired(&h, &m), NONE);
    let mut h = history();
    claimed_and_approved(&mut h);
    let v = the(&h, &m, "TR385", "9385");
    assert_eq!(
        v.path,
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]/RedenWijziging"
    );
}
