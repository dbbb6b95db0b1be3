//! Cases (OD-20, CC-15): a client's comment, wish, complaint or claim,
//! raised by anyone at the desk, goes at once to the department concerned
//! (the company's rule for the category, else the department of the
//! client's manager): its head and owner hear of it on their event stream
//! and by e-mail. Who sees a case: planners every case of their company,
//! others those of their department, those they own and those they
//! raised. Who changes it: planners, its department's head, its owner.

use crate::auth::{roles, Allowed, Auth};
use crate::{
    error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult},
    AppState,
};
use axum::{extract::State, http::StatusCode, Json};
use centrala_center::bus::Event;
use centrala_desk::cases::{check_deadline, overdue, route, transition, CaseError, CaseRule, Category, Status};
use centrala_desk::Staffing;
use centrala_domain::{CompanyId, InteractionId, Role, StaffId};
use centrala_store::cases::{Case, CaseFilter, NewCase};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseIn {
    /// `comment`, `wish`, `complaint` or `claim`.
    pub category: String,
    pub subject: String,
    pub description: Option<String>,
    /// The client's code.
    pub client: Option<String>,
    /// The call (or contact) it was raised on.
    pub interaction: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseEventOut {
    pub at: String,
    pub actor: String,
    /// `opened`, `status`, `owner`, `department`, `note` (internal) or
    /// `reply` (to the client).
    pub kind: String,
    pub detail: String,
}

#[derive(Serialize, ToSchema)]
pub struct CaseOut {
    pub id: i64,
    pub category: String,
    /// `open`, `in_progress`, `resolved`, `closed`.
    pub status: String,
    pub subject: String,
    pub description: String,
    /// The client's code and name.
    pub client: Option<String>,
    pub client_name: Option<String>,
    pub interaction: Option<i64>,
    /// The department's code.
    pub department: Option<String>,
    /// The owner's username.
    pub owner: Option<String>,
    pub raised_by: String,
    pub created_at: String,
    pub due_at: String,
    /// Still open past its due time.
    pub overdue: bool,
    pub resolution: String,
    pub closed_at: Option<String>,
    /// Its history (one case read alone; empty in lists).
    pub events: Vec<CaseEventOut>,
}

#[derive(Deserialize, IntoParams)]
pub struct CasesQuery {
    /// `open` (open or in progress), or one status.
    pub status: Option<String>,
    /// A client's code.
    pub client: Option<String>,
    /// Only those past their due time.
    pub overdue: Option<bool>,
    /// At most this many (default 200, at most 1,000).
    pub limit: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseChangeIn {
    pub status: Option<String>,
    /// Required to resolve or close.
    pub resolution: Option<String>,
    /// A username; `""` for nobody.
    pub owner: Option<String>,
    /// A department's code.
    pub department: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseNoteIn {
    pub text: String,
    /// Sent to the client by e-mail (their address on the card); otherwise
    /// an internal note.
    #[serde(default)]
    pub reply: bool,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseRuleDef {
    pub category: String,
    /// A department's code; none: the client's manager's department.
    pub department: Option<String>,
    /// 1 to 2,160 hours.
    pub deadline_hours: i64,
}

fn case_error(e: CaseError) -> ApiError {
    let code = match e {
        CaseError::Transition { .. } => "invalid_transition",
        CaseError::NoResolution => "no_resolution",
        CaseError::Closed => "case_closed",
        CaseError::Deadline(_) => "invalid_input",
    };
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, e.to_string())
}

fn category(s: &str) -> ApiResult<Category> {
    Category::parse(s).ok_or_else(|| {
        ApiError::invalid(format!("{s:?}: comment, wish, complaint or claim")).field("category").param("category", s)
    })
}

/// Narrows `f` to what `auth` may see (the list's rule, as [`may_see`]
/// tells it for one case): planners everything; others their
/// department's cases (or the one they head), those they own and those they
/// raised.
pub(crate) fn scope(f: &mut CaseFilter, auth: &Auth, staffing: &Staffing) {
    if roles::PLANNERS.contains(&auth.role) {
        return;
    }
    let member = staffing.member(auth.staff).and_then(|m| m.department);
    f.departments = Some(
        staffing
            .departments
            .iter()
            .filter(|d| d.head == Some(auth.staff) || member == Some(d.id))
            .map(|d| d.id)
            .collect(),
    );
    f.owner = Some(auth.staff);
    f.raised_by = Some(auth.username.clone());
}

/// Whether `auth` may change the case: planners, its department's head,
/// its owner.
fn may_change(auth: &Auth, staffing: &Staffing, c: &Case) -> bool {
    roles::PLANNERS.contains(&auth.role)
        || c.owner == Some(auth.staff)
        || c.department.and_then(|d| staffing.department(d)).is_some_and(|d| d.head == Some(auth.staff))
}

/// Whether `auth` may see the case: planners, its department's members
/// and head, its owner, whoever raised it.
fn may_see(auth: &Auth, staffing: &Staffing, c: &Case) -> bool {
    may_change(auth, staffing, c)
        || c.raised_by == auth.username
        || c.department.is_some_and(|d| staffing.member(auth.staff).is_some_and(|m| m.department == Some(d)))
}

/// Who hears of a case: its department's head and its owner by name; when
/// it has no department, the heads and supervisors by role.
fn told(staffing: &Staffing, c: &Case) -> (Vec<StaffId>, Vec<Role>) {
    let head = c.department.and_then(|d| staffing.department(d)).and_then(|d| d.head);
    let staff: Vec<StaffId> = head.into_iter().chain(c.owner).collect();
    let roles = if c.department.is_none() {
        vec![Role::HeadOfSales, Role::HeadOfWholesale, Role::Supervisor]
    } else {
        Vec::new()
    };
    (staff, roles)
}

async fn case_out(state: &AppState, auth: &Auth, c: Case, with_events: bool) -> ApiResult<CaseOut> {
    let s = state.store.company(auth.company);
    let staffing = state.center.caches.staffing(&s).await?;
    let client = match c.client {
        Some(id) => s.client(id).await?,
        None => None,
    };
    let events = if with_events {
        s.case_events(c.id)
            .await?
            .into_iter()
            .map(|e| CaseEventOut { at: e.at, actor: e.actor, kind: e.kind, detail: e.detail })
            .collect()
    } else {
        Vec::new()
    };
    let due = DateTime::parse_from_rfc3339(&c.due_at).map(|t| t.to_utc()).unwrap_or_else(|_| Utc::now());
    Ok(CaseOut {
        id: c.id,
        category: c.category.as_str().to_owned(),
        status: c.status.as_str().to_owned(),
        overdue: overdue(c.status, due, Utc::now()),
        subject: c.subject,
        description: c.description,
        client: client.as_ref().map(|c| c.code.clone()),
        client_name: client.map(|c| c.name),
        interaction: c.interaction.map(|i| i.0),
        department: c.department.and_then(|d| staffing.department(d)).map(|d| d.code.clone()),
        owner: c.owner.and_then(|o| staffing.member(o)).map(|m| m.username.clone()),
        raised_by: c.raised_by,
        created_at: c.created_at,
        due_at: c.due_at,
        resolution: c.resolution,
        closed_at: c.closed_at,
        events,
    })
}

async fn tell(state: &AppState, auth: &Auth, c: &Case, kind: &'static str) -> ApiResult<()> {
    tell_company(state, auth.company, c, kind).await
}

/// Tells the case's department head and owner: an event on their stream,
/// and an e-mail (through the outbox) to those with an address.
pub(crate) async fn tell_company(state: &AppState, company: CompanyId, c: &Case, kind: &'static str) -> ApiResult<()> {
    let s = state.store.company(company);
    let staffing = state.center.caches.staffing(&s).await?;
    let (staff, roles) = told(&staffing, c);
    let data = serde_json::json!({"id": c.id, "category": c.category.as_str(), "subject": c.subject,
        "status": c.status.as_str(), "due_at": c.due_at});
    state.center.events.publish(Event { company, staff: staff.clone(), roles, kind, data });
    let people = s.staff_list().await?;
    for m in people.iter().filter(|m| staff.contains(&m.id) && m.active && !m.email.is_empty()) {
        let tr = crate::ui::i18n::Tr::new(&m.locale);
        let category = tr.t(&format!("case-category-{}", c.category.as_str()));
        let subject = format!("{} {}: {}", tr.t("case-mail-subject"), c.id, c.subject);
        let body = format!(
            "{}\n\n{}: {}\n{}: {}\n{}: {}\n\n{}\n",
            tr.t(if kind == "case_opened" { "case-mail-opened" } else { "case-mail-assigned" }),
            tr.t("case-col-category"),
            category,
            tr.t("case-col-due"),
            crate::ui::local_time(&c.due_at, state.center.zone(company).await),
            tr.t("case-col-raised-by"),
            c.raised_by,
            c.description,
        );
        s.queue_mail(&m.email, &subject, &body, &format!("case:{}", c.id)).await?;
    }
    Ok(())
}

/// Raises a case (any staff member): its department and due time by the
/// company's rules; the department's head is told at once.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = CaseIn,
    responses((status = 201, body = CaseOut), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<CaseIn>,
) -> ApiResult<(StatusCode, Json<CaseOut>)> {
    let s = state.store.company(auth.company);
    let category = category(&body.category)?;
    if body.subject.trim().is_empty() {
        return Err(ApiError::invalid("say what the case is about").field("subject"));
    }
    let client =
        match body.client.as_deref().filter(|c| !c.is_empty()) {
            Some(code) => Some(s.client_by_code(code).await?.ok_or_else(|| {
                ApiError::invalid(format!("no client {code:?}")).field("client").param("client", code)
            })?),
            None => None,
        };
    let interaction = match body.interaction {
        Some(id) => Some(
            s.interaction(InteractionId(id))
                .await?
                .ok_or_else(|| ApiError::invalid(format!("no contact {id}")).field("interaction"))?
                .id,
        ),
        None => None,
    };
    let staffing = state.center.caches.staffing(&s).await?;
    let client_department = client.as_ref().and_then(|c| c.manager).and_then(|m| staffing.member(m)?.department);
    let (department, due) = route(category, &s.case_rules().await?, client_department, Utc::now());
    let c = s
        .open_case(&NewCase {
            category,
            subject: body.subject.trim().to_owned(),
            description: body.description.unwrap_or_default(),
            client: client.map(|c| c.id),
            interaction,
            department,
            owner: None,
            raised_by: auth.username.clone(),
            due_at: due,
        })
        .await?;
    s.audit(&auth.username, "create", "case", &c.id.to_string(), category.as_str()).await?;
    tell(&state, &auth, &c, "case_opened").await?;
    Ok((StatusCode::CREATED, Json(case_out(&state, &auth, c, true).await?)))
}

/// The cases the caller may see, the soonest due open ones first.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CasesQuery),
    responses((status = 200, body = [CaseOut]), (status = 422, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<CasesQuery>,
) -> ApiResult<Json<Vec<CaseOut>>> {
    let s = state.store.company(auth.company);
    let mut f = CaseFilter { limit: q.limit.unwrap_or(200), ..CaseFilter::default() };
    match q.status.as_deref() {
        None | Some("") => {}
        Some("open") => f.open_only = true,
        Some(other) => {
            f.status = Some(Status::parse(other).ok_or_else(|| {
                ApiError::invalid(format!("{other:?}: open, in_progress, resolved or closed")).field("status")
            })?);
        }
    }
    if let Some(code) = q.client.as_deref().filter(|c| !c.is_empty()) {
        let c = s
            .client_by_code(code)
            .await?
            .ok_or_else(|| ApiError::invalid(format!("no client {code:?}")).field("client"))?;
        f.client = Some(c.id);
    }
    let staffing = state.center.caches.staffing(&s).await?;
    scope(&mut f, &auth, &staffing);
    let now = Utc::now();
    let mut out = Vec::new();
    for c in s.cases(&f).await? {
        let late = DateTime::parse_from_rfc3339(&c.due_at).is_ok_and(|d| overdue(c.status, d.to_utc(), now));
        if q.overdue == Some(true) && !late {
            continue;
        }
        out.push(case_out(&state, &auth, c, false).await?);
    }
    Ok(Json(out))
}

async fn visible(state: &AppState, auth: &Auth, id: i64) -> ApiResult<(Case, std::sync::Arc<Staffing>)> {
    let s = state.store.company(auth.company);
    let staffing = state.center.caches.staffing(&s).await?;
    match s.case(id).await? {
        Some(c) if may_see(auth, &staffing, &c) => Ok((c, staffing)),
        _ => Err(ApiError::not_found("case")),
    }
}

/// One case with its history.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = CaseOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_one(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<CaseOut>> {
    let (c, _) = visible(&state, &auth, id).await?;
    state.store.company(auth.company).audit(&auth.username, "view", "case", &id.to_string(), "").await?;
    Ok(Json(case_out(&state, &auth, c, true).await?))
}

/// Changes a case's status (with the resolution to resolve or close it),
/// owner or department: planners, its department's head, its owner. A new
/// owner or department is told at once.
#[utoipa::path(put, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)), request_body = CaseChangeIn,
    responses((status = 200, body = CaseOut), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn change(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CaseChangeIn>,
) -> ApiResult<Json<CaseOut>> {
    let s = state.store.company(auth.company);
    let (c, staffing) = visible(&state, &auth, id).await?;
    if !may_change(&auth, &staffing, &c) {
        return Err(ApiError::forbidden());
    }
    if c.status == Status::Closed {
        return Err(case_error(CaseError::Closed));
    }
    let mut next = c.clone();
    let mut events: Vec<(&str, String)> = Vec::new();
    if let Some(words) = &body.resolution {
        next.resolution = words.trim().to_owned();
    }
    if let Some(status) = body.status.as_deref() {
        let to = Status::parse(status).ok_or_else(|| {
            ApiError::invalid(format!("{status:?}: open, in_progress, resolved or closed")).field("status")
        })?;
        if to != c.status {
            transition(c.status, to, &next.resolution).map_err(case_error)?;
            next.status = to;
            events.push(("status", to.as_str().to_owned()));
        }
    }
    if let Some(name) = body.owner.as_deref() {
        let owner = match name {
            "" => None,
            name => Some(
                staffing
                    .members
                    .iter()
                    .find(|m| m.username == name && m.active)
                    .ok_or_else(|| ApiError::invalid(format!("no staff member {name:?}")).field("owner"))?
                    .id,
            ),
        };
        if owner != c.owner {
            next.owner = owner;
            events.push(("owner", name.to_owned()));
        }
    }
    if let Some(code) = body.department.as_deref() {
        let d = staffing
            .departments
            .iter()
            .find(|d| d.code == code)
            .ok_or_else(|| ApiError::invalid(format!("no department {code:?}")).field("department"))?;
        if Some(d.id) != c.department {
            next.department = Some(d.id);
            events.push(("department", code.to_owned()));
        }
    }
    if next.resolution != c.resolution && !events.iter().any(|(k, _)| *k == "status") {
        events.push(("resolution", next.resolution.clone()));
    }
    if events.is_empty() {
        return Ok(Json(case_out(&state, &auth, c, true).await?));
    }
    if !s.change_case(&next, c.status, &auth.username, &events).await? {
        return Err(ApiError::conflict("the case changed meanwhile: read it again"));
    }
    s.audit(&auth.username, "update", "case", &id.to_string(), next.status.as_str()).await?;
    if next.owner != c.owner || next.department != c.department {
        tell(&state, &auth, &next, "case_assigned").await?;
    }
    let c = s.case(id).await?.ok_or_else(|| ApiError::not_found("case"))?;
    Ok(Json(case_out(&state, &auth, c, true).await?))
}

/// An internal note on a case, or a reply sent to the client by e-mail
/// (their address on the card; 422 `no_email` when there is none): those
/// who may change the case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/notes", tag = "cases", params(("id" = i64, Path)), request_body = CaseNoteIn,
    responses((status = 200, body = CaseOut), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn note(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CaseNoteIn>,
) -> ApiResult<Json<CaseOut>> {
    let s = state.store.company(auth.company);
    let (c, staffing) = visible(&state, &auth, id).await?;
    if !may_change(&auth, &staffing, &c) {
        return Err(ApiError::forbidden());
    }
    let text = body.text.trim();
    if text.is_empty() {
        return Err(ApiError::invalid("the note is empty").field("text"));
    }
    if body.reply {
        let client = match c.client {
            Some(id) => s.client(id).await?,
            None => None,
        };
        let Some(address) = client.map(|c| c.email).filter(|e| e.contains('@')) else {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_email",
                "the case's client has no e-mail address to reply to",
            )
            .field("reply"));
        };
        s.queue_mail(
            &address,
            &format!("{} {}: {}", company_name(&state, &auth).await?, c.id, c.subject),
            text,
            &format!("case:{id}"),
        )
        .await?;
        s.add_case_event(id, &auth.username, "reply", text).await?;
    } else {
        s.add_case_event(id, &auth.username, "note", text).await?;
    }
    s.audit(&auth.username, if body.reply { "reply" } else { "note" }, "case", &id.to_string(), "").await?;
    let c = s.case(id).await?.ok_or_else(|| ApiError::not_found("case"))?;
    Ok(Json(case_out(&state, &auth, c, true).await?))
}

async fn company_name(state: &AppState, auth: &Auth) -> ApiResult<String> {
    Ok(state.store.company_by_id(auth.company).await?.map(|c| c.name).unwrap_or_default())
}

/// The company's rules per category (planners read them).
#[utoipa::path(get, path = "/api/v1/case-rules", tag = "cases", responses((status = 200, body = [CaseRuleDef])))]
pub async fn rules(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<CaseRuleDef>>> {
    auth.require(roles::PLANNERS)?;
    let s = state.store.company(auth.company);
    let staffing = state.center.caches.staffing(&s).await?;
    Ok(Json(
        s.case_rules()
            .await?
            .into_iter()
            .map(|r| CaseRuleDef {
                category: r.category.as_str().to_owned(),
                department: r.department.and_then(|d| staffing.department(d)).map(|d| d.code.clone()),
                deadline_hours: r.deadline.num_hours(),
            })
            .collect(),
    ))
}

/// Replaces the company's rules (admins): at most one per category.
#[utoipa::path(put, path = "/api/v1/case-rules", tag = "cases", request_body = [CaseRuleDef],
    responses((status = 200, body = [CaseRuleDef]), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_rules(
    State(state): State<AppState>,
    auth: Allowed<crate::auth::Admins>,
    ApiJson(body): ApiJson<Vec<CaseRuleDef>>,
) -> ApiResult<Json<Vec<CaseRuleDef>>> {
    let s = state.store.company(auth.company);
    let staffing = state.center.caches.staffing(&s).await?;
    let mut rules: Vec<CaseRule> = Vec::new();
    for r in &body {
        let category = category(&r.category)?;
        if rules.iter().any(|x| x.category == category) {
            return Err(ApiError::invalid(format!("category {:?} twice", r.category)).field("category"));
        }
        let department = match r.department.as_deref().filter(|d| !d.is_empty()) {
            Some(code) => Some(
                staffing
                    .departments
                    .iter()
                    .find(|d| d.code == code)
                    .ok_or_else(|| ApiError::invalid(format!("no department {code:?}")).field("department"))?
                    .id,
            ),
            None => None,
        };
        let deadline =
            check_deadline(r.deadline_hours).map_err(|e| ApiError::invalid(e.to_string()).field("deadline_hours"))?;
        rules.push(CaseRule { category, department, deadline });
    }
    s.put_case_rules(&rules).await?;
    s.audit(&auth.username, "update", "case_rules", "", &rules.len().to_string()).await?;
    rules_out(&state, &auth).await
}

async fn rules_out(state: &AppState, auth: &Auth) -> ApiResult<Json<Vec<CaseRuleDef>>> {
    rules(State(state.clone()), auth.clone()).await
}
