//! Code strings of the standard's codelists (LDT_*) that the builders take, named. The
//! contract sends codes as strings so that both laws share it; these constants only save
//! looking them up. The gateway checks every code against the law's list.

/// LDT_Geslacht (Geslacht).
pub mod sex {
    /// Onbekend.
    pub const UNKNOWN: &str = "0";
    /// Man.
    pub const MALE: &str = "1";
    /// Vrouw.
    pub const FEMALE: &str = "2";
}

/// LDT_Eenheid (Eenheid) of a volume.
pub mod unit {
    /// Minuut.
    pub const MINUTE: &str = "01";
    /// Uur.
    pub const HOUR: &str = "04";
    /// Etmaal (24 hours).
    pub const ETMAAL: &str = "14";
    /// Dagdeel (part of a day).
    pub const DAGDEEL: &str = "16";
    /// Stuks (output).
    pub const PIECES_OUTPUT: &str = "82";
    /// Euro.
    pub const EURO: &str = "83";
    /// Stuks (inspanning).
    pub const PIECES_EFFORT: &str = "84";
}

/// LDT_Frequentie (Frequentie) of a volume.
pub mod frequency {
    /// Per dag.
    pub const PER_DAY: &str = "1";
    /// Per week.
    pub const PER_WEEK: &str = "2";
    /// Per maand.
    pub const PER_MONTH: &str = "4";
    /// Totaal binnen geldigheidsduur toewijzing.
    pub const TOTAL: &str = "6";
}

/// LDT_StatusAanlevering (StatusAanlevering) in 305/307.
pub mod delivery_status {
    /// Eerste aanlevering.
    pub const FIRST: &str = "1";
    /// Aanlevering verwijderen (delete an earlier delivery).
    pub const DELETE: &str = "3";
}

/// LDT_RedenVerzoek (RedenVerzoek) of a 317.
pub mod change_reason {
    /// Wijziging toewijzing.
    pub const CHANGE_ALLOCATION: &str = "1";
    /// Nieuwe toewijzing.
    pub const NEW_ALLOCATION: &str = "2";
}

/// LDT_TypeVerwijzer (Verwijzer/Type).
pub mod referrer_type {
    /// Gemeente.
    pub const MUNICIPALITY: &str = "01";
    /// Huisarts (general practitioner; needs a ZorgverlenerCode).
    pub const GP: &str = "02";
}
