//! 317 Verzoek om wijziging (request for change) and its retour 318.

use chrono::NaiveDate;

use super::basis::*;
use crate::codes::*;
use crate::types::*;
use crate::xml::node::xml_struct;

xml_struct! {
    /// The client of a 317/318.
    pub struct ChangeRequestClient in Message {
        /// Bsn.
        pub bsn: Bsn => one("Bsn"),
        /// Verzoek.
        pub verzoek: Verzoek => one("Verzoek"),
        /// RetourCodes (318 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}

xml_struct! {
    /// The request (verzoek): products to keep, to change and to add.
    pub struct Verzoek in Message {
        /// ReferentieAanbieder.
        pub referentie_aanbieder: Referentie => one("ReferentieAanbieder"),
        /// RedenVerzoek.
        pub reden_verzoek: RedenVerzoek => one("RedenVerzoek"),
        /// OngewijzigdeProducten/OngewijzigdProduct.
        pub ongewijzigde_producten: Vec<OngewijzigdProduct> => opt_list("OngewijzigdeProducten", "OngewijzigdProduct"),
        /// TeWijzigenProducten/TeWijzigenProduct.
        pub te_wijzigen_producten: Vec<TeWijzigenProduct> => opt_list("TeWijzigenProducten", "TeWijzigenProduct"),
        /// NieuweProducten/NieuwProduct.
        pub nieuwe_producten: Vec<NieuwProduct> => opt_list("NieuweProducten", "NieuwProduct"),
        /// RetourCodes (318 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}

xml_struct! {
    /// An allocation to keep unchanged (ongewijzigd product).
    pub struct OngewijzigdProduct in Message {
        /// ToewijzingNummer.
        pub toewijzing_nummer: Nummer => one("ToewijzingNummer"),
        /// RetourCodes (318 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}

xml_struct! {
    /// An allocation to change (te wijzigen product).
    pub struct TeWijzigenProduct in Message {
        /// ToewijzingNummer.
        pub toewijzing_nummer: Nummer => one("ToewijzingNummer"),
        /// GewensteIngangsdatum.
        pub gewenste_ingangsdatum: NaiveDate => one("GewensteIngangsdatum"),
        /// Einddatum.
        pub einddatum: Option<NaiveDate> => opt("Einddatum"),
        /// Omvang.
        pub omvang: Option<Omvang> => opt("Omvang"),
        /// Budget.
        pub budget: Option<Budget> => opt("Budget"),
        /// RetourCodes (318 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}

xml_struct! {
    /// A new product to allocate (nieuw product).
    pub struct NieuwProduct in Message {
        /// Product.
        pub product: Option<Product> => opt("Product"),
        /// GewensteIngangsdatum.
        pub gewenste_ingangsdatum: NaiveDate => one("GewensteIngangsdatum"),
        /// Einddatum.
        pub einddatum: Option<NaiveDate> => opt("Einddatum"),
        /// Omvang.
        pub omvang: Option<Omvang> => opt("Omvang"),
        /// Budget.
        pub budget: Option<Budget> => opt("Budget"),
        /// RetourCodes (318 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}
