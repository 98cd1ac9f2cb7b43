//! The report as CSV: one file per sheet of [`super::sheets`] with the same rows, formulas
//! replaced by their values, amounts in euro with two decimals and a `.` decimal point.

use super::Error;
use super::count::Report;
use super::sheets::sheets;

/// One CSV file per sheet: (file-name part, e.g. `gemeenten` or `gemeente-0268`, bytes).
pub fn files(report: &Report, delimiter: char) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let mut out = Vec::new();
    for sheet in sheets(report) {
        let mut bytes = Vec::new();
        for row in &sheet.rows {
            let fields: Vec<String> = row.iter().map(|c| c.text()).collect();
            crate::csv::row(&mut bytes, &fields, delimiter)?;
        }
        out.push((sheet.file, bytes));
    }
    Ok(out)
}
