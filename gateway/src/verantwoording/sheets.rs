//! The report as tables of cells, one per sheet: [`super::workbook`] writes them as XLSX
//! (formulas with their values), [`super::csv`] as CSV (the values), so both hold the same
//! data.

use chrono::NaiveDate;
use ketenpoort_messages::Law;
use rust_xlsxwriter::utility::row_col_to_cell;

use super::count::{Municipality, Report, Threshold};
use super::{Verdict, euros};

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text.
    Text(String),
    /// Text in bold (titles, column heads).
    Heading(String),
    /// A whole number.
    Int(i64),
    /// An amount in eurocent, shown in euro with two decimals.
    Euro(i64),
    /// A volume in hundredths of its unit, shown with two decimals.
    Quantity(i64),
    /// A fraction shown as a percentage.
    Percent(f64),
    /// A date.
    Date(NaiveDate),
    /// A formula (with `=`), and its value.
    Formula(String, Box<Cell>),
}

impl Cell {
    /// The value as CSV text (a formula's value; amounts in euro with a `.` decimal point).
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) | Cell::Heading(t) => t.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Euro(c) | Cell::Quantity(c) => euros(*c),
            Cell::Percent(f) => format!("{:.4}", f),
            Cell::Date(d) => d.to_string(),
            Cell::Formula(_, value) => value.text(),
        }
    }
}

/// One sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// Sheet name (at most 31 characters).
    pub name: String,
    /// Short file-name part for the CSV of this sheet.
    pub file: String,
    /// Rows of cells.
    pub rows: Vec<Vec<Cell>>,
    /// Column widths in characters.
    pub widths: Vec<f64>,
}

/// The name of the overview sheet.
pub const OVERVIEW: &str = "Overzicht gemeenten";

/// The sheet name of a municipality.
pub fn municipality_sheet(code: &str) -> String {
    format!("Gemeente {code}")
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn heading(s: impl Into<String>) -> Cell {
    Cell::Heading(s.into())
}

fn formula(f: String, value: Cell) -> Cell {
    Cell::Formula(f, Box::new(value))
}

/// `'Sheet name'!A1`.
fn reference(sheet: &str, row: usize, col: u16) -> String {
    format!("'{}'!{}", sheet.replace('\'', "''"), cell(row, col))
}

fn cell(row: usize, col: u16) -> String {
    row_col_to_cell(u32::try_from(row).unwrap_or(u32::MAX), col)
}

/// `SUM(C3:C9)` over rows `[first, last]` of a column; `0` when empty.
fn sum(col: u16, first: usize, last: usize) -> String {
    if last < first {
        "0".into()
    } else {
        format!("SUM({}:{})", cell(first, col), cell(last, col))
    }
}

fn law_name(law: Law) -> &'static str {
    match law {
        Law::Ijw => "Jeugdwet (iJw)",
        Law::Iwmo => "Wmo 2015 (iWmo)",
    }
}

fn scope(r: &Report) -> String {
    if r.agb_codes.is_empty() {
        "alle AGB-codes van de aansluiting".into()
    } else {
        r.agb_codes.join(", ")
    }
}

/// Every sheet of the report, in workbook order.
pub fn sheets(r: &Report) -> Vec<Sheet> {
    // The overview's layout is fixed, so the Totaalblad can refer to its total row.
    let overview_total_row = 2 + r.municipalities.len();
    let mut out = vec![totaalblad(r, overview_total_row), overview(r)];
    out.extend(r.municipalities.iter().map(|m| municipality(r, m)));
    out.push(reconciliation(r));
    out.push(lines(r));
    out
}

/// Column of the overview (and of the municipality sheets' amounts).
const OV_CLAIMED: u16 = 3;

fn totaalblad(r: &Report, overview_total_row: usize) -> Sheet {
    let o = &r.organisation;
    let mut rows = vec![
        vec![heading(format!(
            "Productieverantwoording {} — {}",
            r.year,
            law_name(r.law)
        ))],
        vec![],
        vec![text("Naam organisatie"), text(&o.name)],
        vec![text("Vestigingsplaats"), text(&o.place)],
        vec![text("KvK-nummer"), text(&o.kvk_number)],
        vec![text("Contactpersoon"), text(&o.contact_person)],
        vec![text("Telefoonnummer"), text(&o.telephone)],
        vec![text("E-mailadres"), text(&o.email)],
        vec![text("AGB-code(s)"), text(scope(r))],
        vec![text("Tekenbevoegde"), text(&o.signatory)],
        vec![text("Datum"), Cell::Date(r.as_of)],
        vec![],
    ];
    let amounts = [
        ("Totaal gedeclareerd", r.totals.claimed),
        ("Totaal toegekend (325)", r.totals.granted),
        ("Totaal afgewezen", r.totals.rejected),
        ("Totaal open (nog geen 325)", r.totals.open),
    ];
    let granted_row = rows.len() + 1;
    for (i, (label, cents)) in amounts.into_iter().enumerate() {
        let col = OV_CLAIMED + u16::try_from(i).unwrap_or(0);
        rows.push(vec![
            text(label),
            formula(
                format!("={}", reference(OVERVIEW, overview_total_row, col)),
                Cell::Euro(cents),
            ),
        ]);
    }
    let threshold_row = rows.len();
    rows.push(vec![
        text("Drempel controleverklaring"),
        Cell::Euro(super::THRESHOLD_CENTS),
    ]);
    let (above, below) = (
        "Op of boven de drempel: controleverklaring vereist",
        "Onder de drempel: geen controleverklaring vereist",
    );
    let verdict = match r.threshold {
        Threshold::AtOrAbove => above,
        Threshold::Below => below,
    };
    rows.push(vec![
        text("Oordeel (op het toegekende totaal)"),
        formula(
            format!(
                "=IF({}>={},\"{above}\",\"{below}\")",
                cell(granted_row, 1),
                cell(threshold_row, 1)
            ),
            text(verdict),
        ),
    ]);
    rows.push(vec![
        text("Inleveren productieverantwoording uiterlijk"),
        Cell::Date(r.report_due),
    ]);
    rows.push(vec![
        text("Inleveren controleverklaring uiterlijk (indien vereist)"),
        Cell::Date(r.statement_due),
    ]);
    rows.push(vec![]);
    rows.push(vec![heading("Telling")]);
    for note in [
        format!(
            "Declaratieregels (323) tellen in het jaar van hun ProductPeriode; een periode over \
             de jaargrens telt naar rato van haar dagen in {} ({} regel(s) gesplitst).",
            r.year, r.split_lines
        ),
        "Creditregels zijn verrekend met de debetregels die zij corrigeren (negatieve bedragen)."
            .into(),
        "Toegekend: alleen regels die de gemeente in een 325 toekende. Afgewezen: regels die \
         een 325 afwees. Open: regels waarop nog geen 325 kwam."
            .into(),
        "Declaraties die VECOZO weigerde bereikten de gemeente niet en tellen niet mee.".into(),
    ] {
        rows.push(vec![text(note)]);
    }
    Sheet {
        name: "Totaalblad".into(),
        file: "totaalblad".into(),
        rows,
        widths: vec![48.0, 52.0],
    }
}

fn overview(r: &Report) -> Sheet {
    let mut rows = vec![
        vec![heading(format!(
            "Overzicht gemeenten — {} {}",
            law_name(r.law),
            r.year
        ))],
        vec![
            heading("Gemeente (CBS-code)"),
            heading("Blad"),
            heading("Regels"),
            heading("Gedeclareerd"),
            heading("Toegekend"),
            heading("Afgewezen"),
            heading("Open"),
        ],
    ];
    let first = rows.len();
    for m in &r.municipalities {
        let sheet = municipality_sheet(&m.code);
        let total = municipality_total_row(m);
        let link = |col: u16, cents: i64| {
            formula(
                format!("={}", reference(&sheet, total, col)),
                Cell::Euro(cents),
            )
        };
        rows.push(vec![
            text(&m.code),
            text(&sheet),
            Cell::Int(i64::try_from(m.lines).unwrap_or(i64::MAX)),
            link(M_CLAIMED, m.totals.claimed),
            link(M_CLAIMED + 1, m.totals.granted),
            link(M_CLAIMED + 2, m.totals.rejected),
            link(M_CLAIMED + 3, m.totals.open),
        ]);
    }
    let last = rows.len() - 1;
    let t = &r.totals;
    let lines = i64::try_from(r.lines.len()).unwrap_or(i64::MAX);
    rows.push(vec![
        heading("Totaal"),
        Cell::Empty,
        formula(format!("={}", sum(2, first, last)), Cell::Int(lines)),
        formula(format!("={}", sum(3, first, last)), Cell::Euro(t.claimed)),
        formula(format!("={}", sum(4, first, last)), Cell::Euro(t.granted)),
        formula(format!("={}", sum(5, first, last)), Cell::Euro(t.rejected)),
        formula(format!("={}", sum(6, first, last)), Cell::Euro(t.open)),
    ]);
    Sheet {
        name: OVERVIEW.into(),
        file: "gemeenten".into(),
        rows,
        widths: vec![20.0, 18.0, 8.0, 16.0, 16.0, 16.0, 16.0],
    }
}

/// Columns of a municipality sheet.
const M_Q: u16 = 6;
const M_P: u16 = 7;
const M_CLAIMED: u16 = 9;

/// The row of a municipality sheet's totals (after a title, a subtitle, a blank row, the
/// column heads and the product rows).
fn municipality_total_row(m: &Municipality) -> usize {
    4 + m.rows.len()
}

fn municipality(r: &Report, m: &Municipality) -> Sheet {
    let mut rows = vec![
        vec![heading(format!(
            "{} — productieverantwoording {} — {}",
            municipality_sheet(&m.code),
            r.year,
            law_name(r.law)
        ))],
        vec![text(format!("AGB-code(s): {}", scope(r)))],
        vec![],
        [
            "Categorie",
            "Omschrijving categorie",
            "Productcode",
            "Omschrijving",
            "Eenheid",
            "Naam eenheid",
            "Q (volume)",
            "P (tarief)",
            "Q × P",
            "Gedeclareerd",
            "Toegekend",
            "Afgewezen",
            "Open",
            "Q toegekend",
            "Toegekend / gedeclareerd",
            "Regels",
        ]
        .map(heading)
        .to_vec(),
    ];
    let first = rows.len();
    for p in &m.rows {
        let row = rows.len();
        let ratio =
            (p.amounts.claimed != 0).then(|| p.amounts.granted as f64 / p.amounts.claimed as f64);
        rows.push(vec![
            text(&p.category),
            text(&p.category_description),
            text(&p.product_code),
            text(&p.description),
            text(&p.unit),
            text(&p.unit_name),
            Cell::Quantity(p.quantity),
            Cell::Euro(i64::try_from(p.price_cents).unwrap_or(i64::MAX)),
            formula(
                format!("={}*{}", cell(row, M_Q), cell(row, M_P)),
                Cell::Euro(p.q_times_p_cents()),
            ),
            Cell::Euro(p.amounts.claimed),
            Cell::Euro(p.amounts.granted),
            Cell::Euro(p.amounts.rejected),
            Cell::Euro(p.amounts.open),
            Cell::Quantity(p.quantity_granted),
            formula(
                format!(
                    "=IF({c}=0,\"\",{g}/{c})",
                    c = cell(row, M_CLAIMED),
                    g = cell(row, M_CLAIMED + 1)
                ),
                ratio.map_or(Cell::Text(String::new()), Cell::Percent),
            ),
            Cell::Int(i64::try_from(p.lines).unwrap_or(i64::MAX)),
        ]);
    }
    let last = rows.len() - 1;
    debug_assert_eq!(rows.len(), municipality_total_row(m));
    let q_times_p: i64 = m.rows.iter().map(|p| p.q_times_p_cents()).sum();
    let t = &m.totals;
    let mut total = vec![heading("Totaal")];
    total.resize(8, Cell::Empty);
    total.extend([
        formula(format!("={}", sum(8, first, last)), Cell::Euro(q_times_p)),
        formula(format!("={}", sum(9, first, last)), Cell::Euro(t.claimed)),
        formula(format!("={}", sum(10, first, last)), Cell::Euro(t.granted)),
        formula(format!("={}", sum(11, first, last)), Cell::Euro(t.rejected)),
        formula(format!("={}", sum(12, first, last)), Cell::Euro(t.open)),
        Cell::Empty,
        Cell::Empty,
        formula(
            format!("={}", sum(15, first, last)),
            Cell::Int(i64::try_from(m.lines).unwrap_or(i64::MAX)),
        ),
    ]);
    rows.push(total);
    rows.push(vec![]);
    rows.push(vec![text(
        "Q × P is het volume maal de ProductTarief. Minutenregels onder een uurtarief (IV081) \
         zijn gedeclareerd vanuit het uurtarief; hun gedeclareerde bedrag kan daardoor van \
         Q × P afwijken. De totalen zijn de gedeclareerde bedragen. Eenheid 83: Q in euro, P 1,00.",
    )]);
    Sheet {
        name: municipality_sheet(&m.code),
        file: format!("gemeente-{}", m.code),
        rows,
        widths: vec![
            10.0, 36.0, 12.0, 36.0, 8.0, 18.0, 12.0, 12.0, 14.0, 14.0, 14.0, 14.0, 14.0, 12.0,
            12.0, 8.0,
        ],
    }
}

fn reconciliation(r: &Report) -> Sheet {
    let mut rows = vec![
        vec![heading(format!(
            "Reconciliatie — {} {}",
            law_name(r.law),
            r.year
        ))],
        [
            "Soort",
            "Gemeente",
            "AGB-code",
            "Declaratienummer",
            "Bericht-id",
            "Referentienummer(s)",
            "Vorig referentienummer",
            "Toewijzingnummer",
            "Productcode",
            "Periode begin",
            "Periode eind",
            "Bedrag",
            "Toelichting",
        ]
        .map(heading)
        .to_vec(),
    ];
    for f in &r.findings {
        let (b, e) = f.period.map_or((Cell::Empty, Cell::Empty), |(b, e)| {
            (Cell::Date(b), Cell::Date(e))
        });
        rows.push(vec![
            text(f.kind.dutch()),
            text(&f.municipality),
            text(&f.agb_code),
            text(&f.declaration_number),
            text(&f.message_id),
            text(&f.reference_number),
            text(&f.previous_reference_number),
            Cell::Int(i64::try_from(f.allocation_number).unwrap_or(i64::MAX)),
            text(&f.product_code),
            b,
            e,
            Cell::Euro(f.amount_cents),
            text(f.dutch_detail()),
        ]);
    }
    if r.findings.is_empty() {
        rows.push(vec![text("Geen bevindingen.")]);
    }
    Sheet {
        name: "Reconciliatie".into(),
        file: "reconciliatie".into(),
        rows,
        widths: vec![
            40.0, 10.0, 10.0, 16.0, 10.0, 24.0, 16.0, 16.0, 12.0, 12.0, 12.0, 14.0, 50.0,
        ],
    }
}

fn lines(r: &Report) -> Sheet {
    let mut rows = vec![
        [
            "Gemeente",
            "AGB-code",
            "Declaratienummer",
            "Bericht-id",
            "Referentienummer",
            "Vorig referentienummer",
            "Toewijzingnummer",
            "Categorie",
            "Productcode",
            "Periode begin",
            "Periode eind",
            "Volume",
            "Eenheid",
            "Tarief",
            "Bedrag",
            "Debet/Credit",
            "Oordeel",
            "Retourcodes",
            "Dagen in jaar",
            "Dagen",
            "Bedrag in jaar",
            "Volume in jaar",
        ]
        .map(heading)
        .to_vec(),
    ];
    for c in &r.lines {
        let l = &c.line;
        let (verdict, codes) = match &l.verdict {
            Verdict::Granted => ("toegekend", String::new()),
            Verdict::Rejected(codes) => ("afgewezen", codes.join(" ")),
            Verdict::Open => ("open", String::new()),
        };
        let amount = i64::try_from(l.amount_cents).unwrap_or(i64::MAX);
        rows.push(vec![
            text(&l.municipality),
            text(&l.agb_code),
            text(&l.declaration_number),
            text(&l.message_id),
            text(&l.reference_number),
            text(&l.previous_reference_number),
            Cell::Int(i64::try_from(l.allocation_number).unwrap_or(i64::MAX)),
            text(&l.product_category),
            text(&l.product_code),
            Cell::Date(l.period_start),
            Cell::Date(l.period_end),
            Cell::Int(i64::try_from(l.volume).unwrap_or(i64::MAX)),
            text(&l.unit),
            l.tariff_cents.map_or(Cell::Empty, |t| {
                Cell::Euro(i64::try_from(t).unwrap_or(i64::MAX))
            }),
            Cell::Euro(amount),
            text(if l.credit { "C" } else { "D" }),
            text(verdict),
            text(codes),
            Cell::Int(c.share.days_in_year),
            Cell::Int(c.share.days),
            Cell::Euro(c.amount_cents),
            Cell::Quantity(c.quantity),
        ]);
    }
    Sheet {
        name: "Regels".into(),
        file: "regels".into(),
        rows,
        widths: vec![10.0; 22],
    }
}
