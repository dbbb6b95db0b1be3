//! Callbacks (CC-5): a waiting caller's promise, kept. When the ACD says
//! a callback's turn has come, the agent's phone rings first, then the
//! client is dialled through the trunk; a client not reached is tried
//! again later. Promises survive a restart: they are the interactions'
//! `callback` disposition, put back into their queues at start.

use crate::acd::{agent_of, task_of};
use crate::acd::{CallbackJob, OPERATORS};
use crate::brain::{about_call, client_of, pop_up, story};
use crate::recordings::{link_recording, recording_path};
use crate::Center;
use centrala_acd::Event;
use centrala_domain::CompanyId;
use centrala_sip::dial::{ClickToCall, OutboundEnd, Progress};
use centrala_store::interactions::{Disposition, StoryKind};
use tokio::sync::mpsc;
use tracing::{info, warn, Instrument};

/// At start, for every company: its queues to the ACD, then the callbacks
/// promised before the restart back into them (one listing of companies).
pub async fn start_all(center: Center) {
    let started = chrono::Utc::now();
    let companies = match center.store.companies().await {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "queues: cannot list companies; the defaults apply");
            return;
        }
    };
    for c in companies {
        center.acd.zone(c.id, center.zone(c.id).await).await;
        if let Err(e) = center.configure_queues(c.id).await {
            warn!(error = %e, company = c.id.0, "queues: cannot read them");
        }
        // Today before this start: the wallboard's "today" is the day's.
        match crate::intervals::day_so_far(&center, c.id, started).await {
            Ok(counts) if !counts.is_empty() => center.acd.seed_day(c.id, counts).await,
            Ok(_) => {}
            Err(e) => warn!(error = %e, company = c.id.0, "queues: cannot read today's figures before the start"),
        }
        restore(&center, c.id).await;
    }
}

/// How far back a promised callback is still made after a restart.
const RESTORE_CALLBACKS_DAYS: u64 = 7;

/// Callbacks promised before a restart (the company's interactions still
/// `callback` from the last week) join again, oldest first, the queue
/// their story last names: the ACD's queues live in memory, the promise in
/// the database.
pub async fn restore(center: &Center, company: CompanyId) {
    let s = center.company(company);
    let f = centrala_store::interactions::InteractionFilter {
        disposition: Some(Disposition::Callback),
        from: Some((center.today(company).await - chrono::Days::new(RESTORE_CALLBACKS_DAYS)).to_string()),
        limit: 1000,
        ..Default::default()
    };
    let pending = match s.interactions(&f).await {
        Ok(p) => p,
        Err(e) => {
            warn!(error = %e, company = company.0, "callbacks to restore: cannot read them");
            return;
        }
    };
    for i in pending.into_iter().rev() {
        // The queue it last waited in, as its story says (a queue that is
        // gone now means the operators').
        let events = s.interaction_events(i.id).await.unwrap_or_default();
        let queue = events
            .iter()
            .rev()
            .find(|e| matches!(e.kind, StoryKind::Queued | StoryKind::Overflowed) && !e.detail.is_empty())
            .map_or(OPERATORS, |e| e.detail.as_str());
        story(&s, i.id, StoryKind::CallbackRestored, None, &format!("after a restart, into {queue}")).await;
        center.acd.callback_again(company, i.id, &i.caller, queue, 1).await;
    }
}

/// Rings the job's agent — their phone as the ACD last heard, else as
/// stored — then dials the job's number presenting `caller_id`, recorded;
/// why not, in words, when it cannot start. Callbacks and campaign calls
/// are placed so.
pub(crate) async fn agent_first(
    center: &Center,
    s: &centrala_store::Scoped<'_>,
    job: &CallbackJob,
    display: String,
    recording: &std::path::Path,
    caller_id: Option<String>,
) -> Result<mpsc::UnboundedReceiver<Progress>, String> {
    let user = match job.user.clone() {
        Some(u) => Some(u),
        None => s.sip_username(job.staff).await.ok().flatten(),
    };
    match (center.dialer.get(), user) {
        (Some(d), Some(user)) => d
            .click_to_call(ClickToCall {
                agent: user,
                target: job.number.clone(),
                display,
                ring_timeout: job.ring,
                recording: Some(recording.to_path_buf()),
                caller_id,
            })
            .map_err(|e| e.to_string()),
        (None, _) => Err("no telephony".to_owned()),
        (_, None) => Err("no phone".to_owned()),
    }
}

/// Carries out the callbacks whose turn the ACD says has come, each in its
/// own task.
pub async fn run(center: Center, mut jobs: mpsc::UnboundedReceiver<CallbackJob>) {
    while let Some(job) = jobs.recv().await {
        // A campaign's call (its queue is the campaign's): the dialler's.
        if let Some(campaign) = crate::acd::campaign_of_queue(&job.queue) {
            tokio::spawn(crate::campaigns::call(center.clone(), job, campaign));
            continue;
        }
        let span = tracing::info_span!("callback", interaction = job.contact.0, staff = job.staff.0);
        tokio::spawn(callback(center.clone(), job).instrument(span));
    }
}

/// A callback: the agent's phone rings first (their desk pops the card up);
/// when they answer, the client's number is dialled and the two talk,
/// recorded. The ACD hears accept, decline or end as for any call; the
/// interaction that asked for it keeps the whole story.
async fn callback(center: Center, job: CallbackJob) {
    let (id, staff) = (job.contact, job.staff);
    let (contact, agent) = (task_of(id), agent_of(staff));
    let s = center.company(job.company);
    let client = client_of(&s, id).await;
    let name = client.as_ref().map(|c| c.name.clone()).unwrap_or_default();
    let about = about_call(id, &job.number, client.as_ref().map(|c| c.code.as_str()), &name);
    story(&s, id, StoryKind::Offered, Some(staff), "callback").await;
    pop_up(&center, job.company, staff, "call_offered", &about);
    let file = match job.attempt {
        1 => format!("{id}-callback.wav"),
        n => format!("{id}-callback-{n}.wav"),
    };
    let recording = recording_path(&center, job.company, id).await.with_file_name(file);
    let display = format!("Callback {}", if name.is_empty() { &job.number } else { &name });
    let caller_id = s.outbound_number().await.ok().flatten();
    let mut progress = match agent_first(&center, &s, &job, display, &recording, caller_id).await {
        Ok(rx) => rx,
        Err(e) => {
            story(&s, id, StoryKind::Missed, Some(staff), &e).await;
            center.acd.contact(Event::Decline { contact, agent }).await;
            return;
        }
    };
    let (mut agent_answered, mut reached) = (false, false);
    while let Some(p) = progress.recv().await {
        match p {
            Progress::AgentAnswered => {
                agent_answered = true;
                if let Err(e) = s.answer_interaction(id, staff, None).await {
                    warn!(error = %e, "marking the callback answered failed");
                }
                story(&s, id, StoryKind::Answered, Some(staff), "callback").await;
                pop_up(&center, job.company, staff, "call_answered", &about);
                center.acd.contact(Event::Accept { contact, agent }).await;
            }
            Progress::Answered => {
                reached = true;
                story(&s, id, StoryKind::CallbackReached, None, &job.number).await;
            }
            Progress::Ended(end, media) => {
                if !agent_answered {
                    story(&s, id, StoryKind::Missed, Some(staff), "callback").await;
                    center.acd.contact(Event::Decline { contact, agent }).await;
                    return;
                }
                if media.recorded {
                    link_recording(&center, &s, id, &recording).await;
                }
                if !reached {
                    let why = match end {
                        OutboundEnd::TargetMissed(Some(code)) => format!("{} refused with {code}", job.number),
                        OutboundEnd::Failed(e) => e,
                        _ => format!("{} did not answer", job.number),
                    };
                    if job.attempt < job.attempts {
                        // Another try later: the agent is free now, the
                        // callback joins its queue again after the pause.
                        let next = format!(
                            "try {} of {}: {why}; again in {} s",
                            job.attempt,
                            job.attempts,
                            job.retry.as_secs()
                        );
                        story(&s, id, StoryKind::CallbackRetry, None, &next).await;
                        info!(attempt = job.attempt, "callback not reached; it will try again");
                        center.acd.contact(Event::End { contact }).await;
                        tokio::time::sleep(job.retry).await;
                        center
                            .acd
                            .callback_again(job.company, job.contact, &job.number, &job.queue, job.attempt + 1)
                            .await;
                        return;
                    }
                    story(&s, id, StoryKind::CallbackUnreached, None, &why).await;
                }
                let disposition = if reached { Disposition::Answered } else { Disposition::Failed };
                if let Err(e) = s.end_interaction(id, disposition).await {
                    warn!(error = %e, "closing the callback's interaction failed");
                }
                info!(reached, "callback ended");
                center.acd.contact(Event::End { contact }).await;
                return;
            }
        }
    }
}
