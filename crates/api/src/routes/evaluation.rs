//! Evaluation of operators (OD-26, CC-13): scorecards, calls scored on
//! them, complaints about staff and their decision, levels and mentors, the
//! department's targets, and an operator's standing against them.
//! Operators read their own; a mentor also their trainees'; planners
//! (admins, supervisors, heads) everyone's of their company.

use crate::auth::{roles, Allowed, Auth, Planners};
use crate::{
    error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult},
    AppState,
};
use axum::{extract::State, http::StatusCode, Json};
use centrala_desk::evaluation::{at_least, at_most, valid_code, Criterion, EvaluationError, Level, Scorecard, Targets};
use centrala_domain::{InteractionId, StaffId};
use centrala_store::evaluation::{Development, Evaluation, StaffComplaint};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// One criterion of a scorecard.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionDef {
    /// 1–32 of a–z, 0–9, `_`, `-`.
    pub code: String,
    pub name: String,
    /// 1–100: its share of the whole.
    pub weight: u32,
    /// The top mark, 1–10 (marks go from 0).
    pub max: u32,
}

#[derive(Serialize, ToSchema)]
pub struct ScorecardOut {
    pub code: String,
    pub name: String,
    pub criteria: Vec<CriterionDef>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScorecardIn {
    pub name: String,
    /// 1–20 criteria.
    pub criteria: Vec<CriterionDef>,
}

fn card_out(c: Scorecard) -> ScorecardOut {
    ScorecardOut {
        code: c.code,
        name: c.name,
        criteria: c
            .criteria
            .into_iter()
            .map(|c| CriterionDef { code: c.code, name: c.name, weight: c.weight, max: c.max })
            .collect(),
    }
}

/// What is wrong with a scorecard or marks, as the API says it.
fn refused(e: EvaluationError, field: &'static str) -> ApiError {
    let err = ApiError::invalid(e.to_string()).field(field);
    match &e {
        EvaluationError::Range { code, max, .. } => err.param("criterion", code.as_str()).param("max", *max),
        EvaluationError::Unknown(c) | EvaluationError::Missing(c) | EvaluationError::Twice(c) => {
            err.param("criterion", c.as_str())
        }
        _ => err,
    }
}

/// The company's scorecards.
#[utoipa::path(get, path = "/api/v1/scorecards", tag = "evaluation", responses((status = 200, body = [ScorecardOut])))]
pub async fn scorecards(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<ScorecardOut>>> {
    let cards = state.store.company(auth.company).scorecards().await?;
    Ok(Json(cards.into_iter().map(card_out).collect()))
}

/// Creates or replaces a scorecard (planners). Calls already scored keep
/// the criteria they were scored on.
#[utoipa::path(put, path = "/api/v1/scorecards/{code}", tag = "evaluation", params(("code" = String, Path)),
    request_body = ScorecardIn, responses((status = 200, body = ScorecardOut), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_scorecard(
    State(state): State<AppState>,
    auth: Allowed<Planners>,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<ScorecardIn>,
) -> ApiResult<Json<ScorecardOut>> {
    if !valid_code(&code) {
        return Err(ApiError::invalid(format!("{code:?}: 1–32 of a–z, 0–9, _ and -")).field("code"));
    }
    if body.name.trim().is_empty() {
        return Err(ApiError::invalid("a scorecard needs a name").field("name"));
    }
    let card = Scorecard {
        code: code.clone(),
        name: body.name.trim().to_owned(),
        criteria: body
            .criteria
            .into_iter()
            .map(|c| Criterion { code: c.code, name: c.name.trim().to_owned(), weight: c.weight, max: c.max })
            .collect(),
    };
    card.check().map_err(|e| refused(e, "criteria"))?;
    let s = state.store.company(auth.company);
    s.put_scorecard(&card).await?;
    s.audit(&auth.username, "put", "scorecard", &code, "").await?;
    Ok(Json(card_out(card)))
}

/// Whether the caller may read `staff`'s evaluations, complaints and
/// figures: planners, the staff member, their mentor.
pub(crate) async fn may_follow(state: &AppState, auth: &Auth, staff: StaffId) -> ApiResult<bool> {
    if roles::PLANNERS.contains(&auth.role) || staff == auth.staff {
        return Ok(true);
    }
    Ok(state.store.company(auth.company).trainees_of(auth.staff).await?.contains(&staff))
}

/// Whom the caller may follow: `None` everyone (planners), else
/// themselves and their trainees.
async fn followed(state: &AppState, auth: &Auth) -> ApiResult<Option<Vec<StaffId>>> {
    if roles::PLANNERS.contains(&auth.role) {
        return Ok(None);
    }
    let mut who = vec![auth.staff];
    who.extend(state.store.company(auth.company).trainees_of(auth.staff).await?);
    Ok(Some(who))
}

async fn username(state: &AppState, auth: &Auth, id: StaffId) -> ApiResult<String> {
    Ok(state.store.company(auth.company).staff(id).await?.map_or_else(|| id.to_string(), |m| m.username))
}

async fn staff_named(state: &AppState, auth: &Auth, name: &str, field: &'static str) -> ApiResult<StaffId> {
    Ok(state
        .store
        .company(auth.company)
        .staff_by_username(name)
        .await?
        .ok_or_else(|| ApiError::invalid(format!("no staff member {name:?}")).field(field).param("username", name))?
        .id)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationIn {
    /// The call scored (one someone answered).
    pub interaction: i64,
    pub scorecard: String,
    /// Each criterion's mark, 0 to its top mark.
    pub marks: BTreeMap<String, u32>,
    pub comment: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MarkOut {
    pub code: String,
    pub name: String,
    pub weight: u32,
    pub max: u32,
    pub mark: u32,
}

#[derive(Serialize, ToSchema)]
pub struct EvaluationOut {
    pub id: i64,
    pub interaction: i64,
    /// Who was scored: the call's handler.
    pub agent: String,
    pub evaluator: String,
    pub scorecard: String,
    pub marks: Vec<MarkOut>,
    /// Per cent of the best, weighted.
    pub score: f64,
    pub comment: String,
    pub created_at: String,
}

async fn evaluation_out(state: &AppState, auth: &Auth, e: Evaluation) -> ApiResult<EvaluationOut> {
    Ok(EvaluationOut {
        id: e.id,
        interaction: e.interaction.0,
        agent: username(state, auth, e.staff).await?,
        evaluator: e.evaluator,
        scorecard: e.scorecard,
        marks: e
            .marks
            .into_iter()
            .map(|(c, mark)| MarkOut { code: c.code, name: c.name, weight: c.weight, max: c.max, mark })
            .collect(),
        score: f64::from(e.score) / 10.0,
        comment: e.comment,
        created_at: e.created_at,
    })
}

/// Scores a call on a scorecard (planners: supervisors, heads, admins):
/// every criterion marked within its range; the call's handler is scored.
#[utoipa::path(post, path = "/api/v1/evaluations", tag = "evaluation", request_body = EvaluationIn,
    responses((status = 201, body = EvaluationOut), (status = 422, body = crate::error::ErrorBody)))]
pub async fn evaluate(
    State(state): State<AppState>,
    auth: Allowed<Planners>,
    ApiJson(body): ApiJson<EvaluationIn>,
) -> ApiResult<(StatusCode, Json<EvaluationOut>)> {
    let s = state.store.company(auth.company);
    let call = s
        .interaction(InteractionId(body.interaction))
        .await?
        .ok_or_else(|| ApiError::invalid(format!("no call {}", body.interaction)).field("interaction"))?;
    let handler = call
        .handled_by
        .ok_or_else(|| ApiError::invalid("nobody answered this call: there is no one to score").field("interaction"))?;
    let card = s.scorecard(&body.scorecard).await?.ok_or_else(|| {
        ApiError::invalid(format!("no scorecard {:?}", body.scorecard))
            .field("scorecard")
            .param("scorecard", body.scorecard.as_str())
    })?;
    let score = card.score(&body.marks).map_err(|e| refused(e, "marks"))?;
    let marks: Vec<(String, u32)> = body.marks.into_iter().collect();
    let comment = body.comment.unwrap_or_default();
    let id = s.add_evaluation(call.id, handler, &auth.username, &card, &marks, score, comment.trim()).await?;
    s.audit(&auth.username, "evaluate", "interaction", &call.id.to_string(), &format!("{score}")).await?;
    let e = s.evaluation(id).await?.ok_or_else(ApiError::internal)?;
    Ok((StatusCode::CREATED, Json(evaluation_out(&state, &auth, e).await?)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FollowQuery {
    /// One staff member (username).
    pub agent: Option<String>,
    /// The first local day (YYYY-MM-DD); default: from the first.
    pub from: Option<NaiveDate>,
    /// The last local day, included; default: to the last.
    pub to: Option<NaiveDate>,
    /// One call's evaluations.
    pub interaction: Option<i64>,
}

/// Whom a list is of, checked: the one asked for (if the caller may
/// follow them), else everyone the caller may follow; and the span.
async fn follow_span(
    state: &AppState,
    auth: &Auth,
    q: &FollowQuery,
) -> ApiResult<(Option<Vec<StaffId>>, String, String)> {
    let who = match q.agent.as_deref().filter(|a| !a.is_empty()) {
        Some(name) => {
            let id = staff_named(state, auth, name, "agent").await?;
            if !may_follow(state, auth, id).await? {
                return Err(ApiError::forbidden());
            }
            Some(vec![id])
        }
        None => followed(state, auth).await?,
    };
    if let (Some(from), Some(to)) = (q.from, q.to) {
        if to < from {
            return Err(ApiError::invalid("the period ends before it starts").field("to"));
        }
    }
    let zone = state.center.zone(auth.company).await;
    let from = q.from.map_or_else(String::new, |d| centrala_center::clock::day_start(d, zone));
    let until =
        q.to.map_or_else(|| "9999".to_owned(), |d| centrala_center::clock::day_start(d.succ_opt().unwrap_or(d), zone));
    Ok((who, from, until))
}

/// Evaluations, newest first: an operator's own (a mentor's also their
/// trainees'), planners everyone's; of one agent or one call.
#[utoipa::path(get, path = "/api/v1/evaluations", tag = "evaluation", params(FollowQuery),
    responses((status = 200, body = [EvaluationOut])))]
pub async fn evaluations(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<FollowQuery>,
) -> ApiResult<Json<Vec<EvaluationOut>>> {
    let s = state.store.company(auth.company);
    let list = match q.interaction {
        Some(id) => {
            let mut mine = Vec::new();
            for e in s.evaluations_of(InteractionId(id)).await? {
                if may_follow(&state, &auth, e.staff).await? {
                    mine.push(e);
                }
            }
            mine
        }
        None => {
            let (who, from, until) = follow_span(&state, &auth, &q).await?;
            s.evaluations(who.as_deref(), &from, &until, 500).await?
        }
    };
    let mut out = Vec::new();
    for e in list {
        out.push(evaluation_out(&state, &auth, e).await?);
    }
    Ok(Json(out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffComplaintIn {
    /// Whom it is about (username).
    pub agent: String,
    /// `client` or `department` (a commercial department).
    pub source: String,
    /// The client's code, or the department's.
    pub origin: String,
    pub text: String,
    /// The call it is about, if any.
    pub interaction: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct StaffComplaintOut {
    pub id: i64,
    pub agent: String,
    pub source: String,
    pub origin: String,
    pub text: String,
    pub interaction: Option<i64>,
    pub created_by: String,
    pub created_at: String,
    /// `null` until a head decides.
    pub justified: Option<bool>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: String,
}

async fn complaint_out(state: &AppState, auth: &Auth, c: StaffComplaint) -> ApiResult<StaffComplaintOut> {
    Ok(StaffComplaintOut {
        id: c.id,
        agent: username(state, auth, c.staff).await?,
        source: c.source,
        origin: c.origin,
        text: c.text,
        interaction: c.interaction.map(|i| i.0),
        created_by: c.created_by,
        created_at: c.created_at,
        justified: c.justified,
        decided_by: c.decided_by,
        decided_at: c.decided_at,
        decision_note: c.decision_note,
    })
}

/// Records a complaint about a staff member, from a client or a commercial
/// department (planners), to be decided justified or not.
#[utoipa::path(post, path = "/api/v1/staff-complaints", tag = "evaluation", request_body = StaffComplaintIn,
    responses((status = 201, body = StaffComplaintOut), (status = 422, body = crate::error::ErrorBody)))]
pub async fn complain(
    State(state): State<AppState>,
    auth: Allowed<Planners>,
    ApiJson(body): ApiJson<StaffComplaintIn>,
) -> ApiResult<(StatusCode, Json<StaffComplaintOut>)> {
    let s = state.store.company(auth.company);
    let staff = staff_named(&state, &auth, &body.agent, "agent").await?;
    let known = match body.source.as_str() {
        "client" => s.client_by_code(&body.origin).await?.is_some(),
        "department" => s.departments().await?.iter().any(|d| d.code == body.origin),
        other => {
            return Err(ApiError::invalid(format!("{other:?}: client or department")).field("source"));
        }
    };
    if !known {
        return Err(ApiError::invalid(format!("no {} {:?}", body.source, body.origin))
            .field("origin")
            .param("origin", body.origin.as_str()));
    }
    if body.text.trim().is_empty() {
        return Err(ApiError::invalid("say what the complaint is").field("text"));
    }
    let interaction = match body.interaction {
        Some(id) => Some(
            s.interaction(InteractionId(id))
                .await?
                .ok_or_else(|| ApiError::invalid(format!("no call {id}")).field("interaction"))?
                .id,
        ),
        None => None,
    };
    let id =
        s.add_staff_complaint(staff, &body.source, &body.origin, body.text.trim(), interaction, &auth.username).await?;
    s.audit(&auth.username, "create", "staff_complaint", &id.to_string(), &body.agent).await?;
    let c = s.staff_complaint(id).await?.ok_or_else(ApiError::internal)?;
    Ok((StatusCode::CREATED, Json(complaint_out(&state, &auth, c).await?)))
}

/// Complaints about staff, newest first: an operator's own (a mentor's
/// also their trainees'), planners everyone's.
#[utoipa::path(get, path = "/api/v1/staff-complaints", tag = "evaluation", params(FollowQuery),
    responses((status = 200, body = [StaffComplaintOut])))]
pub async fn complaints(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<FollowQuery>,
) -> ApiResult<Json<Vec<StaffComplaintOut>>> {
    let (who, from, until) = follow_span(&state, &auth, &q).await?;
    let list = state.store.company(auth.company).staff_complaints(who.as_deref(), &from, &until).await?;
    let mut out = Vec::new();
    for c in list {
        out.push(complaint_out(&state, &auth, c).await?);
    }
    Ok(Json(out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    pub justified: bool,
    pub note: Option<String>,
}

/// A head's decision on a complaint: justified or not (planners).
#[utoipa::path(post, path = "/api/v1/staff-complaints/{id}/decision", tag = "evaluation", params(("id" = i64, Path)),
    request_body = DecisionIn, responses((status = 200, body = StaffComplaintOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    auth: Allowed<Planners>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DecisionIn>,
) -> ApiResult<Json<StaffComplaintOut>> {
    let s = state.store.company(auth.company);
    s.decide_staff_complaint(id, body.justified, &auth.username, body.note.as_deref().unwrap_or("").trim()).await?;
    s.audit(
        &auth.username,
        "decide",
        "staff_complaint",
        &id.to_string(),
        if body.justified { "justified" } else { "unjustified" },
    )
    .await?;
    let c = s.staff_complaint(id).await?.ok_or_else(|| ApiError::not_found("complaint"))?;
    Ok(Json(complaint_out(&state, &auth, c).await?))
}

/// The department's targets; each may be unset (not judged).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TargetsDef {
    /// Share answered within the threshold, 0–1.
    pub service_level: Option<f64>,
    /// Average handle time at most, seconds.
    pub aht_seconds: Option<u32>,
    /// Order calls that ended in an order, 0–1.
    pub conversion: Option<f64>,
    /// Recommended items accepted of those offered, 0–1.
    pub attach_rate: Option<f64>,
    /// Average evaluation score, per cent.
    pub quality: Option<f64>,
}

fn targets_def(t: Targets) -> TargetsDef {
    TargetsDef {
        service_level: t.service_level,
        aht_seconds: t.aht_seconds,
        conversion: t.conversion,
        attach_rate: t.attach_rate,
        quality: t.quality,
    }
}

#[utoipa::path(get, path = "/api/v1/targets", tag = "evaluation", responses((status = 200, body = TargetsDef)))]
pub async fn targets(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<TargetsDef>> {
    Ok(Json(targets_def(state.store.company(auth.company).targets().await?)))
}

/// Sets the department's targets (planners).
#[utoipa::path(put, path = "/api/v1/targets", tag = "evaluation", request_body = TargetsDef,
    responses((status = 200, body = TargetsDef), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_targets(
    State(state): State<AppState>,
    auth: Allowed<Planners>,
    ApiJson(body): ApiJson<TargetsDef>,
) -> ApiResult<Json<TargetsDef>> {
    let t = Targets {
        service_level: body.service_level,
        aht_seconds: body.aht_seconds,
        conversion: body.conversion,
        attach_rate: body.attach_rate,
        quality: body.quality,
    };
    t.check().map_err(ApiError::invalid)?;
    let s = state.store.company(auth.company);
    s.set_targets(&t).await?;
    s.audit(&auth.username, "put", "targets", "", "").await?;
    Ok(Json(targets_def(t)))
}

/// An operator's level, mentor and probation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DevelopmentDef {
    /// `trainee`, `consultant`, `specialist` or `lead_specialist`.
    pub level: String,
    /// The mentor's username.
    pub mentor: Option<String>,
    /// The last day of probation.
    pub probation_until: Option<NaiveDate>,
}

async fn development_def(state: &AppState, auth: &Auth, d: Development) -> ApiResult<DevelopmentDef> {
    let mentor = match d.mentor {
        Some(m) => Some(username(state, auth, m).await?),
        None => None,
    };
    Ok(DevelopmentDef { level: d.level.as_str().to_owned(), mentor, probation_until: d.probation_until })
}

/// A staff member's level, mentor and probation (planners, the member,
/// their mentor); `consultant` when never set.
#[utoipa::path(get, path = "/api/v1/staff/{id}/development", tag = "evaluation", params(("id" = i64, Path)),
    responses((status = 200, body = DevelopmentDef)))]
pub async fn development(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<DevelopmentDef>> {
    let id = super::parse_id(&id, "staff member")?;
    let staff = state
        .store
        .company(auth.company)
        .staff(StaffId(id))
        .await?
        .ok_or_else(|| ApiError::not_found("staff member"))?
        .id;
    if !may_follow(&state, &auth, staff).await? {
        return Err(ApiError::forbidden());
    }
    let d = state.store.company(auth.company).development(staff).await?.unwrap_or(Development {
        level: Level::Consultant,
        mentor: None,
        probation_until: None,
    });
    Ok(Json(development_def(&state, &auth, d).await?))
}

/// Sets a staff member's level, mentor and probation (planners).
#[utoipa::path(put, path = "/api/v1/staff/{id}/development", tag = "evaluation", params(("id" = i64, Path)),
    request_body = DevelopmentDef, responses((status = 200, body = DevelopmentDef), (status = 422, body = crate::error::ErrorBody)))]
pub async fn put_development(
    State(state): State<AppState>,
    auth: Allowed<Planners>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DevelopmentDef>,
) -> ApiResult<Json<DevelopmentDef>> {
    let s = state.store.company(auth.company);
    let id = super::parse_id(&id, "staff member")?;
    let member = s.staff(StaffId(id)).await?.ok_or_else(|| ApiError::not_found("staff member"))?;
    let (staff, name) = (member.id, member.username);
    let level = Level::parse(&body.level).ok_or_else(|| {
        ApiError::invalid(format!("{:?}: trainee, consultant, specialist or lead_specialist", body.level))
            .field("level")
    })?;
    let mentor = match body.mentor.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => {
            let id = staff_named(&state, &auth, m, "mentor").await?;
            if id == staff {
                return Err(ApiError::invalid("nobody mentors themself").field("mentor"));
            }
            Some(id)
        }
        None => None,
    };
    let d = Development { level, mentor, probation_until: body.probation_until };
    s.set_development(staff, &d).await?;
    s.audit(&auth.username, "put", "development", &name, level.as_str()).await?;
    Ok(Json(development_def(&state, &auth, d).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StandingQuery {
    /// The first local day (YYYY-MM-DD).
    pub from: NaiveDate,
    /// The last local day, included (at most 366 days).
    pub to: NaiveDate,
    /// One staff member (username); default the caller.
    pub agent: Option<String>,
}

/// One figure against its target.
#[derive(Serialize, ToSchema)]
pub struct FigureOut {
    pub value: Option<f64>,
    pub target: Option<f64>,
    /// `met`, `missed` or `unjudged` (no target, or no figure yet).
    pub standing: String,
}

#[derive(Serialize, ToSchema)]
pub struct StandingOut {
    pub agent: String,
    pub level: String,
    pub mentor: Option<String>,
    pub probation_until: Option<NaiveDate>,
    pub service_level: FigureOut,
    pub aht_seconds: FigureOut,
    pub conversion: FigureOut,
    pub attach_rate: FigureOut,
    pub quality: FigureOut,
    pub evaluations: usize,
    pub complaints: usize,
    pub justified_complaints: usize,
}

/// An operator's figures of a period against the department's targets
/// (OD-26): service level of the operators' queue, their average handle
/// time, conversion, attach rate and quality score; evaluations and
/// complaints. Their own, a mentor's trainees', or anyone's for planners.
#[utoipa::path(get, path = "/api/v1/reports/standing", tag = "evaluation", params(StandingQuery),
    responses((status = 200, body = StandingOut), (status = 422, body = crate::error::ErrorBody)))]
pub async fn standing(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<StandingQuery>,
) -> ApiResult<Json<StandingOut>> {
    if q.to < q.from {
        return Err(ApiError::invalid("the period ends before it starts").field("to"));
    }
    let max = centrala_desk::report::MAX_DAYS;
    if (q.to - q.from).num_days() + 1 > max {
        return Err(ApiError::invalid(format!("at most {max} days")).field("to").param("limit", max));
    }
    let staff = match q.agent.as_deref().filter(|a| !a.is_empty()) {
        Some(name) => staff_named(&state, &auth, name, "agent").await?,
        None => auth.staff,
    };
    if !may_follow(&state, &auth, staff).await? {
        return Err(ApiError::forbidden());
    }
    let s = state.store.company(auth.company);
    let t = s.targets().await?;
    centrala_center::reports::fresh(&state.center, auth.company).await?;
    let f = centrala_center::reports::standing(&state.center, auth.company, staff, q.from, q.to).await?;
    let d = s.development(staff).await?.unwrap_or(Development {
        level: Level::Consultant,
        mentor: None,
        probation_until: None,
    });
    let d = development_def(&state, &auth, d).await?;
    let up = |value: Option<f64>, target: Option<f64>| FigureOut {
        value,
        target,
        standing: at_least(value, target).as_str().to_owned(),
    };
    let aht_target = t.aht_seconds.map(f64::from);
    Ok(Json(StandingOut {
        agent: username(&state, &auth, staff).await?,
        level: d.level,
        mentor: d.mentor,
        probation_until: d.probation_until,
        service_level: up(f.service_level, t.service_level),
        aht_seconds: FigureOut {
            value: f.aht_seconds,
            target: aht_target,
            standing: at_most(f.aht_seconds, aht_target).as_str().to_owned(),
        },
        conversion: up(f.conversion, t.conversion),
        attach_rate: up(f.attach_rate, t.attach_rate),
        quality: up(f.quality, t.quality),
        evaluations: f.evaluations,
        complaints: f.complaints,
        justified_complaints: f.justified,
    }))
}
