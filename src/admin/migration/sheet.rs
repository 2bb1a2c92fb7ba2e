//! The migration spreadsheet: its columns (the system fields, then the service's active
//! custom fields), the template built with umya-spreadsheet (labels, a hidden key row,
//! validation lists, date formats, a frozen header, widths, a rules sheet), and the check
//! of an uploaded workbook row by row, cell by cell (streamed: see `xlsx::read`).

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::i18n::{I18n, Lang};
use crate::services::ticket_fields::model::{Field, SYSTEM, parse_date, parse_datetime};
use crate::services::tickets::model::{self as tickets, CHANNELS, Content, PRIORITIES, STATUSES};
use crate::web::forms::Msg;
use crate::xlsx::read::{self, Caps, Refusal, column_letter};

/// Number formats of date columns in the template.
const DATE_FORMAT: &str = "yyyy-mm-dd";
const DATETIME_FORMAT: &str = "yyyy-mm-dd hh:mm";

/// Errors shown at most.
pub const ERRORS_SHOWN: usize = 1000;

/// A column of the sheet.
#[derive(Debug, Clone)]
pub enum Column {
    System(&'static str, &'static str),
    Custom(Field),
}

impl Column {
    pub fn key(&self) -> &str {
        match self {
            Column::System(k, _) => k,
            Column::Custom(f) => &f.key,
        }
    }

    pub fn label(&self, i18n: &I18n, lang: Lang) -> String {
        match self {
            Column::System(_, l) => i18n.t(lang, l),
            Column::Custom(f) => f.label(lang),
        }
    }

    pub fn required(&self) -> bool {
        match self {
            Column::System(k, _) => *k == "title",
            Column::Custom(f) => f.required,
        }
    }
}

/// The columns of a service's sheet: the system fields, then its custom fields.
pub fn columns(fields: &[Field]) -> Vec<Column> {
    SYSTEM
        .iter()
        .map(|(k, l)| Column::System(k, l))
        .chain(fields.iter().cloned().map(Column::Custom))
        .collect()
}

/// The rule of a column, in words (the rules sheet).
fn rule(c: &Column, i18n: &I18n, lang: Lang) -> String {
    let t = |k: &str| i18n.t(lang, k);
    match c {
        Column::System("status", _) => format!("{}: {}", t("mig-rule-one-of"), STATUSES.join(", ")),
        Column::System("priority", _) => {
            format!("{}: {}", t("mig-rule-one-of"), PRIORITIES.join(", "))
        }
        Column::System("channel", _) => {
            format!("{}: {}", t("mig-rule-one-of"), CHANNELS.join(", "))
        }
        Column::System("assignee", _) => t("mig-rule-assignee"),
        Column::System("created_at", _) => t("mig-rule-datetime"),
        Column::System("requester_email", _) => t("mig-rule-email"),
        Column::System("tags", _) => t("mig-rule-tags"),
        Column::System(_, _) => t("mig-rule-text"),
        Column::Custom(f) => match f.kind.as_str() {
            "number" => t("mig-rule-number"),
            "date" => t("mig-rule-date"),
            "datetime" => t("mig-rule-datetime"),
            "select" => format!("{}: {}", t("mig-rule-one-of"), f.options.join(", ")),
            "multi_select" => format!("{}: {}", t("mig-rule-some-of"), f.options.join(", ")),
            "checkbox" => t("mig-rule-checkbox"),
            _ => t("mig-rule-text"),
        },
    }
}

/// The values a column offers as a list, if any.
fn list(c: &Column) -> Option<Vec<String>> {
    let v = |a: &[&str]| Some(a.iter().map(|s| (*s).to_string()).collect());
    match c {
        Column::System("status", _) => v(&STATUSES),
        Column::System("priority", _) => v(&PRIORITIES),
        Column::System("channel", _) => v(&CHANNELS),
        Column::Custom(f) if f.kind == "select" => Some(f.options.clone()),
        Column::Custom(f) if f.kind == "checkbox" => v(&["TRUE", "FALSE"]),
        _ => None,
    }
}

/// The template: sheet 1 has the labels (required ones marked with *) in row 1 and the
/// hidden field keys in row 2, data from row 3; sheet 2 the rules of every column.
pub fn template(cols: &[Column], i18n: &I18n, lang: Lang) -> Result<Vec<u8>, String> {
    use umya_spreadsheet::structs::{
        DataValidation, DataValidationValues, DataValidations, Pane, PaneStateValues, PaneValues,
        SequenceOfReferences,
    };
    let mut book = umya_spreadsheet::new_file();
    let data_name = i18n.t(lang, "mig-sheet-data");
    let rules_name = i18n.t(lang, "mig-sheet-rules");
    {
        let sheet = book.get_sheet_mut(&0).ok_or("no first sheet")?;
        sheet.set_name(data_name.clone());
        let last_row = 2 + 50_000;
        let mut validations = DataValidations::default();
        for (i, c) in cols.iter().enumerate() {
            let col = u32::try_from(i + 1).map_err(|e| e.to_string())?;
            let letter = column_letter(col - 1);
            let mut label = c.label(i18n, lang);
            if c.required() {
                label.push_str(" *");
            }
            let head = sheet.get_cell_mut((col, 1));
            head.set_value_string(label);
            head.get_style_mut().get_font_mut().set_bold(true);
            sheet
                .get_cell_mut((col, 2))
                .set_value_string(c.key().to_string());
            let width = match c {
                Column::System("description", _) => 40.0,
                Column::System("title", _) => 30.0,
                _ => 18.0,
            };
            sheet.get_column_dimension_mut(&letter).set_width(width);
            let format = match c {
                Column::System("created_at", _) => Some(DATETIME_FORMAT),
                Column::Custom(f) if f.kind == "date" => Some(DATE_FORMAT),
                Column::Custom(f) if f.kind == "datetime" => Some(DATETIME_FORMAT),
                _ => None,
            };
            if let Some(code) = format {
                for row in 3..=102u32 {
                    sheet
                        .get_style_mut((col, row))
                        .get_number_format_mut()
                        .set_format_code(code);
                }
            }
            if let Some(values) = list(c) {
                let mut dv = DataValidation::default();
                dv.set_type(DataValidationValues::List);
                dv.set_allow_blank(true);
                dv.set_show_error_message(true);
                let inline = format!("\"{}\"", values.join(","));
                // Inline lists are limited to 255 characters: longer ones point at the
                // rules sheet, where the options are listed in this column's row.
                if inline.len() <= 255 {
                    dv.set_formula1(inline);
                } else {
                    let n = values.len() + 2;
                    let end = column_letter(u32::try_from(n).map_err(|e| e.to_string())?);
                    dv.set_formula1(format!("'{rules_name}'!$D${r}:${end}${r}", r = i + 2));
                }
                let mut refs = SequenceOfReferences::default();
                refs.set_sqref(format!("{letter}3:{letter}{last_row}"));
                dv.set_sequence_of_references(refs);
                validations.add_data_validation_list(dv);
            }
        }
        if !cols.is_empty() {
            sheet.set_data_validations(validations);
        }
        sheet.get_row_dimension_mut(&2).set_hidden(true);
        let mut pane = Pane::default();
        pane.set_vertical_split(0.0);
        pane.set_horizontal_split(2.0);
        pane.get_top_left_cell_mut().set_coordinate("A3");
        pane.set_active_pane(PaneValues::BottomLeft);
        pane.set_state(PaneStateValues::Frozen);
        if let Some(view) = sheet
            .get_sheet_views_mut()
            .get_sheet_view_list_mut()
            .first_mut()
        {
            view.set_pane(pane);
        }
    }
    let rules = book.new_sheet(rules_name).map_err(|e| e.to_string())?;
    for (i, h) in ["mig-rules-field", "mig-rules-key", "mig-rules-rule"]
        .iter()
        .enumerate()
    {
        let c = rules.get_cell_mut((u32::try_from(i + 1).unwrap_or(1), 1));
        c.set_value_string(i18n.t(lang, h));
        c.get_style_mut().get_font_mut().set_bold(true);
    }
    for (i, c) in cols.iter().enumerate() {
        let row = u32::try_from(i + 2).map_err(|e| e.to_string())?;
        let mut label = c.label(i18n, lang);
        if c.required() {
            label.push_str(" *");
        }
        rules.get_cell_mut((1, row)).set_value_string(label);
        rules
            .get_cell_mut((2, row))
            .set_value_string(c.key().to_string());
        rules
            .get_cell_mut((3, row))
            .set_value_string(rule(c, i18n, lang));
        if let Some(values) = list(c) {
            for (j, v) in values.iter().enumerate() {
                let col = u32::try_from(j + 4).map_err(|e| e.to_string())?;
                rules.get_cell_mut((col, row)).set_value_string(v.clone());
            }
        }
    }
    rules.get_column_dimension_mut("A").set_width(24.0);
    rules.get_column_dimension_mut("B").set_width(14.0);
    rules.get_column_dimension_mut("C").set_width(60.0);
    let mut out = Vec::new();
    umya_spreadsheet::writer::xlsx::write_writer(&book, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// One bad cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    /// 1-based, as the spreadsheet shows it.
    pub row: u32,
    pub column: String,
    pub field: String,
    pub message: String,
}

/// A row ready to become a ticket.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// 1-based spreadsheet row.
    pub row: u32,
    pub content: Content,
    pub status: &'static str,
    pub assignee: Option<i64>,
    pub created_at: Option<NaiveDateTime>,
}

/// What a check needs to know of the service.
pub struct Context<'a> {
    /// Every custom field (inactive ones still map their old keys).
    pub fields: &'a [Field],
    /// Service members by lowercased login ID.
    pub members: &'a HashMap<String, i64>,
    pub i18n: &'a I18n,
    pub lang: Lang,
}

/// The outcome of reading a workbook.
#[derive(Debug, Default)]
pub struct Checked {
    pub rows: u32,
    pub errors: Vec<CellError>,
    pub error_count: usize,
}

/// Maps the key row to columns: (column index, column). Unknown keys and missing
/// required columns are reported against row 2.
fn map_keys(
    keys: &[String],
    ctx: &Context<'_>,
    errors: &mut Vec<(u32, u32, String, Msg)>,
) -> Vec<(usize, Column)> {
    let all = columns(ctx.fields);
    let mut out = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let k = k.trim();
        if k.is_empty() {
            continue;
        }
        match all.iter().find(|c| c.key() == k) {
            Some(c) => out.push((i, c.clone())),
            None => errors.push((
                2,
                u32::try_from(i).unwrap_or(0),
                k.to_string(),
                Msg::new("mig-unknown-key"),
            )),
        }
    }
    for c in &all {
        let active = match c {
            Column::Custom(f) => f.active,
            Column::System(..) => true,
        };
        if active && c.required() && !out.iter().any(|(_, x)| x.key() == c.key()) {
            errors.push((
                2,
                0,
                c.label(ctx.i18n, ctx.lang),
                Msg::new("mig-missing-column"),
            ));
        }
    }
    out
}

/// Checks one data row against its columns.
fn parse_row(
    row: u32,
    cells: &[String],
    cols: &[(usize, Column)],
    ctx: &Context<'_>,
) -> Result<Parsed, Vec<(u32, Msg)>> {
    let mut errs: Vec<(u32, Msg)> = Vec::new();
    let mut c = Content {
        priority: "normal".into(),
        channel: "other".into(),
        ..Default::default()
    };
    let mut status: Option<&'static str> = None;
    let mut assignee = None;
    let mut created_at = None;
    for (i, col) in cols {
        let raw = cells.get(*i).map(String::as_str).unwrap_or("").trim();
        let at = u32::try_from(*i).unwrap_or(0);
        let mut bad = |m: Msg| errs.push((at, m));
        let too_long = |max: usize| Msg::with("field-too-long", &[("max", max.to_string())]);
        match col {
            Column::System(key, _) => match *key {
                "title" => {
                    if raw.is_empty() {
                        bad(Msg::new("tf-value-required"));
                    } else if raw.chars().count() > tickets::TITLE_MAX {
                        bad(too_long(tickets::TITLE_MAX));
                    }
                    c.title = raw.to_string();
                }
                "description" => {
                    if raw.chars().count() > tickets::DESCRIPTION_MAX {
                        bad(too_long(tickets::DESCRIPTION_MAX));
                    }
                    c.description = raw.to_string();
                }
                "requester_name" => {
                    if raw.chars().count() > tickets::NAME_MAX {
                        bad(too_long(tickets::NAME_MAX));
                    }
                    c.requester_name = raw.to_string();
                }
                "requester_email" => {
                    if !raw.is_empty() && !crate::web::forms::is_valid_email(raw) {
                        bad(Msg::new("email-invalid"));
                    }
                    c.requester_email = raw.to_string();
                }
                "requester_phone" => {
                    let mut v = crate::web::forms::Validation::default();
                    c.requester_phone = crate::console::orgs::rules::check_phone(&mut v, "p", raw)
                        .unwrap_or_default();
                    if !v.is_empty() {
                        bad(Msg::new("phone-invalid"));
                    }
                }
                "status" if !raw.is_empty() => match STATUSES.iter().find(|s| **s == raw) {
                    Some(s) => status = Some(s),
                    None => bad(Msg::new("tf-value-option")),
                },
                "priority" if !raw.is_empty() => match PRIORITIES.iter().find(|s| **s == raw) {
                    Some(s) => c.priority = (*s).to_string(),
                    None => bad(Msg::new("tf-value-option")),
                },
                "channel" if !raw.is_empty() => match CHANNELS.iter().find(|s| **s == raw) {
                    Some(s) => c.channel = (*s).to_string(),
                    None => bad(Msg::new("tf-value-option")),
                },
                "assignee" if !raw.is_empty() => match ctx.members.get(&raw.to_lowercase()) {
                    Some(id) => assignee = Some(*id),
                    None => bad(Msg::with(
                        "mig-assignee-unknown",
                        &[("login", raw.to_string())],
                    )),
                },
                "created_at" if !raw.is_empty() => {
                    match parse_datetime(raw)
                        .or_else(|| parse_date(raw).and_then(|d| d.and_hms_opt(0, 0, 0)))
                    {
                        Some(t) => created_at = Some(t),
                        None => bad(Msg::new("tf-value-datetime")),
                    }
                }
                "tags" => match tickets::parse_tags(raw) {
                    Ok(t) => c.tags = t,
                    Err(m) => bad(m),
                },
                _ => {}
            },
            Column::Custom(f) => match f.check(&[raw.to_string()]) {
                Ok(Some(v)) => {
                    c.custom.insert(f.key.clone(), v);
                }
                Ok(None) => {}
                Err(m) => bad(m),
            },
        }
    }
    let status = match (status, assignee) {
        (Some(tickets::UNASSIGNED), Some(_)) => {
            let at = cols
                .iter()
                .find(|(_, c)| c.key() == "status")
                .map_or(0, |(i, _)| u32::try_from(*i).unwrap_or(0));
            errs.push((at, Msg::new("mig-unassigned-with-assignee")));
            tickets::UNASSIGNED
        }
        (Some(s), _) => s,
        (None, Some(_)) => tickets::IN_PROGRESS,
        (None, None) => tickets::UNASSIGNED,
    };
    if errs.is_empty() {
        Ok(Parsed {
            row,
            content: c,
            status,
            assignee,
            created_at,
        })
    } else {
        Err(errs)
    }
}

/// Reads a workbook: every data row is checked; `on_row` gets each good row (for the
/// import; the upload's check passes a no-op). Returns the row count and the errors (the
/// first `ERRORS_SHOWN`, and how many in all).
pub fn check(
    bytes: &[u8],
    ctx: &Context<'_>,
    on_row: impl FnMut(Parsed) -> bool,
) -> Result<Checked, Refusal> {
    check_rows(bytes, ctx, false, on_row)
}

/// `check` of an upload whose container was checked when it arrived (the import): the
/// zip is not inflated twice; every cell is checked again against the fields of now.
pub fn recheck(
    bytes: &[u8],
    ctx: &Context<'_>,
    on_row: impl FnMut(Parsed) -> bool,
) -> Result<Checked, Refusal> {
    check_rows(bytes, ctx, true, on_row)
}

fn check_rows(
    bytes: &[u8],
    ctx: &Context<'_>,
    container_checked: bool,
    mut on_row: impl FnMut(Parsed) -> bool,
) -> Result<Checked, Refusal> {
    let caps = Caps::default();
    let mut out = Checked::default();
    let mut raw_errors: Vec<(u32, u32, String, Msg)> = Vec::new();
    let mut cols: Option<Vec<(usize, Column)>> = None;
    let mut count = 0usize;
    let push = |out: &mut Checked, e: CellError| {
        if out.errors.len() < ERRORS_SHOWN {
            out.errors.push(e);
        }
        out.error_count += 1;
    };
    let mut seen_key_row = false;
    let mut stopped = false;
    let each = |row: u32, cells: &[String]| {
        if row < 1 {
            return true;
        }
        if row == 1 {
            seen_key_row = true;
            cols = Some(map_keys(cells, ctx, &mut raw_errors));
            return true;
        }
        let Some(cs) = cols.as_ref() else {
            return false;
        };
        if cells.iter().all(|c| c.trim().is_empty()) {
            return true;
        }
        count += 1;
        match parse_row(row + 1, cells, cs, ctx) {
            Ok(p) => {
                if !on_row(p) {
                    stopped = true;
                    return false;
                }
            }
            Err(errs) => {
                for (col, msg) in errs {
                    let field = cs
                        .iter()
                        .find(|(i, _)| u32::try_from(*i).ok() == Some(col))
                        .map(|(_, c)| c.label(ctx.i18n, ctx.lang))
                        .unwrap_or_default();
                    push(
                        &mut out,
                        CellError {
                            row: row + 1,
                            column: column_letter(col),
                            field,
                            message: msg.localize(ctx.i18n, ctx.lang),
                        },
                    );
                }
            }
        }
        true
    };
    if container_checked {
        read::rows_of_checked(bytes, &caps, each)?;
    } else {
        read::rows(bytes, &caps, each)?;
    }
    if !seen_key_row || cols.as_ref().is_none_or(Vec::is_empty) {
        return Err(Refusal::NoSheet);
    }
    let mut head: Vec<CellError> = raw_errors
        .into_iter()
        .map(|(row, col, field, msg)| CellError {
            row,
            column: column_letter(col),
            field,
            message: msg.localize(ctx.i18n, ctx.lang),
        })
        .collect();
    out.error_count += head.len();
    head.append(&mut out.errors);
    head.truncate(ERRORS_SHOWN);
    out.errors = head;
    out.rows = u32::try_from(count).unwrap_or(u32::MAX);
    let _ = stopped;
    Ok(out)
}
