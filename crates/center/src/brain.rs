//! What the telephony asks of the product ([`centrala_sip::Brain`]): which
//! company a dialled number belongs to, who the caller is, the interaction
//! record of every call from its first moment, the routing decision once the
//! menu is done (the same function as `POST /api/v1/routing/decide`), and
//! the SIP accounts of staff phones.

use crate::acd::{agent_of, task_of, Arriving};
use crate::recordings::{new_recording, recording_name};
use crate::transfer::{reachable, transfer_call};
use crate::{desk, settings, Center};
use centrala_acd::Event;
use centrala_call::ivr::Outcome;
use centrala_call::queued::{AcdReport, Coach, ConsultStep};
use centrala_desk::routing::Rule;
use centrala_desk::routing::{RoutingDecision, Target};
use centrala_desk::staffing::Staffing;
use centrala_domain::{normalize_phone, CompanyId, Intent, InteractionId, Role, StaffId};
use centrala_sip::{
    chan, media::MediaStats, Account, Arrival, Brain, CallEnd, Control, Incoming, Refusal, SavedBinding,
};
use centrala_store::interactions::{Direction, Disposition, Routing, RoutingRule, Step, StoryKind};
use tracing::{info, warn};

pub struct CallBrain {
    center: Center,
    /// Per call, the channel its reports are handled through, in order.
    reports: std::sync::Mutex<std::collections::HashMap<InteractionId, chan::Sender<AcdReport>>>,
    /// Inbound calls each company has now (against its cap).
    live: std::sync::Mutex<std::collections::HashMap<CompanyId, u32>>,
    /// Per call in progress, who the caller is, as read when it arrived:
    /// routing and the desks' pop-ups use it rather than reading the
    /// interaction and the client again (issue 17: database round trips
    /// per call). Taken out when the call ends.
    callers: std::sync::Mutex<std::collections::HashMap<InteractionId, Caller>>,
    /// Per call routed, its routing until written: with its answer (by
    /// the call's report task) or its end, whichever takes it first.
    routings: Routings,
}

/// Calls' routings not yet written.
type Routings = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<InteractionId, Routing>>>;

/// Takes a call's routing to write it (`None` once taken).
fn take_routing(routings: &Routings, id: InteractionId) -> Option<Routing> {
    routings.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&id)
}

/// Who called, as known when the call arrived: the client and its open
/// receivables (the debt gate's facts, read with it).
#[derive(Clone)]
struct Caller {
    client: Option<(centrala_store::desk::Client, Vec<centrala_desk::Receivable>)>,
    verified: bool,
}

impl Caller {
    fn client(&self) -> Option<&centrala_store::desk::Client> {
        self.client.as_ref().map(|(c, _)| c)
    }
}

impl CallBrain {
    pub fn new(center: Center) -> CallBrain {
        CallBrain {
            center,
            reports: std::sync::Mutex::new(std::collections::HashMap::new()),
            live: std::sync::Mutex::new(std::collections::HashMap::new()),
            callers: std::sync::Mutex::new(std::collections::HashMap::new()),
            routings: Routings::default(),
        }
    }

    /// Keeps a call's routing until its answer or its end writes it.
    fn hold_routing(&self, id: InteractionId, routing: Routing) {
        self.routings.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(id, routing);
    }

    fn callers(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<InteractionId, Caller>> {
        self.callers.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Who the caller of a call in progress is: as kept at its arrival,
    /// else read from its interaction (`None` if that fails too).
    async fn caller(&self, s: &centrala_store::Scoped<'_>, id: InteractionId) -> Option<Caller> {
        if let Some(c) = self.callers().get(&id) {
            return Some(c.clone());
        }
        read_caller(s, id).await
    }

    /// Takes one of the company's call slots, if it has one free.
    fn take_slot(&self, company: CompanyId) -> bool {
        let cap = self.center.config.max_calls_per_company;
        let mut live = self.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = live.entry(company).or_insert(0);
        if cap > 0 && *n >= cap {
            return false;
        }
        *n += 1;
        true
    }

    fn free_slot(&self, company: CompanyId) {
        let mut live = self.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = live.get_mut(&company) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                live.remove(&company);
            }
        }
    }

    /// Inbound calls the company has now.
    pub fn live_calls(&self, company: CompanyId) -> u32 {
        self.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&company).copied().unwrap_or(0)
    }

    fn phone(&self, raw: &str) -> String {
        normalize_phone(raw, &self.center.config.default_country_code)
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|_| raw.to_owned())
    }

    /// The company of a dialled number; with only one company, every
    /// number is that company's.
    async fn company_of(&self, called: &str) -> Result<Option<CompanyId>, centrala_store::StoreError> {
        self.center.caches.company_for_number(called).await
    }
}

/// Tells a staff member's desk that a call rings for them or was answered
/// by them (`about` names the call and its client; the desk pops the card up).
pub(crate) fn pop_up(
    center: &Center,
    company: CompanyId,
    staff: StaffId,
    kind: &'static str,
    about: &serde_json::Value,
) {
    center.events.publish(crate::bus::Event {
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

impl CallBrain {
    /// The channel a call's reports are handled through, in order (made at
    /// its first report).
    fn reports_of(&self, call: &Arrival) -> chan::Sender<AcdReport> {
        let mut map = self.reports.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(call.interaction)
            .or_insert_with(|| {
                // One task per call handles its reports one after another,
                // so the story is written in the order things happened.
                let (tx, rx) = chan::unbounded();
                let caller = self.callers().get(&call.interaction).cloned();
                let routings = self.routings.clone();
                tokio::spawn(handle_reports(self.center.clone(), call.clone(), caller, routings, rx));
                tx
            })
            .clone()
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
        // A company over its cap is busy: refused before anything is
        // registered or recorded (a flood spread over many addresses stops
        // here, and other companies' calls go on).
        if !self.take_slot(company) {
            info!(
                company = company.0,
                cap = self.center.config.max_calls_per_company,
                "the company's lines are full: 486"
            );
            return Err(Refusal::Busy);
        }
        let s = self.center.store.company(company);
        let client = s.caller_by_phone(&caller).await.ok().flatten();
        let client_id = client.as_ref().map(|(c, _)| c.id);
        let interaction =
            s.start_call(Direction::Inbound, &caller, &called, client_id, call.verified).await.map_err(|e| {
                warn!(error = %e, "registering the call failed");
                self.free_slot(company);
                Refusal::Unavailable
            })?;
        info!(
            interaction = interaction.0,
            company = company.0,
            client = client.as_ref().map(|(c, _)| c.code.as_str()),
            "call arrived"
        );
        let caller_facts = Caller { client, verified: call.verified };
        let key = caller_facts.client().is_some_and(|c| c.client_type == centrala_desk::KEY_CLIENT_TYPE);
        let caller_name = caller_facts.client().map(|c| c.name.clone()).unwrap_or_default();
        self.callers().insert(interaction, caller_facts);
        let now = self.center.local_now(company).await;
        let recording = new_recording(&self.center, company, interaction).await;
        let menu = self.center.caches.ivr(&s, &self.center.problems).await.unwrap_or_else(|e| {
            warn!(error = %e, "reading the company's menu failed; using the default");
            std::sync::Arc::new(settings::CompanyIvr::default_menu())
        });
        let (ivr, lang) = (menu.cfg.clone(), menu.language.clone());
        Ok(Arrival {
            company,
            interaction,
            ivr,
            lang,
            local_time: now,
            recording,
            caller_name,
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
    ) -> Option<chan::Receiver<Control>> {
        let company = call.company;
        let s = self.center.store.company(company);
        let intent = intent_of(outcome);
        let routing = |rule: RoutingRule, reasons: Vec<String>| Routing {
            path: path.to_owned(),
            digits: digits.to_owned(),
            intent,
            rule,
            reasons,
            at: chrono::Utc::now(),
        };
        // The menu named a queue: the call goes there, not by the desk's rules.
        if let Outcome::Queue(queue) = outcome {
            let why = format!("the menu sends the caller to the queue {queue}");
            self.hold_routing(call.interaction, routing(RoutingRule::Queue, vec![why]));
            let (tx, rx) = chan::unbounded();
            let arriving = Arriving {
                queue: Some(queue.clone()),
                story: Some(self.reports_of(call)),
                ..Arriving::new(company, call.interaction, &call.caller, tx)
            };
            return self.center.acd.arrive(arriving).await.then_some(rx);
        }
        let today = self.center.today(company).await;
        let decision = async {
            let caller = self.caller(&s, call.interaction).await.ok_or(crate::CenterError::NotFound("interaction"))?;
            let facts = caller.client.map(|(c, receivables)| desk::facts_of(c, receivables, today));
            let staffing = self.center.caches.staffing(&s).await?;
            let d = desk::route(facts.as_ref(), intent, today, &staffing);
            Ok::<_, crate::CenterError>((d, staffing))
        }
        .await;
        let (chain, staffing) = match decision {
            Ok((d, staffing)) => {
                info!(interaction = call.interaction.0, rule = d.rule.as_str(), "routed");
                let chain = people_for(&d, &staffing, today);
                self.hold_routing(call.interaction, routing(d.rule.into(), d.reasons));
                (chain, Some(staffing))
            }
            Err(e) => {
                warn!(error = %e, "routing decision failed; the call goes to the operators");
                self.hold_routing(call.interaction, routing(Rule::Operators.into(), vec![e.to_string()]));
                (Vec::new(), None)
            }
        };
        let chain = match &staffing {
            Some(staffing) => reachable(&self.center, &s, call.interaction, &chain, staffing).await,
            None => Vec::new(),
        };
        let (tx, rx) = chan::unbounded();
        let arriving = Arriving {
            chain,
            story: Some(self.reports_of(call)),
            ..Arriving::new(company, call.interaction, &call.caller, tx)
        };
        self.center.acd.arrive(arriving).await.then_some(rx)
    }

    fn report(&self, call: &Arrival, report: AcdReport) {
        let last = report.is_last();
        let _ = self.reports_of(call).send(report);
        if last {
            self.reports.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&call.interaction);
        }
    }

    async fn ended(&self, call: &Arrival, end: CallEnd, media: MediaStats) {
        self.free_slot(call.company);
        self.callers().remove(&call.interaction);
        let s = self.center.store.company(call.company);
        let disposition = match end {
            CallEnd::Answered => Disposition::Answered,
            CallEnd::Abandoned => Disposition::Abandoned,
            CallEnd::Overflowed => Disposition::Overflowed,
            CallEnd::Callback => Disposition::Callback,
            CallEnd::Closed => Disposition::Closed,
            CallEnd::Failed => Disposition::Failed,
        };
        let recording = match (media.recorded, &call.recording) {
            (true, Some(p)) => Some(recording_name(&self.center, p)),
            _ => None,
        };
        let routing = take_routing(&self.routings, call.interaction);
        let ended_at = media.ended_at.map(Into::into);
        if let Err(e) =
            s.end_call(call.interaction, disposition, recording.as_deref(), ended_at, routing.as_ref()).await
        {
            warn!(error = %e, "closing the interaction failed");
        }
        info!(
            interaction = call.interaction.0,
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
        let Ok(Some(account)) = self.center.store.sip_account(user).await else { return false };
        let company = CompanyId(account.company_id);
        let s = self.center.store.company(company);
        let Ok(Some(member)) = s.staff(account.staff_id).await else { return false };
        let phone = Some(user.to_owned());
        self.center.acd.set(company, member.id, &member.username, member.role, phone, wanted).await.is_some()
    }

    async fn transfer(&self, call: &Arrival, by: i64, to: &str) -> bool {
        let company = call.company;
        let s = self.center.store.company(company);
        // A SIP username (the phone's own directory) names its staff member.
        let to = match self.center.store.sip_account(to).await {
            Ok(Some(a)) if a.company_id == company.0 => match s.staff(a.staff_id).await {
                Ok(Some(m)) => m.username,
                _ => return false,
            },
            _ => to.to_owned(),
        };
        let Ok(Some(i)) = s.interaction(call.interaction).await else { return false };
        match transfer_call(&self.center, company, &i, StaffId(by), &to).await {
            Ok(ringing) => {
                let who = s.staff(StaffId(by)).await.ok().flatten().map(|m| m.username).unwrap_or_default();
                let _ = s
                    .audit(&who, "transfer", "interaction", &i.id.to_string(), &format!("{to} (from the phone)"))
                    .await;
                info!(interaction = i.id.0, ?ringing, "put through from the phone");
                true
            }
            Err(e) => {
                info!(interaction = i.id.0, %to, error = %e, "a transfer from the phone was refused");
                false
            }
        }
    }

    async fn colleague(&self, from: &str, to: &str) -> Option<i64> {
        let store = &self.center.store;
        let (Ok(Some(caller)), Ok(Some(called))) = (store.sip_account(from).await, store.sip_account(to).await) else {
            return None;
        };
        if caller.company_id != called.company_id {
            return None;
        }
        let member = store.company(CompanyId(called.company_id)).staff(called.staff_id).await.ok().flatten()?;
        member.active.then_some(member.id.0)
    }

    async fn account(&self, username: &str) -> Option<Account> {
        match self.center.store.sip_account(username).await {
            Ok(a) => a.map(|a| Account { ha1: a.ha1, srtp_required: a.srtp_required }),
            Err(e) => {
                warn!(error = %e, "reading a SIP account failed");
                None
            }
        }
    }

    async fn save_bindings(&self, user: &str, live: Vec<SavedBinding>) {
        let rows: Vec<(String, String, i64)> =
            live.into_iter().map(|b| (b.contact, b.source.to_string(), b.expires_unix)).collect();
        if let Err(e) = self.center.store.save_sip_bindings(user, &rows).await {
            warn!(error = %e, user, "keeping the phone's registration failed; it holds until a restart");
        }
    }

    async fn saved_bindings(&self) -> Vec<SavedBinding> {
        let rows = match self.center.store.sip_bindings(chrono::Utc::now().timestamp()).await {
            Ok(r) => r,
            Err(e) => {
                warn!(error = %e, "reading the kept registrations failed; phones ring again when they register");
                return Vec::new();
            }
        };
        rows.into_iter()
            .filter_map(|(user, contact, source, expires_unix, srtp_required)| {
                Some(SavedBinding { user, contact, source: source.parse().ok()?, expires_unix, srtp_required })
            })
            .collect()
    }
}

/// Handles one call's reports in order: its story, the desk pop-ups, the ACD.
/// (It waits the whole call: its largest steps are boxed, so that the
/// waiting holds only the call's few facts; issue 17.)
async fn handle_reports(
    center: Center,
    call: Arrival,
    caller: Option<Caller>,
    routings: Routings,
    mut rx: chan::Receiver<AcdReport>,
) {
    let (company, id) = (call.company, call.interaction);
    let contact = task_of(id);
    let s = center.company(company);
    // What the desks are told of this call, known once: its client's code
    // and whether the caller's number was vouched for.
    let caller = match caller {
        Some(c) => Some(c),
        None => Box::pin(read_caller(&s, id)).await,
    };
    let code = caller.as_ref().and_then(Caller::client).map(|c| c.code.as_str());
    let mut about = about_call(id, &call.caller, code, &call.caller_name);
    if caller.is_some_and(|c| !c.verified) {
        about = about_unverified(about);
    }
    // Steps of the story not yet written: an offer waits for what came of
    // it (answered, missed…), and both are written in one statement.
    let mut held: Vec<Step> = Vec::new();
    loop {
        let Some(report) = rx.recv().await else {
            tell(&s, id, &mut held).await;
            return;
        };
        let agent = |staff: i64| agent_of(StaffId(staff));
        // The story of the call, and the staff member's desk told.
        let (story, event) = match report {
            AcdReport::Digit(d) => {
                Box::pin(center.acd.digit(id, d)).await;
                continue;
            }
            AcdReport::Announced(words) => {
                say(&s, id, &mut held, StoryKind::Announced, None, &words.join(" ")).await;
                continue;
            }
            AcdReport::CallbackPromised => {
                say(&s, id, &mut held, StoryKind::CallbackRequested, None, &call.caller).await;
                continue;
            }
            AcdReport::Overflowed => {
                say(&s, id, &mut held, StoryKind::Overflowed, None, "").await;
                continue;
            }
            AcdReport::Queued { queue, overflowed } => {
                let kind = if overflowed { StoryKind::Overflowed } else { StoryKind::Queued };
                say(&s, id, &mut held, kind, None, &queue).await;
                continue;
            }
            AcdReport::Listening(staff) => {
                say(&s, id, &mut held, StoryKind::Listening, Some(StaffId(staff)), "").await;
                continue;
            }
            // The agent's desk follows its consultation: the colleague
            // answered, did not, was joined by the caller, or left.
            AcdReport::Consult { agent, colleague, step } => {
                let (kind, event) = match step {
                    ConsultStep::Talking => (StoryKind::Consulted, "consult_talking"),
                    ConsultStep::Missed => (StoryKind::ConsultMissed, "consult_missed"),
                    ConsultStep::Conference => (StoryKind::Conference, "conference"),
                    ConsultStep::Ended => (StoryKind::ConsultEnded, "consult_ended"),
                };
                say(&s, id, &mut held, kind, Some(StaffId(colleague)), "").await;
                let name =
                    center.caches.staffing(&s).await.ok().and_then(|st| {
                        st.members.iter().find(|m| m.id == StaffId(colleague)).map(|m| m.full_name.clone())
                    });
                pop_up(
                    &center,
                    company,
                    StaffId(agent),
                    event,
                    &serde_json::json!({ "interaction": id.0, "colleague": name }),
                );
                continue;
            }
            AcdReport::RecordPaused { agent, paused } => {
                let kind = if paused { StoryKind::RecordingPaused } else { StoryKind::RecordingResumed };
                say(&s, id, &mut held, kind, Some(StaffId(agent)), "").await;
                continue;
            }
            AcdReport::Coaching(staff, mode) => {
                let kind = match mode {
                    Coach::Listen => StoryKind::Listening,
                    Coach::Whisper => StoryKind::Whispering,
                    Coach::Barge => StoryKind::BargedIn,
                };
                say(&s, id, &mut held, kind, Some(StaffId(staff)), "").await;
                continue;
            }
            AcdReport::Ringing(staff) => {
                pop_up(&center, company, StaffId(staff), "call_offered", &about);
                held.push(step(StoryKind::Offered, Some(StaffId(staff)), ""));
                continue;
            }
            AcdReport::Accepted(staff) => {
                let routing = take_routing(&routings, id);
                if let Err(e) = s.answer_routed(id, StaffId(staff), routing.as_ref()).await {
                    warn!(error = %e, "marking the call answered failed");
                }
                pop_up(&center, company, StaffId(staff), "call_answered", &about);
                (Some((StoryKind::Answered, staff)), Some(Event::Accept { contact, agent: agent(staff) }))
            }
            AcdReport::Declined(staff) => {
                (Some((StoryKind::Missed, staff)), Some(Event::Decline { contact, agent: agent(staff) }))
            }
            // The agent's phone was lost: the caller holds; after the grace
            // time it goes back to its queue, the agent not ready.
            AcdReport::AgentLost(staff) => (Some((StoryKind::AgentLost, staff)), None),
            AcdReport::AgentBack(staff) => (Some((StoryKind::AgentBack, staff)), None),
            AcdReport::Requeue(staff) => {
                (Some((StoryKind::Requeued, staff)), Some(Event::Lost { contact, agent: agent(staff) }))
            }
            AcdReport::Abandoned => (None, Some(Event::Abandon { contact })),
            AcdReport::Finished => (None, Some(Event::End { contact })),
        };
        // What came of an offer (or the call's end) writes it.
        if let Some((kind, staff)) = story {
            held.push(step(kind, Some(StaffId(staff)), ""));
        }
        tell(&s, id, &mut held).await;
        if let Some(e) = event {
            Box::pin(center.acd.contact(e)).await;
        }
    }
}

/// Who the caller of interaction `id` is, from the store.
async fn read_caller(s: &centrala_store::Scoped<'_>, id: InteractionId) -> Option<Caller> {
    let i = s.interaction(id).await.ok().flatten()?;
    let client = match i.client_id {
        Some(c) => match s.client(c).await.ok().flatten() {
            Some(client) => Some((client, s.open_receivables(c).await.ok()?)),
            None => None,
        },
        None => None,
    };
    Some(Caller { client, verified: i.caller_verified })
}

/// The client of interaction `id`, if it is a known one.
pub(crate) async fn client_of(
    s: &centrala_store::Scoped<'_>,
    id: InteractionId,
) -> Option<centrala_store::desk::Client> {
    let client = s.interaction(id).await.ok().flatten()?.client_id?;
    s.client(client).await.ok().flatten()
}

/// What a desk is told of a call (its pop-up shows the client's card).
pub(crate) fn about_call(
    id: InteractionId,
    caller: &str,
    client: Option<&str>,
    client_name: &str,
) -> serde_json::Value {
    serde_json::json!({ "interaction": id.0, "caller": caller, "client": client, "client_name": client_name })
}

/// The same, for a call whose caller's number no trusted peer vouched for:
/// the desk says so beside the number.
fn about_unverified(mut about: serde_json::Value) -> serde_json::Value {
    if let Some(o) = about.as_object_mut() {
        o.insert("identity".into(), "unverified".into());
    }
    about
}

/// A step of a call's story, now.
fn step(kind: StoryKind, staff: Option<StaffId>, detail: &str) -> Step {
    Step { at: chrono::Utc::now(), kind, staff, detail: detail.to_owned() }
}

/// Writes a step of a call's story with the steps `held` before it.
async fn say(
    s: &centrala_store::Scoped<'_>,
    id: InteractionId,
    held: &mut Vec<Step>,
    kind: StoryKind,
    staff: Option<StaffId>,
    detail: &str,
) {
    held.push(step(kind, staff, detail));
    tell(s, id, held).await;
}

/// Writes the steps `held` (emptied; nothing when empty); a failure is
/// logged, not fatal.
async fn tell(s: &centrala_store::Scoped<'_>, id: InteractionId, held: &mut Vec<Step>) {
    if held.is_empty() {
        return;
    }
    if let Err(e) = s.add_interaction_events(id, held).await {
        let kinds: Vec<&str> = held.iter().map(|h| h.kind.as_str()).collect();
        warn!(error = %e, ?kinds, "recording the call's story failed");
    }
    held.clear();
}

/// One step of a call's story; a failure to write it is logged, not fatal.
pub(crate) async fn story(
    s: &centrala_store::Scoped<'_>,
    id: InteractionId,
    kind: StoryKind,
    staff: Option<StaffId>,
    detail: &str,
) {
    if let Err(e) = s.add_interaction_event(id, kind, staff, detail).await {
        warn!(error = %e, kind = kind.as_str(), "recording the call's story failed");
    }
}
