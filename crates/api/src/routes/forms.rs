//! Web forms (issue "Every channel in one queue", item 4): each company's
//! forms, served at `/forms/{company}/{code}` as a page its site links to
//! or frames, and taken at the same address by POST (a browser's form, or
//! JSON). No login: a robot that fills in the hidden honeypot field gets
//! the same thanks and nothing is kept; an address sends at most five an
//! hour. What a submission becomes: a complaint a case for the department
//! concerned; anything with a phone number a callback in the operators'
//! queue; an e-mail alone a contact kept for the reply.

use crate::auth::{request_addr, roles, Admins, Allowed, Auth};
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::ui::i18n::Tr;
use crate::AppState;
use axum::{
    extract::{FromRequest, Path, Query, Request, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use centrala_center::acd::OPERATORS;
use centrala_desk::cases::{route, Category};
use centrala_desk::forms::{check, Field, FieldKind, Form, FormError, Kind, Submission, HONEYPOT};
use centrala_domain::{CompanyId, Intent};
use centrala_store::cases::NewCase;
use centrala_store::interactions::{Disposition, StoryKind};
use chrono::{Duration, Utc};
use maud::{html, Markup, DOCTYPE};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// 1–32 of a–z, 0–9, `_`.
    pub name: String,
    /// `text`, `message`, `phone` or `email`.
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    /// Its label per language (`bs`, `en`, `ru`); none: the built-in words.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormDef {
    pub code: String,
    /// `callback`, `order_inquiry`, `complaint` or `general`.
    pub kind: String,
    pub fields: Vec<FieldDef>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

fn def(f: Form) -> FormDef {
    FormDef {
        code: f.code,
        kind: f.kind.as_str().to_owned(),
        fields: f
            .fields
            .into_iter()
            .map(|x| FieldDef {
                name: x.name,
                kind: x.kind.as_str().to_owned(),
                required: x.required,
                labels: x.labels,
            })
            .collect(),
        active: f.active,
    }
}

fn form_error(e: &FormError) -> ApiError {
    let (code, field): (&'static str, Option<String>) = match e {
        FormError::Missing(f) => ("field_missing", Some(f.clone())),
        FormError::TooLong { field, .. } => ("field_too_long", Some(field.clone())),
        FormError::NotPhone(f) => ("not_a_phone", Some(f.clone())),
        FormError::NotEmail(f) => ("not_an_email", Some(f.clone())),
        FormError::Unknown(f) => ("unknown_field", Some(f.clone())),
        FormError::NoWayBack => ("no_way_back", None),
        _ => ("invalid_input", None),
    };
    let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, e.to_string());
    if let Some(f) = field {
        err = err.param("field", f);
    }
    err
}

/// The company's forms (planners).
#[utoipa::path(get, path = "/api/v1/forms", tag = "forms", responses((status = 200, body = [FormDef])))]
pub async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<FormDef>>> {
    auth.require(roles::PLANNERS)?;
    Ok(Json(state.store.company(auth.company).web_forms().await?.into_iter().map(def).collect()))
}

/// Replaces the company's forms (admins); each checked, codes unique.
#[utoipa::path(put, path = "/api/v1/forms", tag = "forms", request_body = [FormDef],
    responses((status = 200, body = [FormDef]), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    ApiJson(body): ApiJson<Vec<FormDef>>,
) -> ApiResult<Json<Vec<FormDef>>> {
    let mut forms: Vec<Form> = Vec::new();
    for d in body {
        let kind = Kind::parse(&d.kind).ok_or_else(|| {
            ApiError::invalid(format!("{:?}: callback, order_inquiry, complaint or general", d.kind)).field("kind")
        })?;
        let mut fields = Vec::new();
        for f in d.fields {
            let kind = FieldKind::parse(&f.kind).ok_or_else(|| {
                ApiError::invalid(format!("{:?}: text, message, phone or email", f.kind)).field("fields")
            })?;
            fields.push(Field { name: f.name, kind, required: f.required, labels: f.labels });
        }
        let form = Form { code: d.code, kind, fields, active: d.active };
        form.check().map_err(|e| ApiError::invalid(e.to_string()).field("fields").param("form", form.code.as_str()))?;
        if forms.iter().any(|f| f.code == form.code) {
            return Err(ApiError::invalid(format!("form {:?} twice", form.code)).field("code"));
        }
        forms.push(form);
    }
    let s = state.store.company(auth.company);
    s.put_web_forms(&forms).await?;
    s.audit(&auth.username, "update", "web_forms", "", &forms.len().to_string()).await?;
    Ok(Json(s.web_forms().await?.into_iter().map(def).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct SubmissionOut {
    pub id: i64,
    pub form: String,
    pub at: String,
    pub address: String,
    pub values: BTreeMap<String, String>,
    /// The contact it became.
    pub interaction: Option<i64>,
    /// The case it became (a complaint).
    pub case: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
pub struct SubmissionsQuery {
    /// At most this many, newest first (default 100).
    pub limit: Option<i64>,
}

/// The forms' submissions, newest first (planners).
#[utoipa::path(get, path = "/api/v1/form-submissions", tag = "forms", params(SubmissionsQuery),
    responses((status = 200, body = [SubmissionOut])))]
pub async fn submissions(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<SubmissionsQuery>,
) -> ApiResult<Json<Vec<SubmissionOut>>> {
    auth.require(roles::PLANNERS)?;
    let list = state.store.company(auth.company).submissions(q.limit.unwrap_or(100)).await?;
    Ok(Json(
        list.into_iter()
            .map(|t| SubmissionOut {
                id: t.id,
                form: t.form,
                at: t.at,
                address: t.address,
                values: t.values,
                interaction: t.interaction.map(|i| i.0),
                case: t.case,
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
pub struct PageQuery {
    pub lang: Option<String>,
}

/// A public form's page (and the answer to its POST) may be framed by the
/// company's own site; it loads only our stylesheet and posts only here.
const FORM_CSP: &str = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors *; base-uri 'none'";

pub(crate) fn language(q: Option<&str>) -> &'static str {
    match q {
        Some("en") => "en",
        Some("ru") => "ru",
        _ => "bs",
    }
}

async fn public_form(state: &AppState, company: &str, code: &str) -> Result<(CompanyId, String, Form), ApiError> {
    let Some(c) = state.store.company_by_code(company).await? else { return Err(ApiError::not_found("form")) };
    let form = state.store.company(c.id).web_forms().await?.into_iter().find(|f| f.code == code && f.active);
    form.map(|f| (c.id, c.name, f)).ok_or_else(|| ApiError::not_found("form"))
}

fn label(tr: Tr, lang: &str, f: &Field) -> String {
    f.labels.get(lang).cloned().unwrap_or_else(|| {
        let key = format!("form-field-{}", f.name);
        let words = tr.t(&key);
        if words.starts_with('⟦') {
            f.name.clone()
        } else {
            words
        }
    })
}

fn page(tr: Tr, lang: &str, title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href="/assets/app.css";
            }
            body.public-form { main { h1 { (title) } (body) p.muted { (tr.t("form-powered")) } } }
        }
    };
    let mut r = markup.into_response();
    r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(FORM_CSP));
    r
}

/// The form's page: its fields with their labels in the visitor's language
/// (`?lang=bs|en|ru`), the honeypot hidden.
pub async fn show(
    State(state): State<AppState>,
    Path((company, code)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Response {
    let lang = language(q.lang.as_deref());
    let tr = Tr::new(lang);
    let (_, name, form) = match public_form(&state, &company, &code).await {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let title = format!("{} — {}", name, tr.t(&format!("form-kind-{}", form.kind.as_str())));
    page(
        tr,
        lang,
        &title,
        html! {
            form method="post" action={ "/forms/" (company) "/" (code) "?lang=" (lang) } {
                @for f in &form.fields {
                    @let id = format!("f-{}", f.name);
                    p {
                        label for=(id) { (label(tr, lang, f)) @if f.required { " *" } }
                        br;
                        @match f.kind {
                            FieldKind::Message => textarea id=(id) name=(f.name) rows="5" required[f.required] maxlength=(f.kind.max_len()) {},
                            FieldKind::Phone => input id=(id) name=(f.name) type="tel" autocomplete="tel" required[f.required] maxlength=(f.kind.max_len());,
                            FieldKind::Email => input id=(id) name=(f.name) type="email" autocomplete="email" required[f.required] maxlength=(f.kind.max_len());,
                            FieldKind::Text => input id=(id) name=(f.name) type="text" required[f.required] maxlength=(f.kind.max_len());,
                        }
                    }
                }
                // People never see it; robots fill it in.
                p.honeypot aria-hidden="true" {
                    label for="f-hp" { (tr.t("form-leave-empty")) }
                    input id="f-hp" name=(HONEYPOT) type="text" tabindex="-1" autocomplete="off";
                }
                button type="submit" { (tr.t("form-send")) }
            }
        },
    )
}

/// Takes a submission: form-encoded from the page (answered with a page)
/// or JSON (answered with JSON).
pub async fn submit(
    State(state): State<AppState>,
    Path((company, code)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
    req: Request,
) -> Response {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let addr = request_addr(&state, req.extensions(), req.headers());
    let lang = language(q.lang.as_deref());
    let tr = Tr::new(lang);
    let values: Result<BTreeMap<String, String>, ApiError> = if json {
        Json::<BTreeMap<String, String>>::from_request(req, &state)
            .await
            .map(|Json(v)| v)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.body_text()))
    } else {
        axum::Form::<BTreeMap<String, String>>::from_request(req, &state)
            .await
            .map(|axum::Form(v)| v)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.body_text()))
    };
    let outcome = match values {
        Ok(v) => take(&state, &company, &code, &addr, v).await,
        Err(e) => Err(e),
    };
    match (outcome, json) {
        (Ok(()), true) => (StatusCode::CREATED, Json(serde_json::json!({"taken": true}))).into_response(),
        (Ok(()), false) => page(tr, lang, &tr.t("form-thanks"), html! { p #form-taken { (tr.t("form-thanks-text")) } }),
        (Err(e), true) => e.into_response(),
        (Err(e), false) => {
            let status = e.status;
            // The field at fault by its label, as the visitor read it.
            let name = e.params.as_ref().and_then(|p| p.get("field")).and_then(|f| f.as_str()).unwrap_or("").to_owned();
            let field = match public_form(&state, &company, &code).await {
                Ok((_, _, form)) => form.fields.iter().find(|f| f.name == name).map_or(name, |f| label(tr, lang, f)),
                Err(_) => name,
            };
            let words = tr.t_with(&format!("err-{}", e.code), &[("field", &field)]);
            let mut r = page(
                tr,
                lang,
                &tr.t("form-not-taken"),
                html! { p #form-error role="alert" { (words) } p { a href={ "/forms/" (company) "/" (code) "?lang=" (lang) } { (tr.t("form-again")) } } },
            );
            *r.status_mut() = status;
            r
        }
    }
}

async fn take(
    state: &AppState,
    company: &str,
    code: &str,
    addr: &str,
    values: BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let (company, _, form) = public_form(state, company, code).await?;
    let s = state.store.company(company);
    if !centrala_desk::forms::may_submit(s.submissions_since(addr, Utc::now() - Duration::hours(1)).await?) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_submissions",
            "this address sent too many forms in the last hour",
        )
        .retry_after(3600));
    }
    let taken = match check(&form, &values).map_err(|e| form_error(&e))? {
        Submission::Spam => {
            tracing::info!(form = %form.code, %addr, "a form's honeypot was filled in: not kept");
            return Ok(());
        }
        Submission::Taken(v) => v,
    };
    let id = s.record_submission(&form.code, addr, &taken).await?;
    // The number as the company dials it; as given when it does not read.
    let phone = form.first(&taken, FieldKind::Phone).map(|p| {
        centrala_domain::normalize_phone(p, &state.config.default_country_code)
            .map_or_else(|_| p.to_owned(), |n| n.as_str().to_owned())
    });
    let email = form.first(&taken, FieldKind::Email);
    let client = match (&phone, email) {
        (Some(p), _) => s.client_by_phone(p).await?,
        (None, Some(e)) => s.client_by_email(e).await?,
        _ => None,
    };
    let from = phone.clone().or(email.map(str::to_owned)).unwrap_or_default();
    let words: String = taken.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("\n");
    let raised_by = format!("form:{}", form.code);
    if form.kind == Kind::Complaint {
        let staffing = state.center.caches.staffing(&s).await?;
        let department = client.as_ref().and_then(|c| c.manager).and_then(|m| staffing.member(m)?.department);
        let (department, due) = route(Category::Complaint, &s.case_rules().await?, department, Utc::now());
        let contact =
            s.start_form_contact(&from, client.as_ref().map(|c| c.id), Intent::Complaint, Disposition::Closed).await?;
        let subject: String = taken.get("message").map_or("", String::as_str).chars().take(80).collect();
        let c = s
            .open_case(&NewCase {
                category: Category::Complaint,
                subject: if subject.is_empty() { form.code.clone() } else { subject },
                description: words,
                client: client.as_ref().map(|c| c.id),
                interaction: Some(contact),
                department,
                owner: None,
                raised_by,
                due_at: due,
            })
            .await?;
        s.submission_became(id, Some(contact), Some(c.id)).await?;
        crate::routes::cases::tell_company(state, company, &c, "case_opened").await?;
        return Ok(());
    }
    let intent = if form.kind == Kind::OrderInquiry { Intent::Order } else { Intent::Other };
    let Some(number) = phone else {
        // An e-mail alone: kept as a contact for the reply.
        let contact = s.start_form_contact(&from, client.as_ref().map(|c| c.id), intent, Disposition::Closed).await?;
        s.submission_became(id, Some(contact), None).await?;
        return Ok(());
    };
    // A phone: a callback in the operators' queue, as a caller who pressed 1.
    let contact = s.start_form_contact(&number, client.as_ref().map(|c| c.id), intent, Disposition::Callback).await?;
    s.add_interaction_event(contact, StoryKind::CallbackRequested, None, &raised_by).await?;
    s.add_interaction_event(contact, StoryKind::Queued, None, OPERATORS).await?;
    s.submission_became(id, Some(contact), None).await?;
    state.center.acd.callback_again(company, contact, &number, OPERATORS, 1).await;
    Ok(())
}
