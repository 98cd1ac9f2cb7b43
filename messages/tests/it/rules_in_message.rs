//! In-message rules (controleniveau 2): for each rule a passing and a failing case, taken
//! from the rule's text. The passing cases are complete messages that are also schema-valid.

use chrono::NaiveDate;
use ketenpoort_messages::codes::*;
use ketenpoort_messages::model::answer::{Antwoord, Woonplaatsbeginsel};
use ketenpoort_messages::model::basis::*;
use ketenpoort_messages::model::care::{
    CareStartClient, CareStopClient, StartProduct, StopProduct,
};
use ketenpoort_messages::model::declaration::{Declaratie, DeclaratieClient, Prestatie};
use ketenpoort_messages::model::header::Header;
use ketenpoort_messages::model::request::{AangevraagdProduct, RequestClient};
use ketenpoort_messages::rules;
use ketenpoort_messages::types::*;
use ketenpoort_messages::{Content, Heen, Law, Message};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("a real date")
}

fn header(provider: bool, dagtekening: NaiveDate) -> Header {
    let (afzender, ontvanger) = if provider {
        ("12345678", "0268")
    } else {
        ("0268", "12345678")
    };
    Header {
        afzender: afzender.into(),
        ontvanger: ontvanger.into(),
        bericht_identificatie: BerichtIdentificatie {
            identificatie: "KP000001".into(),
            dagtekening,
        },
        xsd_versie: XsdVersie {
            basisschema_xsd_versie: "1.0.0".into(),
            bericht_xsd_versie: "1.0.0".into(),
        },
    }
}

/// 240 minutes at €87,24/h: tarief per minute shown 145 cent, amount 34896 cent (DOMAIN.md).
fn line(reference: &str, toewijzing: u64) -> Prestatie {
    Prestatie {
        product_referentie: ProductReferentie {
            referentie_nummer: reference.into(),
            vorig_referentie_nummer: None,
        },
        toewijzing_nummer: Nummer(toewijzing),
        product_categorie: ProductCategorie::C45,
        product_code: "45A48".into(),
        product_periode: GeslotenPeriode {
            begindatum: d(2025, 3, 4),
            einddatum: d(2025, 3, 31),
        },
        geleverd_volume: Volume(240),
        eenheid: Eenheid::Minuut,
        product_tarief: Some(Bedrag(145)),
        ingediend_bedrag: BedragMetDc {
            bedrag: Bedrag(34896),
            debet_credit: DebetCredit::Debet,
        },
        retour_codes: vec![],
    }
}

fn claim() -> Message {
    Message {
        law: Law::Ijw,
        content: Content::Declaration(Heen {
            header: header(true, d(2025, 4, 2)),
            body: Declaratie {
                declaratie_nummer: "D202503A".into(),
                declaratie_periode: GeslotenPeriode {
                    begindatum: d(2025, 3, 1),
                    einddatum: d(2025, 3, 31),
                },
                declaratie_dagtekening: d(2025, 4, 2),
                totaal_ingediend_bedrag: TotaalBedragMetDc {
                    totaal_bedrag: TotaalBedrag(2 * 34896),
                    debet_credit: DebetCredit::Debet,
                },
                clienten: vec![DeclaratieClient {
                    bsn: "111222333".into(),
                    prestaties: vec![line("R1", 1001), line("R2", 1002)],
                    retour_codes: vec![],
                }],
            },
        }),
    }
}

fn with_claim(f: impl FnOnce(&mut Declaratie)) -> Message {
    let mut m = claim();
    if let Content::Declaration(h) = &mut m.content {
        f(&mut h.body);
    }
    m
}

fn request() -> Message {
    Message {
        law: Law::Ijw,
        content: Content::RequestForAllocation(Heen {
            header: header(true, d(2025, 2, 3)),
            body: RequestClient {
                bsn: "123456782".into(),
                geboortedatum: Geboortedatum {
                    datum: d(2012, 5, 17),
                    datum_gebruik: None,
                },
                geslacht: Geslacht::Vrouw,
                naam: VerkorteNaam {
                    geslachtsnaam: Achternaam {
                        achternaam: "Jansen".into(),
                        voorvoegsel: None,
                    },
                    voornamen: None,
                    voorletters: Some("A".into()),
                },
                gezagsdrager_bekend: Some(JaNee::Ja),
                commentaar: None,
                aangevraagde_producten: vec![AangevraagdProduct {
                    referentie_aanbieder: "REF-1".into(),
                    beschikking_nummer: None,
                    product: Some(Product {
                        categorie: ProductCategorie::C45,
                        code: Some("45A48".into()),
                    }),
                    beschikking_ingangsdatum: None,
                    toewijzing_ingangsdatum: d(2025, 3, 1),
                    toewijzing_einddatum: Some(d(2025, 12, 31)),
                    omvang: Some(Omvang {
                        volume: Volume(4),
                        eenheid: Eenheid::Uur,
                        frequentie: Frequentie::PerWeek,
                    }),
                    budget: None,
                    verwijzer: Verwijzer {
                        type_: TypeVerwijzer::T02,
                        naam: None,
                        zorgverlener_code: Some("01234567".into()),
                    },
                    raamcontract: None,
                    commentaar: None,
                    retour_codes: vec![],
                }],
                retour_codes: vec![],
            },
        }),
    }
}

fn with_request(f: impl FnOnce(&mut RequestClient)) -> Message {
    let mut m = request();
    if let Content::RequestForAllocation(h) = &mut m.content {
        f(&mut h.body);
    }
    m
}

fn rules_broken(m: &Message) -> Vec<&'static str> {
    assert_eq!(m.validate(), vec![], "the case must stay schema-valid");
    rules::check(m).into_iter().map(|v| v.rule).collect()
}

fn assert_only(m: &Message, rule: &str) {
    let broken = rules_broken(m);
    assert!(broken.contains(&rule), "expected {rule}, got {broken:?}");
}

#[test]
fn the_reference_claim_and_request_pass_every_rule() {
    assert_eq!(rules_broken(&claim()), Vec::<&str>::new());
    assert_eq!(rules_broken(&request()), Vec::<&str>::new());
}

#[test]
fn cs002_bsn_eleven_test() {
    assert_only(
        &with_claim(|c| c.clienten[0].bsn = "123456789".into()),
        "CS002",
    );
    let v = rules::check(&with_claim(|c| c.clienten[0].bsn = "123456789".into()));
    assert_eq!(v[0].path, "/Bericht/Declaratie/Clienten/Client[1]/Bsn");
    assert_eq!(v[0].retourcode, Some("0001"));
    // The edge of the formula (elfproef.md: "(9·d1 + … + 2·d8 − 1·d9) mod 11 = 0"):
    // 100000009 gives 9·1 − 9 = 0, which is divisible by 11, so CS002 holds.
    assert_eq!(
        rules_broken(&with_claim(|c| c.clienten[0].bsn = "100000009".into())),
        Vec::<&str>::new()
    );
}

#[test]
fn cs340_and_cs100_declaration_period() {
    assert_only(
        &with_claim(|c| c.declaratie_periode.einddatum = d(2025, 3, 30)),
        "CS340",
    );
    assert_only(
        &with_claim(|c| c.declaratie_periode.begindatum = d(2025, 3, 2)),
        "CS340",
    );
    assert_only(
        &with_claim(|c| {
            c.declaratie_periode = GeslotenPeriode {
                begindatum: d(2020, 12, 1),
                einddatum: d(2020, 12, 31),
            }
        }),
        "CS100",
    );
}

#[test]
fn tr358_total_is_debit_minus_credit_and_cs325_zero_is_debit() {
    assert_only(
        &with_claim(|c| c.totaal_ingediend_bedrag.totaal_bedrag = TotaalBedrag(34896)),
        "TR358",
    );
    // A credit line of the earlier debit R0: total = 34896 + 34896 − 34896.
    let credited = with_claim(|c| {
        let mut credit = line("R3", 1001);
        credit.product_periode.begindatum = d(2025, 3, 5);
        credit.ingediend_bedrag.debet_credit = DebetCredit::Credit;
        credit.product_referentie.vorig_referentie_nummer = Some("R0".into());
        c.clienten[0].prestaties.push(credit);
        c.totaal_ingediend_bedrag.totaal_bedrag = TotaalBedrag(34896);
    });
    assert_eq!(rules_broken(&credited), Vec::<&str>::new());
    assert_only(
        &with_claim(|c| {
            c.clienten[0].prestaties.truncate(1);
            c.clienten[0].prestaties[0].ingediend_bedrag.bedrag = Bedrag(0);
            c.clienten[0].prestaties[0].geleverd_volume = Volume(0);
            c.totaal_ingediend_bedrag = TotaalBedragMetDc {
                totaal_bedrag: TotaalBedrag(0),
                debet_credit: DebetCredit::Credit,
            };
        }),
        "CS325",
    );
}

#[test]
fn cd060_tr315_tr316_credit_lines() {
    assert_only(
        &with_claim(|c| {
            c.clienten[0].prestaties[0]
                .product_referentie
                .vorig_referentie_nummer = Some("R0".into())
        }),
        "CD060",
    );
    let twice = with_claim(|c| {
        for r in ["R3", "R4"] {
            let mut credit = line(r, 1003);
            credit.ingediend_bedrag.debet_credit = DebetCredit::Credit;
            credit.product_referentie.vorig_referentie_nummer = Some("R0".into());
            c.clienten[0].prestaties.push(credit);
        }
    });
    assert!(rules_broken(&twice).contains(&"TR315"));
    let same_message = with_claim(|c| {
        let mut credit = line("R3", 1001);
        credit.ingediend_bedrag.debet_credit = DebetCredit::Credit;
        credit.product_referentie.vorig_referentie_nummer = Some("R1".into());
        c.clienten[0].prestaties.push(credit);
    });
    assert!(rules_broken(&same_message).contains(&"TR316"));
}

#[test]
fn tr416_one_debit_line_per_allocation_product_and_period() {
    assert_only(
        &with_claim(|c| c.clienten[0].prestaties[1].toewijzing_nummer = Nummer(1001)),
        "TR416",
    );
}

/// TR416's logical key is ProductPeriode, ProductCategorie, ProductCode and ToewijzingNummer;
/// it has no Bsn. A ToewijzingNummer is unique within a municipality and law (TR332) and a
/// claim is for one municipality and law, so the key names one allocation whichever client
/// the line stands under: the rule's scope is the whole claim, not the client.
#[test]
fn tr416_scope_is_the_claim_not_the_client() {
    // The same allocation, product and period claimed under a second client: TR416.
    let twice = with_claim(|c| {
        let mut again = line("R3", 1001);
        again.ingediend_bedrag.bedrag = Bedrag(34896);
        c.clienten.push(DeclaratieClient {
            bsn: "123456782".into(),
            prestaties: vec![again],
            retour_codes: vec![],
        });
        c.totaal_ingediend_bedrag.totaal_bedrag = TotaalBedrag(3 * 34896);
    });
    assert_eq!(rules_broken(&twice), vec!["TR416"]);
    let v = rules::check(&twice);
    assert_eq!(
        v[0].path,
        "/Bericht/Declaratie/Clienten/Client[2]/Prestaties/Prestatie[1]"
    );
    // Another allocation under the second client: no TR416.
    let other = with_claim(|c| {
        c.clienten.push(DeclaratieClient {
            bsn: "123456782".into(),
            prestaties: vec![line("R3", 1003)],
            retour_codes: vec![],
        });
        c.totaal_ingediend_bedrag.totaal_bedrag = TotaalBedrag(3 * 34896);
    });
    assert_eq!(rules_broken(&other), Vec::<&str>::new());
}

#[test]
fn cd087_and_cs339_euro_lines() {
    assert_only(
        &with_claim(|c| c.clienten[0].prestaties[0].product_tarief = None),
        "CD087",
    );
    let euro = with_claim(|c| {
        let p = &mut c.clienten[0].prestaties[0];
        p.eenheid = Eenheid::Euro;
        p.product_tarief = None;
        p.geleverd_volume = Volume(34896);
    });
    assert_eq!(rules_broken(&euro), Vec::<&str>::new());
    assert_only(
        &with_claim(|c| {
            let p = &mut c.clienten[0].prestaties[0];
            p.eenheid = Eenheid::Euro;
            p.product_tarief = None;
            p.geleverd_volume = Volume(100);
        }),
        "CS339",
    );
}

#[test]
fn cs337_tr137_tr335_product_period() {
    assert_only(
        &with_claim(|c| c.clienten[0].prestaties[0].product_periode.einddatum = d(2025, 4, 1)),
        "CS337",
    );
    assert_only(
        &with_claim(|c| c.clienten[0].prestaties[0].product_periode.einddatum = d(2025, 3, 3)),
        "TR137",
    );
    assert_only(
        &with_claim(|c| {
            c.clienten[0].prestaties[0].product_periode = GeslotenPeriode {
                begindatum: d(2019, 3, 1),
                einddatum: d(2019, 3, 31),
            };
        }),
        "TR335",
    );
}

#[test]
fn request_rules() {
    assert_only(&with_request(|c| c.bsn = "123456781".into()), "CS002");
    assert_only(
        &with_request(|c| c.geboortedatum.datum = d(1900, 1, 2)),
        "TR002",
    );
    let unknown = with_request(|c| {
        c.geboortedatum = Geboortedatum {
            datum: d(1900, 1, 1),
            datum_gebruik: Some(DatumGebruik::Onbekend),
        }
    });
    assert_eq!(
        rules_broken(&unknown),
        Vec::<&str>::new(),
        "an unknown birth date is exempt from TR002"
    );
    assert_only(
        &with_request(|c| c.geboortedatum.datum = d(2025, 2, 4)),
        "TR134",
    );
    assert_only(
        &with_request(|c| {
            let p = c.aangevraagde_producten[0].clone();
            c.aangevraagde_producten.push(p);
        }),
        "TR383",
    );
    assert_only(
        &with_request(|c| {
            let mut p = c.aangevraagde_producten[0].clone();
            p.referentie_aanbieder = "REF-2".into();
            p.toewijzing_ingangsdatum = d(2025, 6, 1);
            c.aangevraagde_producten.push(p);
        }),
        "TR386",
    );
    assert_eq!(
        rules_broken(&with_request(|c| {
            let mut p = c.aangevraagde_producten[0].clone();
            p.referentie_aanbieder = "REF-2".into();
            p.toewijzing_ingangsdatum = d(2026, 1, 1);
            p.toewijzing_einddatum = Some(d(2026, 6, 30));
            c.aangevraagde_producten.push(p);
        })),
        Vec::<&str>::new(),
        "the same product after the first period ends is allowed"
    );
    assert_only(
        &with_request(|c| c.aangevraagde_producten[0].beschikking_nummer = Some(Nummer(5))),
        "CD043",
    );
    assert_only(
        &with_request(|c| c.aangevraagde_producten[0].verwijzer.naam = Some("Huisarts".into())),
        "CD066",
    );
    assert_only(
        &with_request(|c| c.aangevraagde_producten[0].verwijzer.zorgverlener_code = None),
        "CD067",
    );
    assert_only(
        &with_request(|c| c.aangevraagde_producten[0].verwijzer.type_ = TypeVerwijzer::T01),
        "CD068",
    );
}

#[test]
fn care_stop_rules() {
    let stop = |f: &dyn Fn(&mut StopProduct)| {
        let mut p = StopProduct {
            toewijzing_nummer: Some(Nummer(1001)),
            product: None,
            toewijzing_ingangsdatum: Some(d(2025, 3, 1)),
            begindatum: d(2025, 3, 4),
            reden_beeindiging: RedenBeeindiging::R02,
            einddatum: d(2025, 6, 30),
            status_aanlevering: StatusAanlevering::EersteAanlevering,
            retour_codes: vec![],
        };
        f(&mut p);
        Message {
            law: Law::Ijw,
            content: Content::CareStop(Heen {
                header: header(true, d(2025, 7, 1)),
                body: CareStopClient {
                    bsn: "111222333".into(),
                    geboortedatum: Geboortedatum {
                        datum: d(2010, 1, 1),
                        datum_gebruik: None,
                    },
                    geslacht: Geslacht::Man,
                    naam: VerkorteNaam {
                        geslachtsnaam: Achternaam {
                            achternaam: "Jansen".into(),
                            voorvoegsel: None,
                        },
                        voornamen: None,
                        voorletters: None,
                    },
                    stop_producten: vec![p],
                    retour_codes: vec![],
                },
            }),
        }
    };
    assert_eq!(rules_broken(&stop(&|_| {})), Vec::<&str>::new());
    assert_only(&stop(&|p| p.einddatum = d(2025, 3, 3)), "TR018");
    assert_only(
        &stop(&|p| p.status_aanlevering = StatusAanlevering::Gewijzigd),
        "CS058",
    );
    assert_only(&stop(&|p| p.einddatum = d(2025, 7, 2)), "TR134");
}

#[test]
fn answer_rules() {
    let answer =
        |reden: Option<RedenAfwijzingVerzoek>, antwoord: VerzoekAntwoord, wpb: bool| Message {
            law: Law::Ijw,
            content: Content::Answer(Heen {
                header: header(false, d(2025, 2, 10)),
                body: Antwoord {
                    referentie_aanbieder: "REF-1".into(),
                    verzoek_antwoord: antwoord,
                    reden_afwijzing_verzoek: reden,
                    woonplaatsbeginsel: wpb.then(|| Woonplaatsbeginsel {
                        gemeente: "0209".into(),
                        retour_codes: vec![],
                    }),
                    retour_codes: vec![],
                },
            }),
        };
    assert_eq!(
        rules_broken(&answer(
            Some(RedenAfwijzingVerzoek::R1),
            VerzoekAntwoord::Afgewezen,
            false
        )),
        Vec::<&str>::new()
    );
    assert_only(&answer(None, VerzoekAntwoord::Afgewezen, false), "CD085");
    assert_only(
        &answer(
            Some(RedenAfwijzingVerzoek::R1),
            VerzoekAntwoord::InOnderzoek,
            false,
        ),
        "CD086",
    );
    assert_only(
        &answer(
            Some(RedenAfwijzingVerzoek::R8),
            VerzoekAntwoord::Afgewezen,
            false,
        ),
        "TR377",
    );
    assert_eq!(
        rules_broken(&answer(
            Some(RedenAfwijzingVerzoek::R8),
            VerzoekAntwoord::Afgewezen,
            true
        )),
        Vec::<&str>::new()
    );
    assert_only(
        &answer(
            Some(RedenAfwijzingVerzoek::R1),
            VerzoekAntwoord::Afgewezen,
            true,
        ),
        "TR409",
    );
}

#[test]
fn tr101_no_duplicate_lines_in_a_claim() {
    // The same client twice.
    let m = with_claim(|c| {
        let mut again = c.clienten[0].clone();
        again.prestaties = vec![line("R3", 1003), line("R4", 1004)];
        c.clienten.push(again);
        c.totaal_ingediend_bedrag.totaal_bedrag = TotaalBedrag(4 * 34896);
    });
    assert_eq!(rules_broken(&m), ["TR101"]);
    let v = rules::check(&m);
    assert_eq!(v[0].path, "/Bericht/Declaratie/Clienten/Client[2]");
    assert_eq!(v[0].retourcode, Some("0001"));
    // The same ProductReferentie twice for one client.
    let m = with_claim(|c| {
        c.clienten[0].prestaties[1]
            .product_referentie
            .referentie_nummer = "R1".into()
    });
    assert_eq!(rules_broken(&m), ["TR101"]);
    assert_eq!(
        rules::check(&m)[0].path,
        "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie[2]"
    );
    // Another client with other lines.
    assert_eq!(
        rules_broken(&with_claim(|c| {
            c.clienten.push(DeclaratieClient {
                bsn: "123456782".into(),
                prestaties: vec![line("R3", 1003)],
                retour_codes: vec![],
            });
            c.totaal_ingediend_bedrag.totaal_bedrag = TotaalBedrag(3 * 34896);
        })),
        Vec::<&str>::new()
    );
}

#[test]
fn cs100_product_period_from_2021() {
    let m = with_claim(|c| {
        c.clienten[0].prestaties[0].product_periode = GeslotenPeriode {
            begindatum: d(2020, 12, 1),
            einddatum: d(2020, 12, 31),
        };
    });
    assert_eq!(rules_broken(&m), ["CS100"]);
    assert_eq!(
        rules::check(&m)[0].path,
        "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie[1]/ProductPeriode/Begindatum"
    );
    assert_eq!(
        rules_broken(&with_claim(|c| {
            c.clienten[0].prestaties[0].product_periode = GeslotenPeriode {
                begindatum: d(2021, 1, 1),
                einddatum: d(2021, 1, 31),
            };
        })),
        Vec::<&str>::new()
    );
}

#[test]
fn tr134_declaratie_dagtekening_not_after_dagtekening() {
    let m = with_claim(|c| c.declaratie_dagtekening = d(2025, 4, 3));
    assert_eq!(rules_broken(&m), ["TR134"]);
    assert_eq!(
        rules::check(&m)[0].path,
        "/Bericht/Declaratie/DeclaratieDagtekening"
    );
    assert_eq!(
        rules_broken(&with_claim(|c| c.declaratie_dagtekening = d(2025, 4, 1))),
        Vec::<&str>::new()
    );
}

fn care_start(f: &dyn Fn(&mut CareStartClient)) -> Message {
    let mut client = CareStartClient {
        bsn: "111222333".into(),
        geboortedatum: Geboortedatum {
            datum: d(2010, 1, 1),
            datum_gebruik: None,
        },
        geslacht: Geslacht::Man,
        naam: VerkorteNaam {
            geslachtsnaam: Achternaam {
                achternaam: "Jansen".into(),
                voorvoegsel: None,
            },
            voornamen: None,
            voorletters: None,
        },
        start_producten: vec![StartProduct {
            toewijzing_nummer: Some(Nummer(1001)),
            product: None,
            toewijzing_ingangsdatum: Some(d(2025, 3, 1)),
            begindatum: d(2025, 3, 4),
            status_aanlevering: StatusAanlevering::EersteAanlevering,
            retour_codes: vec![],
        }],
        retour_codes: vec![],
    };
    f(&mut client);
    Message {
        law: Law::Iwmo,
        content: Content::CareStart(Heen {
            header: header(true, d(2025, 3, 5)),
            body: client,
        }),
    }
}

#[test]
fn care_start_rules() {
    assert_eq!(rules_broken(&care_start(&|_| {})), Vec::<&str>::new());
    assert_eq!(
        rules_broken(&care_start(&|c| c.bsn = "111222334".into())),
        ["CS002"]
    );
    assert_eq!(
        rules_broken(&care_start(&|c| {
            c.start_producten[0].status_aanlevering = StatusAanlevering::Gewijzigd
        })),
        ["CS058"]
    );
    assert_eq!(
        rules_broken(&care_start(
            &|c| c.start_producten[0].begindatum = d(2025, 3, 6)
        )),
        ["TR134"]
    );
    assert_eq!(
        rules_broken(&care_start(&|c| c.geboortedatum.datum = d(1900, 1, 1))),
        ["TR002"]
    );
    // CS139: the day is unknown, so it is written as 01.
    assert_eq!(
        rules_broken(&care_start(&|c| {
            c.geboortedatum = Geboortedatum {
                datum: d(2010, 1, 2),
                datum_gebruik: Some(DatumGebruik::DagOnbekend),
            }
        })),
        ["CS139"]
    );
    // TR101: the key of a StartProduct is ToewijzingNummer, Product and Begindatum.
    let twice = care_start(&|c| {
        let p = c.start_producten[0].clone();
        c.start_producten.push(p);
    });
    assert_eq!(rules_broken(&twice), ["TR101"]);
    assert_eq!(
        rules::check(&twice)[0].path,
        "/Bericht/Client/StartProducten/StartProduct[2]"
    );
    assert_eq!(
        rules_broken(&care_start(&|c| {
            let mut p = c.start_producten[0].clone();
            p.begindatum = d(2025, 3, 5);
            c.start_producten.push(p);
        })),
        Vec::<&str>::new()
    );
}

#[test]
fn care_stop_duplicates_and_birth_dates() {
    let stop = |f: &dyn Fn(&mut CareStopClient)| {
        let mut client = CareStopClient {
            bsn: "111222333".into(),
            geboortedatum: Geboortedatum {
                datum: d(2010, 1, 1),
                datum_gebruik: Some(DatumGebruik::DagEnMaandOnbekend),
            },
            geslacht: Geslacht::Man,
            naam: VerkorteNaam {
                geslachtsnaam: Achternaam {
                    achternaam: "Jansen".into(),
                    voorvoegsel: None,
                },
                voornamen: None,
                voorletters: None,
            },
            stop_producten: vec![StopProduct {
                toewijzing_nummer: Some(Nummer(1001)),
                product: None,
                toewijzing_ingangsdatum: Some(d(2025, 3, 1)),
                begindatum: d(2025, 3, 4),
                reden_beeindiging: RedenBeeindiging::R02,
                einddatum: d(2025, 6, 30),
                status_aanlevering: StatusAanlevering::EersteAanlevering,
                retour_codes: vec![],
            }],
            retour_codes: vec![],
        };
        f(&mut client);
        Message {
            law: Law::Ijw,
            content: Content::CareStop(Heen {
                header: header(true, d(2025, 7, 1)),
                body: client,
            }),
        }
    };
    assert_eq!(rules_broken(&stop(&|_| {})), Vec::<&str>::new());
    assert_eq!(
        rules_broken(&stop(&|c| c.geboortedatum.datum = d(2010, 2, 1))),
        ["CS139"]
    );
    assert_eq!(
        rules_broken(&stop(&|c| {
            let p = c.stop_producten[0].clone();
            c.stop_producten.push(p);
        })),
        ["TR101"]
    );
    assert_eq!(
        rules_broken(&stop(&|c| {
            let mut p = c.stop_producten[0].clone();
            p.reden_beeindiging = RedenBeeindiging::R20;
            c.stop_producten.push(p);
        })),
        Vec::<&str>::new()
    );
}
