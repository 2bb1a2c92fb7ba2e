//! Ticket fields of a service: the fixed system fields and the service's custom fields
//! (kind, a label per UI language, required, order, active, options). The rules that check
//! a value against its field live here, so the ticket form and the Excel upload check
//! alike. Every query takes the tenant's org id.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::ticket_fields as tf;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::web::forms::Msg;

/// The kinds of custom fields.
pub const KINDS: [&str; 8] = [
    "text",
    "long_text",
    "number",
    "date",
    "datetime",
    "select",
    "multi_select",
    "checkbox",
];

pub const LABEL_MAX: usize = 50;
pub const OPTION_MAX: usize = 100;
pub const OPTIONS_MAX: usize = 100;
pub const TEXT_MAX: usize = 500;
pub const LONG_TEXT_MAX: usize = 10_000;
/// Custom fields a service may have.
pub const FIELDS_MAX: i64 = 100;

/// The system fields every ticket has, in their order: (key, label key).
pub const SYSTEM: [(&str, &str); 11] = [
    ("title", "tf-sys-title"),
    ("description", "tf-sys-description"),
    ("status", "tf-sys-status"),
    ("priority", "tf-sys-priority"),
    ("requester_name", "tf-sys-requester-name"),
    ("requester_email", "tf-sys-requester-email"),
    ("requester_phone", "tf-sys-requester-phone"),
    ("channel", "tf-sys-channel"),
    ("assignee", "tf-sys-assignee"),
    ("created_at", "tf-sys-created-at"),
    ("tags", "tf-sys-tags"),
];

/// A custom field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub id: i64,
    /// Stable across renames (the migration template's hidden key row).
    pub key: String,
    pub kind: String,
    /// UI language code → label (at least one).
    pub labels: BTreeMap<String, String>,
    pub required: bool,
    pub position: i32,
    pub active: bool,
    pub options: Vec<String>,
}

/// A checked value, as stored in a ticket.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Value {
    Text(String),
    List(Vec<String>),
    Flag(bool),
}

impl Value {
    /// The value as a line of text (lists joined with ", ").
    pub fn display(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::List(v) => v.join(", "),
            Value::Flag(b) => if *b { "✓" } else { "" }.to_string(),
        }
    }
}

impl Field {
    /// The label in `lang`, else English, else any.
    pub fn label(&self, lang: Lang) -> String {
        self.labels
            .get(lang.code())
            .or_else(|| self.labels.get("en"))
            .or_else(|| self.labels.values().next())
            .cloned()
            .unwrap_or_else(|| self.key.clone())
    }

    pub fn is_select(&self) -> bool {
        self.kind == "select" || self.kind == "multi_select"
    }

    /// Checks the submitted values of this field (several only for a multi select; for a
    /// spreadsheet cell, a multi select's options are separated by commas). `Ok(None)`:
    /// left empty (allowed when not required).
    pub fn check(&self, raw: &[String]) -> Result<Option<Value>, Msg> {
        let mut items: Vec<String> = raw
            .iter()
            .flat_map(|r| {
                if self.kind == "multi_select" {
                    r.split(',')
                        .map(|s| s.trim().to_string())
                        .collect::<Vec<_>>()
                } else {
                    vec![r.trim().to_string()]
                }
            })
            .filter(|s| !s.is_empty())
            .collect();
        if self.kind == "checkbox" {
            let on = items
                .first()
                .is_some_and(|v| crate::web::forms::checked(v) || is_truthy(v));
            if self.required && !on {
                return Err(Msg::new("tf-value-required"));
            }
            return Ok(Some(Value::Flag(on)));
        }
        if items.is_empty() {
            return if self.required {
                Err(Msg::new("tf-value-required"))
            } else {
                Ok(None)
            };
        }
        if items
            .iter()
            .any(|v| crate::web::forms::has_forbidden_control(v))
        {
            return Err(Msg::new("field-invalid-chars"));
        }
        let one = items.swap_remove(0);
        match self.kind.as_str() {
            "text" | "long_text" => {
                let max = if self.kind == "text" {
                    TEXT_MAX
                } else {
                    LONG_TEXT_MAX
                };
                if one.chars().count() > max {
                    return Err(Msg::with("field-too-long", &[("max", max.to_string())]));
                }
                Ok(Some(Value::Text(one)))
            }
            "number" => match one.replace(',', "").parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(Some(Value::Text(normalize_number(n)))),
                _ => Err(Msg::new("tf-value-number")),
            },
            "date" => parse_date(&one)
                .map(|d| Some(Value::Text(d.format("%Y-%m-%d").to_string())))
                .ok_or_else(|| Msg::new("tf-value-date")),
            "datetime" => parse_datetime(&one)
                .map(|d| Some(Value::Text(d.format("%Y-%m-%dT%H:%M").to_string())))
                .ok_or_else(|| Msg::new("tf-value-datetime")),
            "select" => {
                if self.options.contains(&one) {
                    Ok(Some(Value::Text(one)))
                } else {
                    Err(Msg::new("tf-value-option"))
                }
            }
            "multi_select" => {
                let mut all = vec![one];
                all.extend(items);
                if let Some(bad) = all.iter().find(|v| !self.options.contains(v)) {
                    return Err(Msg::with(
                        "tf-value-option-named",
                        &[("value", bad.clone())],
                    ));
                }
                // In the options' order, each once.
                let chosen: Vec<String> = self
                    .options
                    .iter()
                    .filter(|o| all.contains(o))
                    .cloned()
                    .collect();
                Ok(Some(Value::List(chosen)))
            }
            _ => Err(Msg::new("tf-value-invalid")),
        }
    }
}

fn is_truthy(v: &str) -> bool {
    matches!(
        v.to_lowercase().as_str(),
        "y" | "yes" | "true" | "1" | "o" | "✓"
    )
}

fn normalize_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// `YYYY-MM-DD` (also `YYYY/MM/DD` and `YYYY.MM.DD`, as spreadsheets write them).
pub fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    let s = s.trim();
    ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"]
        .iter()
        .find_map(|f| chrono::NaiveDate::parse_from_str(s, f).ok())
}

/// `YYYY-MM-DD HH:MM` (or with a `T`, or with seconds).
pub fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

type Row = (i64, String, String, String, bool, i32, bool, String);

fn from_row(r: Row) -> Field {
    Field {
        id: r.0,
        key: r.1,
        kind: r.2,
        labels: serde_json::from_str(&r.3).unwrap_or_default(),
        required: r.4,
        position: r.5,
        active: r.6,
        options: serde_json::from_str(&r.7).unwrap_or_default(),
    }
}

/// The service's custom fields in their order (inactive ones too when `all`).
pub fn fields(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    all: bool,
) -> Result<Vec<Field>, AppError> {
    let mut q = tf::table
        .filter(tf::org_id.eq(org))
        .filter(tf::service_ref.eq(service_ref))
        .into_boxed::<crate::db::Backend>();
    if !all {
        q = q.filter(tf::active.eq(true));
    }
    let rows: Vec<Row> = q
        .order((tf::position.asc(), tf::id.asc()))
        .select((
            tf::id,
            tf::field_key,
            tf::kind,
            tf::labels,
            tf::required,
            tf::position,
            tf::active,
            tf::options,
        ))
        .load(c)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// A field as the form submits it, checked.
#[derive(Debug, Clone)]
pub struct FieldInput {
    pub kind: String,
    pub labels: BTreeMap<String, String>,
    pub required: bool,
    pub position: i32,
    pub active: bool,
    pub options: Vec<String>,
}

pub fn create(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    f: &FieldInput,
    now: NaiveDateTime,
) -> Result<Option<i64>, AppError> {
    c.transaction(|c| {
        let n: i64 = tf::table
            .filter(tf::service_ref.eq(service_ref))
            .count()
            .get_result(c)?;
        if n >= FIELDS_MAX {
            return Ok(None);
        }
        let key = format!(
            "c_{}",
            &crate::auth::random_token(6)
                .to_lowercase()
                .replace(['-', '_'], "x")
        );
        let insert = diesel::insert_into(tf::table).values((
            tf::org_id.eq(org),
            tf::service_ref.eq(service_ref),
            tf::field_key.eq(&key),
            tf::kind.eq(&f.kind),
            tf::labels.eq(serde_json::to_string(&f.labels).unwrap_or_default()),
            tf::required.eq(f.required),
            tf::position.eq(f.position),
            tf::active.eq(f.active),
            tf::options.eq(serde_json::to_string(&f.options).unwrap_or_default()),
            tf::created_at.eq(now),
            tf::updated_at.eq(now),
        ));
        Ok(Some(crate::db::insert_returning_id!(c, insert, tf::id)?))
    })
}

/// Saves a field (its kind stays what it was: values already stored depend on it).
pub fn update(
    c: &mut DbConn,
    org: i64,
    service_ref: i64,
    id: i64,
    f: &FieldInput,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let n = diesel::update(
        tf::table
            .filter(tf::org_id.eq(org))
            .filter(tf::service_ref.eq(service_ref))
            .filter(tf::id.eq(id)),
    )
    .set((
        tf::labels.eq(serde_json::to_string(&f.labels).unwrap_or_default()),
        tf::required.eq(f.required),
        tf::position.eq(f.position),
        tf::active.eq(f.active),
        tf::options.eq(serde_json::to_string(&f.options).unwrap_or_default()),
        tf::updated_at.eq(now),
    ))
    .execute(c)?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: &str, required: bool, options: &[&str]) -> Field {
        Field {
            id: 1,
            key: "c_x".into(),
            kind: kind.into(),
            labels: BTreeMap::from([("en".to_string(), "X".to_string())]),
            required,
            position: 0,
            active: true,
            options: options.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn one(s: &str) -> Vec<String> {
        vec![s.to_string()]
    }

    #[test]
    fn values_are_checked_by_kind() {
        let t = |s: &str| Some(Value::Text(s.to_string()));
        assert_eq!(
            field("number", false, &[]).check(&one("1,234")),
            Ok(t("1234"))
        );
        assert_eq!(field("number", false, &[]).check(&one("2.5")), Ok(t("2.5")));
        assert!(field("number", false, &[]).check(&one("NaN")).is_err());
        assert!(field("number", false, &[]).check(&one("x")).is_err());
        assert_eq!(
            field("date", false, &[]).check(&one("2026/06/01")),
            Ok(t("2026-06-01"))
        );
        assert!(field("date", false, &[]).check(&one("2026-02-30")).is_err());
        assert_eq!(
            field("datetime", false, &[]).check(&one("2026-06-01 09:30")),
            Ok(t("2026-06-01T09:30"))
        );
        let s = field("select", true, &["a", "b"]);
        assert_eq!(s.check(&one("b")), Ok(t("b")));
        assert!(s.check(&one("c")).is_err());
        assert!(s.check(&one("")).is_err(), "required");
        let m = field("multi_select", false, &["a", "b", "c"]);
        assert_eq!(
            m.check(&one("c, a")),
            Ok(Some(Value::List(vec!["a".into(), "c".into()])))
        );
        assert_eq!(
            m.check(&["b".to_string(), "a".to_string()]),
            Ok(Some(Value::List(vec!["a".into(), "b".into()])))
        );
        assert!(m.check(&one("a, z")).is_err());
        assert_eq!(m.check(&[]), Ok(None));
        let cb = field("checkbox", false, &[]);
        assert_eq!(cb.check(&one("on")), Ok(Some(Value::Flag(true))));
        assert_eq!(cb.check(&one("TRUE")), Ok(Some(Value::Flag(true))));
        assert_eq!(cb.check(&one("FALSE")), Ok(Some(Value::Flag(false))));
        assert_eq!(cb.check(&[]), Ok(Some(Value::Flag(false))));
        assert!(field("checkbox", true, &[]).check(&[]).is_err());
        assert!(
            field("text", false, &[])
                .check(&one(&"x".repeat(501)))
                .is_err()
        );
        assert!(
            field("long_text", false, &[])
                .check(&one(&"x".repeat(501)))
                .is_ok()
        );
    }

    #[test]
    fn labels_fall_back() {
        let mut f = field("text", false, &[]);
        assert_eq!(f.label(Lang::Ko), "X");
        f.labels.insert("ko".into(), "X (ko)".into());
        assert_eq!(f.label(Lang::Ko), "X (ko)");
    }
}
