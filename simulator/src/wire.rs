//! The JSON shapes of the VSP-Koppeling APIs, field for field as in VECOZO's OpenAPI files
//! (REST push v1, REST pull v1, berichtstatus REST pull v3 and the deprecated v2).
//!
//! Types that appear in more than one API (Relatie, Berichtstroom, Referentiegegevens,
//! SleutelWaardePaar, ValidationProblemDetails) are defined once: their fields are the same
//! in all three files. Every struct refuses unknown fields, as the specs'
//! `additionalProperties: false` does (ValidationProblemDetails allows them and so is only
//! ever written).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A party in the routing data: `rol` (e.g. `Instelling`, `Gemeente`) and `code` (AGB code,
/// gemeentecode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relatie {
    /// The role of the party (1–100 characters).
    pub rol: String,
    /// The party's code (1–100 characters); optional in the spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Berichtstroom: which exchange a message belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Berichtstroom {
    /// E.g. `JW` or `WMO`.
    pub berichttype: String,
    /// E.g. `JW315`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub berichtsubtype: Option<String>,
    /// E.g. 3 (0–999).
    pub berichtversie: i32,
    /// E.g. 2 (0–999).
    pub berichtsubversie: i32,
    /// E.g. `VerzoekToewijzing`.
    pub actie: String,
}

/// Routeringgegevens: sender, addressees and exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Routeringgegevens {
    /// The sending party (afzender).
    pub afzender: Relatie,
    /// The addressees (at most 100).
    pub geadresseerden: Vec<Relatie>,
    /// The exchange.
    pub berichtstroom: Berichtstroom,
}

/// Referentiegegevens: the identifiers of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Referentiegegevens {
    /// Links the messages of one conversation.
    pub conversatie_id: Uuid,
    /// Unique per message and per AGB code (BRS114).
    pub traceer_id: Uuid,
    /// The traceerId of the message this one answers; required on retours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub als_antwoord_op: Option<Uuid>,
    /// Free reference of the submitting party (1–150 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referentie_id: Option<String>,
}

/// One key with its values in the verwerkingscontext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SleutelWaardePaar {
    /// The key (1–100 characters).
    pub sleutel: String,
    /// 1–100 values of 1–250 characters.
    pub waarde: Vec<String>,
}

/// The `berichtMetadata` part of a push (REST push v1 `BerichtMetadata`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushMetadata {
    /// Routing.
    pub routeringgegevens: Routeringgegevens,
    /// Identifiers.
    pub referentiegegevens: Referentiegegevens,
    /// Optional processing context, passed on unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verwerkingscontext: Option<Vec<SleutelWaardePaar>>,
}

/// One ready message in a pull listing (REST pull v1 `BerichtMetadata`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullMetadata {
    /// Reception time and where to download the payload.
    pub basisgegevens: Basisgegevens,
    /// Routing as pushed.
    pub routeringgegevens: Routeringgegevens,
    /// Identifiers as pushed.
    pub referentiegegevens: Referentiegegevens,
    /// Processing context as pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verwerkingscontext: Option<Vec<SleutelWaardePaar>>,
}

/// Basisgegevens of a ready message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Basisgegevens {
    /// When VECOZO received the message (RFC 3339).
    pub ontvangen_op: String,
    /// The payload download.
    pub payload: HttpsDownload,
}

/// HTTPSDownload: the payload's URL, size and checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpsDownload {
    /// Absolute URL of `GET …/berichten/{traceerId}/payload`.
    pub url: String,
    /// Size in bytes.
    pub grootte: i64,
    /// Checksum of the payload bytes.
    pub checksum: Checksum,
}

/// Checksum of a payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checksum {
    /// Always `SHA256`.
    pub algoritme: String,
    /// Lowercase hexadecimal digest.
    pub waarde: String,
}

/// The body of `POST …/berichten/zoeken`: one of three search paths, by `zoekpadType`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "zoekpadType")]
pub enum Zoekpad {
    /// By exchange and optionally addressee.
    #[serde(rename_all = "camelCase")]
    ZoekpadOpBerichtstroom {
        /// Required.
        berichttype: String,
        /// Optional filter.
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
    /// All ready messages of one conversation.
    #[serde(rename_all = "camelCase")]
    ZoekpadOpConversatieId {
        /// The conversation.
        conversatie_id: Uuid,
    },
    /// The ready answers to one message: its traceerId.
    #[serde(rename_all = "camelCase")]
    ZoekpadOpAlsAntwoordOp {
        /// The traceerId of the heen message.
        als_antwoord_op: Uuid,
    },
}

/// The v3 message states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Berichtstatus {
    /// Received; ketencontrole not started.
    Ontvangen,
    /// Part of a split message received (not simulated).
    DeelsOntvangen,
    /// Part of a split message refused (not simulated).
    DeelberichtAanleveringAfgekeurd,
    /// Ketencontrole (XSD, XSLT rules) running.
    WordtVerwerkt,
    /// Refused by the ketencontrole; see the meldingen. Not forwarded.
    AfgekeurdDoorDienst,
    /// Ketencontrole passed.
    VerwerkingVoltooid,
    /// Ready for the addressee to fetch.
    WordtAangeboden,
    /// The addressee has fetched and confirmed it.
    Bezorgd,
    /// Offering failed (fault scenarios).
    AanbiedenMislukt,
    /// Delivery given up (fault scenarios).
    BezorgingAfgebroken,
}

impl Berichtstatus {
    /// The name as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Berichtstatus::Ontvangen => "Ontvangen",
            Berichtstatus::DeelsOntvangen => "DeelsOntvangen",
            Berichtstatus::DeelberichtAanleveringAfgekeurd => "DeelberichtAanleveringAfgekeurd",
            Berichtstatus::WordtVerwerkt => "WordtVerwerkt",
            Berichtstatus::AfgekeurdDoorDienst => "AfgekeurdDoorDienst",
            Berichtstatus::VerwerkingVoltooid => "VerwerkingVoltooid",
            Berichtstatus::WordtAangeboden => "WordtAangeboden",
            Berichtstatus::Bezorgd => "Bezorgd",
            Berichtstatus::AanbiedenMislukt => "AanbiedenMislukt",
            Berichtstatus::BezorgingAfgebroken => "BezorgingAfgebroken",
        }
    }
}

/// The states of the deprecated berichtstatus REST pull v2 (`Berichtstatus` in its OpenAPI
/// file): v3 renamed `Aangeboden` to `WordtAangeboden` and added `AanbiedenMislukt` and
/// `BezorgingAfgebroken`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BerichtstatusV2 {
    /// Received; ketencontrole not started.
    Ontvangen,
    /// Part of a split message received (not simulated).
    DeelsOntvangen,
    /// Part of a split message refused (not simulated).
    DeelberichtAanleveringAfgekeurd,
    /// Ketencontrole running.
    WordtVerwerkt,
    /// Refused by the ketencontrole; see the meldingen.
    AfgekeurdDoorDienst,
    /// Ketencontrole passed.
    VerwerkingVoltooid,
    /// Ready for the addressee to fetch (v3 `WordtAangeboden`).
    Aangeboden,
    /// The addressee has fetched and confirmed it.
    Bezorgd,
}

impl From<Berichtstatus> for BerichtstatusV2 {
    /// The v2 name of a v3 state. v2 has no failed-delivery states: `AanbiedenMislukt` (the
    /// offer failed) shows as `VerwerkingVoltooid`, the last v2 state the message reached, and
    /// `BezorgingAfgebroken` (offered, never collected) as `Aangeboden`.
    fn from(s: Berichtstatus) -> Self {
        match s {
            Berichtstatus::Ontvangen => BerichtstatusV2::Ontvangen,
            Berichtstatus::DeelsOntvangen => BerichtstatusV2::DeelsOntvangen,
            Berichtstatus::DeelberichtAanleveringAfgekeurd => {
                BerichtstatusV2::DeelberichtAanleveringAfgekeurd
            }
            Berichtstatus::WordtVerwerkt => BerichtstatusV2::WordtVerwerkt,
            Berichtstatus::AfgekeurdDoorDienst => BerichtstatusV2::AfgekeurdDoorDienst,
            Berichtstatus::VerwerkingVoltooid | Berichtstatus::AanbiedenMislukt => {
                BerichtstatusV2::VerwerkingVoltooid
            }
            Berichtstatus::WordtAangeboden | Berichtstatus::BezorgingAfgebroken => {
                BerichtstatusV2::Aangeboden
            }
            Berichtstatus::Bezorgd => BerichtstatusV2::Bezorgd,
        }
    }
}

/// A (fault) notice on a refused message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Melding {
    /// E.g. `BRS13`.
    pub code: String,
    /// The code's text from VECOZO's list.
    pub omschrijving: String,
    /// Detail: for BRS13/BRS28 the rule, element path and explanation (never message values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toelichting: Option<String>,
}

/// One entry of `GET …/berichtstatussen` (`BerichtstatusGegevens`): with `S` =
/// [`Berichtstatus`] as in v3, with [`BerichtstatusV2`] as in v2 (otherwise the same fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BerichtstatusGegevens<S = Berichtstatus> {
    /// Identifiers of the message.
    pub referentiegegevens: Referentiegegevens,
    /// Its exchange.
    pub berichtstroom: Berichtstroom,
    /// Current state.
    pub berichtstatus: S,
    /// When the state last changed (RFC 3339).
    pub berichtstatus_gewijzigd_op: String,
    /// Notices (1–100) when refused; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meldingen: Option<Vec<Melding>>,
    /// When the message was received (RFC 3339).
    pub bericht_ontvangen_op: String,
}

impl BerichtstatusGegevens {
    /// The same entry as v2 shows it.
    pub fn to_v2(self) -> BerichtstatusGegevens<BerichtstatusV2> {
        BerichtstatusGegevens {
            referentiegegevens: self.referentiegegevens,
            berichtstroom: self.berichtstroom,
            berichtstatus: self.berichtstatus.into(),
            berichtstatus_gewijzigd_op: self.berichtstatus_gewijzigd_op,
            meldingen: self.meldingen,
            bericht_ontvangen_op: self.bericht_ontvangen_op,
        }
    }
}

/// RFC 7807 problem details with per-key errors, as the specs return on 400 and 422.
///
/// The simulator's 422 (ontvangstcontrole) puts the VECOZO code as the key of `errors`
/// (`{"BRS03": ["Indiener is niet gemachtigd …"]}`), and the same code at the start of
/// `detail`. Its 400 keys `errors` by the JSON path of the offending field
/// (`referentiegegevens.traceerId`) or the multipart part name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationProblemDetails {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub type_: String,
    /// A short summary.
    pub title: String,
    /// The HTTP status code.
    pub status: i32,
    /// The first problem in words, starting with its code.
    pub detail: String,
    /// The request path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Problems by key (BRS code or field path).
    pub errors: BTreeMap<String, Vec<String>>,
}
