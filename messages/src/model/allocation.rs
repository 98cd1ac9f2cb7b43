//! 301 Toewijzing (allocation) and its retour 302: the municipality allocates products to a
//! client; the provider answers with a 302 carrying retourcodes.

use chrono::{NaiveDate, NaiveTime};

use super::basis::*;
use crate::codes::*;
use crate::types::*;
use crate::xml::node::xml_struct;

xml_struct! {
    /// The client (cliënt) of a 301/302 with contacts, relations and allocated products.
    pub struct AllocationClient in Message {
        /// Bsn.
        pub bsn: Bsn => one("Bsn"),
        /// Geboortedatum.
        pub geboortedatum: Geboortedatum => one("Geboortedatum"),
        /// Geslacht.
        pub geslacht: Geslacht => one("Geslacht"),
        /// Naam.
        pub naam: VolledigeNaam => one("Naam"),
        /// Communicatie.
        pub communicatie: Option<Communicatie> => opt("Communicatie"),
        /// JuridischeStatus.
        pub juridische_status: Option<JuridischeStatus> => opt("JuridischeStatus"),
        /// WettelijkeVertegenwoordiging.
        pub wettelijke_vertegenwoordiging: Option<WettelijkeVertegenwoordiging> => opt("WettelijkeVertegenwoordiging"),
        /// Commentaar.
        pub commentaar: Option<Commentaar> => opt("Commentaar"),
        /// Relaties/Relatie (empty: no Relaties element).
        pub relaties: Vec<Relatie> => opt_list("Relaties", "Relatie"),
        /// Contactgegevens/Contact.
        pub contactgegevens: Vec<Contact> => list("Contactgegevens", "Contact"),
        /// ToegewezenProducten/ToegewezenProduct.
        pub toegewezen_producten: Vec<ToegewezenProduct> => list("ToegewezenProducten", "ToegewezenProduct"),
        /// RetourCodes (302 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}

xml_struct! {
    /// A related person (relatie) such as a parent or guardian.
    pub struct Relatie in Message {
        /// Nummer.
        pub nummer: Persoonsid => one("Nummer"),
        /// Volgorde.
        pub volgorde: Option<RelatieVolgorde> => opt("Volgorde"),
        /// Soort.
        pub soort: SoortRelatie => one("Soort"),
        /// Geboortedatum.
        pub geboortedatum: Option<Geboortedatum> => opt("Geboortedatum"),
        /// Geslacht.
        pub geslacht: Option<Geslacht> => opt("Geslacht"),
        /// Naam.
        pub naam: VolledigeNaam => one("Naam"),
        /// Contact.
        pub contact: Contact => one("Contact"),
        /// RetourCodes (302 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}

xml_struct! {
    /// Contact details (contact): address, organisation, phone, e-mail.
    pub struct Contact in Message {
        /// Soort.
        pub soort: AdresSoort => one("Soort"),
        /// Adres.
        pub adres: Option<Adres> => opt("Adres"),
        /// Organisatie.
        pub organisatie: Option<Organisatienaam> => opt("Organisatie"),
        /// Telefoon.
        pub telefoon: Option<Telefoonnummers> => opt("Telefoon"),
        /// Emailadres.
        pub emailadres: Option<Emailadres> => opt("Emailadres"),
        /// Periode.
        pub periode: Option<OpenPeriode> => opt("Periode"),
        /// RetourCodes (302 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}

xml_struct! {
    /// An allocated product (toegewezen product).
    pub struct ToegewezenProduct in Message {
        /// ToewijzingNummer: the allocation number every later message refers to.
        pub toewijzing_nummer: Nummer => one("ToewijzingNummer"),
        /// ReferentieAanbieder: the provider's reference from the 315/317.
        pub referentie_aanbieder: Option<Referentie> => opt("ReferentieAanbieder"),
        /// Product.
        pub product: Option<Product> => opt("Product"),
        /// Toewijzingsdatum.
        pub toewijzingsdatum: NaiveDate => one("Toewijzingsdatum"),
        /// Toewijzingstijd.
        pub toewijzingstijd: NaiveTime => one("Toewijzingstijd"),
        /// Ingangsdatum.
        pub ingangsdatum: NaiveDate => one("Ingangsdatum"),
        /// Einddatum.
        pub einddatum: Option<NaiveDate> => opt("Einddatum"),
        /// RedenWijziging.
        pub reden_wijziging: Option<RedenWijziging> => opt("RedenWijziging"),
        /// Omvang.
        pub omvang: Option<Omvang> => opt("Omvang"),
        /// Budget.
        pub budget: Option<Budget> => opt("Budget"),
        /// Commentaar.
        pub commentaar: Option<Commentaar> => opt("Commentaar"),
        /// RetourCodes (302 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}
