//! 315 Verzoek om toewijzing (request for allocation) and its retour 316.

use chrono::NaiveDate;

use super::basis::*;
use crate::codes::*;
use crate::types::*;
use crate::xml::node::xml_struct;

xml_struct! {
    /// The client of a 315/316 with the requested products.
    pub struct RequestClient in Message {
        /// Bsn.
        pub bsn: Bsn => one("Bsn"),
        /// Geboortedatum.
        pub geboortedatum: Geboortedatum => one("Geboortedatum"),
        /// Geslacht.
        pub geslacht: Geslacht => one("Geslacht"),
        /// Naam.
        pub naam: VerkorteNaam => one("Naam"),
        /// GezagsdragerBekend: the guardian is known (iJw only).
        pub gezagsdrager_bekend: Option<JaNee> => jw_opt("GezagsdragerBekend"),
        /// Commentaar.
        pub commentaar: Option<Commentaar> => opt("Commentaar"),
        /// AangevraagdeProducten/AangevraagdProduct.
        pub aangevraagde_producten: Vec<AangevraagdProduct> => list("AangevraagdeProducten", "AangevraagdProduct"),
        /// RetourCodes (316 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}

xml_struct! {
    /// A requested product (aangevraagd product).
    pub struct AangevraagdProduct in Message {
        /// ReferentieAanbieder: the provider's reference, echoed in the 301/319.
        pub referentie_aanbieder: Referentie => one("ReferentieAanbieder"),
        /// BeschikkingNummer.
        pub beschikking_nummer: Option<Nummer> => opt("BeschikkingNummer"),
        /// Product.
        pub product: Option<Product> => opt("Product"),
        /// BeschikkingIngangsdatum.
        pub beschikking_ingangsdatum: Option<NaiveDate> => opt("BeschikkingIngangsdatum"),
        /// ToewijzingIngangsdatum.
        pub toewijzing_ingangsdatum: NaiveDate => one("ToewijzingIngangsdatum"),
        /// ToewijzingEinddatum.
        pub toewijzing_einddatum: Option<NaiveDate> => opt("ToewijzingEinddatum"),
        /// Omvang.
        pub omvang: Option<Omvang> => opt("Omvang"),
        /// Budget.
        pub budget: Option<Budget> => opt("Budget"),
        /// Verwijzer.
        pub verwijzer: Verwijzer => one("Verwijzer"),
        /// Raamcontract.
        pub raamcontract: Option<JaNee> => opt("Raamcontract"),
        /// Commentaar.
        pub commentaar: Option<Commentaar> => opt("Commentaar"),
        /// RetourCodes (316 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}
