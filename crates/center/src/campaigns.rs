//! Progressive dialling of outbound campaigns (CC-6, OD-16, OD-17, CC-14):
//! the ACD reserves a ready operator of the campaign with nobody waiting
//! for them, their phone rings, then the client is dialled through the
//! trunk presenting the company's number.
//!
//! Each running progressive campaign has a queue in the ACD
//! (`acd::campaign_queue`) whose members are its operators, below every
//! caller's queue, so a waiting caller always gets an operator first. The
//! dialler keeps at most one call of a campaign waiting there, and adds it
//! only while one of its operators is available: pacing never exceeds the
//! ready operators (no predictive over-dialling). When the ACD gives the
//! call an operator, it comes here as a `CallbackJob` of the campaign's
//! queue ([`call`]): agent first, then the client. A client not reached
//! (busy, no answer, a failed call) is the attempt's result, retried after
//! the campaign's interval by the rules of `centrala_desk::campaign`; a
//! client reached is the operator's to record a result on, from the desk.

use crate::acd::{agent_of, campaign_queue, task_of, CallbackJob, QueueSettings, OPERATORS};
use crate::brain::{about_call, pop_up, story};
use crate::recordings::{link_recording, recording_path};
use crate::settings::{self, StoredQueue};
use crate::Center;
use centrala_acd::Event;
use centrala_desk::campaign::{after_result, attempt_result, may_call, next_target, Candidate, Mode, State, NO_NUMBER};
use centrala_domain::{ClientId, CompanyId, InteractionId, Role, StaffId};
use centrala_sip::dial::{OutboundEnd, Progress};
use centrala_store::campaigns::{Campaign, CampaignInput, Status};
use centrala_store::interactions::{Disposition, StoryKind};
use centrala_store::{Scoped, Staff};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;
use tracing::{info, warn, Instrument};

/// How often the dialler looks again without being nudged (retries that
/// fell due, hours that opened, operators who became ready).
const TICK: Duration = Duration::from_secs(5);

/// How many due targets are read to choose the next one from.
const DUE_READ: i64 = 50;

/// The dialler's state: the calls of each campaign waiting in its queue
/// (not yet placed: no operator's phone rings for them).
#[derive(Default)]
pub struct Dialler {
    waiting: Mutex<HashMap<i64, Vec<InteractionId>>>,
    nudge: Notify,
}

impl Dialler {
    /// Look again now (a campaign started, an operator got free).
    pub fn nudge(&self) {
        self.nudge.notify_one();
    }

    fn waiting(&self, campaign: i64) -> Vec<InteractionId> {
        self.waiting.lock().ok().and_then(|w| w.get(&campaign).cloned()).unwrap_or_default()
    }

    /// A call joins (or, declined by an operator, rejoins) the campaign's
    /// queue.
    fn wait(&self, campaign: i64, call: InteractionId) {
        if let Ok(mut w) = self.waiting.lock() {
            let calls = w.entry(campaign).or_default();
            if !calls.contains(&call) {
                calls.push(call);
            }
        }
    }

    /// A call leaves the queue (placed now, or withdrawn); false when it
    /// was not there (withdrawn before).
    fn take(&self, campaign: i64, call: InteractionId) -> bool {
        let Ok(mut w) = self.waiting.lock() else { return false };
        let Some(calls) = w.get_mut(&campaign) else { return false };
        let before = calls.len();
        calls.retain(|c| *c != call);
        let taken = calls.len() < before;
        if calls.is_empty() {
            w.remove(&campaign);
        }
        taken
    }
}

/// Whether the campaign is dialled by the ACD now.
fn dialled(c: &Campaign) -> bool {
    c.status == Status::Running && c.input.mode == Mode::Progressive
}

/// Whether staff member `m` works campaign `c`: named in it, or a member
/// of its queue (`operators`: every operator and supervisor, and the
/// queue's members); never an admin, nor someone inactive.
pub fn works(c: &CampaignInput, queues: &BTreeMap<String, StoredQueue>, m: &Staff) -> bool {
    if !m.active || m.role == Role::Admin {
        return false;
    }
    if c.agents.contains(&m.username) {
        return true;
    }
    match c.queue.as_deref() {
        None => false,
        Some(OPERATORS) if matches!(m.role, Role::Operator | Role::Supervisor) => true,
        Some(q) => queues.get(q).is_some_and(|d| d.members.contains(&m.username)),
    }
}

/// Whether `m` works campaign `c` (the company's queues are read only
/// when the campaign names one).
pub async fn works_it(center: &Center, s: &Scoped<'_>, c: &CampaignInput, m: &Staff) -> crate::CenterResult<bool> {
    let queues = match c.queue {
        Some(_) => settings::company_queues(s, &center.problems).await?,
        None => BTreeMap::new(),
    };
    Ok(works(c, &queues, m))
}

/// The ACD queues of the company's running progressive campaigns: their
/// operators as members, below the callers' queues, ringing and wrapping
/// up as the operators' queue does; no announcements, callback offers or
/// overflow (nobody waits on the line).
pub async fn queues(
    s: &Scoped<'_>,
    stored: &BTreeMap<String, StoredQueue>,
    staff: &[Staff],
    operators: &QueueSettings,
) -> Vec<(String, QueueSettings)> {
    let campaigns = match s.campaigns().await {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "campaign queues: cannot read campaigns");
            return Vec::new();
        }
    };
    campaigns
        .iter()
        .filter(|c| dialled(c))
        .map(|c| {
            let members = staff.iter().filter(|m| works(&c.input, stored, m)).map(|m| m.id).collect();
            let settings = QueueSettings {
                ring_timeout: operators.ring_timeout,
                wrap_up: operators.wrap_up,
                max_wait: None,
                announce_every: None,
                callback_offer: false,
                members,
                callback_attempts: 1,
                callback_retry: Duration::ZERO,
                service_level: operators.service_level,
                priority: -1,
            };
            (campaign_queue(c.id), settings)
        })
        .collect()
}

/// A campaign started, paused or ended: the company's queues follow, a
/// call waiting for a campaign no longer dialled is withdrawn (its target
/// back in line, not an attempt), and the dialler looks again.
pub async fn changed(center: &Center, company: CompanyId) {
    if let Err(e) = center.configure_queues(company).await {
        warn!(error = %e, company = company.0, "campaign queues: cannot configure them");
    }
    let s = center.company(company);
    if let Ok(campaigns) = s.campaigns().await {
        for c in campaigns.iter().filter(|c| !dialled(c)) {
            for call in center.dialler.waiting(c.id) {
                withdraw(center, company, c.id, call, "the campaign is not running").await;
            }
        }
    }
    center.dialler.nudge();
}

/// Takes a campaign's waiting call out of the ACD before it was dialled.
async fn withdraw(center: &Center, company: CompanyId, campaign: i64, call: InteractionId, why: &str) {
    if !center.dialler.take(campaign, call) {
        return;
    }
    center.acd.contact(Event::End { contact: task_of(call) }).await;
    let s = center.company(company);
    not_dialled(&s, campaign, call, why).await;
}

/// A campaign's call that was never dialled: its target back in line, the
/// interaction closed with why.
async fn not_dialled(s: &Scoped<'_>, campaign: i64, call: InteractionId, why: &str) {
    if let Ok(Some(i)) = s.interaction(call).await {
        if let Some(client) = i.client_id {
            if let Err(e) = s.release_target(campaign, client).await {
                warn!(error = %e, "releasing a campaign target failed");
            }
        }
    }
    story(s, call, StoryKind::Unreached, None, why).await;
    if let Err(e) = s.end_interaction(call, Disposition::Closed).await {
        warn!(error = %e, "closing a campaign call failed");
    }
}

/// The dialler: looks at every company's running progressive campaigns
/// when nudged and every few seconds, and puts a call in a campaign's
/// queue when it has none there, one of its operators is available, the
/// hours are open and a target is due. Targets the dialler had reserved
/// before a restart go back in line first.
pub async fn run(center: Center) {
    if let Ok(companies) = center.store.companies().await {
        for c in companies {
            match center.company(c.id).release_unanswered_targets().await {
                Ok(0) => {}
                Ok(n) => info!(company = c.id.0, targets = n, "campaign targets cut off by a restart are back in line"),
                Err(e) => warn!(error = %e, "releasing campaign targets at start failed"),
            }
        }
    }
    loop {
        tokio::select! {
            () = center.dialler.nudge.notified() => {}
            () = tokio::time::sleep(TICK) => {}
        }
        let companies = match center.store.companies().await {
            Ok(c) => c,
            Err(e) => {
                warn!(error = %e, "the dialler cannot list companies");
                continue;
            }
        };
        for company in companies {
            let s = center.company(company.id);
            let Ok(campaigns) = s.campaigns().await else { continue };
            for c in campaigns.into_iter().filter(dialled) {
                if let Err(e) = feed(&center, company.id, &c).await {
                    warn!(error = %e, campaign = c.id, "the dialler could not place a campaign call");
                }
            }
        }
    }
}

/// Puts the campaign's next due target into its queue, if the campaign has
/// none waiting there and an operator of it is available now.
async fn feed(center: &Center, company: CompanyId, c: &Campaign) -> crate::CenterResult<()> {
    if !center.dialler.waiting(c.id).is_empty() {
        return Ok(());
    }
    let queue = campaign_queue(c.id);
    let idle = center.acd.idle(company, &queue).await;
    if idle.is_empty() {
        return Ok(());
    }
    let now = center.local_now(company).await;
    if !may_call(&c.input.hours, c.input.starts_on, c.input.ends_on, now) {
        return Ok(());
    }
    let s = center.company(company);
    let dnc = s.dnc().await?;
    let blocked = |client: ClientId| dnc.iter().any(|d| d.client == Some(client));
    // A target that is never to be dialled is closed and the next looked
    // at, a few at most per round.
    for _ in 0..DUE_READ {
        let due = s.due_targets(c.id, now, None, DUE_READ).await?;
        let candidates: Vec<Candidate> = due
            .iter()
            .map(|t| Candidate { state: t.state, next_at: t.next_at, preferred: t.preferred.map(|p| p.0) })
            .collect();
        // A call-back agreed with an operator who is free now comes first
        // (the ACD gives it to the longest idle, most often them); one
        // agreed with a busy operator waits for them up to an hour.
        let mine = idle.iter().find_map(|m| {
            next_target(&candidates, now, &c.input.hours, m.0).filter(|i| candidates[*i].preferred == Some(m.0))
        });
        let Some(i) = mine.or_else(|| next_target(&candidates, now, &c.input.hours, 0)) else { return Ok(()) };
        let t = &due[i];
        let phone = s.client_phones(t.client).await?.into_iter().next();
        let number = match phone {
            None => {
                s.close_target(c.id, t.client, NO_NUMBER).await?;
                continue;
            }
            Some(p) if blocked(t.client) || dnc.iter().any(|d| d.number == p) => {
                s.close_target(c.id, t.client, "do_not_call").await?;
                continue;
            }
            Some(p) => p,
        };
        if !s.reserve_target(c.id, t.client).await? {
            continue;
        }
        let caller = s.outbound_number().await?.unwrap_or_default();
        let call = s.start_campaign_call(c.id, &caller, &number, t.client).await?;
        center.dialler.wait(c.id, call);
        if !center.acd.campaign_call(company, call, &number, &queue).await {
            center.dialler.take(c.id, call);
            not_dialled(&s, c.id, call, "the campaign's queue is not there").await;
        }
        return Ok(());
    }
    Ok(())
}

/// A campaign call whose operator the ACD chose: their phone rings, then
/// the client is dialled presenting the company's number, the two talk,
/// recorded. A client not reached is the attempt's result (retried by the
/// campaign's rules); an operator who does not answer hands the call back
/// to the ACD for another.
pub async fn call(center: Center, job: CallbackJob, campaign: i64) {
    let span = tracing::info_span!("campaign_call", campaign, interaction = job.contact.0, staff = job.staff.0);
    place(center, job, campaign).instrument(span).await;
}

async fn place(center: Center, job: CallbackJob, campaign: i64) {
    let (id, staff, company) = (job.contact, job.staff, job.company);
    let (contact, agent) = (task_of(id), agent_of(staff));
    // This call leaves the queue (the next may wait there now), unless it
    // was withdrawn already (the campaign paused as the ACD started it).
    if !center.dialler.take(campaign, id) {
        return;
    }
    center.dialler.nudge();
    let s = center.company(company);
    let (c, i) = match (s.campaign(campaign).await, s.interaction(id).await) {
        (Ok(Some(c)), Ok(Some(i))) => (c, i),
        _ => {
            center.acd.contact(Event::End { contact }).await;
            not_dialled(&s, campaign, id, "the campaign or its call is gone").await;
            return;
        }
    };
    let now = center.local_now(company).await;
    if !dialled(&c) || !may_call(&c.input.hours, c.input.starts_on, c.input.ends_on, now) {
        center.acd.contact(Event::End { contact }).await;
        not_dialled(&s, campaign, id, "outside the campaign's hours, or not running").await;
        return;
    }
    let Some(client) = i.client_id else {
        center.acd.contact(Event::End { contact }).await;
        not_dialled(&s, campaign, id, "no client").await;
        return;
    };
    let target_client = s.client(client).await.ok().flatten();
    let (code, name) =
        target_client.as_ref().map_or((None, String::new()), |t| (Some(t.code.as_str()), t.name.clone()));
    let mut about = about_call(id, &job.number, code, &name);
    if let Some(o) = about.as_object_mut() {
        o.insert("campaign".into(), campaign.into());
    }
    story(&s, id, StoryKind::Offered, Some(staff), &c.input.name).await;
    pop_up(&center, company, staff, "call_offered", &about);
    let recording = recording_path(&center, company, id).await;
    let display = if name.is_empty() { c.input.name.clone() } else { format!("{}: {name}", c.input.name) };
    let caller_id = (!i.caller.is_empty()).then(|| i.caller.clone());
    let mut progress = match crate::callbacks::agent_first(&center, &s, &job, display, &recording, caller_id).await {
        Ok(rx) => rx,
        Err(e) => {
            story(&s, id, StoryKind::Missed, Some(staff), &e).await;
            center.dialler.wait(campaign, id);
            center.acd.contact(Event::Decline { contact, agent }).await;
            return;
        }
    };
    let (mut agent_answered, mut reached) = (false, false);
    while let Some(p) = progress.recv().await {
        match p {
            Progress::AgentAnswered => {
                agent_answered = true;
                if let Err(e) = s.target_to(campaign, client, staff).await {
                    warn!(error = %e, "giving the campaign target to its operator failed");
                }
                story(&s, id, StoryKind::Answered, Some(staff), &c.input.name).await;
                pop_up(&center, company, staff, "call_answered", &about);
                center.acd.contact(Event::Accept { contact, agent }).await;
            }
            Progress::Answered => {
                reached = true;
                if let Err(e) = s.answer_interaction(id, staff, None).await {
                    warn!(error = %e, "marking the campaign call answered failed");
                }
                story(&s, id, StoryKind::Reached, None, &job.number).await;
            }
            Progress::Ended(end, media) => {
                if !agent_answered {
                    // Back to the ACD, for another operator.
                    story(&s, id, StoryKind::Missed, Some(staff), &c.input.name).await;
                    center.dialler.wait(campaign, id);
                    center.acd.contact(Event::Decline { contact, agent }).await;
                    return;
                }
                if media.recorded {
                    link_recording(&center, &s, id, &recording).await;
                }
                let disposition = if reached {
                    Disposition::Answered
                } else {
                    unreached(&center, &s, &c, client, code.unwrap_or_default(), staff, id, &end).await
                };
                if let Err(e) = s.end_interaction(id, disposition).await {
                    warn!(error = %e, "closing the campaign call failed");
                }
                info!(reached, "campaign call ended");
                center.acd.contact(Event::End { contact }).await;
                center.dialler.nudge();
                return;
            }
        }
    }
}

/// The attempt did not reach the client: its result written on the target
/// (retried after the interval, or done after the last attempt), the
/// heads told; the interaction's disposition.
#[allow(clippy::too_many_arguments)]
async fn unreached(
    center: &Center,
    s: &Scoped<'_>,
    c: &Campaign,
    client: ClientId,
    code: &str,
    staff: StaffId,
    id: InteractionId,
    end: &OutboundEnd,
) -> Disposition {
    let (status, failed) = match end {
        OutboundEnd::TargetMissed(code) => (*code, false),
        OutboundEnd::Failed(_) => (None, true),
        _ => (None, false),
    };
    let result = attempt_result(status, failed);
    let why = match (end, status) {
        (OutboundEnd::Failed(e), _) => format!("{result}: {e}"),
        (_, Some(code)) => format!("{result}: {code}"),
        _ => result.to_owned(),
    };
    story(s, id, StoryKind::Unreached, None, &why).await;
    let attempts = s.target_of(c.id, client).await.ok().flatten().map_or(0, |t| t.attempts);
    let now = center.local_now(s.company_id()).await;
    match after_result(&c.input.results, result, attempts + 1, now, c.input.retry, &c.input.hours, None) {
        Ok(after) => {
            if let Err(e) = s.record_outcome(c.id, client, &after, staff, "", None).await {
                warn!(error = %e, "writing the campaign attempt failed");
            }
            if after.state == State::Done {
                info!(result, "campaign target done after its last attempt");
            }
        }
        Err(p) => warn!(problem = p.code(), "a campaign attempt's result did not apply"),
    }
    center.events.publish(crate::bus::Event {
        company: s.company_id(),
        staff: Vec::new(),
        roles: vec![Role::HeadOfSales, Role::HeadOfWholesale, Role::Supervisor, Role::Admin],
        kind: "campaign_outcome",
        data: serde_json::json!({"campaign": c.id, "client": code, "result": result}),
    });
    // Busy or no answer: the client did not take it; anything else failed.
    if result == "failed" {
        Disposition::Failed
    } else {
        Disposition::Abandoned
    }
}

/// The operators' queue's settings among the company's, for campaigns'
/// queues to ring and wrap up alike.
pub fn operators_settings(queues: &[(String, QueueSettings)]) -> QueueSettings {
    queues.iter().find(|(n, _)| n == OPERATORS).map(|(_, q)| q.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use centrala_desk::campaign::{Hours, Kind, Retry};

    fn member(id: i64, username: &str, role: Role, active: bool) -> Staff {
        Staff {
            id: StaffId(id),
            username: username.into(),
            full_name: username.into(),
            role,
            department: None,
            active,
            locale: "bs".into(),
            has_password: true,
            email: String::new(),
        }
    }

    fn campaign(agents: &[&str], queue: Option<&str>) -> CampaignInput {
        CampaignInput {
            kind: Kind::Promotion,
            name: "c".into(),
            script: String::new(),
            results: Vec::new(),
            agents: agents.iter().map(|a| a.to_string()).collect(),
            queue: queue.map(str::to_owned),
            mode: Mode::Progressive,
            starts_on: None,
            ends_on: None,
            due_on: None,
            hours: Hours::default(),
            retry: Retry::default(),
        }
    }

    #[test]
    fn a_campaign_is_worked_by_its_operators_and_its_queues_members() {
        let mut queues = BTreeMap::new();
        queues.insert("finance".to_owned(), StoredQueue { members: vec!["fin.amra".into()], ..StoredQueue::default() });
        let (ana, haris, sup) = (
            member(1, "op.ana", Role::Operator, true),
            member(2, "op.haris", Role::Operator, true),
            member(3, "sup.nina", Role::Supervisor, true),
        );
        let (amra, admin, gone) = (
            member(4, "fin.amra", Role::Finance, true),
            member(5, "admin", Role::Admin, true),
            member(6, "op.old", Role::Operator, false),
        );
        let named = campaign(&["op.ana", "admin", "op.old"], None);
        let works_named: Vec<bool> = [&ana, &haris, &admin, &gone].iter().map(|m| works(&named, &queues, m)).collect();
        assert_eq!(works_named, [true, false, false, false], "named; never an admin or someone inactive");
        let operators = campaign(&[], Some(OPERATORS));
        let works_ops: Vec<bool> =
            [&ana, &haris, &sup, &amra, &gone].iter().map(|m| works(&operators, &queues, m)).collect();
        assert_eq!(works_ops, [true, true, true, false, false], "every operator and supervisor");
        let finance = campaign(&["op.ana"], Some("finance"));
        let works_fin: Vec<bool> = [&ana, &haris, &amra].iter().map(|m| works(&finance, &queues, m)).collect();
        assert_eq!(works_fin, [true, false, true], "the named and the queue's members");
        assert!(!works(&campaign(&[], Some("gone")), &queues, &ana), "a queue that is gone: nobody");
    }
}
