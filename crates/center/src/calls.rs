//! Calls we place (OD-1, CC-1): click-to-call rings the staff member's
//! phone first, then dials the number; the two are bridged and recorded.
//! The interaction is registered at once and follows the call.

use crate::recordings::{link_recording, recording_path};
use crate::{Center, CenterError, CenterResult};
use centrala_domain::{CompanyId, InteractionId, StaffId};
use centrala_sip::dial::{ClickToCall, DialError, OutboundEnd, Progress};
use centrala_store::interactions::{Direction, Disposition};
use std::time::Duration;
use tracing::warn;

/// How long each phone rings before we give up on it.
const RING: Duration = Duration::from_secs(30);

/// Whom to call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A phone number, E.164 (a client's, when it is one).
    Phone(String),
    /// A `sip:` URI.
    Uri(String),
}

/// Rings `staff`'s phone, then dials `target`: returns the interaction
/// that registers the call, which follows it to its end. A campaign's call
/// (preview: the operator pressed Call on its target) carries the
/// campaign.
pub async fn click_to_call(
    center: &Center,
    company: CompanyId,
    staff: StaffId,
    target: Target,
    campaign: Option<i64>,
) -> CenterResult<InteractionId> {
    let s = center.company(company);
    let Some(dialer) = center.dialer.get() else {
        return Err(CenterError::Unavailable { code: "telephony_off", message: "the telephony is not running".into() });
    };
    let account = s.sip_username(staff).await?.ok_or_else(|| {
        CenterError::conflict("no_sip_account", "this staff member has no SIP account (PUT /api/v1/staff/{id}/sip)")
    })?;
    let (target, client) = match target {
        Target::Uri(uri) => (uri, None),
        Target::Phone(phone) => {
            let client = s.client_by_phone(&phone).await?;
            (phone, client)
        }
    };
    let id = match (campaign, client.as_ref()) {
        (Some(campaign), Some(c)) => s.start_campaign_call(campaign, &account, &target, c.id).await?,
        _ => s.start_interaction(Direction::Outbound, &account, &target, client.as_ref().map(|c| c.id)).await?,
    };
    let recording = recording_path(center, company, id).await;
    let request = ClickToCall {
        agent: account,
        target,
        display: client.as_ref().map_or_else(|| "Centrala".to_owned(), |c| c.name.clone()),
        ring_timeout: RING,
        recording: Some(recording.clone()),
        caller_id: s.outbound_number().await?,
    };
    let progress = match dialer.click_to_call(request) {
        Ok(p) => p,
        Err(e) => {
            s.end_interaction(id, Disposition::Failed).await?;
            let code = match e {
                DialError::NotRegistered(_) => "phone_not_registered",
                DialError::NoRoute(..) => "no_route",
            };
            return Err(CenterError::conflict(code, e.to_string()));
        }
    };
    tokio::spawn(follow(center.clone(), company, staff, id, recording, progress));
    Ok(id)
}

/// Writes the call's progress onto its interaction.
async fn follow(
    center: Center,
    company: CompanyId,
    staff: StaffId,
    id: InteractionId,
    recording: std::path::PathBuf,
    mut progress: tokio::sync::mpsc::UnboundedReceiver<Progress>,
) {
    let s = center.company(company);
    while let Some(p) = progress.recv().await {
        let result = match p {
            Progress::AgentAnswered => Ok(()),
            Progress::Answered => s.answer_interaction(id, staff, None).await,
            Progress::Ended(end, media) => {
                if media.recorded {
                    link_recording(&center, &s, id, &recording).await;
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
