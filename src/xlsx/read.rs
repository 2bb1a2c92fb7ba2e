//! Reading an untrusted xlsx upload without ever loading it whole: the zip is checked entry
//! by entry first (how many entries, how much they really inflate to, counted while
//! inflating, and no encryption), then the first sheet is streamed cell by cell with
//! calamine's cell reader under row, column and cell-length caps. A workbook that breaks a
//! rule is refused with one reason; nothing here panics or allocates by what a file
//! declares.

use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};

/// The limits of one upload.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub entries: usize,
    pub inflated: u64,
    /// Rows after the header rows.
    pub data_rows: u32,
    pub columns: u32,
    pub cell_chars: usize,
    /// Rows before the data (labels, keys).
    pub header_rows: u32,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            entries: 200,
            inflated: 200 * 1024 * 1024,
            data_rows: 50_000,
            columns: 200,
            cell_chars: 32_767,
            header_rows: 2,
        }
    }
}

/// Why a workbook is refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a zip at all (a CSV renamed, a text file…).
    NotXlsx,
    /// An encrypted workbook, or an old binary .xls (both are compound files).
    EncryptedOrLegacy,
    TooManyEntries(usize),
    /// Inflates to more than the cap (a deflate bomb).
    TooLarge,
    /// No worksheet could be read.
    NoSheet,
    TooManyRows(u32),
    TooManyColumns(u32),
    /// Row (1-based) and column (0-based) of a cell longer than the cap.
    CellTooLong(u32, u32),
}

/// The magic bytes of a compound file (encrypted OOXML, legacy .xls).
const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Checks the container: a zip of at most `caps.entries` entries, none encrypted, whose
/// entries really inflate to at most `caps.inflated` bytes together.
pub fn check_zip(bytes: &[u8], caps: &Caps) -> Result<(), Refusal> {
    if bytes.starts_with(&CFB_MAGIC) {
        return Err(Refusal::EncryptedOrLegacy);
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(Refusal::NotXlsx);
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| Refusal::NotXlsx)?;
    if zip.len() > caps.entries {
        return Err(Refusal::TooManyEntries(zip.len()));
    }
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(zip::result::ZipError::UnsupportedArchive(_)) => {
                return Err(Refusal::EncryptedOrLegacy);
            }
            Err(_) => return Err(Refusal::NotXlsx),
        };
        if entry.encrypted() {
            return Err(Refusal::EncryptedOrLegacy);
        }
        loop {
            let n = entry.read(&mut buf).map_err(|_| Refusal::NotXlsx)?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > caps.inflated {
                return Err(Refusal::TooLarge);
            }
        }
    }
    Ok(())
}

/// Text of a cell as a person typed it: whole numbers without ".0", dates as
/// `YYYY-MM-DD` (with ` HH:MM` when they have a time).
fn text(v: &DataRef<'_>) -> String {
    match v {
        DataRef::Empty | DataRef::Error(_) => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            }
        }
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(d) => serial_to_text(d.as_f64()),
    }
}

/// An Excel date serial (1900 system) as `YYYY-MM-DD` or `YYYY-MM-DD HH:MM`.
pub fn serial_to_text(serial: f64) -> String {
    let Some(base) = chrono::NaiveDate::from_ymd_opt(1899, 12, 30) else {
        return serial.to_string();
    };
    if !serial.is_finite() || !(0.0..3_000_000.0).contains(&serial) {
        return serial.to_string();
    }
    let days = serial.floor() as i64;
    let secs = ((serial - serial.floor()) * 86_400.0).round() as i64;
    let Some(date) = base.checked_add_signed(chrono::Duration::days(days)) else {
        return serial.to_string();
    };
    if secs == 0 {
        date.format("%Y-%m-%d").to_string()
    } else {
        let t = date.and_hms_opt(0, 0, 0).unwrap_or_default() + chrono::Duration::seconds(secs);
        t.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// Streams the first sheet: `on_row(row, cells)` for every row that has a cell, in order,
/// with the 0-based row index and its cells by column (empty strings where none). Checks
/// the zip first. `on_row` may stop the reading by returning false.
pub fn rows(
    bytes: &[u8],
    caps: &Caps,
    on_row: impl FnMut(u32, &[String]) -> bool,
) -> Result<(), Refusal> {
    check_zip(bytes, caps)?;
    rows_of_checked(bytes, caps, on_row)
}

/// `rows` for bytes that already passed `check_zip` (an upload kept after its check):
/// the container is not inflated a second time. The cell caps still hold.
pub fn rows_of_checked(
    bytes: &[u8],
    caps: &Caps,
    mut on_row: impl FnMut(u32, &[String]) -> bool,
) -> Result<(), Refusal> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| Refusal::NotXlsx)?;
    let first = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(Refusal::NoSheet)?;
    let mut reader = book
        .worksheet_cells_reader(&first)
        .map_err(|_| Refusal::NoSheet)?;
    let max_row = caps.header_rows + caps.data_rows;
    let mut current: Option<u32> = None;
    let mut cells: Vec<String> = Vec::new();
    loop {
        let cell = match reader.next_cell() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(_) => return Err(Refusal::NotXlsx),
        };
        let (row, col) = cell.get_position();
        if col >= caps.columns {
            return Err(Refusal::TooManyColumns(col + 1));
        }
        if row >= max_row {
            return Err(Refusal::TooManyRows(caps.data_rows));
        }
        let value = text(cell.get_value());
        if value.chars().count() > caps.cell_chars {
            return Err(Refusal::CellTooLong(row + 1, col));
        }
        if current != Some(row) {
            if let Some(r) = current
                && !on_row(r, &cells)
            {
                return Ok(());
            }
            current = Some(row);
            cells.clear();
        }
        let col = col as usize;
        if cells.len() <= col {
            cells.resize(col + 1, String::new());
        }
        cells[col] = value;
    }
    if let Some(r) = current {
        on_row(r, &cells);
    }
    Ok(())
}

/// The spreadsheet name of a 0-based column: A, B, …, Z, AA, …
pub fn column_letter(mut col: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(16383), "XFD");
    }

    #[test]
    fn serials() {
        assert_eq!(serial_to_text(46174.0), "2026-06-01");
        assert_eq!(serial_to_text(46174.5), "2026-06-01 12:00");
    }

    #[test]
    fn containers_are_checked() {
        let caps = Caps::default();
        assert_eq!(check_zip(b"a,b,c\n1,2,3\n", &caps), Err(Refusal::NotXlsx));
        let mut cfb = CFB_MAGIC.to_vec();
        cfb.extend_from_slice(&[0; 512]);
        assert_eq!(check_zip(&cfb, &caps), Err(Refusal::EncryptedOrLegacy));
        assert_eq!(
            check_zip(b"PK\x03\x04garbage", &caps),
            Err(Refusal::NotXlsx)
        );
    }
}
