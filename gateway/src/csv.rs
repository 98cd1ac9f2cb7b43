//! CSV output shared by the reports (`report`, `verantwoording`): RFC 4180 rows with a
//! chosen field separator (`;` for spreadsheet programs with a Dutch locale).

use std::io::{self, Write};

/// Writes one CSV row ending in CRLF: a field is quoted when it holds the delimiter, a quote
/// or a line break, with quotes doubled inside.
pub fn row(w: &mut impl Write, fields: &[String], delimiter: char) -> io::Result<()> {
    let mut line = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            line.push(delimiter);
        }
        if f.contains([delimiter, '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&f.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(f);
        }
    }
    line.push_str("\r\n");
    w.write_all(line.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_semicolon_delimiter_quotes_semicolons_but_not_commas() {
        let mut out = Vec::new();
        row(&mut out, &["1,5".into(), "a;b".into()], ';').expect("write");
        assert_eq!(String::from_utf8(out).expect("utf-8"), "1,5;\"a;b\"\r\n");
    }
}
