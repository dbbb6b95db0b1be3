//! Outbound calls and click-to-call: the staff member's phone rings first,
//! then the number is dialled and the two are bridged and recorded. The
//! interaction is registered at once and follows the call.

use crate::auth::{Allowed, OrderTakers, Planners};
use crate::{
    auth::{roles, Auth},
    error::{ApiError, ApiJson, ApiResult},
    AppState,
};
use axum::{extract::State, http::StatusCode, Json};
use centrala_call::queued::Coach;
use centrala_center::calls::Target;
use centrala_domain::{normalize_phone, InteractionId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallIn {
    /// A phone number in any common notation, or a `sip:` URI.
    pub number: String,
    /// Whose phone rings first (a username); yourself when left out.
    /// Calling for someone else is for supervisors and admins.
    pub staff: Option<String>,
    /// The campaign whose target this call is (preview: the target the
    /// caller holds, of the client with this number); the interaction
    /// carries it.
    pub campaign: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CallOut {
    /// The interaction that registers this call.
    pub interaction: i64,
}

/// Click-to-call (OD-1, CC-1): ring the staff member's phone, then dial.
#[utoipa::path(post, path = "/api/v1/calls", tag = "interactions", request_body = CallIn,
    responses((status = 202, body = CallOut), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
        (status = 503, body = crate::error::ErrorBody)))]
pub async fn place(
    State(state): State<AppState>,
    auth: Allowed<OrderTakers>,
    ApiJson(body): ApiJson<CallIn>,
) -> ApiResult<(StatusCode, Json<CallOut>)> {
    let s = state.store.company(auth.company);
    let staff = match body.staff.as_deref() {
        None => auth.staff,
        Some(u) if u == auth.username => auth.staff,
        Some(u) => {
            auth.require(roles::AUDITORS)?;
            s.staff_by_username(u).await?.ok_or_else(|| ApiError::not_found("staff member"))?.id
        }
    };
    let target = if body.number.trim_start().starts_with("sip:") {
        let uri = body.number.trim();
        let Some(host) = sip_host(uri) else {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_uri",
                "a SIP address is sip:user@host or sip:user@host:port, nothing else",
            ));
        };
        // Only hosts the company's admin named: not the machine's own
        // services, not anyone's network.
        let allowed = state.store.company_dial_hosts(auth.company).await?;
        if !allowed.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "host_not_allowed",
                format!("{host} is not among the SIP hosts this company may call; an admin adds it (PUT /api/v1/company/sip-hosts)"),
            ));
        }
        Target::Uri(uri.to_owned())
    } else {
        let phone = normalize_phone(&body.number, &state.config.default_country_code)
            .map_err(|e| ApiError::invalid(e.to_string()))?;
        Target::Phone(phone.as_str().to_owned())
    };
    // A campaign's call: only the target one holds, of the client whose
    // number this is.
    if let Some(campaign) = body.campaign {
        let held = s.held_target(campaign, staff).await?;
        let number = match &target {
            Target::Phone(p) => Some(p.as_str()),
            Target::Uri(_) => None,
        };
        let theirs = match (held, number) {
            (Some(t), Some(n)) => s.client_phones(t.client).await?.iter().any(|p| p == n),
            _ => false,
        };
        if !theirs {
            return Err(ApiError::not_found("campaign target you hold, with this number"));
        }
    }
    let id = centrala_center::calls::click_to_call(&state.center, auth.company, staff, target, body.campaign).await?;
    s.audit(&auth.username, "call", "interaction", &id.to_string(), &body.number).await?;
    Ok((StatusCode::ACCEPTED, Json(CallOut { interaction: id.0 })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferIn {
    /// `manager` (the client's), `finance`, `head` (of the client's
    /// manager's department, else of wholesale), or a username.
    pub to: String,
}

#[derive(Serialize, ToSchema)]
pub struct TransferOut {
    /// Who will ring, in order (then the operators).
    pub ringing: Vec<String>,
}

/// Put a caller through (blind transfer, OD-6, OD-19): the agent who talks
/// leaves the call, the caller hears music on hold while the target's phone
/// rings (then the operators). The handler of the call, or a supervisor.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/transfer", tag = "interactions", params(("id" = i64, Path)),
    request_body = TransferIn,
    responses((status = 202, body = TransferOut), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn transfer(
    State(state): State<AppState>,
    auth: Auth,
    crate::error::ApiPath(id): crate::error::ApiPath<String>,
    ApiJson(body): ApiJson<TransferIn>,
) -> ApiResult<(StatusCode, Json<TransferOut>)> {
    let id = InteractionId(super::parse_id(&id, "interaction")?);
    let s = state.store.company(auth.company);
    let i = s.interaction(id).await?.ok_or_else(|| ApiError::not_found("interaction"))?;
    if i.handled_by != Some(auth.staff) {
        auth.require(roles::AUDITORS)?;
    }
    if i.ended_at.is_some() || i.answered_at.is_none() {
        return Err(ApiError::new(StatusCode::CONFLICT, "not_talking", "only a call being talked can be transferred"));
    }
    let handler = i.handled_by.unwrap_or(auth.staff);
    let ringing = centrala_center::transfer::transfer_call(&state.center, auth.company, &i, handler, &body.to).await?;
    s.audit(&auth.username, "transfer", "interaction", &id.to_string(), &body.to).await?;
    Ok((StatusCode::ACCEPTED, Json(TransferOut { ringing })))
}

#[derive(Serialize, ToSchema)]
pub struct ListenOut {
    /// The SIP user whose phone rings to listen.
    pub ringing: String,
}

/// How the one listening in is heard.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ListenMode {
    /// Silent monitoring: nobody hears the listener.
    #[default]
    Listen,
    /// Coaching: the agent hears the listener, the caller does not.
    Whisper,
    /// Barge-in: the listener joins the conversation; both hear them.
    Barge,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListenQuery {
    /// `listen` (the default), `whisper` or `barge`.
    pub mode: Option<ListenMode>,
}

/// Listen in on a call being talked (CC-13, OD-22): the caller's phone
/// rings; once answered, it hears both sides — and, by `mode`, nobody hears
/// it (`listen`), the agent alone does (`whisper`, a coach's advice), or
/// both do (`barge`, joining the call). Asked again while listening, it
/// changes only the mode (no new ring). Supervisors, heads and admins,
/// with a registered phone.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/listen", tag = "interactions", params(("id" = i64, Path), ListenQuery),
    responses((status = 202, body = ListenOut), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn listen(
    State(state): State<AppState>,
    auth: Allowed<Planners>,
    crate::error::ApiPath(id): crate::error::ApiPath<String>,
    crate::error::ApiQuery(q): crate::error::ApiQuery<ListenQuery>,
) -> ApiResult<(StatusCode, Json<ListenOut>)> {
    let id = InteractionId(super::parse_id(&id, "interaction")?);
    let s = state.store.company(auth.company);
    let i = s.interaction(id).await?.ok_or_else(|| ApiError::not_found("interaction"))?;
    let not_talking =
        || ApiError::new(StatusCode::CONFLICT, "not_talking", "only a call being talked can be listened to");
    if i.ended_at.is_some() || i.answered_at.is_none() {
        return Err(not_talking());
    }
    let user = s.sip_username(auth.staff).await?.filter(|u| state.center.is_registered(u)).ok_or_else(|| {
        ApiError::new(StatusCode::CONFLICT, "phone_not_registered", "your phone must be registered to listen in")
    })?;
    let mode = match q.mode.unwrap_or_default() {
        ListenMode::Listen => Coach::Listen,
        ListenMode::Whisper => Coach::Whisper,
        ListenMode::Barge => Coach::Barge,
    };
    if !state.center.acd.listen(id, auth.staff, &user, mode).await {
        return Err(not_talking());
    }
    let action = match mode {
        Coach::Listen => "listen",
        Coach::Whisper => "whisper",
        Coach::Barge => "barge",
    };
    s.audit(&auth.username, action, "interaction", &id.to_string(), &user).await?;
    // A supervisor listening in has answered the agent's raised hand.
    if let Some(agent) = i.handled_by {
        state.center.hands.lower(&state.center.events, auth.company, agent);
    }
    Ok((StatusCode::ACCEPTED, Json(ListenOut { ringing: user })))
}

/// Whether `uri` is a plain `sip:user@host[:port]`: a user of letters,
/// digits and `.-_+~`, a host name or IPv4 address, a port of digits.
/// Nothing that could smuggle a header (CR, LF), parameters, headers or
/// another scheme into the INVITE we build from it.
/// The host of a plain `sip:user@host[:port]` address; `None` for anything
/// else (parameters, headers, spaces, line breaks, another scheme).
pub(crate) fn sip_host(uri: &str) -> Option<&str> {
    let rest = uri.strip_prefix("sip:")?;
    let (user, hostport) = rest.split_once('@')?;
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (hostport, None),
    };
    let user_ok = (1..=64).contains(&user.len())
        && user.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+' | b'~'));
    let port_ok = port.is_none_or(|p| (1..=5).contains(&p.len()) && p.parse::<u16>().is_ok_and(|n| n > 0));
    (user_ok && valid_host(host) && port_ok).then_some(host)
}

/// A host name or IPv4 address as a `sip:` address may name it.
pub(crate) fn valid_host(host: &str) -> bool {
    (1..=253).contains(&host.len())
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
        && !host.starts_with(['.', '-'])
}

#[cfg(test)]
mod tests {
    use super::sip_host;

    fn plain_sip_uri(uri: &str) -> bool {
        sip_host(uri).is_some()
    }

    #[test]
    fn only_plain_sip_addresses_are_dialled() {
        for ok in ["sip:1@127.0.0.1:9", "sip:38761555777@trunk.example.ba", "sip:op.ana@pbx-1.local:5060", "sip:+387@h"]
        {
            assert!(plain_sip_uri(ok), "{ok}");
        }
        for bad in [
            "sip:1@127.0.0.1\r\nX-Injected: 1",
            "sip:1@host;transport=tcp",
            "sip:1@host?Subject=hi",
            "sip:<1@host>",
            "sip:1 2@host",
            "sip:@host",
            "sip:1@",
            "sip:1@host:0",
            "sip:1@host:99999",
            "sips:1@host",
            "sip:1@-host",
            "tel:+38761",
        ] {
            assert!(!plain_sip_uri(bad), "{bad:?}");
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlIn {
    /// `hold`, `resume`, `mute`, `unmute`, `hang_up`, `keys`, `consult`,
    /// `conference` or `end_consult`.
    pub action: String,
    /// For `keys`: what to press (`0`–`9`, `*`, `#`, `A`–`D`, at most 32),
    /// sent to the caller as RFC 4733 telephone-events.
    #[serde(default)]
    pub keys: Option<String>,
    /// For `consult`: whom (as for a transfer: `manager`, `finance`,
    /// `head` or a username; the first of them who can take a call rings).
    #[serde(default)]
    pub to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ControlOut {
    pub action: String,
}

/// The agent's controls over the call they talk in, for any phone (our
/// relay does it): hold (the caller hears the music on hold, the agent
/// hears nothing), resume, mute (the agent's audio stops reaching the
/// caller), unmute, hang up, keys; and a warm transfer's steps — `consult`
/// rings a colleague while the caller holds (the desk hears
/// `consult_talking` or `consult_missed` on the event stream), `conference`
/// brings the caller in (all three hear each other), `end_consult` lets the
/// colleague go; completing it is `POST …/transfer` to the colleague, who
/// takes the call without ringing again. `record_pause` and
/// `record_resume` silence the recording for a sensitive moment (403
/// `recording_pause_not_allowed` unless the company allows it; the gap is
/// in the call's `recording_gaps`). Only the agent on the call; audited.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/control", tag = "interactions", params(("id" = i64, Path)), request_body = ControlIn,
    responses((status = 200, body = ControlOut), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn control(
    State(state): State<AppState>,
    auth: Auth,
    crate::error::ApiPath(id): crate::error::ApiPath<String>,
    ApiJson(body): ApiJson<ControlIn>,
) -> ApiResult<Json<ControlOut>> {
    use centrala_sip::Control;
    // A consultation's target is resolved once the call is known.
    let what: Option<Control> = match body.action.as_str() {
        "hold" => Some(Control::Hold(true)),
        "resume" => Some(Control::Hold(false)),
        "mute" => Some(Control::Mute(true)),
        "unmute" => Some(Control::Mute(false)),
        "hang_up" => Some(Control::HangUp),
        "conference" => Some(Control::Conference),
        "end_consult" => Some(Control::EndConsult),
        "record_pause" => Some(Control::RecordPause(true)),
        "record_resume" => Some(Control::RecordPause(false)),
        "consult" => None,
        "keys" => {
            let keys: Vec<char> = body.keys.as_deref().unwrap_or("").chars().collect();
            if keys.is_empty()
                || keys.len() > 32
                || !keys.iter().all(|c| matches!(c, '0'..='9' | '*' | '#' | 'A'..='D'))
            {
                return Err(ApiError::invalid("keys are 1 to 32 of 0-9, *, #, A-D")
                    .field("keys")
                    .param("value", body.keys.clone().unwrap_or_default()));
            }
            Some(Control::Keys(keys))
        }
        other => {
            return Err(ApiError::invalid(format!(
                "action {other:?} is not hold, resume, mute, unmute, hang_up, keys, consult, conference, end_consult, \
                 record_pause or record_resume"
            ))
            .field("action")
            .param("value", other.to_owned()))
        }
    };
    let id = InteractionId(super::parse_id(&id, "interaction")?);
    let s = state.store.company(auth.company);
    // Another company's call, or one this member never talked in: not found.
    let i = s.interaction(id).await?.ok_or_else(|| ApiError::not_found("interaction"))?;
    if i.handled_by != Some(auth.staff) {
        return Err(ApiError::not_found("interaction"));
    }
    // Pausing the recording is the company's choice (off unless an admin
    // allowed it).
    if matches!(what, Some(Control::RecordPause(true))) && !s.recording_pause_allowed().await? {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "recording_pause_not_allowed",
            "your company does not allow pausing a call's recording",
        ));
    }
    let mut detail = String::new();
    let what = if let Some(what) = what {
        what
    } else {
        let to = body.to.as_deref().unwrap_or("");
        if to.is_empty() {
            return Err(ApiError::invalid("say whom to consult").field("to"));
        }
        let ids = centrala_center::transfer::targets(&state.center, auth.company, &i, to).await?;
        let staffing = state.center.caches.staffing(&s).await?;
        let ids: Vec<_> = ids.into_iter().filter(|m| *m != auth.staff).collect();
        let chain = centrala_center::transfer::reachable(&state.center, &s, id, &ids, &staffing).await;
        // Said before the caller is put on hold, never after.
        let person = chain.into_iter().find(|p| p.sip.is_some()).ok_or_else(|| {
            ApiError::new(StatusCode::CONFLICT, "nobody_reachable", format!("nobody of {to} can take a call now"))
        })?;
        detail = to.to_owned();
        Control::Consult { staff: person.staff.0, user: person.sip.unwrap_or_default() }
    };
    if i.ended_at.is_some() || !state.center.acd.control(id, auth.staff, what).await {
        return Err(ApiError::new(StatusCode::CONFLICT, "not_talking", "the call is no longer in progress"));
    }
    s.audit(&auth.username, &body.action, "interaction", &id.to_string(), &detail).await?;
    Ok(Json(ControlOut { action: body.action }))
}

/// Someone a call may be put through to, and whether they can take it now.
#[derive(Serialize, ToSchema)]
pub struct TargetNow {
    /// What `POST …/transfer` takes: `manager`, `finance`, `head` or a
    /// username.
    pub to: String,
    /// Who that is (full names).
    pub names: Vec<String>,
    /// Whether anyone of them can ring now.
    pub reachable: bool,
    /// When not: `no_phone` (none registered), `absent` (away today),
    /// `nobody` (the call has no such person).
    pub why: Option<String>,
    /// For one member: their state in the ACD (`available`, `on_contact`…).
    pub state: Option<String>,
}

/// Whom the agent may put this call through to, each saying whether they
/// can take it now — the client's manager, finance and the head resolved
/// as the routing does, then every active colleague — so a transfer that
/// cannot ring is known before it is tried.
#[utoipa::path(get, path = "/api/v1/interactions/{id}/transfer-targets", tag = "interactions", params(("id" = i64, Path)),
    responses((status = 200, body = [TargetNow]), (status = 404, body = crate::error::ErrorBody)))]
pub async fn transfer_targets(
    State(state): State<AppState>,
    auth: Auth,
    crate::error::ApiPath(id): crate::error::ApiPath<String>,
) -> ApiResult<Json<Vec<TargetNow>>> {
    let id = InteractionId(super::parse_id(&id, "interaction")?);
    let s = state.store.company(auth.company);
    let i = s.interaction(id).await?.ok_or_else(|| ApiError::not_found("interaction"))?;
    if i.handled_by != Some(auth.staff) {
        auth.require(roles::AUDITORS)?;
    }
    let staffing = state.center.caches.staffing(&s).await?;
    let today = state.center.today(auth.company).await;
    let states: std::collections::HashMap<centrala_domain::StaffId, String> = state
        .center
        .acd
        .stats(auth.company)
        .await
        .map(|(_, agents)| agents.into_iter().map(|a| (a.staff, a.state.as_str().to_owned())).collect())
        .unwrap_or_default();
    let accounts = s.sip_accounts().await?;
    let can_ring = |staff: centrala_domain::StaffId| {
        accounts.iter().any(|a| a.staff_id == staff && state.center.is_registered(&a.username))
    };
    let judge = |ids: &[centrala_domain::StaffId]| -> (bool, Option<String>) {
        if ids.is_empty() {
            return (false, Some("nobody".into()));
        }
        let present: Vec<_> = ids
            .iter()
            .filter(|id| matches!(staffing.presence(**id, today), centrala_desk::staffing::Presence::Present))
            .collect();
        if ids.iter().any(|id| can_ring(*id)) {
            (true, None)
        } else if present.is_empty() {
            (false, Some("absent".into()))
        } else {
            (false, Some("no_phone".into()))
        }
    };
    let name = |id: &centrala_domain::StaffId| staffing.member(*id).map(|m| m.full_name.clone());
    let mut out = Vec::new();
    for to in ["manager", "finance", "head"] {
        let ids = match centrala_center::transfer::targets(&state.center, auth.company, &i, to).await {
            Ok(ids) => ids,
            Err(centrala_center::CenterError::Conflict { .. }) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let (reachable, why) = judge(&ids);
        out.push(TargetNow {
            to: to.into(),
            names: ids.iter().filter_map(name).collect(),
            reachable,
            why,
            state: None,
        });
    }
    for m in staffing.members.iter().filter(|m| m.active && m.id != auth.staff) {
        let (reachable, why) = judge(&[m.id]);
        out.push(TargetNow {
            to: m.username.clone(),
            names: vec![m.full_name.clone()],
            reachable,
            why,
            state: states.get(&m.id).cloned(),
        });
    }
    Ok(Json(out))
}
