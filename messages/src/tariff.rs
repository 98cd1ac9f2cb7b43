//! The contract tariff table (tarieventabel): per municipality (or region), law, product
//! (category and code) and validity period, the tariff in eurocent and the unit the contract
//! prices it in. It lets the gateway fill and check ProductTarief and IngediendBedrag of a
//! claim (TR346, TR418, IV081) and lets the simulated municipality judge them.
//!
//! A table is built from a [`TariffConfig`]: rows written in the configuration and CSV files
//! such as the lists municipalities publish. Every row is validated; a problem names the file
//! (or the configuration entry) and the line, and a table with any problem is not built, so a
//! caller that reloads keeps its previous table. Reading the files is the caller's
//! ([`TariffTable::load`] takes a function that reads one), so this module does no I/O.
//!
//! ## Columns
//!
//! One row is one tariff. The column names are the published lists' Dutch ones:
//!
//! | column | value |
//! |---|---|
//! | `gemeente` | CBS gemeentecode (4 digits) or the name of a region from `regions` |
//! | `wet` | `ijw` (Jeugdwet; also `jw`, `jeugdwet`) or `iwmo` (also `wmo`) |
//! | `productcategorie` | ProductCategorie (2 digits); empty: any category with this code |
//! | `productcode` | ProductCode (1–5 letters or digits) |
//! | `eenheid` | the contract's unit: `uur`, `minuut`, `dagdeel`, `etmaal`/`dag`, `week`, `maand`, `stuks`, or an Eenheid code ([`TariffUnit::parse`]) |
//! | `tarief_eurocent` | the tariff in whole eurocents, e.g. `8724`; or `tarief` in euros, `87,24` or `87.24` |
//! | `ingangsdatum`, `einddatum` | the validity period (YYYY-MM-DD, both days included; no end: open); or `jaar`: the calendar year |
//!
//! Other columns (`omschrijving`, …) are ignored. A list that names its columns otherwise is
//! mapped with `columns` (`columns = { productcode = "Code" }`); a list that lacks a column
//! gets it for every row from `defaults` (`defaults = { gemeente = "0034" }`), and the unit,
//! which published lists rarely give, per product code from `eenheid_per_productcode`.
//!
//! Two rows for the same municipality, law and product code whose periods overlap are an
//! error when their categories could both apply (equal, or one empty): a line must have
//! exactly one contract tariff.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::codes::ProductCategorie;
use crate::law::Law;
use crate::money::{ContractTariff, TariffUnit, tariff_cents};
use crate::types::Bedrag;

/// The most problems reported for one load; the rest are counted.
const MAX_ERRORS: usize = 50;

/// The canonical columns, in the order of the documentation.
const COLUMNS: &[&str] = &[
    "gemeente",
    "wet",
    "productcategorie",
    "productcode",
    "eenheid",
    "tarief_eurocent",
    "tarief",
    "ingangsdatum",
    "einddatum",
    "jaar",
];

/// Where the tariffs come from: the `[tariffs]` section of the gateway's configuration and the
/// `[tarieven]` section of a simulator scenario.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TariffConfig {
    /// Regions: a name and the CBS gemeentecodes it covers, usable in the `gemeente` column.
    pub regions: BTreeMap<String, Vec<String>>,
    /// CSV files, each a list of tariffs (`[[tariffs.file]]`).
    pub file: Vec<TariffFile>,
    /// Tariffs written in the configuration itself (`[[tariffs.tariff]]`).
    pub tariff: Vec<TariffRow>,
}

impl TariffConfig {
    /// Whether the configuration names no tariff at all.
    pub fn is_empty(&self) -> bool {
        self.file.is_empty() && self.tariff.is_empty()
    }
}

/// One CSV file of tariffs and how to read it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TariffFile {
    /// The file (relative paths: from the working directory).
    pub path: PathBuf,
    /// The file's own header for a canonical column, e.g. `{ productcode = "Code" }`.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// A value for every row that leaves a column out or empty, e.g. `{ gemeente = "0034" }`.
    #[serde(default)]
    pub defaults: BTreeMap<String, String>,
    /// The contract unit per product code, for lists without an `eenheid` column.
    #[serde(default)]
    pub eenheid_per_productcode: BTreeMap<String, String>,
    /// The field separator: `,` (default) or e.g. `;`.
    #[serde(default)]
    pub delimiter: Option<char>,
}

/// A tariff written in the configuration; the fields are the CSV columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TariffRow {
    /// CBS gemeentecode or region.
    pub gemeente: String,
    /// `ijw` or `iwmo`.
    pub wet: String,
    /// ProductCategorie; absent: any.
    #[serde(default)]
    pub productcategorie: Option<String>,
    /// ProductCode.
    pub productcode: String,
    /// The contract unit (`uur`, `etmaal`, …).
    pub eenheid: String,
    /// The tariff in eurocent.
    #[serde(default)]
    pub tarief_eurocent: Option<u64>,
    /// The tariff in euros (`"87,24"`), instead of `tarief_eurocent`.
    #[serde(default)]
    pub tarief: Option<String>,
    /// First day of validity (YYYY-MM-DD).
    #[serde(default)]
    pub ingangsdatum: Option<String>,
    /// Last day of validity; absent: open.
    #[serde(default)]
    pub einddatum: Option<String>,
    /// The calendar year of validity, instead of the dates.
    #[serde(default)]
    pub jaar: Option<i32>,
}

/// Where a tariff was written: a file and its line, or a configuration entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The file path, or `configuration`.
    pub file: String,
    /// The line in the file (1-based; the header is line 1), or the entry's number (1-based)
    /// in the configuration's `tariff` list.
    pub line: u64,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.file == CONFIGURATION {
            write!(f, "tariff entry {} of the configuration", self.line)
        } else {
            write!(f, "{}:{}", self.file, self.line)
        }
    }
}

const CONFIGURATION: &str = "configuration";

/// One contract tariff of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariff {
    /// CBS gemeentecode (a region row is one tariff per municipality).
    pub municipality: String,
    /// The law.
    pub law: Law,
    /// ProductCategorie; `None`: any category with this code.
    pub category: Option<ProductCategorie>,
    /// ProductCode.
    pub product_code: String,
    /// The tariff and its unit.
    pub contract: ContractTariff,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity; `None`: open.
    pub valid_until: Option<NaiveDate>,
    /// Where it was written.
    pub origin: Origin,
}

impl Tariff {
    fn valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_until.is_none_or(|u| date <= u)
    }

    fn overlaps(&self, other: &Tariff) -> bool {
        let categories = match (self.category, other.category) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        let end = |t: &Tariff| t.valid_until.unwrap_or(NaiveDate::MAX);
        categories && self.valid_from <= end(other) && other.valid_from <= end(self)
    }
}

/// A problem in a tariff source, naming the file and line (or the configuration entry).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", self.at())]
pub struct TariffError {
    /// The file, or `configuration`.
    pub file: String,
    /// The line (or entry number); `None` for the file as a whole.
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl TariffError {
    fn at(&self) -> String {
        match self.line {
            Some(line) => Origin {
                file: self.file.clone(),
                line,
            }
            .to_string(),
            None => self.file.clone(),
        }
    }
}

/// Every problem of one load (at most 50 listed, the rest counted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TariffErrors {
    /// The problems, in file and line order.
    pub errors: Vec<TariffError>,
    /// Problems beyond those listed.
    pub more: usize,
}

impl fmt::Display for TariffErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len() + self.more;
        write!(f, "{n} problem(s) in the tariff table")?;
        for e in &self.errors {
            write!(f, "\n  {e}")?;
        }
        if self.more > 0 {
            write!(f, "\n  … and {} more", self.more)?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Errors {
    list: Vec<TariffError>,
    more: usize,
}

impl Errors {
    fn push(&mut self, file: &str, line: Option<u64>, message: impl Into<String>) {
        if self.list.len() < MAX_ERRORS {
            self.list.push(TariffError {
                file: file.to_owned(),
                line,
                message: message.into(),
            });
        } else {
            self.more += 1;
        }
    }
}

/// The contract tariffs, looked up by municipality, law, product and date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TariffTable {
    tariffs: Vec<Tariff>,
    /// (municipality, law, product code) → indices into `tariffs`.
    index: HashMap<(String, Law, String), Vec<usize>>,
}

impl TariffTable {
    /// A table without tariffs.
    pub fn empty() -> TariffTable {
        TariffTable::default()
    }

    /// The number of tariffs (a region row counts once per municipality).
    pub fn len(&self) -> usize {
        self.tariffs.len()
    }

    /// Whether the table has no tariffs.
    pub fn is_empty(&self) -> bool {
        self.tariffs.is_empty()
    }

    /// Every tariff, in the order written.
    pub fn tariffs(&self) -> &[Tariff] {
        &self.tariffs
    }

    /// The tariff for a line of `municipality` (the claim's Ontvanger), `law`, ProductCategorie
    /// `category` and ProductCode `code`, valid on `date` (the ProductPeriode's Begindatum).
    pub fn lookup(
        &self,
        municipality: &str,
        law: Law,
        category: ProductCategorie,
        code: &str,
        date: NaiveDate,
    ) -> Option<&Tariff> {
        let key = (municipality.to_owned(), law, code.to_owned());
        self.index.get(&key)?.iter().find_map(|&i| {
            let t = &self.tariffs[i];
            (t.category.is_none_or(|c| c == category) && t.valid_on(date)).then_some(t)
        })
    }

    /// Builds the table of `config`, reading each file with `read` (its path as written →
    /// the text, or why it could not be read). Every row of every source is checked; any
    /// problem fails the whole load.
    pub fn load(
        config: &TariffConfig,
        mut read: impl FnMut(&Path) -> Result<String, String>,
    ) -> Result<TariffTable, TariffErrors> {
        let mut errors = Errors::default();
        let mut tariffs = Vec::new();
        for (name, codes) in &config.regions {
            if codes.is_empty() || codes.iter().any(|c| !is_cbs_code(c)) {
                errors.push(
                    CONFIGURATION,
                    None,
                    format!("region '{name}' must list CBS gemeentecodes of 4 digits"),
                );
            }
            if is_cbs_code(name) {
                errors.push(
                    CONFIGURATION,
                    None,
                    format!("region '{name}' has the form of a gemeentecode: give it a name"),
                );
            }
        }
        let regions = &config.regions;
        for (i, row) in config.tariff.iter().enumerate() {
            let origin = Origin {
                file: CONFIGURATION.into(),
                line: i as u64 + 1,
            };
            let mut fields: BTreeMap<&str, String> = BTreeMap::new();
            fields.insert("gemeente", row.gemeente.clone());
            fields.insert("wet", row.wet.clone());
            if let Some(c) = &row.productcategorie {
                fields.insert("productcategorie", c.clone());
            }
            fields.insert("productcode", row.productcode.clone());
            fields.insert("eenheid", row.eenheid.clone());
            if let Some(c) = row.tarief_eurocent {
                fields.insert("tarief_eurocent", c.to_string());
            }
            if let Some(t) = &row.tarief {
                fields.insert("tarief", t.clone());
            }
            for (k, v) in [
                ("ingangsdatum", &row.ingangsdatum),
                ("einddatum", &row.einddatum),
            ] {
                if let Some(v) = v {
                    fields.insert(k, v.clone());
                }
            }
            if let Some(y) = row.jaar {
                fields.insert("jaar", y.to_string());
            }
            row_tariffs(&fields, regions, origin, &mut tariffs, &mut errors);
        }
        for file in &config.file {
            let name = file.path.display().to_string();
            match read(&file.path) {
                Ok(text) => csv_tariffs(&text, &name, file, regions, &mut tariffs, &mut errors),
                Err(e) => errors.push(&name, None, format!("cannot be read: {e}")),
            }
        }
        let table = TariffTable::from_tariffs(tariffs, &mut errors);
        if errors.list.is_empty() {
            Ok(table)
        } else {
            Err(TariffErrors {
                errors: errors.list,
                more: errors.more,
            })
        }
    }

    /// The table of `tariffs`, reporting overlapping periods to `errors`.
    fn from_tariffs(tariffs: Vec<Tariff>, errors: &mut Errors) -> TariffTable {
        let mut index: HashMap<(String, Law, String), Vec<usize>> = HashMap::new();
        for (i, t) in tariffs.iter().enumerate() {
            let key = (t.municipality.clone(), t.law, t.product_code.clone());
            let same = index.entry(key).or_default();
            if let Some(&j) = same.iter().find(|&&j| tariffs[j].overlaps(t)) {
                let first = &tariffs[j];
                errors.push(
                    &t.origin.file,
                    Some(t.origin.line),
                    format!(
                        "a second tariff for municipality {} {} product {} in an overlapping \
                         period (the first: {}); a line must have exactly one contract tariff",
                        t.municipality, t.law, t.product_code, first.origin
                    ),
                );
            }
            same.push(i);
        }
        TariffTable { tariffs, index }
    }
}

fn is_cbs_code(s: &str) -> bool {
    s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The rows of one CSV file.
fn csv_tariffs(
    text: &str,
    name: &str,
    file: &TariffFile,
    regions: &BTreeMap<String, Vec<String>>,
    tariffs: &mut Vec<Tariff>,
    errors: &mut Errors,
) {
    for key in file.columns.keys().chain(file.defaults.keys()) {
        if !COLUMNS.contains(&key.as_str()) {
            errors.push(
                name,
                None,
                format!(
                    "'{key}' in columns/defaults is not a tariff column (one of {})",
                    COLUMNS.join(", ")
                ),
            );
            return;
        }
    }
    let Some(delimiter) = file.delimiter.map_or(Some(b','), |c| u8::try_from(c).ok()) else {
        errors.push(name, None, "the delimiter must be one ASCII character");
        return;
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            errors.push(
                name,
                Some(1),
                format!("the header line cannot be read: {e}"),
            );
            return;
        }
    };
    // Canonical column → position in the file.
    let mut positions: BTreeMap<&str, usize> = BTreeMap::new();
    for column in COLUMNS {
        let header = file
            .columns
            .get(*column)
            .map_or(*column, String::as_str)
            .to_lowercase();
        if let Some(p) = headers.iter().position(|h| h.to_lowercase() == header) {
            positions.insert(column, p);
        } else if file.columns.contains_key(*column) {
            errors.push(
                name,
                Some(1),
                format!("columns.{column}: the header has no column '{header}'"),
            );
        }
    }
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line());
                errors.push(name, line, format!("not a CSV row: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let mut fields: BTreeMap<&str, String> = BTreeMap::new();
        for column in COLUMNS {
            let value = positions
                .get(column)
                .and_then(|&p| record.get(p))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .or_else(|| file.defaults.get(*column).cloned());
            if let Some(v) = value {
                fields.insert(column, v);
            }
        }
        if !fields.contains_key("eenheid")
            && let Some(code) = fields.get("productcode")
            && let Some(unit) = file.eenheid_per_productcode.get(code)
        {
            fields.insert("eenheid", unit.clone());
        }
        let origin = Origin {
            file: name.to_owned(),
            line,
        };
        row_tariffs(&fields, regions, origin, tariffs, errors);
    }
}

/// The tariffs of one row (one per municipality of a region), or its problems.
fn row_tariffs(
    fields: &BTreeMap<&str, String>,
    regions: &BTreeMap<String, Vec<String>>,
    origin: Origin,
    tariffs: &mut Vec<Tariff>,
    errors: &mut Errors,
) {
    let before = errors.list.len() + errors.more;
    let mut bad = |message: String| errors.push(&origin.file, Some(origin.line), message);
    let get = |column: &str| fields.get(column).map(String::as_str);

    let municipalities: Vec<String> = match get("gemeente") {
        None => {
            bad("no gemeente: add the column, or a default for the file".into());
            Vec::new()
        }
        Some(g) if is_cbs_code(g) => vec![g.to_owned()],
        Some(g) => match regions.get(g) {
            Some(codes) => codes.clone(),
            None => {
                bad(format!(
                    "gemeente '{g}' is neither a CBS gemeentecode (4 digits) nor a region"
                ));
                Vec::new()
            }
        },
    };
    let law = match get("wet").map(|w| w.to_lowercase()) {
        Some(w) if matches!(w.as_str(), "ijw" | "jw" | "jeugdwet") => Some(Law::Ijw),
        Some(w) if matches!(w.as_str(), "iwmo" | "wmo") => Some(Law::Iwmo),
        Some(w) => {
            bad(format!("wet '{w}' is not ijw or iwmo"));
            None
        }
        None => {
            bad("no wet (ijw or iwmo): add the column, or a default for the file".into());
            None
        }
    };
    let category = match get("productcategorie") {
        None => None,
        Some(c) => match ProductCategorie::from_code(c) {
            Some(cat) if law.is_none_or(|l| cat.valid_for(l)) => Some(cat),
            _ => {
                bad(format!(
                    "productcategorie '{c}' is not a ProductCategorie of {}",
                    law.map_or("the law".to_owned(), |l| l.to_string())
                ));
                None
            }
        },
    };
    let code = match get("productcode") {
        Some(c) if (1..=5).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            Some(c.to_owned())
        }
        Some(c) => {
            bad(format!(
                "productcode '{c}' is not a ProductCode (1 to 5 letters or digits)"
            ));
            None
        }
        None => {
            bad("no productcode".into());
            None
        }
    };
    let unit = match get("eenheid") {
        Some(u) => {
            let unit = TariffUnit::parse(u);
            if unit.is_none() {
                bad(format!(
                    "eenheid '{u}' is not a contract unit (uur, minuut, dagdeel, etmaal, week, \
                     maand, stuks or an Eenheid code)"
                ));
            }
            unit
        }
        None => {
            bad(
                "no eenheid: the contract's unit is required (add the column, a default, or \
                 eenheid_per_productcode for this product code)"
                    .into(),
            );
            None
        }
    };
    let cents = match (get("tarief_eurocent"), get("tarief")) {
        (Some(c), None) => match c.parse::<u64>() {
            Ok(c) if c <= Bedrag::MAX => Some(c),
            _ => {
                bad(format!(
                    "tarief_eurocent '{c}' is not a whole number of eurocents up to 99999999"
                ));
                None
            }
        },
        (None, Some(t)) => {
            let parsed = t
                .replace(',', ".")
                .parse::<Decimal>()
                .ok()
                .and_then(tariff_cents);
            if parsed.is_none() {
                bad(format!(
                    "tarief '{t}' is not an amount in euros with at most two decimals"
                ));
            }
            parsed
        }
        (Some(_), Some(_)) => {
            bad("both tarief_eurocent and tarief: give one".into());
            None
        }
        (None, None) => {
            bad("no tarief_eurocent (or tarief in euros)".into());
            None
        }
    };
    let date = |column: &str, bad: &mut dyn FnMut(String)| -> Option<NaiveDate> {
        let text = get(column)?;
        let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
        if parsed.is_none() {
            bad(format!("{column} '{text}' is not a date YYYY-MM-DD"));
        }
        parsed
    };
    let period = match get("jaar") {
        Some(y) if get("ingangsdatum").is_some() || get("einddatum").is_some() => {
            bad(format!(
                "jaar '{y}' and ingangsdatum/einddatum: give the year or the dates"
            ));
            None
        }
        Some(y) => {
            let year = y.parse::<i32>().ok().filter(|y| (1900..=9999).contains(y));
            let first = year.and_then(|y| NaiveDate::from_ymd_opt(y, 1, 1));
            let last = year.and_then(|y| NaiveDate::from_ymd_opt(y, 12, 31));
            match (first, last) {
                (Some(f), Some(l)) => Some((f, Some(l))),
                _ => {
                    bad(format!("jaar '{y}' is not a year"));
                    None
                }
            }
        }
        None => {
            let from = date("ingangsdatum", &mut bad);
            let until = date("einddatum", &mut bad);
            if get("ingangsdatum").is_none() {
                bad("no ingangsdatum (or jaar)".into());
            }
            match (from, until) {
                (Some(f), Some(u)) if u < f => {
                    bad(format!("einddatum {u} is before ingangsdatum {f}"));
                    None
                }
                (Some(f), u) if get("einddatum").is_none() || u.is_some() => Some((f, u)),
                _ => None,
            }
        }
    };
    if errors.list.len() + errors.more > before {
        return;
    }
    let (Some(law), Some(code), Some(unit), Some(cents), Some((valid_from, valid_until))) =
        (law, code, unit, cents, period)
    else {
        return;
    };
    for municipality in municipalities {
        tariffs.push(Tariff {
            municipality,
            law,
            category,
            product_code: code.clone(),
            contract: ContractTariff { cents, unit },
            valid_from,
            valid_until,
            origin: origin.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn load_csv(text: &str, file: TariffFile) -> Result<TariffTable, TariffErrors> {
        let config = TariffConfig {
            file: vec![TariffFile {
                path: "t.csv".into(),
                ..file
            }],
            ..Default::default()
        };
        let text = text.to_owned();
        TariffTable::load(&config, |_| Ok(text.clone()))
    }

    #[test]
    fn a_list_with_every_column_loads_and_looks_up_by_date_and_category() {
        let csv = "gemeente,wet,productcategorie,productcode,eenheid,tarief_eurocent,ingangsdatum,einddatum\n\
                   0268,ijw,45,45A48,uur,8724,2025-01-01,2025-12-31\n\
                   0268,ijw,45,45A48,uur,8900,2026-01-01,\n";
        let t = load_csv(csv, TariffFile::default()).expect("loads");
        assert_eq!(t.len(), 2);
        let c45 = ProductCategorie::C45;
        let found = |date| {
            t.lookup("0268", Law::Ijw, c45, "45A48", date)
                .map(|t| t.contract.cents)
        };
        assert_eq!(found(d(2025, 6, 1)), Some(8724));
        assert_eq!(found(d(2025, 12, 31)), Some(8724));
        assert_eq!(found(d(2026, 1, 1)), Some(8900));
        assert_eq!(found(d(2030, 1, 1)), Some(8900));
        assert_eq!(found(d(2024, 12, 31)), None);
        assert!(
            t.lookup("1945", Law::Ijw, c45, "45A48", d(2025, 6, 1))
                .is_none()
        );
        assert!(
            t.lookup("0268", Law::Iwmo, c45, "45A48", d(2025, 6, 1))
                .is_none()
        );
        let c46 = ProductCategorie::from_code("46").expect("46");
        assert!(
            t.lookup("0268", Law::Ijw, c46, "45A48", d(2025, 6, 1))
                .is_none()
        );
        assert_eq!(
            t.tariffs()[1].origin,
            Origin {
                file: "t.csv".into(),
                line: 3
            }
        );
    }

    #[test]
    fn errors_name_the_file_and_the_line() {
        let csv = "gemeente,wet,productcode,eenheid,tarief_eurocent,jaar\n\
                   0268,ijw,45A48,uur,8724,2025\n\
                   268,ijw,45A48,uur,8724,2025\n\
                   0268,ijw,45A48,fortnight,8724,2025\n\
                   0268,ijw,45A48,uur,87.24,2025\n";
        let e = load_csv(csv, TariffFile::default()).expect_err("bad rows");
        let lines: Vec<Option<u64>> = e.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![Some(3), Some(4), Some(5)], "{e}");
        let text = e.to_string();
        assert!(text.contains("t.csv:3: gemeente '268'"), "{text}");
        assert!(text.contains("t.csv:4: eenheid 'fortnight'"), "{text}");
        assert!(text.contains("t.csv:5: tarief_eurocent '87.24'"), "{text}");
    }

    #[test]
    fn overlapping_periods_are_refused_naming_both_lines() {
        let csv = "gemeente,wet,productcode,eenheid,tarief_eurocent,ingangsdatum,einddatum\n\
                   0268,ijw,45A48,uur,8724,2025-01-01,2025-12-31\n\
                   0268,ijw,45A48,uur,8900,2025-12-01,\n";
        let e = load_csv(csv, TariffFile::default()).expect_err("overlap");
        assert_eq!(e.errors.len(), 1, "{e}");
        assert_eq!(e.errors[0].line, Some(3));
        assert!(e.errors[0].message.contains("t.csv:2"), "{e}");
    }

    #[test]
    fn regions_defaults_units_per_code_and_mapped_columns() {
        let csv = "Wet;Code;Omschrijving;Prijs\n\
                   jeugdwet;45A52;Begeleiding;49,20\n\
                   jeugdwet;44A09;Verblijf;104,04\n";
        let file = TariffFile {
            columns: BTreeMap::from([
                ("wet".into(), "Wet".into()),
                ("productcode".into(), "Code".into()),
                ("tarief".into(), "Prijs".into()),
            ]),
            defaults: BTreeMap::from([
                ("gemeente".into(), "rijk-van-nijmegen".into()),
                ("jaar".into(), "2025".into()),
            ]),
            eenheid_per_productcode: BTreeMap::from([
                ("45A52".into(), "uur".into()),
                ("44A09".into(), "etmaal".into()),
            ]),
            delimiter: Some(';'),
            ..Default::default()
        };
        let config = TariffConfig {
            regions: BTreeMap::from([(
                "rijk-van-nijmegen".into(),
                vec!["0268".into(), "1945".into()],
            )]),
            file: vec![TariffFile {
                path: "r.csv".into(),
                ..file
            }],
            tariff: vec![],
        };
        let t = TariffTable::load(&config, |_| Ok(csv.to_owned())).expect("loads");
        assert_eq!(t.len(), 4, "two rows × two municipalities");
        let c = ProductCategorie::C45;
        let begeleiding = t
            .lookup("1945", Law::Ijw, c, "45A52", d(2025, 3, 1))
            .expect("found");
        assert_eq!(
            begeleiding.contract,
            ContractTariff {
                cents: 4920,
                unit: TariffUnit::Uur
            }
        );
        let verblijf = t
            .lookup("0268", Law::Ijw, c, "44A09", d(2025, 3, 1))
            .expect("found");
        assert_eq!(verblijf.contract.unit, TariffUnit::Etmaal);
        assert_eq!(verblijf.contract.cents, 10404);
    }

    #[test]
    fn a_missing_unit_is_an_error_that_says_how_to_map_it() {
        let csv = "gemeente,wet,productcode,tarief_eurocent,jaar\n0034,ijw,45A52,4920,2018\n";
        let e = load_csv(csv, TariffFile::default()).expect_err("no unit");
        assert!(
            e.to_string()
                .contains("t.csv:2: no eenheid: the contract's unit is required"),
            "{e}"
        );
    }

    #[test]
    fn configuration_rows_and_unreadable_files() {
        let config = TariffConfig {
            file: vec![TariffFile {
                path: "missing.csv".into(),
                ..Default::default()
            }],
            tariff: vec![TariffRow {
                gemeente: "0268".into(),
                wet: "ijw".into(),
                productcode: "45A48".into(),
                eenheid: "per uur".into(),
                tarief_eurocent: Some(8724),
                ingangsdatum: Some("2025-13-01".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let e = TariffTable::load(&config, |_| Err("no such file".into())).expect_err("bad");
        let text = e.to_string();
        assert!(
            text.contains("tariff entry 1 of the configuration: ingangsdatum '2025-13-01'"),
            "{text}"
        );
        assert!(
            text.contains("missing.csv: cannot be read: no such file"),
            "{text}"
        );
    }
}
