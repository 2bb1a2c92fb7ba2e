//! Spreadsheet and CSV output of tables (the permission-change log today; CTI logs and
//! migration templates next). Cells that a spreadsheet program would read as a formula are
//! neutralized in both. xlsx is written with rust_xlsxwriter in constant-memory mode to a
//! temporary file (memory stays flat whatever the row count), then streamed.

pub mod read;

use std::borrow::Cow;

use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// The media type of xlsx files.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

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
/// then text cells (or typed ones, `typed_row`).
pub struct Sheet {
    wb: Workbook,
    next_row: u32,
    datetime: Format,
}

/// A typed cell: numbers stay numbers and times stay times in the spreadsheet.
#[derive(Debug, Clone)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// A local date-time, shown as `yyyy-mm-dd hh:mm:ss`.
    DateTime(chrono::NaiveDateTime),
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
        Ok(Sheet {
            wb,
            next_row: 1,
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
        })
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

    /// A row of typed cells; text is neutralized like `row`'s.
    pub fn typed_row(&mut self, cells: &[Cell]) -> Result<(), XlsxError> {
        use chrono::{Datelike as _, Timelike as _};
        use rust_xlsxwriter::ExcelDateTime;
        if !self.has_room() {
            return Ok(());
        }
        let row = self.next_row;
        let ws = self.wb.worksheet_from_index(0)?;
        for (col, c) in (0u16..).zip(cells) {
            match c {
                Cell::Empty => {}
                Cell::Text(t) if t.is_empty() => {}
                Cell::Text(t) => {
                    ws.write_string(row, col, neutralize(t).as_ref())?;
                }
                Cell::Number(n) => {
                    ws.write_number(row, col, *n)?;
                }
                Cell::DateTime(t) => {
                    let (y, m, d) = (t.year(), t.month(), t.day());
                    let dt = ExcelDateTime::from_ymd(
                        u16::try_from(y).unwrap_or(1900),
                        u8::try_from(m).unwrap_or(1),
                        u8::try_from(d).unwrap_or(1),
                    )?
                    .and_hms(
                        u16::try_from(t.hour()).unwrap_or(0),
                        u8::try_from(t.minute()).unwrap_or(0),
                        t.second(),
                    )?;
                    ws.write_datetime_with_format(row, col, &dt, &self.datetime)?;
                }
            }
        }
        self.next_row += 1;
        Ok(())
    }

    /// Answers the workbook as the download `name`: saved to a temporary file on the
    /// blocking pool, then streamed (memory stays flat whatever its size).
    pub async fn respond(
        self,
        name: &str,
    ) -> Result<actix_web::HttpResponse, crate::error::AppError> {
        use crate::error::AppError;
        let file = actix_web::web::block(move || -> Result<std::fs::File, String> {
            use std::io::Seek as _;
            let mut f = tempfile::tempfile().map_err(|e| e.to_string())?;
            self.save(&mut f).map_err(|e| e.to_string())?;
            f.rewind().map_err(|e| e.to_string())?;
            Ok(f)
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
        let len = file
            .metadata()
            .map(|m| m.len())
            .map_err(AppError::internal)?;
        Ok(crate::web::attachment(name, XLSX_TYPE)
            .insert_header((actix_web::http::header::CONTENT_LENGTH, len))
            .streaming(file_stream(file)))
    }

    /// Writes the workbook to `file`.
    pub fn save(mut self, file: &mut std::fs::File) -> Result<(), XlsxError> {
        self.wb.save_to_writer(file)
    }
}

/// A file read in 64 KiB pieces on the blocking pool.
pub fn file_stream(
    file: std::fs::File,
) -> impl futures_util::Stream<Item = Result<actix_web::web::Bytes, crate::error::AppError>> {
    futures_util::stream::unfold(Some(file), |file| async move {
        let mut f = file?;
        let r = actix_web::web::block(move || {
            use std::io::Read as _;
            let mut buf = vec![0u8; 64 * 1024];
            let n = f.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((buf, f))
        })
        .await;
        match r {
            Ok(Ok((buf, _))) if buf.is_empty() => None,
            Ok(Ok((buf, f))) => Some((Ok(actix_web::web::Bytes::from(buf)), Some(f))),
            Ok(Err(e)) => Some((Err(crate::error::AppError::internal(e)), None)),
            Err(e) => Some((Err(crate::error::AppError::internal(e)), None)),
        }
    })
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
