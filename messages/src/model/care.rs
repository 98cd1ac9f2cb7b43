//! 305 Start zorg (care start) / 306 and 307 Stop zorg (care stop) / 308.

use chrono::NaiveDate;

use super::basis::*;
use crate::codes::*;
use crate::types::*;
use crate::xml::node::xml_struct;

xml_struct! {
    /// The client of a 305/306 with the products whose care started.
    pub struct CareStartClient in Message {
        /// Bsn.
        pub bsn: Bsn => one("Bsn"),
        /// Geboortedatum.
        pub geboortedatum: Geboortedatum => one("Geboortedatum"),
        /// Geslacht.
        pub geslacht: Geslacht => one("Geslacht"),
        /// Naam.
        pub naam: VerkorteNaam => one("Naam"),
        /// StartProducten/StartProduct.
        pub start_producten: Vec<StartProduct> => list("StartProducten", "StartProduct"),
        /// RetourCodes (306 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}

xml_struct! {
    /// A product whose care started (start product).
    pub struct StartProduct in Message {
        /// ToewijzingNummer.
        pub toewijzing_nummer: Option<Nummer> => opt("ToewijzingNummer"),
        /// Product.
        pub product: Option<Product> => opt("Product"),
        /// ToewijzingIngangsdatum.
        pub toewijzing_ingangsdatum: Option<NaiveDate> => opt("ToewijzingIngangsdatum"),
        /// Begindatum: the real start of care.
        pub begindatum: NaiveDate => one("Begindatum"),
        /// StatusAanlevering.
        pub status_aanlevering: StatusAanlevering => one("StatusAanlevering"),
        /// RetourCodes (306 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}

xml_struct! {
    /// The client of a 307/308 with the products whose care stopped.
    pub struct CareStopClient in Message {
        /// Bsn.
        pub bsn: Bsn => one("Bsn"),
        /// Geboortedatum.
        pub geboortedatum: Geboortedatum => one("Geboortedatum"),
        /// Geslacht.
        pub geslacht: Geslacht => one("Geslacht"),
        /// Naam.
        pub naam: VerkorteNaam => one("Naam"),
        /// StopProducten/StopProduct.
        pub stop_producten: Vec<StopProduct> => list("StopProducten", "StopProduct"),
        /// RetourCodes (308 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}

xml_struct! {
    /// A product whose care stopped (stop product).
    pub struct StopProduct in Message {
        /// ToewijzingNummer.
        pub toewijzing_nummer: Option<Nummer> => opt("ToewijzingNummer"),
        /// Product.
        pub product: Option<Product> => opt("Product"),
        /// ToewijzingIngangsdatum.
        pub toewijzing_ingangsdatum: Option<NaiveDate> => opt("ToewijzingIngangsdatum"),
        /// Begindatum.
        pub begindatum: NaiveDate => one("Begindatum"),
        /// RedenBeeindiging.
        pub reden_beeindiging: RedenBeeindiging => one("RedenBeeindiging"),
        /// Einddatum: the real end of care.
        pub einddatum: NaiveDate => one("Einddatum"),
        /// StatusAanlevering.
        pub status_aanlevering: StatusAanlevering => one("StatusAanlevering"),
        /// RetourCodes (308 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}
