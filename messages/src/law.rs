//! Laws (iJw, iWmo) and message kinds: the identity of a message.
//!
//! iJw (Jeugdwet) and iWmo (Wmo 2015) release 3.2 share one structure; they differ in
//! namespaces, BerichtCode values, a few codelists and two Jw-only elements.

use std::fmt;

/// The law a message belongs to: iJw (Jeugdwet) or iWmo (Wet maatschappelijke ondersteuning).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Law {
    /// iJw: Jeugdwet (youth care); message codes `JWnnn`.
    Ijw,
    /// iWmo: Wmo 2015 (social support); message codes `WMOnnn`.
    Iwmo,
}

impl Law {
    /// Both laws, in a fixed order.
    pub const ALL: [Law; 2] = [Law::Ijw, Law::Iwmo];

    /// Lower-case name as used in namespaces and JSON: `ijw` / `iwmo`.
    pub fn as_str(self) -> &'static str {
        match self {
            Law::Ijw => "ijw",
            Law::Iwmo => "iwmo",
        }
    }

    /// Prefix of message codes: `JW` / `WMO`.
    pub fn code_prefix(self) -> &'static str {
        match self {
            Law::Ijw => "JW",
            Law::Iwmo => "WMO",
        }
    }

    /// Namespace of the basisschema (shared data types), e.g.
    /// `http://www.istandaarden.nl/ijw/3_2/basisschema/schema`.
    pub fn basis_namespace(self) -> &'static str {
        match self {
            Law::Ijw => "http://www.istandaarden.nl/ijw/3_2/basisschema/schema",
            Law::Iwmo => "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema",
        }
    }
}

impl fmt::Display for Law {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The 14 message types of release 3.2, identical in number for both laws.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum MessageType {
    /// 301 Toewijzing (allocation), municipality → provider.
    M301,
    /// 302 retour on a 301, provider → municipality.
    M302,
    /// 305 Start zorg (care start), provider → municipality.
    M305,
    /// 306 retour on a 305.
    M306,
    /// 307 Stop zorg (care stop), provider → municipality.
    M307,
    /// 308 retour on a 307.
    M308,
    /// 315 Verzoek om toewijzing (request for allocation), provider → municipality.
    M315,
    /// 316 retour on a 315.
    M316,
    /// 317 Verzoek om wijziging (request for change), provider → municipality.
    M317,
    /// 318 retour on a 317.
    M318,
    /// 319 Antwoordbericht (answer to a 315/317), municipality → provider.
    M319,
    /// 320 retour on a 319, provider → municipality.
    M320,
    /// 323 Declaratie (claim), provider → municipality.
    M323,
    /// 325 Declaratie-antwoord (claim answer), municipality → provider.
    M325,
}

impl MessageType {
    /// All 14 message types in numeric order.
    pub const ALL: [MessageType; 14] = [
        MessageType::M301,
        MessageType::M302,
        MessageType::M305,
        MessageType::M306,
        MessageType::M307,
        MessageType::M308,
        MessageType::M315,
        MessageType::M316,
        MessageType::M317,
        MessageType::M318,
        MessageType::M319,
        MessageType::M320,
        MessageType::M323,
        MessageType::M325,
    ];

    /// The message number, e.g. 315.
    pub fn number(self) -> u16 {
        match self {
            MessageType::M301 => 301,
            MessageType::M302 => 302,
            MessageType::M305 => 305,
            MessageType::M306 => 306,
            MessageType::M307 => 307,
            MessageType::M308 => 308,
            MessageType::M315 => 315,
            MessageType::M316 => 316,
            MessageType::M317 => 317,
            MessageType::M318 => 318,
            MessageType::M319 => 319,
            MessageType::M320 => 320,
            MessageType::M323 => 323,
            MessageType::M325 => 325,
        }
    }

    /// The message type for a number, if it is one of the 14.
    pub fn from_number(n: u16) -> Option<MessageType> {
        MessageType::ALL.into_iter().find(|m| m.number() == n)
    }

    /// True for the retour messages (302, 306, 308, 316, 318, 320) that answer a heen message
    /// with retourcodes. 325 is an answer too but has its own structure.
    pub fn is_retour(self) -> bool {
        matches!(
            self,
            MessageType::M302
                | MessageType::M306
                | MessageType::M308
                | MessageType::M316
                | MessageType::M318
                | MessageType::M320
        )
    }

    /// For a retour message, the heen message it answers (e.g. 316 → 315).
    pub fn heen(self) -> Option<MessageType> {
        match self {
            MessageType::M302 => Some(MessageType::M301),
            MessageType::M306 => Some(MessageType::M305),
            MessageType::M308 => Some(MessageType::M307),
            MessageType::M316 => Some(MessageType::M315),
            MessageType::M318 => Some(MessageType::M317),
            MessageType::M320 => Some(MessageType::M319),
            MessageType::M325 => Some(MessageType::M323),
            _ => None,
        }
    }

    /// True when the municipality writes the (heen) header: Afzender is a gemeente code and
    /// Ontvanger an AGB code (301, 319, 325 and the retours 302, 320 that copy their header).
    pub fn municipality_header(self) -> bool {
        matches!(
            self,
            MessageType::M301
                | MessageType::M302
                | MessageType::M319
                | MessageType::M320
                | MessageType::M325
        )
    }

    /// The BerichtCode (COD002) of this message type under `law`.
    pub fn bericht_code(self, law: Law) -> u16 {
        let (jw, wmo) = match self {
            MessageType::M301 => (436, 414),
            MessageType::M302 => (437, 415),
            MessageType::M305 => (438, 418),
            MessageType::M306 => (439, 419),
            MessageType::M307 => (440, 420),
            MessageType::M308 => (441, 421),
            MessageType::M315 => (446, 444),
            MessageType::M316 => (447, 445),
            MessageType::M317 => (486, 480),
            MessageType::M318 => (487, 481),
            MessageType::M319 => (488, 482),
            MessageType::M320 => (489, 483),
            MessageType::M323 => (490, 484),
            MessageType::M325 => (491, 485),
        };
        match law {
            Law::Ijw => jw,
            Law::Iwmo => wmo,
        }
    }
}

/// A message kind: a law and a message type, e.g. JW323 or WMO301 (28 kinds in all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageKind {
    /// The law.
    pub law: Law,
    /// The message type.
    pub message_type: MessageType,
}

impl MessageKind {
    /// A kind from its parts.
    pub const fn new(law: Law, message_type: MessageType) -> Self {
        Self { law, message_type }
    }

    /// All 28 kinds: every message type of both laws.
    pub fn all() -> impl Iterator<Item = MessageKind> {
        Law::ALL.into_iter().flat_map(|law| {
            MessageType::ALL
                .into_iter()
                .map(move |t| MessageKind::new(law, t))
        })
    }

    /// The code as the standard writes it: `JW323`, `WMO301`.
    pub fn code(self) -> String {
        format!("{}{}", self.law.code_prefix(), self.message_type.number())
    }

    /// The short lower-case name used in namespaces and as XML prefix: `jw323`, `wmo301`.
    pub fn prefix(self) -> String {
        format!(
            "{}{}",
            self.law.code_prefix().to_ascii_lowercase(),
            self.message_type.number()
        )
    }

    /// The message namespace, e.g. `http://www.istandaarden.nl/ijw/3_2/jw323/schema`.
    pub fn namespace(self) -> String {
        format!(
            "http://www.istandaarden.nl/{}/3_2/{}/schema",
            self.law.as_str(),
            self.prefix()
        )
    }

    /// The BerichtCode for this kind.
    pub fn bericht_code(self) -> u16 {
        self.message_type.bericht_code(self.law)
    }

    /// Parses `JW323` / `WMO301` (case-insensitive).
    pub fn parse(code: &str) -> Option<MessageKind> {
        let upper = code.to_ascii_uppercase();
        let (law, rest) = if let Some(rest) = upper.strip_prefix("WMO") {
            (Law::Iwmo, rest)
        } else if let Some(rest) = upper.strip_prefix("JW") {
            (Law::Ijw, rest)
        } else {
            return None;
        };
        let n: u16 = rest.parse().ok()?;
        Some(MessageKind::new(law, MessageType::from_number(n)?))
    }

    /// Recognises a message namespace (`…/ijw/3_2/jw315/schema`) and returns its kind.
    pub fn from_namespace(ns: &str) -> Option<MessageKind> {
        MessageKind::all().find(|k| k.namespace() == ns)
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}",
            self.law.code_prefix(),
            self.message_type.number()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bericht_codes_match_domain_table() {
        // DOMAIN.md: JW 315=446, 323=490; WMO 315=444, 325=485.
        assert_eq!(MessageType::M315.bericht_code(Law::Ijw), 446);
        assert_eq!(MessageType::M323.bericht_code(Law::Ijw), 490);
        assert_eq!(MessageType::M315.bericht_code(Law::Iwmo), 444);
        assert_eq!(MessageType::M325.bericht_code(Law::Iwmo), 485);
    }

    #[test]
    fn codes_and_namespaces_round_trip() {
        for kind in MessageKind::all() {
            assert_eq!(MessageKind::parse(&kind.code()), Some(kind));
            assert_eq!(MessageKind::from_namespace(&kind.namespace()), Some(kind));
        }
        assert_eq!(MessageKind::all().count(), 28);
        assert_eq!(MessageKind::parse("JW999"), None);
        assert_eq!(
            MessageKind::new(Law::Iwmo, MessageType::M301).namespace(),
            "http://www.istandaarden.nl/iwmo/3_2/wmo301/schema"
        );
    }
}
