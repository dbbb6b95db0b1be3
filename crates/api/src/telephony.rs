//! What the telephony asks of the product ([`centrala_sip::Brain`]): which
//! company a dialled number belongs to, who the caller is, the interaction
//! record of every call from its first moment, the routing decision once the
//! menu is done (the same function as `POST /api/v1/routing/decide`), and
//! the SIP accounts of staff phones.

use crate::acd::CallbackJob;
use crate::acd::Person;
use crate::{desk, AppState};
use centrala_acd::{AgentId, ContactId, Event};
use centrala_call::ivr::Outcome;
use centrala_call::queued::AcdReport;
use centrala_desk::routing::Intent;
use centrala_desk::routing::{RoutingDecision, Target};
use centrala_desk::staffing::Staffing;
use centrala_domain::{normalize_phone, CompanyId};
use centrala_domain::{Role, StaffId};
use centrala_sip::dial::{ClickToCall, OutboundEnd, Progress};
use centrala_sip::{media::MediaStats, Account, Arrival, Brain, CallEnd, Control, Incoming, Refusal};
use centrala_store::interactions::{Direction, Disposition};
use tokio::sync::mpsc;
use tracing::{info, warn, Instrument};

/// Where the recording of interaction `id` goes:
/// `<recordings>/<company>/<day>/<id>.wav`.
pub fn recording_path(state: &AppState, company: CompanyId, id: i64) -> std::path::PathBuf {
    let day = chrono::Local::now().format("%Y-%m-%d").to_string();
    state.config.recordings.join(company.0.to_string()).join(day).join(format!("{id}.wav"))
}

/// Links a finished recording to its interaction, stored relative to the
/// recordings folder (the download route resolves it there).
pub async fn link_recording(state: &AppState, s: &centrala_store::Scoped<'_>, id: i64, path: &std::path::Path) {
    let rel = path.strip_prefix(&state.config.recordings).unwrap_or(path);
    if let Err(e) = s.record_interaction(id, &rel.to_string_lossy()).await {
        warn!(error = %e, "linking the recording failed");
    }
}

/// Whether `user`'s phone is registered now (never, without telephony).
pub fn is_registered(state: &AppState, user: &str) -> bool {
    state.dialer.get().is_some_and(|d| !d.registered(user).is_empty())
}

pub struct CallBrain {
    state: AppState,
    /// Per call, the channel its reports are handled through, in order.
    reports: std::sync::Mutex<std::collections::HashMap<i64, mpsc::UnboundedSender<AcdReport>>>,
}

impl CallBrain {
    pub fn new(state: AppState) -> CallBrain {
        CallBrain { state, reports: std::sync::Mutex::new(std::collections::HashMap::new()) }
    }

    fn phone(&self, raw: &str) -> String {
        normalize_phone(raw, &self.state.config.default_country_code)
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|_| raw.to_owned())
    }

    /// The company of a dialled number; with only one company, every
    /// number is that company's.
    async fn company_of(&self, called: &str) -> Result<Option<CompanyId>, centrala_store::StoreError> {
        if let Some((id, _purpose)) = self.state.store.company_for_number(called).await? {
            return Ok(Some(id));
        }
        let all = self.state.store.companies().await?;
        Ok(match all.as_slice() {
            [only] => Some(only.id),
            _ => None,
        })
    }
}

/// The people of `ids` who can take a call now (present, active, with a
/// registered phone), in order. Those who cannot are written into the
/// interaction's story as skipped. (Operators are not looked at here: their
/// phones reach the ACD with their state, so a call costs the same however
/// many agents there are.)
pub async fn reachable(
    state: &AppState,
    s: &centrala_store::Scoped<'_>,
    interaction: i64,
    ids: &[StaffId],
    staffing: &Staffing,
) -> Vec<Person> {
    let mut chain = Vec::new();
    for id in ids {
        let Some(m) = staffing.members.iter().find(|m| m.id == *id && m.active) else { continue };
        let sip = s.sip_username(*id).await.ok().flatten().filter(|u| is_registered(state, u));
        match sip {
            Some(sip) => chain.push(Person { staff: *id, name: m.full_name.clone(), role: m.role, sip: Some(sip) }),
            None => {
                let _ = s.add_interaction_event(interaction, "skipped", Some(*id), "no phone registered").await;
            }
        }
    }
    chain
}

/// Tells a staff member's desk that a call rings for them or was answered
/// by them (`about` names the call and its client; the desk pops the card up).
fn pop_up(state: &AppState, company: CompanyId, staff: StaffId, kind: &'static str, about: &serde_json::Value) {
    state.events.publish(crate::events::Event {
        company,
        staff: vec![staff],
        roles: Vec::new(),
        kind,
        data: about.clone(),
    });
}

/// The people a decision names, in the order to ring them: the target,
/// then the fallbacks (a key client's chain). Operators are reached through
/// their queue, which follows every chain.
fn people_for(d: &RoutingDecision, staffing: &Staffing, today: chrono::NaiveDate) -> Vec<StaffId> {
    let mut out: Vec<StaffId> = Vec::new();
    for t in std::iter::once(&d.target).chain(d.fallback.iter()) {
        match t {
            Target::Operators => {}
            Target::Staff { id, .. } => out.push(*id),
            Target::DepartmentHeads { heads, .. } => out.extend(heads.iter().map(|(id, _)| *id)),
            Target::Finance { .. } => {
                out.extend(staffing.present_with_role(Role::Finance, today).into_iter().map(|m| m.id));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|id| seen.insert(*id));
    out
}

fn intent_of(outcome: &Outcome) -> Intent {
    match outcome {
        Outcome::Intent(i) => *i,
        // A named queue or a closed line: recorded as "other".
        Outcome::Queue(_) | Outcome::Closed(_) => Intent::Other,
    }
}

impl Brain for CallBrain {
    async fn arrive(&self, call: Incoming) -> Result<Arrival, Refusal> {
        let called = self.phone(&call.called);
        let caller = self.phone(&call.caller);
        let company = match self.company_of(&called).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                info!(%called, "no company takes calls on this number");
                return Err(Refusal::NotHere);
            }
            Err(e) => {
                warn!(error = %e, "looking up the called number failed");
                return Err(Refusal::Unavailable);
            }
        };
        let s = self.state.store.company(company);
        let client = s.client_by_phone(&caller).await.ok().flatten();
        let interaction = s
            .start_interaction(Direction::Inbound, &caller, &called, client.as_ref().map(|c| c.id))
            .await
            .map_err(|e| {
                warn!(error = %e, "registering the call failed");
                Refusal::Unavailable
            })?;
        info!(interaction, company = company.0, client = client.as_ref().map(|c| c.code.as_str()), "call arrived");
        let now = chrono::Local::now();
        let recording = recording_path(&self.state, company, interaction);
        let menu = crate::routes::ivr::company_ivr(&s).await.unwrap_or_else(|e| {
            warn!(error = ?e, "reading the company's menu failed; using the default");
            crate::routes::ivr::CompanyIvr::default_menu()
        });
        let key = client.as_ref().is_some_and(|c| c.client_type == centrala_desk::KEY_CLIENT_TYPE);
        let (ivr, lang) = (menu.cfg, menu.language);
        Ok(Arrival {
            company: company.0,
            interaction,
            ivr,
            lang,
            local_time: now.naive_local(),
            recording: Some(recording),
            caller_name: client.map(|c| c.name).unwrap_or_default(),
            caller,
            skip_menu: key && menu.key_clients_skip_menu,
        })
    }

    async fn routed(
        &self,
        call: &Arrival,
        path: &str,
        digits: &str,
        outcome: &Outcome,
    ) -> Option<mpsc::UnboundedReceiver<Control>> {
        let s = self.state.store.company(CompanyId(call.company));
        let company = CompanyId(call.company);
        let intent = intent_of(outcome);
        // The menu named a queue: the call goes there, not by the desk's rules.
        if let Outcome::Queue(queue) = outcome {
            let why = format!("the menu sends the caller to the queue {queue}");
            if let Err(e) = s.route_interaction(call.interaction, path, digits, intent.as_str(), "queue", &[why]).await
            {
                warn!(error = %e, "recording the routing on the interaction failed");
            }
            let (tx, rx) = mpsc::unbounded_channel();
            let queue = Some(queue.clone());
            return self
                .state
                .acd
                .arrive(company, call.interaction, &call.caller, Vec::new(), queue, tx)
                .await
                .then_some(rx);
        }
        let today = self.state.clock.today();
        let decision = async {
            let i = s.interaction(call.interaction).await?.ok_or(centrala_store::StoreError::NotFound)?;
            let facts = match i.client_id {
                Some(id) => match s.client(centrala_domain::ClientId(id)).await? {
                    Some(c) => Some(
                        desk::client_facts(&s, c, today)
                            .await
                            .map_err(|e| centrala_store::StoreError::Invalid(format!("client facts: {e:?}")))?,
                    ),
                    None => None,
                },
                None => None,
            };
            let staffing = self
                .state
                .caches
                .staffing(&s)
                .await
                .map_err(|e| centrala_store::StoreError::Invalid(format!("staffing: {e:?}")))?;
            let d = desk::route(facts.as_ref(), intent, today, &staffing);
            Ok::<_, centrala_store::StoreError>((d, staffing))
        }
        .await;
        let (result, chain, staffing) = match decision {
            Ok((d, staffing)) => {
                info!(interaction = call.interaction, rule = d.rule.as_str(), "routed");
                let chain = people_for(&d, &staffing, today);
                let r = s
                    .route_interaction(call.interaction, path, digits, intent.as_str(), d.rule.as_str(), &d.reasons)
                    .await;
                (r, chain, Some(staffing))
            }
            Err(e) => {
                warn!(error = %e, "routing decision failed; the call goes to the operators");
                let r = s
                    .route_interaction(call.interaction, path, digits, intent.as_str(), "operators", &[e.to_string()])
                    .await;
                (r, Vec::new(), None)
            }
        };
        if let Err(e) = result {
            warn!(error = %e, "recording the routing on the interaction failed");
        }
        let chain = match &staffing {
            Some(staffing) => reachable(&self.state, &s, call.interaction, &chain, staffing).await,
            None => Vec::new(),
        };
        let (tx, rx) = mpsc::unbounded_channel();
        self.state.acd.arrive(company, call.interaction, &call.caller, chain, None, tx).await.then_some(rx)
    }

    fn report(&self, call: &Arrival, report: AcdReport) {
        let last = report.is_last();
        let mut map = self.reports.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let tx = map.entry(call.interaction).or_insert_with(|| {
            // One task per call handles its reports one after another, so
            // the story is written in the order things happened.
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(handle_reports(self.state.clone(), call.clone(), rx));
            tx
        });
        let _ = tx.send(report);
        if last {
            map.remove(&call.interaction);
        }
    }

    async fn ended(&self, call: &Arrival, end: CallEnd, media: MediaStats) {
        let s = self.state.store.company(CompanyId(call.company));
        let disposition = match end {
            CallEnd::Answered => Disposition::Answered,
            CallEnd::Abandoned => Disposition::Abandoned,
            CallEnd::Overflowed => Disposition::Overflowed,
            CallEnd::Callback => Disposition::Callback,
            CallEnd::Closed => Disposition::Closed,
            CallEnd::Failed => Disposition::Failed,
        };
        if let (true, Some(p)) = (media.recorded, &call.recording) {
            link_recording(&self.state, &s, call.interaction, p).await;
        }
        if let Err(e) = s.end_interaction(call.interaction, disposition).await {
            warn!(error = %e, "closing the interaction failed");
        }
        info!(
            interaction = call.interaction,
            disposition = disposition.as_str(),
            rtp_in = media.packets_in,
            rtp_out = media.packets_out,
            ms = media.duration_ms,
            "call ended"
        );
    }

    async fn feature(&self, user: &str, code: &str) -> bool {
        let wanted = match code {
            "*1" => crate::acd::Wanted::Ready,
            "*2" => crate::acd::Wanted::NotReady("phone".into()),
            "*3" => crate::acd::Wanted::Offline,
            _ => return false,
        };
        let Ok(Some(account)) = self.state.store.sip_account(user).await else { return false };
        let company = CompanyId(account.company_id);
        let s = self.state.store.company(company);
        let Ok(Some(member)) = s.staff(StaffId(account.staff_id)).await else { return false };
        let phone = Some(user.to_owned());
        self.state.acd.set(company, member.id, &member.username, member.role, phone, wanted).await.is_some()
    }

    async fn transfer(&self, call: &Arrival, by: i64, to: &str) -> bool {
        let company = CompanyId(call.company);
        let s = self.state.store.company(company);
        // A SIP username (the phone's own directory) names its staff member.
        let to = match self.state.store.sip_account(to).await {
            Ok(Some(a)) if a.company_id == company.0 => match s.staff(StaffId(a.staff_id)).await {
                Ok(Some(m)) => m.username,
                _ => return false,
            },
            _ => to.to_owned(),
        };
        let Ok(Some(i)) = s.interaction(call.interaction).await else { return false };
        match crate::routes::calls::transfer_call(&self.state, company, &i, StaffId(by), &to).await {
            Ok(ringing) => {
                let who = s.staff(StaffId(by)).await.ok().flatten().map(|m| m.username).unwrap_or_default();
                let _ = s
                    .audit(&who, "transfer", "interaction", &i.id.to_string(), &format!("{to} (from the phone)"))
                    .await;
                info!(interaction = i.id, ?ringing, "put through from the phone");
                true
            }
            Err(e) => {
                info!(interaction = i.id, %to, error = ?e, "a transfer from the phone was refused");
                false
            }
        }
    }

    async fn account(&self, username: &str) -> Option<Account> {
        match self.state.store.sip_account(username).await {
            Ok(a) => a.map(|a| Account { ha1: a.ha1 }),
            Err(e) => {
                warn!(error = %e, "reading a SIP account failed");
                None
            }
        }
    }
}

/// Deletes the recordings older than each company's retention, leaving an
/// audit entry for each (run hourly by the binary; `now` is an argument so
/// that tests can move time). Returns how many were deleted.
pub async fn sweep_recordings(state: &AppState, now: chrono::DateTime<chrono::Utc>) -> usize {
    let mut deleted = 0;
    let companies = match state.store.companies().await {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "recording retention: cannot list companies");
            return 0;
        }
    };
    for c in companies {
        let s = state.store.company(c.id);
        let days = match s.recording_retention().await {
            Ok(d) if d > 0 => d,
            Ok(_) => continue,
            Err(e) => {
                warn!(error = %e, company = c.id.0, "recording retention: cannot read the setting");
                continue;
            }
        };
        let cutoff = (now - chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let old = match s.recordings_before(&cutoff).await {
            Ok(o) => o,
            Err(e) => {
                warn!(error = %e, "recording retention: cannot list old recordings");
                continue;
            }
        };
        for (id, rel) in old {
            let path = state.config.recordings.join(&rel);
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    warn!(error = %e, path = %path.display(), "recording retention: cannot delete");
                    continue;
                }
            }
            if s.clear_recording(id).await.is_ok() {
                deleted += 1;
                let _ = s
                    .audit("retention", "delete", "recording", &id.to_string(), &format!("older than {days} days"))
                    .await;
            }
        }
    }
    if deleted > 0 {
        info!(deleted, "old recordings deleted by the retention rules");
    }
    deleted
}

/// Handles one call's reports in order: its story, the desk pop-ups, the ACD.
async fn handle_reports(state: AppState, call: Arrival, mut rx: mpsc::UnboundedReceiver<AcdReport>) {
    let (company, id) = (CompanyId(call.company), call.interaction);
    let contact = ContactId(u64::try_from(id).unwrap_or(0));
    let s = state.store.company(company);
    // What the desks are told of this call, looked up once.
    let code = client_of(&s, id).await.map(|c| c.code);
    let about = about_call(id, &call.caller, code.as_deref(), &call.caller_name);
    while let Some(report) = rx.recv().await {
        let agent = |staff: i64| AgentId(u64::try_from(staff).unwrap_or(0));
        // The story of the call, and the staff member's desk told.
        let (story, event) = match report {
            AcdReport::Digit(d) => {
                state.acd.digit(id, d).await;
                continue;
            }
            AcdReport::Announced(words) => {
                story(&s, id, "announced", None, &words.join(" ")).await;
                continue;
            }
            AcdReport::CallbackPromised => {
                story(&s, id, "callback_requested", None, &call.caller).await;
                continue;
            }
            AcdReport::Overflowed => {
                story(&s, id, "overflowed", None, "").await;
                continue;
            }
            AcdReport::Queued { queue, overflowed } => {
                story(&s, id, if overflowed { "overflowed" } else { "queued" }, None, &queue).await;
                continue;
            }
            AcdReport::Listening(staff) => {
                story(&s, id, "listening", Some(StaffId(staff)), "").await;
                continue;
            }
            AcdReport::Ringing(staff) => {
                pop_up(&state, company, StaffId(staff), "call_offered", &about);
                (Some(("offered", staff)), None)
            }
            AcdReport::Accepted(staff) => {
                if let Err(e) = s.answer_interaction(id, StaffId(staff), None).await {
                    warn!(error = %e, "marking the call answered failed");
                }
                pop_up(&state, company, StaffId(staff), "call_answered", &about);
                (Some(("answered", staff)), Some(Event::Accept { contact, agent: agent(staff) }))
            }
            AcdReport::Declined(staff) => {
                (Some(("missed", staff)), Some(Event::Decline { contact, agent: agent(staff) }))
            }
            AcdReport::Abandoned => (None, Some(Event::Abandon { contact })),
            AcdReport::Finished => (None, Some(Event::End { contact })),
        };
        if let Some((kind, staff)) = story {
            self::story(&s, id, kind, Some(StaffId(staff)), "").await;
        }
        if let Some(e) = event {
            state.acd.contact(e).await;
        }
    }
}

/// The client of interaction `id`, if it is a known one.
async fn client_of(s: &centrala_store::Scoped<'_>, id: i64) -> Option<centrala_store::desk::Client> {
    let client = s.interaction(id).await.ok().flatten()?.client_id?;
    s.client(centrala_domain::ClientId(client)).await.ok().flatten()
}

/// What a desk is told of a call (its pop-up shows the client's card).
fn about_call(id: i64, caller: &str, client: Option<&str>, client_name: &str) -> serde_json::Value {
    serde_json::json!({ "interaction": id, "caller": caller, "client": client, "client_name": client_name })
}

/// One step of a call's story; a failure to write it is logged, not fatal.
async fn story(s: &centrala_store::Scoped<'_>, id: i64, kind: &str, staff: Option<StaffId>, detail: &str) {
    if let Err(e) = s.add_interaction_event(id, kind, staff, detail).await {
        warn!(error = %e, kind, "recording the call's story failed");
    }
}

/// How far back a promised callback is still made after a restart.
const RESTORE_CALLBACKS_DAYS: u64 = 7;

/// Callbacks promised before a restart (the company's interactions still
/// `callback` from the last week) join again, oldest first, the queue
/// their story last names: the ACD's queues live in memory, the promise in
/// the database.
pub async fn restore_callbacks(state: &AppState, company: CompanyId) {
    let s = state.store.company(company);
    let f = centrala_store::interactions::InteractionFilter {
        disposition: Some(Disposition::Callback),
        from: Some((state.clock.today() - chrono::Days::new(RESTORE_CALLBACKS_DAYS)).to_string()),
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
            .find(|e| (e.kind == "queued" || e.kind == "overflowed") && !e.detail.is_empty())
            .map_or(crate::acd::OPERATORS, |e| e.detail.as_str());
        story(&s, i.id, "callback_restored", None, &format!("after a restart, into {queue}")).await;
        state.acd.callback_again(company, i.id, &i.caller, queue, 1).await;
    }
}

/// Carries out the callbacks whose turn the ACD says has come, each in its
/// own task.
pub async fn run_callbacks(state: AppState, mut jobs: mpsc::UnboundedReceiver<CallbackJob>) {
    while let Some(job) = jobs.recv().await {
        let span = tracing::info_span!("callback", interaction = job.contact, staff = job.staff.0);
        tokio::spawn(callback(state.clone(), job).instrument(span));
    }
}

/// A callback: the agent's phone rings first (their desk pops the card up);
/// when they answer, the client's number is dialled and the two talk,
/// recorded. The ACD hears accept, decline or end as for any call; the
/// interaction that asked for it keeps the whole story.
async fn callback(state: AppState, job: CallbackJob) {
    let (id, staff) = (job.contact, job.staff);
    let contact = ContactId(u64::try_from(id).unwrap_or(0));
    let agent = AgentId(u64::try_from(staff.0).unwrap_or(0));
    let s = state.store.company(job.company);
    let client = client_of(&s, id).await;
    let name = client.as_ref().map(|c| c.name.clone()).unwrap_or_default();
    let about = about_call(id, &job.number, client.as_ref().map(|c| c.code.as_str()), &name);
    story(&s, id, "offered", Some(staff), "callback").await;
    pop_up(&state, job.company, staff, "call_offered", &about);
    let file = match job.attempt {
        1 => format!("{id}-callback.wav"),
        n => format!("{id}-callback-{n}.wav"),
    };
    let recording = recording_path(&state, job.company, id).with_file_name(file);
    // Their phone: as the ACD last heard, else as stored.
    let user = match job.user.clone() {
        Some(u) => Some(u),
        None => s.sip_accounts().await.ok().and_then(|a| a.into_iter().find(|(st, _)| *st == staff)).map(|(_, u)| u),
    };
    let dialled = match (state.dialer.get(), user) {
        (Some(d), Some(user)) => d
            .click_to_call(ClickToCall {
                agent: user,
                target: job.number.clone(),
                display: format!("Callback {}", if name.is_empty() { &job.number } else { &name }),
                ring_timeout: job.ring,
                recording: Some(recording.clone()),
            })
            .map_err(|e| e.to_string()),
        (None, _) => Err("no telephony".to_owned()),
        (_, None) => Err("no phone".to_owned()),
    };
    let mut progress = match dialled {
        Ok(rx) => rx,
        Err(e) => {
            story(&s, id, "missed", Some(staff), &e).await;
            state.acd.contact(Event::Decline { contact, agent }).await;
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
                story(&s, id, "answered", Some(staff), "callback").await;
                pop_up(&state, job.company, staff, "call_answered", &about);
                state.acd.contact(Event::Accept { contact, agent }).await;
            }
            Progress::Answered => {
                reached = true;
                story(&s, id, "callback_reached", None, &job.number).await;
            }
            Progress::Ended(end, media) => {
                if !agent_answered {
                    story(&s, id, "missed", Some(staff), "callback").await;
                    state.acd.contact(Event::Decline { contact, agent }).await;
                    return;
                }
                if media.recorded {
                    link_recording(&state, &s, id, &recording).await;
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
                        story(&s, id, "callback_retry", None, &next).await;
                        info!(attempt = job.attempt, "callback not reached; it will try again");
                        state.acd.contact(Event::End { contact }).await;
                        tokio::time::sleep(job.retry).await;
                        state
                            .acd
                            .callback_again(job.company, job.contact, &job.number, &job.queue, job.attempt + 1)
                            .await;
                        return;
                    }
                    story(&s, id, "callback_unreached", None, &why).await;
                }
                let disposition = if reached { Disposition::Answered } else { Disposition::Failed };
                if let Err(e) = s.end_interaction(id, disposition).await {
                    warn!(error = %e, "closing the callback's interaction failed");
                }
                info!(reached, "callback ended");
                state.acd.contact(Event::End { contact }).await;
                return;
            }
        }
    }
}
