//! 323 Declaratie (claim) and 325 Declaratie-antwoord (claim answer).

use chrono::NaiveDate;

use super::basis::*;
use crate::codes::*;
use crate::types::*;
use crate::xml::node::xml_struct;

xml_struct! {
    /// The claim (declaratie) of a 323: one month, one municipality, many clients.
    pub struct Declaratie in Message {
        /// DeclaratieNummer: unique per provider (TR333), letters and digits.
        pub declaratie_nummer: DeclaratieNummer => one("DeclaratieNummer"),
        /// DeclaratiePeriode: one whole calendar month (CS340).
        pub declaratie_periode: GeslotenPeriode => one("DeclaratiePeriode"),
        /// DeclaratieDagtekening.
        pub declaratie_dagtekening: NaiveDate => one("DeclaratieDagtekening"),
        /// TotaalIngediendBedrag: Σ debit − Σ credit (TR358).
        pub totaal_ingediend_bedrag: TotaalBedragMetDc => one("TotaalIngediendBedrag"),
        /// Clienten/Client.
        pub clienten: Vec<DeclaratieClient> => list("Clienten", "Client"),
    }
}

xml_struct! {
    /// A client in a claim or claim answer with the claimed lines (prestaties).
    pub struct DeclaratieClient in Message {
        /// Bsn.
        pub bsn: Bsn => one("Bsn"),
        /// Prestaties/Prestatie.
        pub prestaties: Vec<Prestatie> => list("Prestaties", "Prestatie"),
        /// RetourCodes (325 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}

xml_struct! {
    /// A claimed line (prestatie): what was delivered for one allocation in one period.
    pub struct Prestatie in Message {
        /// ProductReferentie.
        pub product_referentie: ProductReferentie => one("ProductReferentie"),
        /// ToewijzingNummer of the allocation claimed against.
        pub toewijzing_nummer: Nummer => one("ToewijzingNummer"),
        /// ProductCategorie.
        pub product_categorie: ProductCategorie => one("ProductCategorie"),
        /// ProductCode.
        pub product_code: ProductCode => one("ProductCode"),
        /// ProductPeriode: within the claim month and the allocation.
        pub product_periode: GeslotenPeriode => one("ProductPeriode"),
        /// GeleverdVolume.
        pub geleverd_volume: Volume => one("GeleverdVolume"),
        /// Eenheid.
        pub eenheid: Eenheid => one("Eenheid"),
        /// ProductTarief in eurocent (absent only for unit euro, CD087).
        pub product_tarief: Option<Bedrag> => opt("ProductTarief"),
        /// IngediendBedrag.
        pub ingediend_bedrag: BedragMetDc => one("IngediendBedrag"),
        /// RetourCodes (325 only).
        pub retour_codes: Vec<RetourCode> => retour(),
    }
}

xml_struct! {
    /// The claim answer (declaratie-antwoord) of a 325.
    pub struct DeclaratieAntwoord in Message {
        /// DeclaratieNummer of the 323 answered (TR376).
        pub declaratie_nummer: IdentificatieDeclaratie => one("DeclaratieNummer"),
        /// TotaalIngediendBedrag.
        pub totaal_ingediend_bedrag: TotaalBedragMetDc => one("TotaalIngediendBedrag"),
        /// TotaalToegekendBedrag: the total granted.
        pub totaal_toegekend_bedrag: TotaalBedragMetDc => one("TotaalToegekendBedrag"),
        /// Clienten/Client with the rejected lines (empty: no Clienten element).
        pub clienten: Vec<DeclaratieClient> => opt_list("Clienten", "Client"),
        /// RetourCodes of the whole claim (8001 when fully accepted).
        pub retour_codes: Vec<RetourCode> => codes(),
    }
}
