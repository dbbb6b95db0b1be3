//! Interactions (every call registered, CC-1) and the company's numbers.

use super::parse_id;
use crate::auth::{Admins, Allowed};
use crate::routes::wrap_up::Naming;
use crate::{
    auth::{roles, Auth},
    error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult},
    AppState,
};
use axum::{extract::State, http::StatusCode, Json};
use centrala_domain::{normalize_phone, Intent, InteractionId};
use centrala_store::interactions::{Disposition, Interaction, InteractionFilter, RoutingRule};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct InteractionOut {
    pub id: i64,
    pub channel: String,
    /// inbound or outbound
    pub direction: String,
    pub caller: String,
    pub called: String,
    /// The client's code, when known.
    pub client: Option<String>,
    pub arrived_at: String,
    pub answered_at: Option<String>,
    pub ended_at: Option<String>,
    /// The IVR menus walked, and the digits pressed.
    pub ivr_path: String,
    pub digits: String,
    pub intent: String,
    pub routing_rule: String,
    pub routing_reasons: Vec<String>,
    /// in_progress, answered, abandoned, failed, closed, overflowed,
    /// callback or interrupted (the server stopped during the call)
    pub disposition: String,
    /// Username of who handled it.
    pub handled_by: Option<String>,
    pub recording: Option<String>,
    /// The handler's notes (empty for an operator reading another
    /// handler's internal notes).
    pub notes: String,
    /// The notes are for supervisors, heads and admins only.
    pub notes_internal: bool,
    /// The handler's wrap-up code, if given.
    pub wrap_up: String,
    /// Its name in the reader's language (empty when there is none).
    pub wrap_up_name: String,
    /// `verified`: the caller's number came from a trusted peer (or the
    /// call is ours); `unverified`: anyone could have written it.
    pub identity: String,
    /// The outbound campaign the call was placed for, if any.
    pub campaign: Option<i64>,
    /// What happened, in order (only when one interaction is read): who was
    /// offered it, who missed it, who answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventOut>>,
    /// Where the recording was paused (only when one interaction is read):
    /// seconds from its start; silence there on both channels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_gaps: Option<Vec<GapOut>>,
}

/// A stretch of a recording paused for a sensitive moment.
#[derive(Debug, Serialize, ToSchema, PartialEq)]
pub struct GapOut {
    pub from_s: f64,
    /// `null` while it is still paused.
    pub to_s: Option<f64>,
}

/// The paused stretches of a call's recording, from its story: each
/// `recording_paused` to the next `recording_resumed` (or the call's end),
/// in seconds since the call arrived — when its recording began.
fn recording_gaps(arrived_at: &str, ended_at: Option<&str>, events: &[EventOut]) -> Vec<GapOut> {
    let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    let Some(start) = at(arrived_at) else { return Vec::new() };
    let secs = |t: &str| at(t).map(|t| ((t - start).num_milliseconds() as f64 / 1000.0).max(0.0));
    let mut gaps: Vec<GapOut> = Vec::new();
    for e in events {
        match (e.kind.as_str(), gaps.last_mut()) {
            ("recording_paused", last) if last.as_ref().is_none_or(|g| g.to_s.is_some()) => {
                if let Some(from_s) = secs(&e.at) {
                    gaps.push(GapOut { from_s, to_s: None });
                }
            }
            ("recording_resumed", Some(g)) if g.to_s.is_none() => g.to_s = secs(&e.at),
            _ => {}
        }
    }
    if let Some(g) = gaps.last_mut().filter(|g| g.to_s.is_none()) {
        g.to_s = ended_at.and_then(secs);
    }
    gaps
}

#[derive(Serialize, ToSchema)]
pub struct EventOut {
    pub at: String,
    /// offered, missed, answered, transferred, … ; for a campaign's call
    /// also reached (the client answered) and unreached (the result and
    /// the SIP status: `busy: 486`)
    pub kind: String,
    /// Username of the staff member concerned.
    pub staff: Option<String>,
    pub detail: String,
}

async fn out(state: &AppState, auth: &Auth, naming: &Naming, i: Interaction) -> ApiResult<InteractionOut> {
    let s = state.store.company(auth.company);
    let client = match i.client_id {
        Some(c) => s.client(c).await?.map(|c| c.code),
        None => None,
    };
    let handled_by = match i.handled_by {
        Some(h) => s.staff(h).await?.map(|m| m.username),
        None => None,
    };
    Ok(InteractionOut {
        id: i.id.0,
        channel: i.channel,
        direction: i.direction.as_str().to_owned(),
        caller: i.caller,
        called: i.called,
        client,
        arrived_at: i.arrived_at,
        answered_at: i.answered_at,
        ended_at: i.ended_at,
        ivr_path: i.ivr_path,
        digits: i.digits,
        intent: i.intent.map_or("", Intent::as_str).to_owned(),
        routing_rule: i.routing_rule.map_or("", RoutingRule::as_str).to_owned(),
        routing_reasons: i.routing_reasons.lines().map(str::to_owned).filter(|l| !l.is_empty()).collect(),
        disposition: i.disposition.as_str().to_owned(),
        handled_by,
        recording: i.recording,
        notes: if i.notes_internal && i.handled_by != Some(auth.staff) && !auth.reads_internal_notes() {
            String::new()
        } else {
            i.notes
        },
        notes_internal: i.notes_internal,
        wrap_up_name: if i.wrap_up.is_empty() {
            String::new()
        } else {
            naming.code(&i.wrap_up, crate::ui::i18n::Tr::new(&auth.locale))
        },
        wrap_up: i.wrap_up,
        identity: if i.caller_verified { "verified" } else { "unverified" }.to_owned(),
        campaign: i.campaign,
        events: None,
        recording_gaps: None,
    })
}

/// How long after a call ends its handler still serves the client (the
/// wrap-up: notes, the order, a follow-up look at the history).
const SERVING_AFTER_CALL: chrono::Duration = chrono::Duration::minutes(30);

/// Whether the caller may read `i`: everyone but operators; an operator,
/// their own calls, their trainees' (as mentor) and those of a client they
/// serve now.
pub(crate) async fn may_read(state: &AppState, auth: &Auth, i: &Interaction) -> ApiResult<bool> {
    if !auth.sees_own_only() || i.handled_by == Some(auth.staff) {
        return Ok(true);
    }
    if let Some(h) = i.handled_by {
        if mentors(state, auth, h).await? {
            return Ok(true);
        }
    }
    serves(state, auth, i.client_id).await
}

/// Whether the caller mentors `staff` (CC-13).
async fn mentors(state: &AppState, auth: &Auth, staff: centrala_domain::StaffId) -> ApiResult<bool> {
    Ok(state.store.company(auth.company).trainees_of(auth.staff).await?.contains(&staff))
}

/// Whether the caller serves `client` now (see
/// [`centrala_store::Scoped::serves`]); no client is served by nobody.
pub(crate) async fn serves(
    state: &AppState,
    auth: &Auth,
    client: Option<centrala_domain::ClientId>,
) -> ApiResult<bool> {
    let Some(client) = client else { return Ok(false) };
    Ok(state.store.company(auth.company).serves(auth.staff, client, SERVING_AFTER_CALL).await?)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InteractionQuery {
    /// The caller's or called number, in any common notation.
    pub phone: Option<String>,
    /// A client's code.
    pub client: Option<String>,
    /// A staff member's username: who handled it.
    pub staff: Option<String>,
    /// From this day (inclusive), in the company's time zone.
    pub from: Option<NaiveDate>,
    /// To this day (inclusive), in the company's time zone.
    pub to: Option<NaiveDate>,
    /// in_progress, answered, abandoned, failed, closed, overflowed,
    /// callback or interrupted.
    pub outcome: Option<String>,
    /// The routing rule that sent it: `new_client`, `key_client`,
    /// `operators`, `queue`, …
    pub rule: Option<String>,
    pub limit: Option<i64>,
}

/// Registered interactions, newest first, filtered. Operators list their
/// own, or a client's (`client=`) while they serve it: on its call or its
/// wrap-up, or with its draft order open.
#[utoipa::path(get, path = "/api/v1/interactions", tag = "interactions", params(InteractionQuery),
    responses((status = 200, body = [InteractionOut]), (status = 422, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<InteractionQuery>,
) -> ApiResult<Json<Vec<InteractionOut>>> {
    let s = state.store.company(auth.company);
    let mut f = InteractionFilter { limit: q.limit.unwrap_or(100).clamp(1, 1000), ..InteractionFilter::default() };
    if let Some(p) = &q.phone {
        f.phone = Some(
            normalize_phone(p, &state.config.default_country_code)
                .map_err(|e| ApiError::invalid(e.to_string()))?
                .to_string(),
        );
    }
    if let Some(code) = &q.client {
        f.client =
            Some(s.client_by_code(code).await?.ok_or_else(|| ApiError::invalid(format!("no client {code:?}")))?.id);
    }
    if let Some(u) = &q.staff {
        f.staff =
            Some(s.staff_by_username(u).await?.ok_or_else(|| ApiError::invalid(format!("no staff member {u:?}")))?.id);
    }
    if auth.sees_own_only() {
        let served = serves(&state, &auth, f.client).await?;
        match f.staff {
            Some(other) if other != auth.staff && !served && !mentors(&state, &auth, other).await? => {
                return Err(ApiError::forbidden())
            }
            _ if !served => f.staff = Some(auth.staff),
            _ => {}
        }
    }
    // Days are the company's: from its local midnight to the one after `to`.
    let zone = state.center.zone(auth.company).await;
    f.from = q.from.map(|d| centrala_center::clock::day_start(d, zone));
    f.until = q.to.and_then(|d| d.succ_opt()).map(|d| centrala_center::clock::day_start(d, zone));
    if let Some(o) = &q.outcome {
        f.disposition = Some(Disposition::parse(o).ok_or_else(|| ApiError::invalid(format!("unknown outcome {o:?}")))?);
    }
    f.rule = match q.rule.as_deref() {
        None => None,
        Some(r) => Some(RoutingRule::parse(r).ok_or_else(|| ApiError::invalid(format!("unknown routing rule {r:?}")))?),
    };
    let rows = s.interactions(&f).await?;
    let naming = Naming::of(&s).await?;
    let mut v = Vec::with_capacity(rows.len());
    for i in rows {
        v.push(out(&state, &auth, &naming, i).await?);
    }
    Ok(Json(v))
}

/// One interaction.
#[utoipa::path(get, path = "/api/v1/interactions/{id}", tag = "interactions", params(("id" = i64, Path)),
    responses((status = 200, body = InteractionOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InteractionOut>> {
    let id = InteractionId(parse_id(&id, "interaction")?);
    let s = state.store.company(auth.company);
    let i = s.interaction(id).await?.ok_or_else(|| ApiError::not_found("interaction"))?;
    if !may_read(&state, &auth, &i).await? {
        return Err(ApiError::not_found("interaction"));
    }
    let mut o = out(&state, &auth, &Naming::of(&s).await?, i).await?;
    let mut events = Vec::new();
    for e in s.interaction_events(id).await? {
        let staff = match e.staff_id {
            Some(id) => s.staff(id).await?.map(|m| m.username),
            None => None,
        };
        events.push(EventOut { at: e.at, kind: e.kind.as_str().to_owned(), staff, detail: e.detail });
    }
    o.recording_gaps = Some(recording_gaps(&o.arrived_at, o.ended_at.as_deref(), &events));
    o.events = Some(events);
    Ok(Json(o))
}

/// The call's recording, a stereo WAV (caller left, staff right): the
/// handler of the call, supervisors, heads and admins. Each download is
/// written to the audit log.
#[utoipa::path(get, path = "/api/v1/interactions/{id}/recording", tag = "interactions", params(("id" = i64, Path)),
    responses((status = 200, content_type = "audio/wav"), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn recording(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<([(axum::http::header::HeaderName, String); 2], Vec<u8>)> {
    let id = InteractionId(parse_id(&id, "interaction")?);
    let s = state.store.company(auth.company);
    let i = s.interaction(id).await?.ok_or_else(|| ApiError::not_found("interaction"))?;
    let mentor = match i.handled_by {
        Some(h) if h != auth.staff => mentors(&state, &auth, h).await?,
        _ => false,
    };
    if i.handled_by != Some(auth.staff) && !mentor {
        auth.require(roles::PLANNERS)?;
    }
    let rel = i.recording.ok_or_else(|| ApiError::not_found("recording"))?;
    // The stored path is relative to this company's recordings; refuse
    // anything that would climb out of them.
    let rel = std::path::Path::new(&rel);
    if rel.components().any(|c| !matches!(c, std::path::Component::Normal(_)))
        || !rel.starts_with(auth.company.0.to_string())
    {
        return Err(ApiError::not_found("recording"));
    }
    let bytes = tokio::fs::read(state.center.config.recordings.join(rel))
        .await
        .map_err(|_| ApiError::not_found("recording"))?;
    s.audit(&auth.username, "download", "recording", &id.to_string(), "").await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "audio/wav".to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"call-{id}.wav\"")),
        ],
        bytes,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotesIn {
    pub notes: String,
    /// What the call was about in the end: one of the company's wrap-up
    /// codes offered now (`GET /api/v1/wrap-up-codes`).
    #[serde(default)]
    pub wrap_up: Option<String>,
    /// Only supervisors, heads and admins may read the notes (other
    /// operators serving the client later see them empty).
    #[serde(default)]
    pub internal: bool,
}

/// The handler's notes on an interaction (the handler, supervisors, admins).
#[utoipa::path(put, path = "/api/v1/interactions/{id}/notes", tag = "interactions", params(("id" = i64, Path)), request_body = NotesIn,
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn notes(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NotesIn>,
) -> ApiResult<StatusCode> {
    let id = InteractionId(parse_id(&id, "interaction")?);
    let s = state.store.company(auth.company);
    let i = s.interaction(id).await?.ok_or_else(|| ApiError::not_found("interaction"))?;
    if i.handled_by != Some(auth.staff) && !roles::AUDITORS.contains(&auth.role) {
        return Err(ApiError::forbidden());
    }
    if let Some(code) = &body.wrap_up {
        let naming = Naming::of(&s).await?;
        if !naming.offers(code) {
            let offered: Vec<&str> = naming.active().map(|c| c.code.as_str()).collect();
            return Err(ApiError::invalid(format!("wrap_up {code:?} is not one of {}", offered.join(", ")))
                .field("wrap_up")
                .param("code", code.as_str()));
        }
    }
    s.note_interaction(id, body.notes.trim(), body.internal).await?;
    if let Some(code) = &body.wrap_up {
        s.wrap_up_interaction(id, code).await?;
    }
    s.audit(&auth.username, "update", "interaction", &id.to_string(), "notes").await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NumberIO {
    /// E.164; in a PUT the path gives it.
    #[serde(default)]
    pub number: String,
    /// What the line is for (orders, complaints, …).
    pub purpose: String,
}

/// The company's phone numbers: a call to one is the company's call.
#[utoipa::path(get, path = "/api/v1/numbers", tag = "interactions", responses((status = 200, body = [NumberIO])))]
pub async fn numbers(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<NumberIO>>> {
    let rows = state.store.company(auth.company).numbers().await?;
    Ok(Json(rows.into_iter().map(|(number, purpose)| NumberIO { number, purpose }).collect()))
}

/// Assign a number to the company (admins); 409 if another company has it.
#[utoipa::path(put, path = "/api/v1/numbers/{number}", tag = "interactions", params(("number" = String, Path)), request_body = NumberIO,
    responses((status = 200, body = NumberIO), (status = 409, body = crate::error::ErrorBody)))]
pub async fn set_number(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    ApiPath(number): ApiPath<String>,
    ApiJson(body): ApiJson<NumberIO>,
) -> ApiResult<Json<NumberIO>> {
    let n =
        normalize_phone(&number, &state.config.default_country_code).map_err(|e| ApiError::invalid(e.to_string()))?;
    let s = state.store.company(auth.company);
    s.set_number(n.as_str(), body.purpose.trim()).await?;
    state.center.caches.numbers_changed();
    s.audit(&auth.username, "update", "number", n.as_str(), body.purpose.trim()).await?;
    Ok(Json(NumberIO { number: n.to_string(), purpose: body.purpose.trim().to_owned() }))
}

/// Release a number (admins).
#[utoipa::path(delete, path = "/api/v1/numbers/{number}", tag = "interactions", params(("number" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete_number(
    State(state): State<AppState>,
    auth: Allowed<Admins>,
    ApiPath(number): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let n = normalize_phone(&number, &state.config.default_country_code).map_err(|_| ApiError::not_found("number"))?;
    let s = state.store.company(auth.company);
    s.delete_number(n.as_str()).await?;
    state.center.caches.numbers_changed();
    s.audit(&auth.username, "delete", "number", n.as_str(), "").await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(at: &str, kind: &str) -> EventOut {
        EventOut { at: at.into(), kind: kind.into(), staff: None, detail: String::new() }
    }

    #[test]
    fn a_recordings_gaps_pair_each_pause_with_its_resume_or_the_end() {
        let events = [
            ev("2026-11-27T10:00:05Z", "answered"),
            ev("2026-11-27T10:00:10.500Z", "recording_paused"),
            ev("2026-11-27T10:00:12Z", "recording_paused"),
            ev("2026-11-27T10:00:20Z", "recording_resumed"),
            ev("2026-11-27T10:00:21Z", "recording_resumed"),
            ev("2026-11-27T10:00:30Z", "recording_paused"),
        ];
        let want = [GapOut { from_s: 10.5, to_s: Some(20.0) }, GapOut { from_s: 30.0, to_s: Some(40.0) }];
        assert_eq!(recording_gaps("2026-11-27T10:00:00Z", Some("2026-11-27T10:00:40Z"), &events), want);
        let open = recording_gaps("2026-11-27T10:00:00Z", None, &events[5..]);
        assert_eq!(open, [GapOut { from_s: 30.0, to_s: None }]);
        assert!(recording_gaps("not a time", None, &events).is_empty());
    }
}
