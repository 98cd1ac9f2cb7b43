//! Client helpers: checksum verification, limits, Retry-After.

use super::*;
use crate::vecozo::wire::{
    Basisgegevens, Berichtstroom, Checksum, HttpsDownload, Referentiegegevens, Relatie,
    Routeringgegevens,
};

pub(crate) fn listed(bytes: &[u8], checksum: &str) -> PullMetadata {
    PullMetadata {
        basisgegevens: Basisgegevens {
            ontvangen_op: "2025-04-02T08:00:00Z".into(),
            payload: HttpsDownload {
                url: "https://localhost/x".into(),
                grootte: bytes.len() as i64,
                checksum: Checksum {
                    algoritme: "SHA256".into(),
                    waarde: checksum.into(),
                },
            },
        },
        routeringgegevens: Routeringgegevens {
            afzender: Relatie {
                rol: "Gemeente".into(),
                code: Some("0268".into()),
            },
            geadresseerden: vec![],
            berichtstroom: Berichtstroom {
                berichttype: "JW".into(),
                berichtsubtype: None,
                berichtversie: 3,
                berichtsubversie: 2,
                actie: "Toewijzing".into(),
            },
        },
        referentiegegevens: Referentiegegevens {
            conversatie_id: Uuid::new_v4(),
            traceer_id: Uuid::new_v4(),
            als_antwoord_op: None,
            referentie_id: None,
        },
        verwerkingscontext: None,
    }
}

#[test]
fn sha256_of_abc() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn verify_accepts_the_right_checksum_in_any_case_and_refuses_others() {
    let body = b"<Bericht/>";
    let ok = listed(body, &sha256_hex(body).to_uppercase());
    assert!(verify_payload(&ok, body).is_ok());
    let wrong = listed(body, &sha256_hex(b"other"));
    assert!(matches!(
        verify_payload(&wrong, body),
        Err(Error::ChecksumMismatch { .. })
    ));
    let mut short = listed(body, &sha256_hex(body));
    short.basisgegevens.payload.grootte = 3;
    assert!(matches!(
        verify_payload(&short, body),
        Err(Error::SizeMismatch { .. })
    ));
    let mut md5 = listed(body, "x");
    md5.basisgegevens.payload.checksum.algoritme = "MD5".into();
    assert!(matches!(
        verify_payload(&md5, body),
        Err(Error::UnsupportedChecksum { .. })
    ));
}

#[test]
fn limits_outside_1_to_250_are_refused() {
    assert!(check_limit(0).is_err());
    assert!(check_limit(251).is_err());
    assert!(check_limit(1).is_ok());
    assert!(check_limit(250).is_ok());
}

#[test]
fn retry_after_in_seconds() {
    let mut h = HeaderMap::new();
    h.insert(RETRY_AFTER, HeaderValue::from_static("120"));
    assert_eq!(retry_after(&h), Some(Duration::from_secs(120)));
    h.insert(
        RETRY_AFTER,
        HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
    );
    assert_eq!(retry_after(&h), None);
}
