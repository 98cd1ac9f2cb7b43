//! In-message rules of the 325 Declaratie-antwoord: for each rule a passing and a failing case.
//! The reference answer grants one of two lines of €348,96 and rejects the other (TR338).

use crate::rules_support;

use ketenpoort_messages::codes::*;
use ketenpoort_messages::model::basis::*;
use ketenpoort_messages::model::declaration::{DeclaratieAntwoord, DeclaratieClient, Prestatie};
use ketenpoort_messages::model::header::DeclarationAnswerHeader;
use ketenpoort_messages::types::*;
use ketenpoort_messages::{Content, DeclarationAnswer, Law, Message};
use rules_support::*;

const LINE1: &str = "/Bericht/DeclaratieAntwoord/Clienten/Client[1]/Prestaties/Prestatie[1]";

fn rejected_line(reference: &str) -> Prestatie {
    Prestatie {
        product_referentie: ProductReferentie {
            referentie_nummer: reference.into(),
            vorig_referentie_nummer: None,
        },
        toewijzing_nummer: Nummer(1002),
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
        retour_codes: vec![RetourCode::R9338],
    }
}

fn total(cents: u64) -> TotaalBedragMetDc {
    TotaalBedragMetDc {
        totaal_bedrag: TotaalBedrag(cents),
        debet_credit: DebetCredit::Debet,
    }
}

fn answer() -> Message {
    Message {
        law: Law::Ijw,
        content: Content::DeclarationAnswer(DeclarationAnswer {
            header: DeclarationAnswerHeader {
                heen: header(false, d(2025, 4, 10)),
                declaratie_identificatie: BerichtIdentificatie {
                    identificatie: "KP000001".into(),
                    dagtekening: d(2025, 4, 2),
                },
                xslt_versie: None,
                xsd_versie_declaratie: XsdVersie {
                    basisschema_xsd_versie: "1.0.0".into(),
                    bericht_xsd_versie: "1.0.0".into(),
                },
                retour_codes: vec![RetourCode::R0200],
            },
            body: Some(DeclaratieAntwoord {
                declaratie_nummer: "D202503A".into(),
                totaal_ingediend_bedrag: total(2 * 34896),
                totaal_toegekend_bedrag: total(34896),
                clienten: vec![DeclaratieClient {
                    bsn: "111222333".into(),
                    prestaties: vec![rejected_line("R2")],
                    retour_codes: vec![RetourCode::R0200],
                }],
                retour_codes: vec![RetourCode::R0200],
            }),
        }),
    }
}

fn with_answer(f: impl FnOnce(&mut DeclaratieAntwoord)) -> Message {
    let mut m = answer();
    if let Content::DeclarationAnswer(a) = &mut m.content {
        if let Some(body) = &mut a.body {
            f(body);
        }
    }
    m
}

#[test]
fn the_reference_answer_passes_every_rule() {
    passes(&answer());
    // Fully granted: no clients listed, 8001 on the answer.
    passes(&with_answer(|a| {
        a.clienten.clear();
        a.totaal_toegekend_bedrag = total(2 * 34896);
        a.retour_codes = vec![RetourCode::R8001];
    }));
}

#[test]
fn cs002_bsn_in_a_claim_answer() {
    let m = with_answer(|a| a.clienten[0].bsn = "111222334".into());
    breaks(&m, &["CS002"]);
    assert_eq!(
        the(&m, "CS002").path,
        "/Bericht/DeclaratieAntwoord/Clienten/Client[1]/Bsn"
    );
}

#[test]
fn cs325_zero_is_debit_in_a_claim_answer() {
    // Nothing granted: 0 written as C.
    let m = with_answer(|a| {
        a.clienten[0].prestaties.push(rejected_line("R1"));
        a.totaal_toegekend_bedrag = TotaalBedragMetDc {
            totaal_bedrag: TotaalBedrag(0),
            debet_credit: DebetCredit::Credit,
        };
    });
    breaks(&m, &["CS325"]);
    assert_eq!(
        the(&m, "CS325").path,
        "/Bericht/DeclaratieAntwoord/TotaalToegekendBedrag/DebetCredit"
    );
    passes(&with_answer(|a| {
        a.clienten[0].prestaties.push(rejected_line("R1"));
        a.totaal_toegekend_bedrag = total(0);
    }));
    let m = with_answer(|a| {
        a.totaal_ingediend_bedrag.debet_credit = DebetCredit::Credit;
        a.totaal_ingediend_bedrag.totaal_bedrag = TotaalBedrag(0);
        a.totaal_toegekend_bedrag = total(0);
        a.clienten.clear();
    });
    breaks(&m, &["CS325"]);
    assert_eq!(
        the(&m, "CS325").path,
        "/Bericht/DeclaratieAntwoord/TotaalIngediendBedrag/DebetCredit"
    );
    let m = with_answer(|a| {
        let p = &mut a.clienten[0].prestaties[0];
        p.ingediend_bedrag = BedragMetDc {
            bedrag: Bedrag(0),
            debet_credit: DebetCredit::Credit,
        };
        p.product_referentie.vorig_referentie_nummer = Some("R0".into());
        p.geleverd_volume = Volume(0);
        a.totaal_toegekend_bedrag = total(2 * 34896);
    });
    breaks(&m, &["CS325"]);
    assert_eq!(
        the(&m, "CS325").path,
        format!("{LINE1}/IngediendBedrag/DebetCredit")
    );
}

#[test]
fn cd060_previous_reference_on_credit_lines_in_a_claim_answer() {
    let m = with_answer(|a| {
        a.clienten[0].prestaties[0]
            .product_referentie
            .vorig_referentie_nummer = Some("R0".into())
    });
    breaks(&m, &["CD060"]);
    assert_eq!(
        the(&m, "CD060").path,
        format!("{LINE1}/ProductReferentie/VorigReferentieNummer")
    );
    // A rejected credit line with its reference.
    passes(&with_answer(|a| {
        let p = &mut a.clienten[0].prestaties[0];
        p.ingediend_bedrag.debet_credit = DebetCredit::Credit;
        p.product_referentie.vorig_referentie_nummer = Some("R0".into());
        a.totaal_ingediend_bedrag = total(0);
        a.totaal_toegekend_bedrag = total(34896);
    }));
}

#[test]
fn tr137_product_period_in_a_claim_answer() {
    let m = with_answer(|a| a.clienten[0].prestaties[0].product_periode.einddatum = d(2025, 3, 3));
    breaks(&m, &["TR137"]);
    assert_eq!(
        the(&m, "TR137").path,
        format!("{LINE1}/ProductPeriode/Einddatum")
    );
}

#[test]
fn tr134_claim_date_not_after_the_answer() {
    let mut m = answer();
    if let Content::DeclarationAnswer(a) = &mut m.content {
        a.header.declaratie_identificatie.dagtekening = d(2025, 4, 11);
    }
    breaks(&m, &["TR134"]);
    assert_eq!(
        the(&m, "TR134").path,
        "/Bericht/Header/DeclaratieIdentificatie/Dagtekening"
    );
}

#[test]
fn tr101_no_duplicate_lines_in_a_claim_answer() {
    let m = with_answer(|a| {
        a.clienten[0].prestaties.push(rejected_line("R2"));
        a.totaal_toegekend_bedrag = total(0);
    });
    breaks(&m, &["TR101"]);
    assert_eq!(
        the(&m, "TR101").path,
        "/Bericht/DeclaratieAntwoord/Clienten/Client[1]/Prestaties/Prestatie[2]"
    );
    passes(&with_answer(|a| {
        a.clienten[0].prestaties.push(rejected_line("R1"));
        a.totaal_toegekend_bedrag = total(0);
    }));
}

#[test]
fn tr342_only_rejected_prestaties_are_listed() {
    // A listed line without a rejection.
    let m = with_answer(|a| a.clienten[0].prestaties[0].retour_codes = vec![RetourCode::R0200]);
    breaks(&m, &["TR342"]);
    assert_eq!(the(&m, "TR342").path, format!("{LINE1}/RetourCodes"));
    // Rejected with its client: the line itself may carry 0200.
    passes(&with_answer(|a| {
        a.clienten[0].retour_codes = vec![RetourCode::R8187];
        a.clienten[0].prestaties[0].retour_codes = vec![RetourCode::R0200];
    }));
    // The rejected lines must explain the difference between claimed and granted.
    let m = with_answer(|a| a.totaal_toegekend_bedrag = total(0));
    breaks(&m, &["TR342"]);
    assert_eq!(
        the(&m, "TR342").path,
        "/Bericht/DeclaratieAntwoord/TotaalToegekendBedrag"
    );
    // A rejected answer grants nothing and lists no prestaties.
    passes(&with_answer(|a| {
        a.retour_codes = vec![RetourCode::R9333];
        a.totaal_toegekend_bedrag = total(0);
        a.clienten.clear();
    }));
    let m = with_answer(|a| {
        a.retour_codes = vec![RetourCode::R9333];
        a.totaal_toegekend_bedrag = total(0);
    });
    breaks(&m, &["TR342"]);
    assert_eq!(
        the(&m, "TR342").path,
        "/Bericht/DeclaratieAntwoord/Clienten"
    );
}
