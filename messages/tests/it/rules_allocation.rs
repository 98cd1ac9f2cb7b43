//! In-message rules of the 301 Toewijzing: for each rule a passing and a failing case, taken
//! from the rule's text. Every case is a schema-valid message built as a struct literal.

use crate::rules_support;

use ketenpoort_messages::Law;
use ketenpoort_messages::codes::*;
use ketenpoort_messages::model::allocation::{AllocationClient, Contact, ToegewezenProduct};
use ketenpoort_messages::model::basis::*;
use ketenpoort_messages::types::*;
use rules_support::*;

#[test]
fn the_reference_allocation_passes_every_rule() {
    passes(&allocation(Law::Ijw));
    passes(&allocation(Law::Iwmo));
}

#[test]
fn cs002_bsn_in_an_allocation() {
    let m = with_allocation(|c| c.bsn = "123456789".into());
    breaks(&m, &["CS002"]);
    assert_eq!(the(&m, "CS002").path, "/Bericht/Client/Bsn");
}

#[test]
fn tr002_birth_date_of_client_and_relation() {
    let m = with_allocation(|c| {
        c.relaties[0].geboortedatum = Some(Geboortedatum {
            datum: d(1905, 2, 9),
            datum_gebruik: None,
        })
    });
    breaks(&m, &["TR002"]);
    assert_eq!(
        the(&m, "TR002").path,
        "/Bericht/Client/Relaties/Relatie[1]/Geboortedatum/Datum"
    );
    breaks(
        &with_allocation(|c| c.geboortedatum.datum = d(1905, 2, 9)),
        &["TR002"],
    );
    // Unknown: DatumGebruik 3 with 1900-01-01.
    passes(&with_allocation(|c| {
        c.relaties[0].geboortedatum = Some(Geboortedatum {
            datum: d(1900, 1, 1),
            datum_gebruik: Some(DatumGebruik::Onbekend),
        })
    }));
    // A relation without a birth date.
    passes(&with_allocation(|c| c.relaties[0].geboortedatum = None));
}

#[test]
fn tr134_birth_date_not_after_dagtekening() {
    let m = with_allocation(|c| c.geboortedatum.datum = d(2025, 2, 11));
    breaks(&m, &["TR134"]);
    assert_eq!(the(&m, "TR134").path, "/Bericht/Client/Geboortedatum/Datum");
    passes(&with_allocation(|c| c.geboortedatum.datum = d(2025, 2, 10)));
}

#[test]
fn cs139_datum_gebruik_matches_datum() {
    let birth = |datum, gebruik| {
        with_allocation(move |c| {
            c.geboortedatum = Geboortedatum {
                datum,
                datum_gebruik: Some(gebruik),
            }
        })
    };
    passes(&birth(d(2012, 5, 1), DatumGebruik::DagOnbekend));
    passes(&birth(d(2012, 1, 1), DatumGebruik::DagEnMaandOnbekend));
    passes(&birth(d(1900, 1, 1), DatumGebruik::Onbekend));
    let m = birth(d(2012, 5, 17), DatumGebruik::DagOnbekend);
    breaks(&m, &["CS139"]);
    assert_eq!(
        the(&m, "CS139").path,
        "/Bericht/Client/Geboortedatum/DatumGebruik"
    );
    breaks(
        &birth(d(2012, 5, 1), DatumGebruik::DagEnMaandOnbekend),
        &["CS139"],
    );
    breaks(&birth(d(2012, 1, 1), DatumGebruik::Onbekend), &["CS139"]);
    // The relation's birth date too.
    breaks(
        &with_allocation(|c| {
            c.relaties[0].geboortedatum = Some(Geboortedatum {
                datum: d(1980, 3, 3),
                datum_gebruik: Some(DatumGebruik::DagOnbekend),
            })
        }),
        &["CS139"],
    );
}

#[test]
fn cs050_naam_gebruik_with_and_without_partner() {
    let partner = Some(Achternaam {
        achternaam: "Pietersen".into(),
        voorvoegsel: None,
    });
    let p = partner.clone();
    passes(&with_allocation(move |c| {
        c.naam.partnernaam = p;
        c.naam.naam_gebruik = NaamGebruik::N3;
    }));
    passes(&with_allocation(|c| {
        c.relaties[0].naam.naam_gebruik = NaamGebruik::N6;
    }));
    let m = with_allocation(|c| c.relaties[0].naam.naam_gebruik = NaamGebruik::N2);
    breaks(&m, &["CS050"]);
    assert_eq!(
        the(&m, "CS050").path,
        "/Bericht/Client/Relaties/Relatie[1]/Naam/NaamGebruik"
    );
    breaks(
        &with_allocation(move |c| {
            c.naam.partnernaam = partner;
            c.naam.naam_gebruik = NaamGebruik::N5;
        }),
        &["CS050"],
    );
}

#[test]
fn cs318_the_client_is_a_natural_person() {
    let m = with_allocation(|c| c.naam.naam_gebruik = NaamGebruik::N6);
    breaks(&m, &["CS318"]);
    assert_eq!(the(&m, "CS318").path, "/Bericht/Client/Naam/NaamGebruik");
}

#[test]
fn cd007_taal_only_with_an_interpreter() {
    let com = |vorm, taal: Option<&str>| {
        with_allocation(move |c| {
            c.communicatie = Some(Communicatie {
                vorm,
                taal: taal.map(Taal::from),
            })
        })
    };
    passes(&com(Communicatievorm::Tolk, Some("Pools")));
    passes(&com(Communicatievorm::Doventolk, None));
    let m = com(Communicatievorm::Tolk, None);
    breaks(&m, &["CD007"]);
    assert_eq!(the(&m, "CD007").path, "/Bericht/Client/Communicatie/Taal");
    breaks(&com(Communicatievorm::Anders, Some("Pools")), &["CD007"]);
}

#[test]
fn cd005_land_code_with_postcode() {
    let m = with_allocation(|c| {
        if let Some(a) = &mut c.contactgegevens[0].adres {
            a.land_code = None;
        }
    });
    breaks(&m, &["CD005"]);
    assert_eq!(
        the(&m, "CD005").path,
        "/Bericht/Client/Contactgegevens/Contact[1]/Adres/LandCode"
    );
    // Neither: a correspondence address known by its phone number only.
    passes(&with_allocation(|c| {
        c.contactgegevens = vec![phone_contact(AdresSoort::A02)]
    }));
}

#[test]
fn cd025_huis_in_the_netherlands() {
    let m = with_allocation(|c| {
        c.contactgegevens[0] = Contact {
            telefoon: phone_contact(AdresSoort::A01).telefoon,
            ..brp_address()
        };
        if let Some(a) = &mut c.contactgegevens[0].adres {
            a.huis = None;
        }
    });
    breaks(&m, &["CD025"]);
    assert_eq!(
        the(&m, "CD025").path,
        "/Bericht/Client/Contactgegevens/Contact[1]/Adres/Huis"
    );
    // Abroad no house number is required.
    passes(&with_allocation(|c| {
        c.contactgegevens[0] = Contact {
            telefoon: phone_contact(AdresSoort::A01).telefoon,
            ..brp_address()
        };
        if let Some(a) = &mut c.contactgegevens[0].adres {
            a.huis = None;
            a.postcode = Some("1000".into());
            a.land_code = Some(LandCode::Be);
        }
    }));
}

#[test]
fn cd034_postcode_for_brp_and_residence_addresses() {
    let m = with_allocation(|c| c.contactgegevens = vec![phone_contact(AdresSoort::A03)]);
    breaks(&m, &["CD034"]);
    assert_eq!(
        the(&m, "CD034").path,
        "/Bericht/Client/Contactgegevens/Contact[1]/Adres/Postcode"
    );
    passes(&with_allocation(|c| {
        c.contactgegevens = vec![phone_contact(AdresSoort::A02)]
    }));
}

#[test]
fn cs089_dutch_postcode_format() {
    let postcode = |p: &str| {
        let p = Postcode::from(p);
        with_allocation(move |c| {
            if let Some(a) = &mut c.contactgegevens[0].adres {
                a.postcode = Some(p);
            }
        })
    };
    passes(&postcode("6511ab"));
    let m = postcode("0511AB");
    breaks(&m, &["CS089"]);
    let v = the(&m, "CS089");
    assert_eq!(
        v.path,
        "/Bericht/Client/Contactgegevens/Contact[1]/Adres/Postcode"
    );
    assert!(!v.message.contains("0511"), "the postcode is not quoted");
    breaks(&postcode("6511 AB"), &["CS089"]);
    breaks(&postcode("651AB"), &["CS089"]);
}

#[test]
fn cd009_periode_only_for_temporary_addresses() {
    let periode = Some(OpenPeriode {
        begindatum: Some(d(2025, 3, 1)),
        einddatum: Some(d(2025, 6, 30)),
    });
    let p = periode.clone();
    let m = with_allocation(move |c| c.contactgegevens[0].periode = p);
    breaks(&m, &["CD009"]);
    assert_eq!(
        the(&m, "CD009").path,
        "/Bericht/Client/Contactgegevens/Contact[1]/Periode"
    );
    passes(&with_allocation(move |c| {
        let mut temporary = phone_contact(AdresSoort::A04);
        temporary.periode = periode;
        c.contactgegevens.push(temporary);
    }));
}

#[test]
fn cs003_end_on_or_after_start() {
    let m = with_allocation(|c| {
        let mut temporary = phone_contact(AdresSoort::A04);
        temporary.periode = Some(OpenPeriode {
            begindatum: Some(d(2025, 3, 1)),
            einddatum: Some(d(2025, 2, 28)),
        });
        c.contactgegevens.push(temporary);
    });
    breaks(&m, &["CS003"]);
    assert_eq!(
        the(&m, "CS003").path,
        "/Bericht/Client/Contactgegevens/Contact[2]/Periode/Einddatum"
    );
    let m = with_allocation(|c| c.toegewezen_producten[0].einddatum = Some(d(2025, 2, 28)));
    breaks(&m, &["CS003"]);
    assert_eq!(
        the(&m, "CS003").path,
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]/Einddatum"
    );
    passes(&with_allocation(|c| {
        c.toegewezen_producten[0].einddatum = Some(d(2025, 3, 1))
    }));
}

#[test]
fn tr006_contact_needs_a_phone_or_house_and_postcode() {
    let m = with_allocation(|c| c.relaties[0].contact.telefoon = None);
    breaks(&m, &["TR006"]);
    assert_eq!(
        the(&m, "TR006").path,
        "/Bericht/Client/Relaties/Relatie[1]/Contact"
    );
    // A house and a postcode are enough without a phone.
    passes(&with_allocation(|c| c.relaties[0].contact = brp_address()));
}

#[test]
fn tr061_the_client_has_a_brp_correspondence_or_residence_address() {
    let m = with_allocation(|c| c.contactgegevens = vec![phone_contact(AdresSoort::A04)]);
    breaks(&m, &["TR061"]);
    assert_eq!(the(&m, "TR061").path, "/Bericht/Client/Contactgegevens");
    passes(&with_allocation(|c| {
        c.contactgegevens = vec![phone_contact(AdresSoort::A04), brp_address()]
    }));
}

#[test]
fn tr101_no_duplicate_lines_in_an_allocation() {
    let m = with_allocation(|c| {
        let mut again = allocated(1001);
        again.ingangsdatum = d(2026, 1, 1);
        again.einddatum = Some(d(2026, 6, 30));
        c.toegewezen_producten.push(again);
    });
    breaks(&m, &["TR101"]);
    assert_eq!(
        the(&m, "TR101").path,
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[2]"
    );
    breaks(
        &with_allocation(|c| {
            let r = c.relaties[0].clone();
            c.relaties.push(r);
        }),
        &["TR101"],
    );
    breaks(
        &with_allocation(|c| c.contactgegevens.push(brp_address())),
        &["TR101"],
    );
    passes(&with_allocation(|c| {
        let mut r = c.relaties[0].clone();
        r.nummer = "REL2".into();
        c.relaties.push(r);
        c.contactgegevens.push(phone_contact(AdresSoort::A02));
        let mut later = allocated(1002);
        later.ingangsdatum = d(2026, 1, 1);
        later.einddatum = Some(d(2026, 6, 30));
        c.toegewezen_producten.push(later);
    }));
}

#[test]
fn cd041_omvang_with_a_product_code() {
    let m = with_allocation(|c| c.toegewezen_producten[0].omvang = None);
    breaks(&m, &["CD041"]);
    assert_eq!(
        the(&m, "CD041").path,
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]/Omvang"
    );
}

/// A budget allocation of €1.500 for a product category.
fn budget(c: &mut AllocationClient) {
    let p = &mut c.toegewezen_producten[0];
    if let Some(product) = &mut p.product {
        product.code = None;
    }
    p.omvang = None;
    p.budget = Some(Budget(150_000));
}

#[test]
fn cd075_einddatum_with_a_budget() {
    passes(&with_allocation(budget));
    let m = with_allocation(|c| {
        budget(c);
        c.toegewezen_producten[0].einddatum = None;
    });
    breaks(&m, &["CD075"]);
    assert_eq!(
        the(&m, "CD075").path,
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]/Einddatum"
    );
}

#[test]
fn cd076_einddatum_with_per_week() {
    let m = with_allocation(|c| c.toegewezen_producten[0].einddatum = None);
    breaks(&m, &["CD076"]);
    passes(&with_allocation(|c| {
        let p = &mut c.toegewezen_producten[0];
        p.einddatum = None;
        if let Some(o) = &mut p.omvang {
            o.frequentie = Frequentie::PerMaand;
        }
    }));
}

#[test]
fn cd077_cd078_omvang_or_budget() {
    let m = with_allocation(|c| c.toegewezen_producten[0].budget = Some(Budget(150_000)));
    breaks(&m, &["CD077", "CD078"]);
    assert_eq!(
        the(&m, "CD077").path,
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]/Omvang"
    );
    assert_eq!(
        the(&m, "CD078").path,
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]/Budget"
    );
}

#[test]
fn cd079_product_without_a_budget() {
    let m = with_allocation(|c| {
        let p = &mut c.toegewezen_producten[0];
        p.product = None;
        p.omvang = None;
    });
    breaks(&m, &["CD079"]);
    assert_eq!(
        the(&m, "CD079").path,
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]/Product"
    );
    // A budget without a product.
    passes(&with_allocation(|c| {
        budget(c);
        c.toegewezen_producten[0].product = None;
    }));
}

#[test]
fn cd080_no_omvang_without_a_product_code() {
    let no_code = |ingang, einde| {
        with_allocation(move |c| {
            let p = &mut c.toegewezen_producten[0];
            if let Some(product) = &mut p.product {
                product.code = None;
            }
            p.ingangsdatum = ingang;
            p.einddatum = einde;
        })
    };
    let m = no_code(d(2025, 3, 1), Some(d(2025, 12, 31)));
    breaks(&m, &["CD080"]);
    assert_eq!(
        the(&m, "CD080").path,
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]/Omvang"
    );
    // Allocations that ended by 31-12-2020 keep their Omvang.
    passes(&no_code(d(2020, 1, 1), Some(d(2020, 12, 31))));
}

#[test]
fn cs335_deleted_only_when_ingangsdatum_is_einddatum() {
    let m =
        with_allocation(|c| c.toegewezen_producten[0].reden_wijziging = Some(RedenWijziging::R13));
    breaks(&m, &["CS335"]);
    assert_eq!(
        the(&m, "CS335").path,
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]/RedenWijziging"
    );
    passes(&with_allocation(|c| {
        let p = &mut c.toegewezen_producten[0];
        p.reden_wijziging = Some(RedenWijziging::R13);
        p.einddatum = Some(p.ingangsdatum);
    }));
}

#[test]
fn cs336_reden_wijziging_01_is_not_used() {
    breaks(
        &with_allocation(|c| c.toegewezen_producten[0].reden_wijziging = Some(RedenWijziging::R01)),
        &["CS336"],
    );
    passes(&with_allocation(|c| {
        c.toegewezen_producten[0].reden_wijziging = Some(RedenWijziging::R02)
    }));
}

#[test]
fn cs338_frequency_of_per_period_units() {
    let omvang = |eenheid, frequentie, ingang, einde| {
        with_allocation(move |c| {
            let p = &mut c.toegewezen_producten[0];
            p.omvang = Some(Omvang {
                volume: Volume(2),
                eenheid,
                frequentie,
            });
            p.ingangsdatum = ingang;
            p.einddatum = einde;
        })
    };
    let y2025 = (d(2025, 3, 1), Some(d(2025, 12, 31)));
    let m = omvang(Eenheid::Etmaal, Frequentie::PerDag, y2025.0, y2025.1);
    breaks(&m, &["CS338"]);
    assert_eq!(
        the(&m, "CS338").path,
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[1]/Omvang/Frequentie"
    );
    breaks(
        &omvang(Eenheid::Euro, Frequentie::PerDag, y2025.0, None),
        &["CS338"],
    );
    passes(&omvang(
        Eenheid::Etmaal,
        Frequentie::PerMaand,
        y2025.0,
        y2025.1,
    ));
    passes(&omvang(Eenheid::Uur, Frequentie::PerDag, y2025.0, y2025.1));
    passes(&omvang(
        Eenheid::Dagdeel,
        Frequentie::PerDag,
        d(2020, 1, 1),
        Some(d(2020, 12, 31)),
    ));
}

#[test]
fn tr302_no_overlapping_allocations_of_one_product() {
    let second = |f: fn(&mut ToegewezenProduct)| {
        with_allocation(move |c| {
            let mut p = allocated(1002);
            f(&mut p);
            c.toegewezen_producten.push(p);
        })
    };
    let m = second(|p| p.ingangsdatum = d(2025, 6, 1));
    breaks(&m, &["TR302"]);
    assert_eq!(
        the(&m, "TR302").path,
        "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[2]"
    );
    passes(&second(|p| {
        p.ingangsdatum = d(2026, 1, 1);
        p.einddatum = None;
        if let Some(o) = &mut p.omvang {
            o.frequentie = Frequentie::PerMaand;
        }
    }));
    // Another product of the same category may overlap.
    passes(&second(|p| {
        if let Some(product) = &mut p.product {
            product.code = Some("45A49".into());
        }
    }));
    // Without a code the category counts.
    breaks(
        &second(|p| {
            if let Some(product) = &mut p.product {
                product.code = None;
            }
            p.omvang = None;
            p.budget = Some(Budget(100_000));
        }),
        &["TR302"],
    );
    // A deleted allocation does not count.
    passes(&second(|p| {
        p.reden_wijziging = Some(RedenWijziging::R13);
        p.einddatum = Some(p.ingangsdatum);
    }));
}

#[test]
fn tr302_iwmo_categories_11_to_14_may_overlap() {
    let twice = |categorie: ProductCategorie| {
        with_allocation_of(Law::Iwmo, move |c| {
            for p in &mut c.toegewezen_producten {
                if let Some(product) = &mut p.product {
                    product.categorie = categorie;
                }
            }
            let mut again = c.toegewezen_producten[0].clone();
            again.toewijzing_nummer = Nummer(1002);
            c.toegewezen_producten.push(again);
        })
    };
    passes(&twice(ProductCategorie::C11));
    passes(&twice(ProductCategorie::C14));
    breaks(&twice(ProductCategorie::C01), &["TR302"]);
}
