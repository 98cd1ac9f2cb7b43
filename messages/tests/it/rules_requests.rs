//! In-message rules on the product lines of the 315 Verzoek om toewijzing and the 317 Verzoek
//! om wijziging: for each rule a passing and a failing case, for both laws where they differ.

use crate::rules_support;

use ketenpoort_messages::codes::*;
use ketenpoort_messages::model::basis::*;
use ketenpoort_messages::model::change::{OngewijzigdProduct, Verzoek};
use ketenpoort_messages::model::request::RequestClient;
use ketenpoort_messages::types::*;
use ketenpoort_messages::{Law, Message};
use rules_support::*;

const JW: Law = Law::Ijw;
const WMO: Law = Law::Iwmo;
const REQ1: &str = "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[1]";
const NEW1: &str = "/Bericht/Client/Verzoek/NieuweProducten/NieuwProduct[1]";
const CHANGED1: &str = "/Bericht/Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct[1]";

fn with_request(f: impl FnOnce(&mut RequestClient)) -> Message {
    with_request_of(JW, f)
}

fn with_change(f: impl FnOnce(&mut Verzoek)) -> Message {
    with_change_of(JW, f)
}

#[test]
fn the_reference_requests_pass_every_rule() {
    for law in [JW, WMO] {
        passes(&request(law));
        passes(&change_request(law));
    }
}

#[test]
fn cs139_birth_date_in_a_request() {
    let m = with_request(|c| c.geboortedatum.datum_gebruik = Some(DatumGebruik::DagOnbekend));
    breaks(&m, &["CS139"]);
    assert_eq!(
        the(&m, "CS139").path,
        "/Bericht/Client/Geboortedatum/DatumGebruik"
    );
    passes(&with_request(|c| {
        c.geboortedatum = Geboortedatum {
            datum: d(2012, 1, 1),
            datum_gebruik: Some(DatumGebruik::DagEnMaandOnbekend),
        }
    }));
}

#[test]
fn cd041_omvang_with_a_product_code_in_requests() {
    let m = with_request(|c| c.aangevraagde_producten[0].omvang = None);
    breaks(&m, &["CD041"]);
    assert_eq!(the(&m, "CD041").path, format!("{REQ1}/Omvang"));
    let m = with_change(|v| v.nieuwe_producten[0].omvang = None);
    breaks(&m, &["CD041"]);
    assert_eq!(the(&m, "CD041").path, format!("{NEW1}/Omvang"));
    // A TeWijzigenProduct has no product code: no Omvang is needed there.
    passes(&with_change(|v| {
        let p = &mut v.te_wijzigen_producten[0];
        p.omvang = None;
        p.budget = Some(Budget(50_000));
    }));
}

#[test]
fn cd075_end_date_with_a_budget_in_requests() {
    let m = with_request(|c| {
        let p = &mut c.aangevraagde_producten[0];
        p.product = None;
        p.omvang = None;
        p.budget = Some(Budget(50_000));
        p.toewijzing_einddatum = None;
    });
    breaks(&m, &["CD075"]);
    assert_eq!(the(&m, "CD075").path, format!("{REQ1}/ToewijzingEinddatum"));
    let m = with_change(|v| {
        let p = &mut v.te_wijzigen_producten[0];
        p.omvang = None;
        p.budget = Some(Budget(50_000));
        p.einddatum = None;
    });
    breaks(&m, &["CD075"]);
    assert_eq!(the(&m, "CD075").path, format!("{CHANGED1}/Einddatum"));
    breaks(
        &with_change(|v| {
            let p = &mut v.nieuwe_producten[0];
            p.product = None;
            p.omvang = None;
            p.budget = Some(Budget(50_000));
            p.einddatum = None;
        }),
        &["CD075"],
    );
    passes(&with_change(|v| {
        let p = &mut v.nieuwe_producten[0];
        p.product = None;
        p.omvang = None;
        p.budget = Some(Budget(50_000));
    }));
}

#[test]
fn cd076_end_date_with_per_week_in_requests() {
    breaks(
        &with_request(|c| c.aangevraagde_producten[0].toewijzing_einddatum = None),
        &["CD076"],
    );
    breaks(
        &with_change(|v| v.nieuwe_producten[0].einddatum = None),
        &["CD076"],
    );
    let m = with_change(|v| v.te_wijzigen_producten[0].einddatum = None);
    breaks(&m, &["CD076"]);
    assert_eq!(the(&m, "CD076").path, format!("{CHANGED1}/Einddatum"));
    passes(&with_change(|v| {
        let p = &mut v.te_wijzigen_producten[0];
        p.einddatum = None;
        p.omvang = Some(Omvang {
            volume: Volume(16),
            eenheid: Eenheid::Uur,
            frequentie: Frequentie::PerMaand,
        });
    }));
}

#[test]
fn cd077_cd078_omvang_or_budget_in_requests() {
    let m = with_request(|c| c.aangevraagde_producten[0].budget = Some(Budget(1)));
    breaks(&m, &["CD077", "CD078"]);
    assert_eq!(the(&m, "CD077").path, format!("{REQ1}/Omvang"));
    assert_eq!(the(&m, "CD078").path, format!("{REQ1}/Budget"));
    breaks(
        &with_change(|v| v.nieuwe_producten[0].budget = Some(Budget(1))),
        &["CD077", "CD078"],
    );
    let m = with_change(|v| v.te_wijzigen_producten[0].budget = Some(Budget(1)));
    breaks(&m, &["CD077", "CD078"]);
    assert_eq!(the(&m, "CD078").path, format!("{CHANGED1}/Budget"));
}

#[test]
fn cd079_product_without_a_budget_in_requests() {
    let m = with_request(|c| {
        let p = &mut c.aangevraagde_producten[0];
        p.product = None;
        p.omvang = None;
    });
    breaks(&m, &["CD079"]);
    assert_eq!(the(&m, "CD079").path, format!("{REQ1}/Product"));
    let m = with_change(|v| {
        let p = &mut v.nieuwe_producten[0];
        p.product = None;
        p.omvang = None;
    });
    breaks(&m, &["CD079"]);
    assert_eq!(the(&m, "CD079").path, format!("{NEW1}/Product"));
}

#[test]
fn cd095_no_omvang_without_a_product_code_in_a_request() {
    let m = with_request(|c| {
        if let Some(p) = &mut c.aangevraagde_producten[0].product {
            p.code = None;
        }
    });
    breaks(&m, &["CD095"]);
    assert_eq!(the(&m, "CD095").path, format!("{REQ1}/Omvang"));
    passes(&with_request(|c| {
        let p = &mut c.aangevraagde_producten[0];
        if let Some(product) = &mut p.product {
            product.code = None;
        }
        p.toewijzing_ingangsdatum = d(2020, 6, 1);
        p.toewijzing_einddatum = Some(d(2020, 12, 31));
    }));
}

#[test]
fn cd096_no_omvang_without_a_product_code_in_a_new_product() {
    let m = with_change(|v| {
        if let Some(p) = &mut v.nieuwe_producten[0].product {
            p.code = None;
        }
    });
    breaks(&m, &["CD096"]);
    assert_eq!(the(&m, "CD096").path, format!("{NEW1}/Omvang"));
    passes(&with_change(|v| {
        let p = &mut v.nieuwe_producten[0];
        if let Some(product) = &mut p.product {
            product.code = None;
        }
        p.omvang = None;
        p.budget = Some(Budget(10_000));
    }));
}

#[test]
fn cs003_end_on_or_after_start_in_requests() {
    let m =
        with_request(|c| c.aangevraagde_producten[0].toewijzing_einddatum = Some(d(2025, 2, 28)));
    breaks(&m, &["CS003"]);
    assert_eq!(the(&m, "CS003").path, format!("{REQ1}/ToewijzingEinddatum"));
    breaks(
        &with_change(|v| v.nieuwe_producten[0].einddatum = Some(d(2025, 2, 28))),
        &["CS003"],
    );
    let m = with_change(|v| v.te_wijzigen_producten[0].einddatum = Some(d(2025, 2, 28)));
    breaks(&m, &["CS003"]);
    assert_eq!(the(&m, "CS003").path, format!("{CHANGED1}/Einddatum"));
    passes(&with_change(|v| {
        v.te_wijzigen_producten[0].einddatum = Some(d(2025, 3, 1))
    }));
}

fn per_day(eenheid: Eenheid) -> Option<Omvang> {
    Some(Omvang {
        volume: Volume(1),
        eenheid,
        frequentie: Frequentie::PerDag,
    })
}

#[test]
fn cs343_frequency_of_per_period_units_in_a_request() {
    let m = with_request(|c| c.aangevraagde_producten[0].omvang = per_day(Eenheid::Etmaal));
    breaks(&m, &["CS343"]);
    assert_eq!(the(&m, "CS343").path, format!("{REQ1}/Omvang/Frequentie"));
    breaks(
        &with_request(|c| c.aangevraagde_producten[0].omvang = per_day(Eenheid::StuksInspanning)),
        &["CS343"],
    );
    passes(&with_request(|c| {
        c.aangevraagde_producten[0].omvang = per_day(Eenheid::Minuut)
    }));
}

#[test]
fn cs338_frequency_of_per_period_units_in_a_change_request() {
    let m = with_change(|v| v.nieuwe_producten[0].omvang = per_day(Eenheid::Dagdeel));
    breaks(&m, &["CS338"]);
    assert_eq!(the(&m, "CS338").path, format!("{NEW1}/Omvang/Frequentie"));
    let m = with_change(|v| v.te_wijzigen_producten[0].omvang = per_day(Eenheid::Euro));
    breaks(&m, &["CS338"]);
    assert_eq!(
        the(&m, "CS338").path,
        format!("{CHANGED1}/Omvang/Frequentie")
    );
    passes(&with_change(|v| {
        v.te_wijzigen_producten[0].omvang = per_day(Eenheid::Uur)
    }));
}

#[test]
fn tr101_no_duplicate_lines_in_requests() {
    let m = with_request(|c| {
        let mut p = requested(JW, "REF-1");
        p.product = Some(Product {
            categorie: ProductCategorie::C45,
            code: Some("45A49".into()),
        });
        c.aangevraagde_producten.push(p);
    });
    // The logical key of an AangevraagdProduct is ReferentieAanbieder, which TR383 also
    // requires to be unique.
    breaks(&m, &["TR101", "TR383"]);
    assert_eq!(
        the(&m, "TR101").path,
        "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[2]"
    );
    let m = with_change(|v| {
        let p = v.ongewijzigde_producten[0].clone();
        v.ongewijzigde_producten.push(p);
    });
    breaks(&m, &["TR101"]);
    assert_eq!(
        the(&m, "TR101").path,
        "/Bericht/Client/Verzoek/OngewijzigdeProducten/OngewijzigdProduct[2]"
    );
    breaks(
        &with_change(|v| {
            let mut p = v.te_wijzigen_producten[0].clone();
            p.gewenste_ingangsdatum = d(2025, 4, 1);
            v.te_wijzigen_producten.push(p);
        }),
        &["TR101"],
    );
    // The same new product twice from the same date: a duplicate line (and an overlap).
    breaks(
        &with_change(|v| {
            let p = v.nieuwe_producten[0].clone();
            v.nieuwe_producten.push(p);
        }),
        &["TR101", "TR410"],
    );
    passes(&with_change(|v| {
        v.ongewijzigde_producten.push(OngewijzigdProduct {
            toewijzing_nummer: Nummer(1003),
            retour_codes: vec![],
        });
    }));
}

#[test]
fn tr386_overlap_at_category_level_and_without_product() {
    // Without a code the category counts.
    breaks(
        &with_request(|c| {
            let mut p = requested(JW, "REF-2");
            p.product = Some(Product {
                categorie: ProductCategorie::C45,
                code: None,
            });
            p.omvang = None;
            p.budget = Some(Budget(10_000));
            c.aangevraagde_producten.push(p);
        }),
        &["TR386"],
    );
    // Without a product it may overlap with nothing.
    let m = with_request(|c| {
        let mut p = requested(JW, "REF-2");
        p.product = None;
        p.omvang = None;
        p.budget = Some(Budget(10_000));
        c.aangevraagde_producten.push(p);
    });
    breaks(&m, &["TR386"]);
    assert_eq!(
        the(&m, "TR386").path,
        "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[2]"
    );
    // Another category may overlap.
    passes(&with_request(|c| {
        let mut p = requested(JW, "REF-2");
        p.product = Some(Product {
            categorie: ProductCategorie::C40,
            code: Some("40A01".into()),
        });
        c.aangevraagde_producten.push(p);
    }));
}

#[test]
fn tr386_tr410_iwmo_categories_11_to_14_may_overlap() {
    let in_category = |categorie: ProductCategorie| {
        Some(Product {
            categorie,
            code: Some("11A01".into()),
        })
    };
    let request_twice = |categorie| {
        with_request_of(WMO, move |c| {
            c.aangevraagde_producten[0].product = in_category(categorie);
            let mut p = c.aangevraagde_producten[0].clone();
            p.referentie_aanbieder = "REF-2".into();
            c.aangevraagde_producten.push(p);
        })
    };
    passes(&request_twice(ProductCategorie::C12));
    breaks(&request_twice(ProductCategorie::C02), &["TR386"]);
    // In iJw there is no such exception.
    let m = with_request_of(JW, |c| {
        let mut p = c.aangevraagde_producten[0].clone();
        p.referentie_aanbieder = "REF-2".into();
        c.aangevraagde_producten.push(p);
    });
    breaks(&m, &["TR386"]);
    let change_twice = |categorie| {
        with_change_of(WMO, move |v| {
            v.nieuwe_producten[0].product = in_category(categorie);
            let mut p = v.nieuwe_producten[0].clone();
            p.gewenste_ingangsdatum = d(2025, 4, 1);
            v.nieuwe_producten.push(p);
        })
    };
    passes(&change_twice(ProductCategorie::C13));
    let m = change_twice(ProductCategorie::C03);
    breaks(&m, &["TR410"]);
    assert_eq!(
        the(&m, "TR410").path,
        "/Bericht/Client/Verzoek/NieuweProducten/NieuwProduct[2]"
    );
}

#[test]
fn tr352_tr353_tr380_change_request_rules() {
    // Only a new product: nothing current is kept or changed.
    let m = with_change(|v| {
        v.ongewijzigde_producten.clear();
        v.te_wijzigen_producten.clear();
    });
    breaks(&m, &["TR352"]);
    assert_eq!(the(&m, "TR352").path, "/Bericht/Client/Verzoek");
    // Only unchanged products: nothing to ask.
    breaks(
        &with_change(|v| {
            v.te_wijzigen_producten.clear();
            v.nieuwe_producten.clear();
        }),
        &["TR353"],
    );
    // Only a change: allowed.
    passes(&with_change(|v| {
        v.ongewijzigde_producten.clear();
        v.nieuwe_producten.clear();
    }));
    let m = with_change(|v| v.nieuwe_producten[0].gewenste_ingangsdatum = d(2025, 2, 3));
    breaks(&m, &["TR380"]);
    assert!(
        the(&m, "TR380")
            .path
            .ends_with("/NieuweProducten/NieuwProduct[1]/GewensteIngangsdatum")
    );
    // A change of an existing allocation may start in the past (TR357 judges it).
    passes(&with_change(|v| {
        v.te_wijzigen_producten[0].gewenste_ingangsdatum = d(2025, 2, 3)
    }));
}
