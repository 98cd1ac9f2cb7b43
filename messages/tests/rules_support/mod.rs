//! Builders and assertions shared by the in-message rule tests (`rules_*.rs`).

#![allow(dead_code)]

use chrono::{NaiveDate, NaiveTime};
use ketenpoort_messages::codes::*;
use ketenpoort_messages::model::allocation::{
    AllocationClient, Contact, Relatie, ToegewezenProduct,
};
use ketenpoort_messages::model::basis::*;
use ketenpoort_messages::model::change::{
    ChangeRequestClient, NieuwProduct, OngewijzigdProduct, TeWijzigenProduct, Verzoek,
};
use ketenpoort_messages::model::header::Header;
use ketenpoort_messages::model::request::{AangevraagdProduct, RequestClient};
use ketenpoort_messages::types::*;
use ketenpoort_messages::{Content, Heen, Law, Message};
use ketenpoort_messages::{Violation, rules};

/// A date that exists.
pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("a real date")
}

/// A header from a provider (AGB 12345678) to Nijmegen (0268) or back.
pub fn header(provider: bool, dagtekening: NaiveDate) -> Header {
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

/// The rule ids `m` breaks, sorted and without repeats; `m` must be schema-valid.
pub fn broken(m: &Message) -> Vec<&'static str> {
    assert_eq!(m.validate(), vec![], "the case must stay schema-valid");
    let mut ids: Vec<&'static str> = rules::check(m).into_iter().map(|v| v.rule).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// `m` passes every in-message rule.
pub fn passes(m: &Message) {
    assert_eq!(
        rules::check(m),
        Vec::<Violation>::new(),
        "expected no violations"
    );
    assert_eq!(m.validate(), vec![], "the case must stay schema-valid");
}

/// `m` breaks exactly `rules` (in any order).
pub fn breaks(m: &Message, rules: &[&str]) {
    let mut expected = rules.to_vec();
    expected.sort_unstable();
    assert_eq!(broken(m), expected);
}

/// The one violation of `rule` in `m`; panics when there is none or more than one.
pub fn the(m: &Message, rule: &str) -> Violation {
    let mut found: Vec<Violation> = rules::check(m)
        .into_iter()
        .filter(|v| v.rule == rule)
        .collect();
    assert_eq!(found.len(), 1, "one {rule} expected: {found:?}");
    let v = found.remove(0);
    assert_eq!(v.retourcode, Some("0001"), "{rule} answers with 0001");
    v
}

/// A contact at a Dutch BRP address.
pub fn brp_address() -> Contact {
    Contact {
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
    }
}

/// A contact with only a telephone number.
pub fn phone_contact(soort: AdresSoort) -> Contact {
    Contact {
        soort,
        adres: None,
        organisatie: None,
        telefoon: Some(Telefoonnummers {
            telefoon01: Telefoon {
                telefoonnummer: "0612345678".into(),
                landnummer: "0031".into(),
            },
            telefoon02: None,
        }),
        emailadres: None,
        periode: None,
        retour_codes: vec![],
    }
}

/// A full name used as NaamGebruik says.
pub fn full_name(surname: &str, naam_gebruik: NaamGebruik) -> VolledigeNaam {
    VolledigeNaam {
        geslachtsnaam: Achternaam {
            achternaam: surname.into(),
            voorvoegsel: None,
        },
        partnernaam: None,
        voornamen: None,
        voorletters: Some("A".into()),
        naam_gebruik,
    }
}

/// 4 hours a week of product 45A48 in 2025.
pub fn allocated(nummer: u64) -> ToegewezenProduct {
    ToegewezenProduct {
        toewijzing_nummer: Nummer(nummer),
        referentie_aanbieder: None,
        product: Some(Product {
            categorie: ProductCategorie::C45,
            code: Some("45A48".into()),
        }),
        toewijzingsdatum: d(2025, 2, 10),
        toewijzingstijd: NaiveTime::from_hms_opt(10, 0, 0).expect("a real time"),
        ingangsdatum: d(2025, 3, 1),
        einddatum: Some(d(2025, 12, 31)),
        reden_wijziging: None,
        omvang: Some(Omvang {
            volume: Volume(4),
            eenheid: Eenheid::Uur,
            frequentie: Frequentie::PerWeek,
        }),
        budget: None,
        commentaar: None,
        retour_codes: vec![],
    }
}

/// A product category of `law`: 45 (iJw) or 01 (iWmo).
pub fn category(law: Law) -> ProductCategorie {
    match law {
        Law::Ijw => ProductCategorie::C45,
        Law::Iwmo => ProductCategorie::C01,
    }
}

/// A 301 that passes every rule: a client with a parent, a BRP address and one allocation.
pub fn allocation(law: Law) -> Message {
    let mut product = allocated(1001);
    if let Some(p) = &mut product.product {
        p.categorie = category(law);
    }
    Message {
        law,
        content: Content::Allocation(Heen {
            header: header(false, d(2025, 2, 10)),
            body: AllocationClient {
                bsn: "111222333".into(),
                geboortedatum: Geboortedatum {
                    datum: d(2012, 5, 17),
                    datum_gebruik: None,
                },
                geslacht: Geslacht::Vrouw,
                naam: full_name("Jansen", NaamGebruik::N1),
                communicatie: None,
                juridische_status: None,
                wettelijke_vertegenwoordiging: None,
                commentaar: None,
                relaties: vec![Relatie {
                    nummer: "REL1".into(),
                    volgorde: Some(RelatieVolgorde(1)),
                    soort: SoortRelatie::S03,
                    geboortedatum: Some(Geboortedatum {
                        datum: d(1980, 1, 1),
                        datum_gebruik: None,
                    }),
                    geslacht: Some(Geslacht::Man),
                    naam: full_name("Jansen", NaamGebruik::N1),
                    contact: phone_contact(AdresSoort::A02),
                    retour_codes: vec![],
                }],
                contactgegevens: vec![brp_address()],
                toegewezen_producten: vec![product],
                retour_codes: vec![],
            },
        }),
    }
}

/// The iJw reference 301 changed by `f`.
pub fn with_allocation(f: impl FnOnce(&mut AllocationClient)) -> Message {
    with_allocation_of(Law::Ijw, f)
}

/// The reference 301 of `law` changed by `f`.
pub fn with_allocation_of(law: Law, f: impl FnOnce(&mut AllocationClient)) -> Message {
    let mut m = allocation(law);
    if let Content::Allocation(h) = &mut m.content {
        f(&mut h.body);
    }
    m
}

/// 4 hours a week from March to December 2025.
pub fn four_hours_a_week() -> Option<Omvang> {
    Some(Omvang {
        volume: Volume(4),
        eenheid: Eenheid::Uur,
        frequentie: Frequentie::PerWeek,
    })
}

/// Product 45A48 (iJw) or 01A01 (iWmo).
pub fn product(law: Law) -> Option<Product> {
    Some(Product {
        categorie: category(law),
        code: Some(
            match law {
                Law::Ijw => "45A48",
                Law::Iwmo => "01A01",
            }
            .into(),
        ),
    })
}

/// A requested product for March to December 2025, referred by a GP with an AGB code.
pub fn requested(law: Law, reference: &str) -> AangevraagdProduct {
    AangevraagdProduct {
        referentie_aanbieder: reference.into(),
        beschikking_nummer: None,
        product: product(law),
        beschikking_ingangsdatum: None,
        toewijzing_ingangsdatum: d(2025, 3, 1),
        toewijzing_einddatum: Some(d(2025, 12, 31)),
        omvang: four_hours_a_week(),
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

/// A 315 that passes every rule.
pub fn request(law: Law) -> Message {
    Message {
        law,
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
                gezagsdrager_bekend: (law == Law::Ijw).then_some(JaNee::Ja),
                commentaar: None,
                aangevraagde_producten: vec![requested(law, "REF-1")],
                retour_codes: vec![],
            },
        }),
    }
}

/// The reference 315 of `law` changed by `f`.
pub fn with_request_of(law: Law, f: impl FnOnce(&mut RequestClient)) -> Message {
    let mut m = request(law);
    if let Content::RequestForAllocation(h) = &mut m.content {
        f(&mut h.body);
    }
    m
}

/// A 317 that passes every rule: keep 1001, change 1002, add a product, from March 2025.
pub fn change_request(law: Law) -> Message {
    Message {
        law,
        content: Content::ChangeRequest(Heen {
            header: header(true, d(2025, 2, 3)),
            body: ChangeRequestClient {
                bsn: "123456782".into(),
                verzoek: Verzoek {
                    referentie_aanbieder: "VOW-1".into(),
                    reden_verzoek: RedenVerzoek::WijzigingToewijzing,
                    ongewijzigde_producten: vec![OngewijzigdProduct {
                        toewijzing_nummer: Nummer(1001),
                        retour_codes: vec![],
                    }],
                    te_wijzigen_producten: vec![TeWijzigenProduct {
                        toewijzing_nummer: Nummer(1002),
                        gewenste_ingangsdatum: d(2025, 3, 1),
                        einddatum: Some(d(2025, 12, 31)),
                        omvang: four_hours_a_week(),
                        budget: None,
                        retour_codes: vec![],
                    }],
                    nieuwe_producten: vec![NieuwProduct {
                        product: product(law),
                        gewenste_ingangsdatum: d(2025, 3, 1),
                        einddatum: Some(d(2025, 12, 31)),
                        omvang: four_hours_a_week(),
                        budget: None,
                        retour_codes: vec![],
                    }],
                    retour_codes: vec![],
                },
                retour_codes: vec![],
            },
        }),
    }
}

/// The reference 317 of `law` changed by `f`.
pub fn with_change_of(law: Law, f: impl FnOnce(&mut Verzoek)) -> Message {
    let mut m = change_request(law);
    if let Content::ChangeRequest(h) = &mut m.content {
        f(&mut h.body.verzoek);
    }
    m
}
