//! 319 Antwoordbericht (answer to a 315/317) and its retour 320.

use crate::codes::*;
use crate::types::*;
use crate::xml::node::xml_struct;

xml_struct! {
    /// The answer (antwoord) to a request: refused or under investigation.
    pub struct Antwoord in Message {
        /// ReferentieAanbieder of the 315/317 answered.
        pub referentie_aanbieder: Referentie => one("ReferentieAanbieder"),
        /// VerzoekAntwoord.
        pub verzoek_antwoord: VerzoekAntwoord => one("VerzoekAntwoord"),
        /// RedenAfwijzingVerzoek.
        pub reden_afwijzing_verzoek: Option<RedenAfwijzingVerzoek> => opt("RedenAfwijzingVerzoek"),
        /// Woonplaatsbeginsel (iJw only): the municipality responsible instead.
        pub woonplaatsbeginsel: Option<Woonplaatsbeginsel> => jw_opt("Woonplaatsbeginsel"),
        /// RetourCodes (320 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}

xml_struct! {
    /// Woonplaatsbeginsel: the municipality that is responsible under the residence principle.
    pub struct Woonplaatsbeginsel in Message {
        /// Gemeente.
        pub gemeente: GemeenteCode => one("Gemeente"),
        /// RetourCodes (320 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}
