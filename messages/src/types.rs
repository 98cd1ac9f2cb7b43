//! Simple types of the basisschema (LDT_*): strings and integers with their facets, dates
//! and times.
//!
//! String and integer types are newtypes with a public inner value so that a model is easy
//! to build; whether a value fits its type is checked by validation (on write and on read),
//! which reports the rule that states the facet.

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};

use crate::error::Error;
use crate::facets::{self, IntError, Pattern, StringFacets};
use crate::xml::node::Node;
use crate::xml::read::{Reader, is_xml_space};
use crate::xml::write::Writer;
use crate::xml::{Ns, Report};

macro_rules! string_type {
    ($(#[$meta:meta])* $name:ident: min $min:literal, max $max:expr, $pattern:expr, $pattern_rule:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub(crate) const FACETS: StringFacets = StringFacets {
                min: $min,
                max: $max,
                pattern: $pattern,
                max_rule: match $max {
                    Some(m) => facets::max_length_rule(m),
                    None => "XSD-maxLength",
                },
                pattern_rule: $pattern_rule,
            };

            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl Node for $name {
            fn write(&self, w: &mut Writer, ns: Ns, name: &'static str) {
                w.leaf(ns, name, &self.0);
            }
            fn read(r: &mut Reader<'_>, empty: bool) -> Result<Option<Self>, Error> {
                let Some(text) = r.read_text(empty)? else { return Ok(None) };
                let value = Self(text.into_owned());
                value.check(&mut r.report);
                Ok(Some(value))
            }
            fn check(&self, rep: &mut Report) {
                facets::check_string(&self.0, &Self::FACETS, rep);
            }
            #[cfg(feature = "generate")]
            fn generate(g: &mut crate::generate::Gen) -> Self {
                Self(g.string(&Self::FACETS))
            }
        }
    };
}

macro_rules! int_type {
    ($(#[$meta:meta])* $name:ident: max $max:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// The largest value the schema allows.
            pub const MAX: u64 = $max;
        }

        impl From<u64> for $name {
            fn from(v: u64) -> Self {
                Self(v)
            }
        }

        impl Node for $name {
            fn write(&self, w: &mut Writer, ns: Ns, name: &'static str) {
                w.leaf_u64(ns, name, self.0);
            }
            fn read(r: &mut Reader<'_>, empty: bool) -> Result<Option<Self>, Error> {
                let Some(text) = r.read_text(empty)? else { return Ok(None) };
                match facets::parse_unsigned(&text) {
                    Ok(v) => {
                        let value = Self(v);
                        value.check(&mut r.report);
                        Ok(Some(value))
                    }
                    Err(e) => {
                        report_int_error(e, $max, &mut r.report);
                        Ok(None)
                    }
                }
            }
            fn check(&self, rep: &mut Report) {
                if self.0 > $max {
                    report_int_error(IntError::TooLarge, $max, rep);
                }
            }
            #[cfg(feature = "generate")]
            fn generate(g: &mut crate::generate::Gen) -> Self {
                Self(g.int($max))
            }
        }
    };
}

fn report_int_error(e: IntError, max: u64, rep: &mut Report) {
    match e {
        IntError::Syntax => rep.violation("XSD-integer", "must be a whole number"),
        IntError::Negative => rep.violation("RS001", "must be 0 or more"),
        IntError::TooLarge => rep.violation(
            facets::max_value_rule(max),
            format!("must be at most {max}"),
        ),
    }
}

string_type!(
    /// LDT_AgbCode: AGB code of a provider (aanbieder), 8 digits.
    AgbCode: min 1, max Some(8), Pattern::Digits(8), "RS036"
);
string_type!(
    /// LDT_BurgerServicenummer: citizen service number (BSN), 9 digits. The 11-proef is CS002.
    Bsn: min 1, max Some(9), Pattern::Digits(9), "RS037"
);
string_type!(
    /// LDT_Gemeente: CBS code of a municipality (gemeente), 4 digits.
    GemeenteCode: min 1, max None, Pattern::Digits(4), "RS035"
);
string_type!(
    /// LDT_Commentaar: free text (commentaar), may span lines, not blank.
    Commentaar: min 1, max None, Pattern::NonBlank, "RS031"
);
string_type!(
    /// LDT_Emailadres: e-mail address.
    Emailadres: min 1, max Some(80), Pattern::NonBlankLine, "RS033"
);
string_type!(
    /// LDT_Huisletter: house letter.
    Huisletter: min 1, max Some(1), Pattern::NonBlankLine, "RS033"
);
string_type!(
    /// LDT_HuisnummerToevoeging: house number addition.
    HuisnummerToevoeging: min 1, max Some(4), Pattern::NonBlankLine, "RS033"
);
string_type!(
    /// LDT_IdentificatieBericht: identification of a message (Identificatie), ≤ 12 characters.
    IdentificatieBericht: min 1, max Some(12), Pattern::NonBlankLine, "RS033"
);
string_type!(
    /// LDT_IdentificatieDeclaratie: identification of a claim (DeclaratieNummer in a 325).
    IdentificatieDeclaratie: min 1, max Some(12), Pattern::None, "XSD-pattern"
);
string_type!(
    /// DeclaratieNummer of a 323: letters and digits only (CS319), ≤ 12 characters.
    DeclaratieNummer: min 1, max Some(12), Pattern::Alnum, "CS319"
);
string_type!(
    /// LDT_Landnummer: telephone country code.
    Landnummer: min 1, max Some(4), Pattern::NonBlankLine, "RS033"
);
string_type!(
    /// LDT_Naam: a name (surname, given names), ≤ 200 characters.
    Naam: min 1, max Some(200), Pattern::NonBlankLine, "RS033"
);
string_type!(
    /// LDT_NaamVerwijzer: name of the referrer (verwijzer).
    NaamVerwijzer: min 1, max Some(64), Pattern::NonBlankLine, "RS033"
);
string_type!(
    /// LDT_Organisatienaam: organisation name.
    Organisatienaam: min 1, max Some(35), Pattern::NonBlankLine, "RS033"
);
string_type!(
    /// LDT_Persoonsid: identification of a related person.
    Persoonsid: min 1, max Some(20), Pattern::NonBlankLine, "RS033"
);
string_type!(
    /// LDT_Plaatsnaam: place name.
    Plaatsnaam: min 1, max Some(80), Pattern::NonBlankLine, "RS033"
);
string_type!(
    /// LDT_Postcode: postal code (Dutch format checked by CS089).
    Postcode: min 1, max Some(8), Pattern::NonBlankLine, "RS033"
);
string_type!(
    /// LDT_ProductCode: product code from the municipality's product list.
    ProductCode: min 1, max Some(5), Pattern::NonBlankLine, "RS033"
);
string_type!(
    /// LDT_Referentie: a reference such as ReferentieAanbieder.
    Referentie: min 1, max Some(36), Pattern::NonBlankLine, "RS033"
);
string_type!(
    /// LDT_ReferentieNummer: reference of a claimed line (ReferentieNummer).
    ReferentieNummer: min 1, max Some(20), Pattern::None, "XSD-pattern"
);
string_type!(
    /// LDT_Straatnaam: street name.
    Straatnaam: min 1, max Some(24), Pattern::NonBlankLine, "RS033"
);
string_type!(
    /// LDT_Taal: language, when an interpreter is needed.
    Taal: min 1, max Some(25), Pattern::NonBlankLine, "RS033"
);
string_type!(
    /// LDT_Telefoonnummer: telephone number, digits only (RS046).
    Telefoonnummer: min 1, max Some(15), Pattern::DigitsAny, "RS046"
);
string_type!(
    /// LDT_Versie: a version `n.n.n` (XsdVersie, XsltVersie).
    Versie: min 1, max None, Pattern::Version, "RS048"
);
string_type!(
    /// LDT_Voorletters: initials, letters only without dots or spaces (RS045).
    Voorletters: min 1, max Some(6), Pattern::Letters, "RS045"
);
string_type!(
    /// LDT_Voorvoegsel: surname prefix (voorvoegsel), e.g. "van der".
    Voorvoegsel: min 1, max Some(10), Pattern::NonBlankLine, "RS033"
);

int_type!(
    /// LDT_Bedrag: an amount in eurocent (0 – 99 999 999); the sign is a separate DebetCredit.
    Bedrag: max 99_999_999
);
int_type!(
    /// LDT_TotaalBedrag: a total amount in eurocent (0 – 999 999 999 999).
    TotaalBedrag: max 999_999_999_999
);
int_type!(
    /// LDT_Budget: a budget in eurocent.
    Budget: max 99_999_999
);
int_type!(
    /// LDT_Huisnummer: house number.
    Huisnummer: max 99_999
);
int_type!(
    /// LDT_Nummer: a number such as ToewijzingNummer or BeschikkingNummer.
    Nummer: max 999_999_999
);
int_type!(
    /// LDT_RelatieVolgorde: order of a related person.
    RelatieVolgorde: max 99
);
int_type!(
    /// LDT_Volume: a volume (number of units).
    Volume: max 99_999_999
);

// === impl Node for NaiveDate (LDT_Datum) ===

/// Parses an `xs:date` restricted by LDT_Datum's pattern `[^:Z]*` (no time zone, RS032).
pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, &'static str> {
    let t = text.trim_matches(is_xml_space);
    if t.bytes().any(|b| b == b':' || b == b'Z') {
        return Err("RS032");
    }
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let mut parts = body.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("XSD-date");
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let year_ok = y.len() >= 4
        && y.bytes().all(|b| b.is_ascii_digit())
        && (y.len() == 4 || !y.starts_with('0'));
    if !year_ok || !digits(m, 2) || !digits(d, 2) {
        // A time-zone offset such as `+01` or a trailing `-05` would be here too.
        return Err(if d.len() > 2 { "RS032" } else { "XSD-date" });
    }
    let year: i32 = y.parse().map_err(|_| "XSD-date")?;
    let year = if negative { -year } else { year };
    if year == 0 {
        return Err("XSD-date");
    }
    let month: u32 = m.parse().map_err(|_| "XSD-date")?;
    let day: u32 = d.parse().map_err(|_| "XSD-date")?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or("XSD-date")
}

/// Formats a date as `xs:date` without time zone.
pub(crate) fn format_date(d: NaiveDate) -> String {
    let y = d.year();
    if y < 0 {
        format!("-{:04}-{:02}-{:02}", -y, d.month(), d.day())
    } else {
        format!("{:04}-{:02}-{:02}", y, d.month(), d.day())
    }
}

/// `YYYY-MM-DD` for a year 0 – 9999, written without formatting machinery.
fn date_digits(d: NaiveDate) -> Option<[u8; 10]> {
    let y = u32::try_from(d.year()).ok().filter(|y| *y <= 9999)?;
    let (m, day) = (d.month(), d.day());
    let digit = |n: u32| b'0' + (n % 10) as u8;
    Some([
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        b'-',
        digit(m / 10),
        digit(m),
        b'-',
        digit(day / 10),
        digit(day),
    ])
}

impl Node for NaiveDate {
    fn write(&self, w: &mut Writer, ns: Ns, name: &'static str) {
        match date_digits(*self) {
            // ASCII digits and dashes only.
            Some(b) => w.leaf(ns, name, std::str::from_utf8(&b).unwrap_or_default()),
            None => w.leaf(ns, name, &format_date(*self)),
        }
    }
    fn read(r: &mut Reader<'_>, empty: bool) -> Result<Option<Self>, Error> {
        let Some(text) = r.read_text(empty)? else {
            return Ok(None);
        };
        match parse_date(&text) {
            Ok(d) => Ok(Some(d)),
            Err("RS032") => {
                r.report
                    .violation("RS032", "date must be written without a time zone");
                Ok(None)
            }
            Err(rule) => {
                r.report
                    .violation(rule, "must be a real calendar date written as YYYY-MM-DD");
                Ok(None)
            }
        }
    }
    fn check(&self, rep: &mut Report) {
        if self.year() == 0 {
            rep.violation("XSD-date", "year 0 does not exist in xs:date");
        }
    }
    #[cfg(feature = "generate")]
    fn generate(g: &mut crate::generate::Gen) -> Self {
        g.date()
    }
}

// === impl Node for NaiveTime (LDT_Tijd) ===

/// Parses an `xs:time` restricted by LDT_Tijd's pattern `[^Z+-]+` (no time zone, RS034).
pub(crate) fn parse_time(text: &str) -> Result<NaiveTime, &'static str> {
    let t = text.trim_matches(is_xml_space);
    if t.contains(['Z', '+', '-']) {
        return Err("RS034");
    }
    let (hms, frac) = match t.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (t, None),
    };
    let b = hms.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return Err("XSD-time");
    }
    let num = |s: &[u8]| -> Option<u32> {
        s.iter()
            .all(|c| c.is_ascii_digit())
            .then(|| s.iter().fold(0, |a, c| a * 10 + u32::from(c - b'0')))
    };
    let (Some(h), Some(m), Some(s)) = (num(&b[0..2]), num(&b[3..5]), num(&b[6..8])) else {
        return Err("XSD-time");
    };
    let nanos = match frac {
        None => 0,
        Some(f) if !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()) => {
            let mut digits: String = f.chars().take(9).collect();
            while digits.len() < 9 {
                digits.push('0');
            }
            digits.parse::<u32>().map_err(|_| "XSD-time")?
        }
        Some(_) => return Err("XSD-time"),
    };
    if s > 59 {
        return Err("XSD-time");
    }
    NaiveTime::from_hms_nano_opt(h, m, s, nanos).ok_or("XSD-time")
}

/// Formats a time as `xs:time` without time zone; fractions only when present.
pub(crate) fn format_time(t: NaiveTime) -> String {
    let mut s = format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
    let nanos = t.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s
}

impl Node for NaiveTime {
    fn write(&self, w: &mut Writer, ns: Ns, name: &'static str) {
        w.leaf(ns, name, &format_time(*self));
    }
    fn read(r: &mut Reader<'_>, empty: bool) -> Result<Option<Self>, Error> {
        let Some(text) = r.read_text(empty)? else {
            return Ok(None);
        };
        match parse_time(&text) {
            Ok(t) => Ok(Some(t)),
            Err("RS034") => {
                r.report
                    .violation("RS034", "time must be written without a time zone");
                Ok(None)
            }
            Err(rule) => {
                r.report
                    .violation(rule, "must be a time written as hh:mm:ss");
                Ok(None)
            }
        }
    }
    fn check(&self, rep: &mut Report) {
        if self.nanosecond() >= 1_000_000_000 {
            rep.violation("XSD-time", "leap seconds do not exist in xs:time");
        }
    }
    #[cfg(feature = "generate")]
    fn generate(g: &mut crate::generate::Gen) -> Self {
        g.time()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_real_calendar_dates_without_zone() {
        assert_eq!(
            parse_date("2027-06-30"),
            NaiveDate::from_ymd_opt(2027, 6, 30).ok_or("x")
        );
        assert_eq!(parse_date("2027-06-31"), Err("XSD-date"));
        assert!(parse_date("2024-02-29").is_ok());
        assert_eq!(parse_date("2023-02-29"), Err("XSD-date"));
        assert_eq!(parse_date("2024-01-01Z"), Err("RS032"));
        assert_eq!(parse_date("2024-01-01+01:00"), Err("RS032"));
        assert_eq!(parse_date("0000-01-01"), Err("XSD-date"));
        assert_eq!(parse_date("24-01-01"), Err("XSD-date"));
        assert!(parse_date(" 2024-01-01 ").is_ok());
        let d = NaiveDate::from_ymd_opt(12024, 3, 4)
            .ok_or("x")
            .unwrap_or_default();
        assert_eq!(parse_date(&format_date(d)), Ok(d));
    }

    #[test]
    fn dates_are_written_as_format_writes_them() {
        for (y, m, d) in [
            (0, 1, 1),
            (1, 2, 3),
            (999, 12, 31),
            (2025, 3, 4),
            (9999, 12, 31),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).expect("a date");
            let digits = date_digits(date).expect("a year of four digits");
            assert_eq!(std::str::from_utf8(&digits), Ok(format_date(date).as_str()));
        }
        let far = NaiveDate::from_ymd_opt(10_000, 1, 1).expect("a date");
        assert_eq!(date_digits(far), None);
        let before = NaiveDate::from_ymd_opt(-1, 1, 1).expect("a date");
        assert_eq!(date_digits(before), None);
    }

    #[test]
    fn times_without_zone() {
        let t = parse_time("13:45:01.25").unwrap_or_default();
        assert_eq!(format_time(t), "13:45:01.25");
        assert_eq!(parse_time("13:45:01Z"), Err("RS034"));
        assert_eq!(parse_time("25:00:00"), Err("XSD-time"));
        assert_eq!(parse_time("13:45"), Err("XSD-time"));
    }
}
