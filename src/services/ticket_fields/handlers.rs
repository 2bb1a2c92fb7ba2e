//! `/services/{service_id}/ticket-fields`: the list with the add form, and
//! `/services/{service_id}/ticket-fields/{id}` to edit one (labels, required, order,
//! active, options; the kind is fixed once values exist).

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use askama::Template;

use super::model::{self, Field, FieldInput, KINDS, SYSTEM};
use crate::admin::contracts::model::Service;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::routes::Urls;
use crate::services::members::model::managed_service;
use crate::web::forms::{FieldErrors, Msg, Validation, checked};
use crate::web::{Choice, Member, PageCtx, choices, ok, see_other, unprocessable};

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct FieldForm {
    pub kind: String,
    pub label_ko: String,
    pub label_ja: String,
    pub label_en: String,
    pub required: String,
    pub position: String,
    pub active: String,
    /// One option a line.
    pub options: String,
}

impl FieldForm {
    fn of(f: &Field) -> FieldForm {
        let l = |k: &str| f.labels.get(k).cloned().unwrap_or_default();
        FieldForm {
            kind: f.kind.clone(),
            label_ko: l("ko"),
            label_ja: l("ja"),
            label_en: l("en"),
            required: if f.required {
                "on".into()
            } else {
                String::new()
            },
            position: f.position.to_string(),
            active: if f.active { "on".into() } else { String::new() },
            options: f.options.join("\n"),
        }
    }
}

#[derive(Template)]
#[template(path = "services/ticket_fields.html")]
pub struct FieldsPage {
    pub ctx: PageCtx,
    pub service: Service,
    pub fields: Vec<Field>,
    /// The add form (or, with `editing`, the edit form).
    pub form: FieldForm,
    pub kinds: Vec<Choice>,
    pub editing: Option<i64>,
    pub errors: FieldErrors,
}

impl FieldsPage {
    pub fn system(&self) -> [(&'static str, &'static str); 11] {
        SYSTEM
    }
    /// Of the system fields only the title must be filled.
    pub fn sys_required(&self, key: &str) -> bool {
        key == "title"
    }
    pub fn label(&self, f: &Field) -> String {
        f.label(self.ctx.lang)
    }
    pub fn action(&self) -> String {
        match self.editing {
            Some(id) => Urls.ticket_field(&self.service.service_id, &id),
            None => Urls.ticket_fields(&self.service.service_id),
        }
    }
}

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// Checks a submitted field; `kind` is taken from the form only for a new field.
fn check(form: &mut FieldForm, kind: Option<&str>, v: &mut Validation) -> FieldInput {
    let kind = kind.map_or_else(|| form.kind.trim().to_string(), str::to_string);
    if !KINDS.contains(&kind.as_str()) {
        v.add("kind", Msg::new("choice-required"));
    }
    let mut labels = BTreeMap::new();
    for (lang, value, field) in [
        (Lang::Ko, &mut form.label_ko, "label_ko"),
        (Lang::Ja, &mut form.label_ja, "label_ja"),
        (Lang::En, &mut form.label_en, "label_en"),
    ] {
        *value = value.trim().to_string();
        if value.chars().count() > model::LABEL_MAX {
            v.add(
                field,
                Msg::with("field-too-long", &[("max", model::LABEL_MAX.to_string())]),
            );
        } else if crate::web::forms::has_control(value) {
            v.add(field, Msg::new("field-invalid-chars"));
        } else if !value.is_empty() {
            labels.insert(lang.code().to_string(), value.clone());
        }
    }
    if labels.is_empty() && !v.has("label_ko") && !v.has("label_ja") && !v.has("label_en") {
        v.add("label_en", Msg::new("tf-label-required"));
    }
    let position = if form.position.trim().is_empty() {
        0
    } else {
        match form.position.trim().parse::<i32>() {
            Ok(n) if (0..=1000).contains(&n) => n,
            _ => {
                v.add("position", Msg::new("tf-position-invalid"));
                0
            }
        }
    };
    let mut options: Vec<String> = Vec::new();
    for o in form
        .options
        .lines()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        if o.chars().count() > model::OPTION_MAX || o.contains(',') {
            v.add("options", Msg::new("tf-option-invalid"));
            break;
        }
        if !options.iter().any(|x| x == o) {
            options.push(o.to_string());
        }
    }
    if options.len() > model::OPTIONS_MAX {
        v.add(
            "options",
            Msg::with(
                "tf-options-too-many",
                &[("max", model::OPTIONS_MAX.to_string())],
            ),
        );
    }
    let select = kind == "select" || kind == "multi_select";
    if select && options.is_empty() && !v.has("options") {
        v.add("options", Msg::new("tf-options-required"));
    }
    if !select {
        options.clear();
    }
    FieldInput {
        kind,
        labels,
        required: checked(&form.required),
        position,
        active: checked(&form.active),
        options,
    }
}

async fn render_page(
    ctx: &Member,
    service_id: String,
    form: Option<FieldForm>,
    editing: Option<i64>,
    v: &Validation,
) -> Result<HttpResponse, AppError> {
    let (org, user) = (ctx.org_id(), ctx.user.clone());
    let (service, fields) = ctx
        .state
        .db(move |c| {
            let s = managed_service(c, org, &user, &service_id)?;
            let f = model::fields(c, org, s.id, true)?;
            Ok((s, f))
        })
        .await?;
    let form = match (form, editing) {
        (Some(f), _) => f,
        (None, Some(id)) => FieldForm::of(
            fields
                .iter()
                .find(|f| f.id == id)
                .ok_or(AppError::NotFound)?,
        ),
        (None, None) => FieldForm {
            kind: "text".into(),
            active: "on".into(),
            position: ((fields.len() + 1) * 10).to_string(),
            ..Default::default()
        },
    };
    if let Some(id) = editing
        && !fields.iter().any(|f| f.id == id)
    {
        return Err(AppError::NotFound);
    }
    let kinds = choices(KINDS, |k| ctx.t(&format!("tf-kind-{k}")), &form.kind);
    let page = FieldsPage {
        errors: ctx.errors(v),
        ctx: ctx.page(),
        service,
        fields,
        form,
        kinds,
        editing,
    };
    if v.is_empty() {
        ok(&page)
    } else {
        unprocessable(&page)
    }
}

pub async fn page(ctx: Member, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    render_page(&ctx, path.into_inner(), None, None, &Validation::default()).await
}

pub async fn edit_page(
    ctx: Member,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (sid, id) = path.into_inner();
    render_page(&ctx, sid, None, Some(id), &Validation::default()).await
}

pub async fn create(
    ctx: Member,
    path: web::Path<String>,
    form: web::Form<FieldForm>,
) -> Result<HttpResponse, AppError> {
    let sid = path.into_inner();
    let mut form = form.into_inner();
    let mut v = Validation::default();
    let input = check(&mut form, None, &mut v);
    if !v.is_empty() {
        return render_page(&ctx, sid, Some(form), None, &v).await;
    }
    let (org, user, s2) = (ctx.org_id(), ctx.user.clone(), sid.clone());
    let created = ctx
        .state
        .db(move |c| {
            let s = managed_service(c, org, &user, &s2)?;
            model::create(c, org, s.id, &input, now())
        })
        .await?;
    if created.is_none() {
        v.add(
            "kind",
            Msg::with("tf-too-many", &[("max", model::FIELDS_MAX.to_string())]),
        );
        return render_page(&ctx, sid, Some(form), None, &v).await;
    }
    ctx.flash("success", "tf-saved")?;
    Ok(see_other(&Urls.ticket_fields(&sid)))
}

pub async fn update(
    ctx: Member,
    path: web::Path<(String, i64)>,
    form: web::Form<FieldForm>,
) -> Result<HttpResponse, AppError> {
    let (sid, id) = path.into_inner();
    let mut form = form.into_inner();
    let (org, user, s2) = (ctx.org_id(), ctx.user.clone(), sid.clone());
    let field = ctx
        .state
        .db(move |c| {
            let s = managed_service(c, org, &user, &s2)?;
            let f = model::fields(c, org, s.id, true)?;
            Ok(f.into_iter().find(|f| f.id == id).map(|f| (s.id, f)))
        })
        .await?;
    let Some((sref, field)) = field else {
        return Err(AppError::NotFound);
    };
    let mut v = Validation::default();
    form.kind = field.kind.clone();
    let input = check(&mut form, Some(&field.kind), &mut v);
    if !v.is_empty() {
        return render_page(&ctx, sid, Some(form), Some(id), &v).await;
    }
    ctx.state
        .db(move |c| model::update(c, org, sref, id, &input, now()))
        .await?;
    ctx.flash("success", "tf-saved")?;
    Ok(see_other(&Urls.ticket_fields(&sid)))
}
