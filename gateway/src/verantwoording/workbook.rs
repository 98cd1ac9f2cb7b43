//! The report as an XLSX workbook (rust_xlsxwriter): the sheets of [`super::sheets`], with
//! amounts as numbers in euro with two decimals, dates as dates, and formulas for Q × P, the
//! totals and the links between sheets, each with its value cached so that readers that do
//! not calculate (and the tests) see the same numbers.

use chrono::Datelike;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook, Worksheet, XlsxError};

use super::Error;
use super::count::Report;
use super::sheets::{Cell, sheets};

/// Number format of amounts: euro with two decimals.
pub const EURO_FORMAT: &str = "€ #,##0.00;€ -#,##0.00";

struct Formats {
    heading: Format,
    euro: Format,
    quantity: Format,
    percent: Format,
    date: Format,
    wrap: Format,
}

/// The workbook of `report` as XLSX bytes.
pub fn xlsx(report: &Report) -> Result<Vec<u8>, Error> {
    let formats = Formats {
        heading: Format::new().set_bold(),
        euro: Format::new().set_num_format(EURO_FORMAT),
        quantity: Format::new().set_num_format("#,##0.00"),
        percent: Format::new().set_num_format("0.0%"),
        date: Format::new().set_num_format("yyyy-mm-dd"),
        wrap: Format::new(),
    };
    let mut workbook = Workbook::new();
    for sheet in sheets(report) {
        let ws = workbook.add_worksheet();
        ws.set_name(&sheet.name)?;
        for (c, w) in sheet.widths.iter().enumerate() {
            ws.set_column_width(col(c), *w)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = u32::try_from(r).map_err(|_| XlsxError::RowColumnLimitError)?;
            for (c, cell) in row.iter().enumerate() {
                write(ws, r, col(c), cell, &formats)?;
            }
        }
    }
    Ok(workbook.save_to_buffer()?)
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

fn euros(cents: i64) -> f64 {
    cents as f64 / 100.0
}

fn write(ws: &mut Worksheet, r: u32, c: u16, cell: &Cell, f: &Formats) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => {}
        Cell::Text(t) if t.is_empty() => {}
        Cell::Text(t) => {
            ws.write_string_with_format(r, c, t, &f.wrap)?;
        }
        Cell::Heading(t) => {
            ws.write_string_with_format(r, c, t, &f.heading)?;
        }
        Cell::Int(n) => {
            ws.write_number(r, c, *n as f64)?;
        }
        Cell::Euro(cents) => {
            ws.write_number_with_format(r, c, euros(*cents), &f.euro)?;
        }
        Cell::Quantity(h) => {
            ws.write_number_with_format(r, c, euros(*h), &f.quantity)?;
        }
        Cell::Percent(x) => {
            ws.write_number_with_format(r, c, *x, &f.percent)?;
        }
        Cell::Date(d) => {
            let date = ExcelDateTime::from_ymd(
                u16::try_from(d.year())
                    .map_err(|_| XlsxError::DateTimeRangeError(d.to_string()))?,
                u8::try_from(d.month()).unwrap_or(1),
                u8::try_from(d.day()).unwrap_or(1),
            )?;
            ws.write_datetime_with_format(r, c, date, &f.date)?;
        }
        Cell::Formula(text, value) => {
            let format = match value.as_ref() {
                Cell::Euro(_) => &f.euro,
                Cell::Quantity(_) => &f.quantity,
                Cell::Percent(_) => &f.percent,
                _ => &f.wrap,
            };
            let result = match value.as_ref() {
                Cell::Percent(x) => x.to_string(),
                other => other.text(),
            };
            ws.write_formula_with_format(r, c, Formula::new(text).set_result(result), format)?;
        }
    }
    Ok(())
}
