//! Complex types of the basisschema (CDT_*). Their children live in the basisschema namespace.

use chrono::NaiveDate;

use crate::codes::*;
use crate::types::*;
use crate::xml::node::xml_struct;

xml_struct! {
    /// CDT_Achternaam: a surname with optional prefix (voorvoegsel).
    pub struct Achternaam in Basis {
        /// Achternaam: the surname.
        pub achternaam: Naam => one("Achternaam"),
        /// Voorvoegsel: prefix such as "van".
        pub voorvoegsel: Option<Voorvoegsel> => opt("Voorvoegsel"),
    }
}

xml_struct! {
    /// CDT_Huis: house number with letter and addition.
    pub struct Huis in Basis {
        /// Huisnummer.
        pub huisnummer: Huisnummer => one("Huisnummer"),
        /// Huisletter.
        pub huisletter: Option<Huisletter> => opt("Huisletter"),
        /// HuisnummerToevoeging.
        pub huisnummer_toevoeging: Option<HuisnummerToevoeging> => opt("HuisnummerToevoeging"),
        /// AanduidingWoonadres.
        pub aanduiding_woonadres: Option<AanduidingWoonadres> => opt("AanduidingWoonadres"),
    }
}

xml_struct! {
    /// CDT_Adres: an address (adres).
    pub struct Adres in Basis {
        /// Huis.
        pub huis: Option<Huis> => opt("Huis"),
        /// Postcode.
        pub postcode: Option<Postcode> => opt("Postcode"),
        /// Straatnaam.
        pub straatnaam: Option<Straatnaam> => opt("Straatnaam"),
        /// Plaatsnaam.
        pub plaatsnaam: Option<Plaatsnaam> => opt("Plaatsnaam"),
        /// LandCode.
        pub land_code: Option<LandCode> => opt("LandCode"),
    }
}

xml_struct! {
    /// CDT_BedragMetDC: an amount in eurocent with its sign (debit/credit).
    pub struct BedragMetDc in Basis {
        /// Bedrag in eurocent.
        pub bedrag: Bedrag => one("Bedrag"),
        /// DebetCredit: the sign.
        pub debet_credit: DebetCredit => one("DebetCredit"),
    }
}

xml_struct! {
    /// CDT_TotaalBedragMetDC: a total amount in eurocent with its sign.
    pub struct TotaalBedragMetDc in Basis {
        /// TotaalBedrag in eurocent.
        pub totaal_bedrag: TotaalBedrag => one("TotaalBedrag"),
        /// DebetCredit: the sign.
        pub debet_credit: DebetCredit => one("DebetCredit"),
    }
}

xml_struct! {
    /// CDT_BerichtIdentificatie: a message's identification and date (dagtekening).
    pub struct BerichtIdentificatie in Basis {
        /// Identificatie: unique per message type per sender (TR056, BRS20).
        pub identificatie: IdentificatieBericht => one("Identificatie"),
        /// Dagtekening: the date the message was made.
        pub dagtekening: NaiveDate => one("Dagtekening"),
    }
}

xml_struct! {
    /// CDT_Communicatie: communication help the client needs.
    pub struct Communicatie in Basis {
        /// Vorm.
        pub vorm: Communicatievorm => one("Vorm"),
        /// Taal: the language, when Vorm is 1 (CD007).
        pub taal: Option<Taal> => opt("Taal"),
    }
}

xml_struct! {
    /// CDT_Geboortedatum: a birth date and which part of it is known.
    pub struct Geboortedatum in Basis {
        /// Datum.
        pub datum: NaiveDate => one("Datum"),
        /// DatumGebruik.
        pub datum_gebruik: Option<DatumGebruik> => opt("DatumGebruik"),
    }
}

xml_struct! {
    /// CDT_GeslotenPeriode: a closed period (begin and end date).
    pub struct GeslotenPeriode in Basis {
        /// Begindatum.
        pub begindatum: NaiveDate => one("Begindatum"),
        /// Einddatum.
        pub einddatum: NaiveDate => one("Einddatum"),
    }
}

xml_struct! {
    /// CDT_OpenPeriode: a period whose ends may be open.
    pub struct OpenPeriode in Basis {
        /// Begindatum.
        pub begindatum: Option<NaiveDate> => opt("Begindatum"),
        /// Einddatum.
        pub einddatum: Option<NaiveDate> => opt("Einddatum"),
    }
}

xml_struct! {
    /// CDT_Omvang: volume, unit and frequency of care (omvang).
    pub struct Omvang in Basis {
        /// Volume.
        pub volume: Volume => one("Volume"),
        /// Eenheid.
        pub eenheid: Eenheid => one("Eenheid"),
        /// Frequentie.
        pub frequentie: Frequentie => one("Frequentie"),
    }
}

xml_struct! {
    /// CDT_Product: product category and optional product code.
    pub struct Product in Basis {
        /// Categorie.
        pub categorie: ProductCategorie => one("Categorie"),
        /// Code.
        pub code: Option<ProductCode> => opt("Code"),
    }
}

xml_struct! {
    /// CDT_Referentie (ProductReferentie): the reference of a claimed line and, for a credit, the debit it undoes.
    pub struct ProductReferentie in Basis {
        /// ReferentieNummer: unique per provider (TR314).
        pub referentie_nummer: ReferentieNummer => one("ReferentieNummer"),
        /// VorigReferentieNummer: the debit line a credit line reverses.
        pub vorig_referentie_nummer: Option<ReferentieNummer> => opt("VorigReferentieNummer"),
    }
}

xml_struct! {
    /// CDT_Telefoon: a telephone number with country code.
    pub struct Telefoon in Basis {
        /// Telefoonnummer.
        pub telefoonnummer: Telefoonnummer => one("Telefoonnummer"),
        /// Landnummer.
        pub landnummer: Landnummer => one("Landnummer"),
    }
}

xml_struct! {
    /// CDT_Telefoonnummers: one or two telephone numbers.
    pub struct Telefoonnummers in Basis {
        /// Telefoon01.
        pub telefoon01: Telefoon => one("Telefoon01"),
        /// Telefoon02.
        pub telefoon02: Option<Telefoon> => opt("Telefoon02"),
    }
}

xml_struct! {
    /// CDT_VerkorteNaam: a short name (surname, given names, initials).
    pub struct VerkorteNaam in Basis {
        /// Geslachtsnaam.
        pub geslachtsnaam: Achternaam => one("Geslachtsnaam"),
        /// Voornamen.
        pub voornamen: Option<Naam> => opt("Voornamen"),
        /// Voorletters.
        pub voorletters: Option<Voorletters> => opt("Voorletters"),
    }
}

xml_struct! {
    /// CDT_VolledigeNaam: a full name with partner name and how it is used.
    pub struct VolledigeNaam in Basis {
        /// Geslachtsnaam.
        pub geslachtsnaam: Achternaam => one("Geslachtsnaam"),
        /// Partnernaam.
        pub partnernaam: Option<Achternaam> => opt("Partnernaam"),
        /// Voornamen.
        pub voornamen: Option<Naam> => opt("Voornamen"),
        /// Voorletters.
        pub voorletters: Option<Voorletters> => opt("Voorletters"),
        /// NaamGebruik.
        pub naam_gebruik: NaamGebruik => one("NaamGebruik"),
    }
}

xml_struct! {
    /// CDT_Verwijzer: who referred the client (verwijzer).
    pub struct Verwijzer in Basis {
        /// Type.
        pub type_: TypeVerwijzer => one("Type"),
        /// Naam.
        pub naam: Option<NaamVerwijzer> => opt("Naam"),
        /// ZorgverlenerCode: AGB code of the referring care provider.
        pub zorgverlener_code: Option<AgbCode> => opt("ZorgverlenerCode"),
    }
}

xml_struct! {
    /// CDT_XsdVersie: the XSD versions a message was made with (from the XSD's appinfo, IV034).
    pub struct XsdVersie in Basis {
        /// BasisschemaXsdVersie.
        pub basisschema_xsd_versie: Versie => one("BasisschemaXsdVersie"),
        /// BerichtXsdVersie.
        pub bericht_xsd_versie: Versie => one("BerichtXsdVersie"),
    }
}
