//! The JSON shapes of VSP-Koppeling REST push v1, REST pull v1 and berichtstatus REST pull v3,
//! with field names exactly as in VECOZO's OpenAPI files.
//!
//! Types that the three files share (Relatie, Berichtstroom, Referentiegegevens,
//! SleutelWaardePaar, ValidationProblemDetails) are defined once: their fields are the same.
//! Reading is lenient on purpose — unknown fields are ignored and an unknown berichtstatus
//! becomes [`Berichtstatus::Onbekend`] — so that a new optional field at VECOZO does not stop
//! the collection of answers. Writing produces only the fields the spec allows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A party in the routing data: `rol` (`Instelling`, `Gemeente`, …) and `code` (AGB code,
/// gemeentecode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relatie {
    /// The role (1–100 characters).
    pub rol: String,
    /// The code (1–100 characters); optional in the spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Berichtstroom: the exchange a message belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Berichtstroom {
    /// `JW` or `WMO`.
    pub berichttype: String,
    /// E.g. `JW315`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub berichtsubtype: Option<String>,
    /// 3 for release 3.2.
    pub berichtversie: i32,
    /// 2 for release 3.2.
    pub berichtsubversie: i32,
    /// E.g. `VerzoekToewijzing`.
    pub actie: String,
}

/// Routeringgegevens: sender, addressees, exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routeringgegevens {
    /// The sending party.
    pub afzender: Relatie,
    /// The addressees (at most 100).
    pub geadresseerden: Vec<Relatie>,
    /// The exchange.
    pub berichtstroom: Berichtstroom,
}

/// Referentiegegevens: the identifiers of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Referentiegegevens {
    /// Links the messages of one conversation.
    pub conversatie_id: Uuid,
    /// Unique per message and per AGB code (BRS114).
    pub traceer_id: Uuid,
    /// The traceerId of the message this one answers; required on retours (IB021).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub als_antwoord_op: Option<Uuid>,
    /// Free reference of the submitting party (1–150 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referentie_id: Option<String>,
}

/// One key with its values in the verwerkingscontext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SleutelWaardePaar {
    /// The key (1–100 characters).
    pub sleutel: String,
    /// 1–100 values of 1–250 characters.
    pub waarde: Vec<String>,
}

/// The `berichtMetadata` part of a push (push v1 `BerichtMetadata`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushMetadata {
    /// Routing.
    pub routeringgegevens: Routeringgegevens,
    /// Identifiers.
    pub referentiegegevens: Referentiegegevens,
    /// Optional processing context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verwerkingscontext: Option<Vec<SleutelWaardePaar>>,
}

/// One ready message in a pull listing (pull v1 `BerichtMetadata`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullMetadata {
    /// Reception time and the payload download.
    pub basisgegevens: Basisgegevens,
    /// Routing as pushed by the sender.
    pub routeringgegevens: Routeringgegevens,
    /// Identifiers as pushed by the sender.
    pub referentiegegevens: Referentiegegevens,
    /// Processing context as pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verwerkingscontext: Option<Vec<SleutelWaardePaar>>,
}

impl PullMetadata {
    /// The message's traceerId.
    pub fn traceer_id(&self) -> Uuid {
        self.referentiegegevens.traceer_id
    }
}

/// Basisgegevens of a ready message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Basisgegevens {
    /// When VECOZO received it (RFC 3339, kept as text).
    pub ontvangen_op: String,
    /// The payload download.
    pub payload: HttpsDownload,
}

/// HTTPSDownload: where the payload is, its size and checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpsDownload {
    /// URL of `GET …/berichten/{traceerId}/payload` (not used: see the module decisions).
    pub url: String,
    /// Size in bytes.
    pub grootte: i64,
    /// Checksum of the payload.
    pub checksum: Checksum,
}

/// Checksum of a payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksum {
    /// `SHA256`.
    pub algoritme: String,
    /// Hexadecimal digest.
    pub waarde: String,
}

/// The body of `POST …/berichten/zoeken`: one of three search paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "zoekpadType")]
pub enum Zoekpad {
    /// By exchange and optionally addressee.
    #[serde(rename_all = "camelCase")]
    ZoekpadOpBerichtstroom {
        /// Required: `JW` or `WMO`.
        berichttype: String,
        /// Optional filter, e.g. `JW301`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        berichtsubtype: Option<String>,
        /// Optional filter.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        berichtversie: Option<i32>,
        /// Optional filter.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        berichtsubversie: Option<i32>,
        /// Optional filter.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actie: Option<String>,
        /// Optional filter on an addressee's role.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        geadresseerde_rol: Option<String>,
        /// Optional filter on an addressee's code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        geadresseerde_code: Option<String>,
    },
    /// The ready messages of one conversation.
    #[serde(rename_all = "camelCase")]
    ZoekpadOpConversatieId {
        /// The conversation.
        conversatie_id: Uuid,
    },
    /// The ready answers to one of our messages.
    #[serde(rename_all = "camelCase")]
    ZoekpadOpAlsAntwoordOp {
        /// The traceerId of our heen message.
        als_antwoord_op: Uuid,
    },
}

/// The v3 message states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Berichtstatus {
    /// Received; ketencontrole not started.
    Ontvangen,
    /// Part of a split message received.
    DeelsOntvangen,
    /// Part of a split message refused.
    DeelberichtAanleveringAfgekeurd,
    /// Ketencontrole running.
    WordtVerwerkt,
    /// Refused by the ketencontrole (see meldingen); not forwarded.
    AfgekeurdDoorDienst,
    /// Ketencontrole passed.
    VerwerkingVoltooid,
    /// Ready for the addressee.
    WordtAangeboden,
    /// The addressee fetched it.
    Bezorgd,
    /// Offering failed.
    AanbiedenMislukt,
    /// Delivery given up.
    BezorgingAfgebroken,
    /// A state this version of ketenpoort does not know (VECOZO added one).
    #[serde(other)]
    Onbekend,
}

impl Berichtstatus {
    /// True for states after which nothing more happens to the message at VECOZO.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Berichtstatus::AfgekeurdDoorDienst
                | Berichtstatus::DeelberichtAanleveringAfgekeurd
                | Berichtstatus::Bezorgd
                | Berichtstatus::BezorgingAfgebroken
        )
    }
}

/// A (fault) notice on a message: in status entries, and built from 400/422 problems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Melding {
    /// E.g. `BRS13`, `BRS114`, `IB021`.
    pub code: String,
    /// VECOZO's text for the code.
    pub omschrijving: String,
    /// Detail, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toelichting: Option<String>,
}

/// One entry of `GET …/berichtstatussen` (v3 `BerichtstatusGegevens`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BerichtstatusGegevens {
    /// The message's identifiers.
    pub referentiegegevens: Referentiegegevens,
    /// Its exchange.
    pub berichtstroom: Berichtstroom,
    /// Current state.
    pub berichtstatus: Berichtstatus,
    /// When the state last changed (RFC 3339, kept as text).
    pub berichtstatus_gewijzigd_op: String,
    /// Notices when refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meldingen: Option<Vec<Melding>>,
    /// When VECOZO received the message (RFC 3339, kept as text).
    pub bericht_ontvangen_op: String,
}

/// RFC 7807 problem details with per-key errors, as 400 and 422 carry them. Every field is
/// optional: VECOZO's spec marks none as required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationProblemDetails {
    /// A URI naming the problem type.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// A short summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The HTTP status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i32>,
    /// The problem in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Problems by key: a BRS/IB code (ontvangstcontrole) or a field path (400).
    #[serde(default)]
    pub errors: BTreeMap<String, Vec<String>>,
}

impl ValidationProblemDetails {
    /// The problem as meldingen: one per error key and text (code = the key), or one from
    /// `detail`/`title` when there are no keys. `fallback_code` (e.g. `HTTP422`) names a
    /// problem without keys.
    pub fn meldingen(&self, fallback_code: &str) -> Vec<Melding> {
        let melding = |code: &str, omschrijving: Option<&String>| Melding {
            code: code.to_owned(),
            omschrijving: omschrijving.cloned().unwrap_or_default(),
            toelichting: None,
        };
        let mut out = Vec::new();
        for (key, texts) in &self.errors {
            if texts.is_empty() {
                out.push(melding(key, self.detail.as_ref()));
            }
            out.extend(texts.iter().map(|t| melding(key, Some(t))));
        }
        if out.is_empty() {
            out.push(melding(
                fallback_code,
                self.detail.as_ref().or(self.title.as_ref()),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_status_and_unknown_fields_are_read() {
        let json = r#"{
            "referentiegegevens": {"conversatieId": "6f1d7c1e-8f6a-4c3e-9a51-0d3c2f0b9a10",
                                   "traceerId": "1b4e28ba-2fa1-11d2-883f-0016d3cca427"},
            "berichtstroom": {"berichttype": "JW", "berichtversie": 3, "berichtsubversie": 2,
                              "actie": "VerzoekToewijzing", "nieuw": 1},
            "berichtstatus": "IetsNieuws",
            "berichtstatusGewijzigdOp": "2025-11-24T16:58:44.0867+01:00",
            "berichtOntvangenOp": "2025-11-24T16:58:44.0867+01:00"
        }"#;
        let s: BerichtstatusGegevens = serde_json::from_str(json).expect("lenient");
        assert_eq!(s.berichtstatus, Berichtstatus::Onbekend);
    }

    #[test]
    fn zoekpad_is_tagged_with_zoekpad_type() {
        let z = Zoekpad::ZoekpadOpAlsAntwoordOp {
            als_antwoord_op: Uuid::nil(),
        };
        let v = serde_json::to_value(&z).expect("json");
        assert_eq!(v["zoekpadType"], "ZoekpadOpAlsAntwoordOp");
        assert_eq!(v["alsAntwoordOp"], Uuid::nil().to_string());
    }

    #[test]
    fn problem_meldingen_use_error_keys_as_codes() {
        let p: ValidationProblemDetails = serde_json::from_str(
            r#"{"status":422,"detail":"BRS114 TraceerID is niet uniek",
                "errors":{"BRS114":["TraceerID is niet uniek"]}}"#,
        )
        .expect("json");
        let m = p.meldingen("HTTP422");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].code, "BRS114");
        assert_eq!(m[0].omschrijving, "TraceerID is niet uniek");
        let empty = ValidationProblemDetails {
            title: Some("Unprocessable".into()),
            ..Default::default()
        };
        assert_eq!(empty.meldingen("HTTP422")[0].code, "HTTP422");
    }
}
