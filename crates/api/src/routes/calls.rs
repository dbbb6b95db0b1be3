//! Outbound calls and click-to-call: the staff member's phone rings first,
//! then the number is dialled and the two are bridged and recorded. The
//! interaction is registered at once and follows the call.

use crate::{
    auth::{roles, Auth},
    error::{ApiError, ApiJson, ApiResult},
    AppState,
};
use axum::{extract::State, http::StatusCode, Json};
use centrala_domain::{normalize_phone, CompanyId, InteractionId, StaffId};
use centrala_sip::dial::{ClickToCall, DialError, OutboundEnd, Progress};
use centrala_store::interactions::{Direction, Disposition};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tracing::warn;
use utoipa::ToSchema;

/// How long each phone rings before we give up on it.
const RING: Duration = Duration::from_secs(30);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallIn {
    /// A phone number in any common notation, or a `sip:` URI.
    pub number: String,
    /// Whose phone rings first (a username); yourself when left out.
    /// Calling for someone else is for supervisors and admins.
    pub staff: Option<String>,
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
    auth: Auth,
    ApiJson(body): ApiJson<CallIn>,
) -> ApiResult<(StatusCode, Json<CallOut>)> {
    auth.require(roles::ORDER_TAKERS)?;
    let s = state.store.company(auth.company);
    let staff = match body.staff.as_deref() {
        None => auth.staff,
        Some(u) if u == auth.username => auth.staff,
        Some(u) => {
            auth.require(roles::AUDITORS)?;
            s.staff_by_username(u).await?.ok_or_else(|| ApiError::not_found("staff member"))?.id
        }
    };
    let Some(dialer) = state.center.dialer.get() else {
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "telephony_off", "the telephony is not running"));
    };
    let account =
        s.sip_accounts().await?.into_iter().find(|(id, _)| *id == staff).map(|(_, u)| u).ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "no_sip_account",
                "this staff member has no SIP account (PUT /api/v1/staff/{id}/sip)",
            )
        })?;
    let (target, client) = if body.number.trim_start().starts_with("sip:") {
        (body.number.trim().to_owned(), None)
    } else {
        let phone = normalize_phone(&body.number, &state.config.default_country_code)
            .map_err(|e| ApiError::invalid(e.to_string()))?;
        let client = s.client_by_phone(phone.as_str()).await?;
        (phone.as_str().to_owned(), client)
    };
    let id = s.start_interaction(Direction::Outbound, &account, &target, client.as_ref().map(|c| c.id)).await?;
    let recording = centrala_center::recordings::recording_path(&state.center, auth.company, id).await;
    let request = ClickToCall {
        agent: account,
        target,
        display: client.as_ref().map_or_else(|| "Centrala".to_owned(), |c| c.name.clone()),
        ring_timeout: RING,
        recording: Some(recording.clone()),
    };
    let progress = match dialer.click_to_call(request) {
        Ok(p) => p,
        Err(e) => {
            s.end_interaction(id, Disposition::Failed).await?;
            let code = match e {
                DialError::NotRegistered(_) => "phone_not_registered",
                DialError::NoRoute(..) => "no_route",
            };
            return Err(ApiError::new(StatusCode::CONFLICT, code, e.to_string()));
        }
    };
    s.audit(&auth.username, "call", "interaction", &id.to_string(), &body.number).await?;
    tokio::spawn(follow(state.clone(), auth.company, staff, id, recording, progress));
    Ok((StatusCode::ACCEPTED, Json(CallOut { interaction: id.0 })))
}

/// Writes the call's progress onto its interaction.
async fn follow(
    state: AppState,
    company: CompanyId,
    staff: StaffId,
    id: InteractionId,
    recording: std::path::PathBuf,
    mut progress: tokio::sync::mpsc::UnboundedReceiver<Progress>,
) {
    let s = state.store.company(company);
    while let Some(p) = progress.recv().await {
        let result = match p {
            Progress::AgentAnswered => Ok(()),
            Progress::Answered => s.answer_interaction(id, staff, None).await,
            Progress::Ended(end, media) => {
                if media.recorded {
                    centrala_center::recordings::link_recording(&state.center, &s, id, &recording).await;
                }
                let disposition = match end {
                    OutboundEnd::Completed => Disposition::Answered,
                    OutboundEnd::AgentMissed | OutboundEnd::TargetMissed(_) => Disposition::Abandoned,
                    OutboundEnd::Failed(_) => Disposition::Failed,
                };
                s.end_interaction(id, disposition).await
            }
        };
        if let Err(e) = result {
            warn!(error = %e, interaction = id.0, "updating the call's interaction failed");
        }
    }
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

/// Listen in on a call being talked (CC-13, OD-22): the caller's phone
/// rings; once answered, it hears both sides, and nobody hears it.
/// Supervisors, heads and admins, with a registered phone.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/listen", tag = "interactions", params(("id" = i64, Path)),
    responses((status = 202, body = ListenOut), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn listen(
    State(state): State<AppState>,
    auth: Auth,
    crate::error::ApiPath(id): crate::error::ApiPath<String>,
) -> ApiResult<(StatusCode, Json<ListenOut>)> {
    auth.require(roles::PLANNERS)?;
    let id = InteractionId(super::parse_id(&id, "interaction")?);
    let s = state.store.company(auth.company);
    let i = s.interaction(id).await?.ok_or_else(|| ApiError::not_found("interaction"))?;
    let not_talking =
        || ApiError::new(StatusCode::CONFLICT, "not_talking", "only a call being talked can be listened to");
    if i.ended_at.is_some() || i.answered_at.is_none() {
        return Err(not_talking());
    }
    let user = s
        .sip_accounts()
        .await?
        .into_iter()
        .find(|(staff, _)| *staff == auth.staff)
        .map(|(_, u)| u)
        .filter(|u| state.center.is_registered(u))
        .ok_or_else(|| {
            ApiError::new(StatusCode::CONFLICT, "phone_not_registered", "your phone must be registered to listen in")
        })?;
    if !state.center.acd.listen(id, auth.staff, &user).await {
        return Err(not_talking());
    }
    s.audit(&auth.username, "listen", "interaction", &id.to_string(), &user).await?;
    Ok((StatusCode::ACCEPTED, Json(ListenOut { ringing: user })))
}
