//! Calls between staff phones: a phone registered here dials a colleague's
//! number (their SIP username), the colleague's phone rings (a SIP phone
//! or the desk's softphone), and the two talk through our relay. It is how
//! an operator with a desk phone consults a colleague before an attended
//! transfer: her phone then sends REFER with Replaces (RFC 3891) on the
//! caller's call, naming this call, and the caller is put through to the
//! colleague already on the line (`server::queued` takes the colleague's
//! leg from here with [`Consultations::take`]). Internal calls are not
//! contacts: they are neither registered as interactions nor recorded.

use crate::dial::{Leg, LegEvent, Missed, Phone};
use crate::headers::Replaces;
use crate::media::{MediaCmd, MediaEvent, MediaStats};
use crate::server::{answer_leg, lock, until_calling, Core, Sdp};
use crate::session::answer_reoffer;
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver};
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::StatusCode;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

/// Who is called: the colleague's staff id and SIP username.
#[derive(Debug, Clone)]
pub(crate) struct Colleague {
    pub(crate) staff: i64,
    pub(crate) user: String,
}

/// The internal calls talking now, by their dialog with the calling phone
/// (Call-ID; that phone's tag and ours), so that its REFER with Replaces
/// finds the colleague.
#[derive(Default)]
pub(crate) struct Consultations(Mutex<HashMap<String, Consultation>>);

struct Consultation {
    /// The calling phone's tag (the dialog's remote tag) and ours.
    remote_tag: String,
    local_tag: String,
    /// The SIP username that called: only its own REFER may take it.
    by: String,
    colleague: Colleague,
    /// Hands the colleague's leg over, once.
    take: mpsc::UnboundedSender<oneshot::Sender<Leg>>,
}

/// A consultation found for a REFER: whom it reaches, and how to take
/// their leg.
pub(crate) struct Found {
    pub(crate) colleague: Colleague,
    take: mpsc::UnboundedSender<oneshot::Sender<Leg>>,
}

impl Consultations {
    /// The internal call `replaces` names, placed by `by`'s phone.
    pub(crate) fn find(&self, replaces: &Replaces, by: &str) -> Option<Found> {
        let calls = lock(&self.0);
        let c = calls.get(&replaces.call_id)?;
        // From the transferor's side of the consultation: it sent the
        // INVITE, so the From tag is its own and the To tag ours.
        let ours = c.local_tag == replaces.to_tag && c.remote_tag == replaces.from_tag;
        (ours && c.by == by).then(|| Found { colleague: c.colleague.clone(), take: c.take.clone() })
    }
}

impl Found {
    /// The colleague's leg, let go by its internal call (which hangs up
    /// the transferor's side); `None` when that call ended meanwhile.
    pub(crate) async fn take(self) -> Option<Leg> {
        let (tx, rx) = oneshot::channel();
        self.take.send(tx).ok()?;
        rx.await.ok()
    }
}

/// How long a colleague's phone rings for an internal call.
const RING: Duration = Duration::from_secs(30);

/// Runs an internal call from `by`'s phone (the INVITE being handled on
/// `dialog`) to `colleague`: it rings their phone while the caller hears
/// ringing (180), answers the caller when they answer (or passes on why
/// not: 480 not reachable or no answer, their refusal's status), bridges
/// the two until either hangs up — or until a REFER with Replaces from the
/// same phone takes the colleague for the caller it holds.
pub(crate) async fn run(
    core: &Arc<Core>,
    dialog: &InviteDialog,
    states: &mut DialogStateReceiver,
    socket: std::net::UdpSocket,
    sdp: Box<Sdp>,
    by: &str,
    colleague: Colleague,
) -> Result<MediaStats, String> {
    if !until_calling(states).await? {
        return Ok(MediaStats::default());
    }
    let Some(phone) = crate::dial::phone_of(core, &colleague.user) else {
        info!(to = %colleague.user, "internal call: the colleague's phone is not registered");
        dialog.reject(Some(StatusCode::TemporarilyUnavailable), None).ok();
        return Ok(MediaStats::default());
    };
    dialog.ringing(None, None).ok();
    let Some(mut other) = ring(core, dialog, states, &phone, by).await else {
        return Ok(MediaStats::default());
    };
    let Some((mut session, mut media)) = answer_leg(core, dialog, states, socket, sdp, None).await? else {
        other.hang_up(core).await;
        return Ok(MediaStats::default());
    };
    media.send(MediaCmd::Bridge(Some(other.media.feed.clone())));
    other.media.send(MediaCmd::Bridge(Some(media.feed.clone())));
    let id = dialog.id();
    let (take_tx, mut take) = mpsc::unbounded_channel();
    let entry = Consultation {
        remote_tag: id.remote_tag.clone(),
        local_tag: id.local_tag.clone(),
        by: by.to_owned(),
        colleague: colleague.clone(),
        take: take_tx,
    };
    lock(&core.internal.0).insert(id.call_id.clone(), entry);
    info!(by, to = %colleague.user, "internal call answered");
    /// What ends the bridge.
    enum Next {
        CallerLeft,
        ColleagueLeft,
        Taken(oneshot::Sender<Leg>),
    }
    let next = loop {
        let next = tokio::select! {
            s = states.recv() => match s {
                Some(DialogState::Terminated(..)) | None => Next::CallerLeft,
                Some(DialogState::Updated(_, req, handle)) => {
                    answer_reoffer(&mut session, &media, &req, handle).await;
                    continue;
                }
                // A transfer is asked on the call with the caller, naming
                // this one; not here.
                Some(DialogState::Refer(_, _, handle)) => {
                    handle.reply(StatusCode::Forbidden).await.ok();
                    continue;
                }
                Some(_) => continue,
            },
            e = crate::dial::next_event(&mut other) => match e {
                LegEvent::Ended | LegEvent::Lost => Next::ColleagueLeft,
                LegEvent::Refer(_, handle) => {
                    handle.reply(StatusCode::Forbidden).await.ok();
                    continue;
                }
            },
            e = media.events.recv() => match e {
                Some(MediaEvent::Silent | MediaEvent::Gone) | None => Next::CallerLeft,
                Some(_) => continue,
            },
            Some(to) = take.recv() => Next::Taken(to),
        };
        break next;
    };
    lock(&core.internal.0).remove(&id.call_id);
    match next {
        Next::CallerLeft => {
            other.hang_up(core).await;
        }
        Next::ColleagueLeft => {
            dialog.bye().await.ok();
            other.end(core).await;
        }
        // The colleague goes to the transferred caller; the transferor's
        // consultation is ended by us (RFC 3891 §3: the replaced dialog).
        Next::Taken(to) => {
            other.media.send(MediaCmd::Bridge(None));
            info!(by, to = %colleague.user, "internal call: the colleague takes the transferred caller");
            if let Err(other) = to.send(other) {
                other.hang_up(core).await;
            }
            dialog.bye().await.ok();
        }
    }
    Ok(media.stop().await)
}

/// Rings the colleague's phone until it answers (its leg) or not (the
/// caller hears why), or the caller gives up (the ringing stops).
async fn ring(
    core: &Arc<Core>,
    dialog: &InviteDialog,
    states: &mut DialogStateReceiver,
    phone: &Phone,
    by: &str,
) -> Option<Leg> {
    let stop = CancellationToken::new();
    let ringing = crate::dial::dial(core, phone, by, RING, None, &stop);
    tokio::pin!(ringing);
    let mut gone = false;
    let result = loop {
        tokio::select! {
            r = &mut ringing => break r,
            s = states.recv(), if !gone => {
                if matches!(s, Some(DialogState::Terminated(..)) | None) {
                    // The caller gave up: stop the ringing, and wait for
                    // the dial to end (an answer racing the CANCEL is
                    // hung up below).
                    gone = true;
                    stop.cancel();
                }
            }
        }
    };
    match (result, gone) {
        (Ok(leg), false) => Some(leg),
        (Ok(leg), true) => {
            leg.hang_up(core).await;
            None
        }
        (Err(_), true) => None,
        (Err(m), false) => {
            debug!(?m, "internal call: the colleague did not answer");
            let status = match m {
                Missed::Refused(code) => StatusCode::from(code),
                Missed::NoAnswer | Missed::Failed(_) => StatusCode::TemporarilyUnavailable,
            };
            dialog.reject(Some(status), None).ok();
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_phone_that_consulted_finds_its_consultation_by_the_whole_dialog() {
        let c = Consultations::default();
        let (take, _rx) = mpsc::unbounded_channel();
        let colleague = Colleague { staff: 7, user: "216".into() };
        let entry =
            Consultation { remote_tag: "theirs".into(), local_tag: "ours".into(), by: "204".into(), colleague, take };
        lock(&c.0).insert("call-1@h".into(), entry);
        let named = |call_id: &str, to_tag: &str, from_tag: &str| Replaces {
            call_id: call_id.into(),
            to_tag: to_tag.into(),
            from_tag: from_tag.into(),
        };
        let found = c.find(&named("call-1@h", "ours", "theirs"), "204").map(|f| f.colleague.user);
        assert_eq!(found.as_deref(), Some("216"));
        // Another phone naming it, the tags swapped or wrong, another call.
        assert!(c.find(&named("call-1@h", "ours", "theirs"), "203").is_none());
        assert!(c.find(&named("call-1@h", "theirs", "ours"), "204").is_none());
        assert!(c.find(&named("call-1@h", "ours", "x"), "204").is_none());
        assert!(c.find(&named("call-2@h", "ours", "theirs"), "204").is_none());
    }
}
