//! Spreadsheet and CSV output of tables (the permission-change log today; CTI logs and
//! migration templates next). Cells that a spreadsheet program would read as a formula are
//! neutralized in both. xlsx is written with rust_xlsxwriter in constant-memory mode to a
//! temporary file (memory stays flat whatever the row count), then streamed.

pub mod read;

use std::borrow::Cow;

use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// Rows an xlsx sheet can hold, the header included.
pub const XLSX_MAX_ROWS: u32 = 1_048_576;

/// A cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading
/// apostrophe, so no spreadsheet program evaluates it.
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// One CSV line (RFC 4180: fields with a comma, quote or line break are quoted; CRLF),
/// every field neutralized.
pub fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let f = neutralize(f.as_ref());
        if f.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&f);
        }
    }
    out.push_str("\r\n");
    out
}

/// A one-sheet workbook written row by row in constant memory: a bold, frozen header row,
/// then text cells.
pub struct Sheet {
    wb: Workbook,
    next_row: u32,
}

impl Sheet {
    pub fn new(name: &str, headers: &[String], widths: &[f64]) -> Result<Sheet, XlsxError> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(name)?;
        for (col, w) in (0u16..).zip(widths) {
            ws.set_column_width(col, *w)?;
        }
        ws.set_freeze_panes(1, 0)?;
        let bold = Format::new().set_bold();
        for (col, h) in (0u16..).zip(headers) {
            ws.write_string_with_format(0, col, h.as_str(), &bold)?;
        }
        Ok(Sheet { wb, next_row: 1 })
    }

    /// Whether another row fits.
    pub fn has_room(&self) -> bool {
        self.next_row < XLSX_MAX_ROWS
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), XlsxError> {
        if !self.has_room() {
            return Ok(());
        }
        let ws = self.wb.worksheet_from_index(0)?;
        for (col, c) in (0u16..).zip(cells) {
            let c = neutralize(c.as_ref());
            if !c.is_empty() {
                ws.write_string(self.next_row, col, c.as_ref())?;
            }
        }
        self.next_row += 1;
        Ok(())
    }

    /// Writes the workbook to `file`.
    pub fn save(mut self, file: &mut std::fs::File) -> Result<(), XlsxError> {
        self.wb.save_to_writer(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralized() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralize(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(neutralize("Kim"), "Kim");
        assert_eq!(neutralize(""), "");
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        assert_eq!(
            csv_line(&["a", "b,c", "say \"hi\""]),
            "a,\"b,c\",\"say \"\"hi\"\"\"\r\n"
        );
        assert_eq!(csv_line(&["=cmd()", "x"]), "'=cmd(),x\r\n");
        assert_eq!(csv_line(&["two\nlines"]), "\"two\nlines\"\r\n");
    }
}
