//! The ACD's driver inside the server: one task owns the pure engine
//! (`centrala-acd`), fed by one channel, so events reach it in order; it
//! wakes at the engine's `next_timeout()`. Agents' states come from the
//! desk (and later from phones); queue statistics and agent states go to
//! the wallboard, and every state change is pushed on the event stream.
//!
//! Each company has an operator queue (engine id = company id) with the
//! company's queue settings; staff are engine agents under their staff id.
//! Waiting callers hear their position and estimated wait at the settings'
//! period (the driver keeps those timers beside the engine's), and may ask
//! to be called back; a callback's turn becomes a [`CallbackJob`] for the
//! product to dial (agent first, then the client).

use crate::events::{Bus, Event as BusEvent};
use centrala_acd::{
    Acd, AgentConfig, AgentId, AgentState, Channel, Command, ContactId, Event, Instant, Overflow, QueueConfig, QueueId,
    QueueStats, Step,
};
use centrala_domain::{CompanyId, Role, StaffId};
use centrala_sip::Control;
use std::{
    cmp::Reverse,
    collections::{BinaryHeap, HashMap, HashSet},
    sync::Arc,
    time::Duration,
};
use tokio::sync::{mpsc, oneshot};

/// What the desk asks an agent to become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    Ready,
    NotReady(String),
    Offline,
    WrapUpDone,
}

/// An agent as the wallboard shows it.
#[derive(Debug, Clone)]
pub struct AgentView {
    pub staff: StaffId,
    pub state: AgentState,
    pub in_state: Duration,
    pub handled_today: u32,
}

/// Someone a routed call may ring.
#[derive(Debug, Clone)]
pub struct Person {
    pub staff: StaffId,
    pub name: String,
    pub role: Role,
    /// Their phone's SIP username, if they have one.
    pub sip: Option<String>,
}

/// How long a call waits for each named person before the next.
pub const DIRECT_WAIT: Duration = Duration::from_secs(20);

/// When a waiting caller hears its position first (after "please wait").
pub const FIRST_ANNOUNCEMENT: Duration = Duration::from_secs(5);

/// A company's queue settings, as the ACD applies them.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSettings {
    /// How long an agent's phone rings before the next agent's.
    pub ring_timeout: Duration,
    /// After a call, before the agent gets the next.
    pub wrap_up: Duration,
    /// The longest a caller waits, and where it goes then (a message, or a
    /// callback keeping its place).
    pub max_wait: Option<(Duration, Overflow)>,
    /// How often a waiting caller hears its position and estimated wait.
    pub announce_every: Option<Duration>,
    /// Whether waiting callers are offered "press 1 to be called back".
    pub callback_offer: bool,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            ring_timeout: Duration::from_secs(15),
            wrap_up: Duration::ZERO,
            max_wait: None,
            announce_every: Some(Duration::from_secs(60)),
            callback_offer: true,
        }
    }
}

/// A callback's turn has come: ring the agent's phone (`user`, when the
/// ACD knows it), then dial `number`, for interaction `contact`.
#[derive(Debug, Clone)]
pub struct CallbackJob {
    pub company: CompanyId,
    pub contact: i64,
    pub staff: StaffId,
    pub user: Option<String>,
    pub number: String,
    /// How long the agent's phone may ring (a little under the queue's ring
    /// timeout, so the dialler gives up before the ACD moves on).
    pub ring: Duration,
}

enum Request {
    Set {
        company: CompanyId,
        staff: StaffId,
        name: String,
        role: Role,
        /// Their phone's SIP username, as stored now.
        phone: Option<String>,
        wanted: Wanted,
        reply: oneshot::Sender<AgentState>,
    },
    /// A call routed to these people in turn (empty: straight to the
    /// operators), then the operator queue.
    Arrive {
        company: CompanyId,
        contact: ContactId,
        caller: String,
        chain: Vec<Person>,
        control: mpsc::UnboundedSender<Control>,
    },
    /// The company's queue settings (from the store, or just changed).
    Configure {
        company: CompanyId,
        settings: QueueSettings,
    },
    /// Someone listens in on a call being talked.
    Listen {
        contact: ContactId,
        staff: StaffId,
        user: String,
        reply: oneshot::Sender<bool>,
    },
    /// A waiting caller pressed a key.
    Digit {
        contact: ContactId,
        digit: char,
    },
    /// Accept, Decline, End, Abandon of a call.
    Contact(Event),
    /// A blind transfer of a call being talked: its agent is done, it
    /// rings `chain` in turn, then the operators.
    Transfer {
        company: CompanyId,
        contact: ContactId,
        chain: Vec<Person>,
        reply: oneshot::Sender<bool>,
    },
    State {
        staff: StaffId,
        reply: oneshot::Sender<Option<(AgentState, Duration)>>,
    },
    Stats {
        company: CompanyId,
        reply: oneshot::Sender<(QueueStats, Vec<AgentView>)>,
    },
}

/// A handle on the ACD task; cheap to clone.
#[derive(Clone)]
pub struct AcdService {
    tx: mpsc::Sender<Request>,
}

/// Roles that take contacts and so are agents.
pub fn is_agent(role: Role) -> bool {
    !matches!(role, Role::Admin)
}

fn queue_of(company: CompanyId) -> QueueId {
    QueueId(u32::try_from(company.0).unwrap_or(u32::MAX))
}

/// The skill that ties agents to their company's queues: one engine serves
/// every company, and a contact of one company is never offered to
/// another's agent (CC-12). Skills from 0x8000 up are company skills.
fn company_skill(company: CompanyId) -> centrala_acd::Skill {
    centrala_acd::Skill(0x8000 | (u16::try_from(company.0 & 0x7FFF).unwrap_or(0)))
}

struct Driver {
    acd: Acd,
    start: tokio::time::Instant,
    companies: HashSet<CompanyId>,
    agents: HashMap<StaffId, CompanyId>,
    bus: Arc<Bus>,
    /// Calls waiting or talking: where their orders go.
    calls: HashMap<ContactId, mpsc::UnboundedSender<Control>>,
    /// The company of each call in the ACD.
    call_company: HashMap<ContactId, CompanyId>,
    /// Staff phones' SIP usernames, as last told (with an agent's state,
    /// or with a call's chain).
    sip: HashMap<StaffId, String>,
    /// The caller's number of each contact (for its callback).
    callers: HashMap<ContactId, String>,
    settings: HashMap<CompanyId, QueueSettings>,
    /// When each waiting caller hears its position next (stale entries, of
    /// calls no longer waiting, are dropped when they come up).
    announcements: BinaryHeap<Reverse<(tokio::time::Instant, ContactId)>>,
    jobs: mpsc::UnboundedSender<CallbackJob>,
}

fn agent_of(staff: StaffId) -> AgentId {
    AgentId(u64::try_from(staff.0).unwrap_or(0))
}

fn staff_of(agent: AgentId) -> StaffId {
    StaffId(i64::try_from(agent.0).unwrap_or(i64::MAX))
}

impl Driver {
    fn now(&self) -> Instant {
        Instant(u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    fn handle(&mut self, e: Event) {
        let mut todo = std::collections::VecDeque::from([e]);
        while let Some(e) = todo.pop_front() {
            let now = self.now();
            for cmd in self.acd.handle(now, e) {
                self.command(cmd, &mut todo);
            }
        }
    }

    /// Carries out one of the engine's commands; events it causes go to `todo`.
    fn command(&mut self, cmd: Command, todo: &mut std::collections::VecDeque<Event>) {
        match cmd {
            Command::Offer { contact, agent } => {
                let staff = staff_of(agent);
                match (self.calls.get(&contact), self.sip.get(&staff)) {
                    (Some(call), Some(user)) => {
                        let _ = call.send(Control::Ring { staff: staff.0, user: user.clone() });
                    }
                    // No phone to ring: as if they declined.
                    _ => todo.push_back(Event::Decline { contact, agent }),
                }
            }
            Command::Retract { contact, agent } => {
                if let Some(call) = self.calls.get(&contact) {
                    let _ = call.send(Control::StopRinging { staff: staff_of(agent).0 });
                }
            }
            Command::Overflowed { contact, to, .. } => match to {
                Overflow::Queue(_) => {}
                // It keeps its place, to be called back; the caller is let go.
                Overflow::Callback => {
                    if let Some(call) = self.calls.remove(&contact) {
                        let _ = call.send(Control::Callback);
                    }
                }
                Overflow::Message => {
                    if let Some(call) = self.calls.remove(&contact) {
                        let _ = call.send(Control::Overflow(Some("busy-later".to_owned())));
                    }
                    self.forget(contact);
                }
            },
            Command::StartCallback { contact, agent } => {
                let staff = staff_of(agent);
                let job = match (self.call_company.get(&contact), self.callers.get(&contact)) {
                    (Some(company), Some(number)) => Some(CallbackJob {
                        company: *company,
                        contact: i64::try_from(contact.0).unwrap_or(i64::MAX),
                        staff,
                        user: self.sip.get(&staff).cloned(),
                        number: number.clone(),
                        ring: self.settings_of(*company).ring_timeout.saturating_sub(Duration::from_secs(1)),
                    }),
                    _ => None,
                };
                // Nobody to dial it: as if declined.
                if job.is_none_or(|job| self.jobs.send(job).is_err()) {
                    todo.push_back(Event::Decline { contact, agent });
                }
            }
            Command::AgentState { agent, state } => {
                let staff = StaffId(i64::try_from(agent.0).unwrap_or(i64::MAX));
                if let Some(company) = self.agents.get(&staff) {
                    self.bus.publish(BusEvent {
                        company: *company,
                        staff: vec![staff],
                        roles: vec![Role::Supervisor, Role::Admin, Role::HeadOfSales, Role::HeadOfWholesale],
                        kind: "agent_state",
                        data: serde_json::json!({ "staff": staff.0, "state": state.as_str(), "reason": reason(&state) }),
                    });
                }
            }
            Command::Redirected { .. } => {}
        }
    }

    fn settings_of(&self, company: CompanyId) -> QueueSettings {
        self.settings.get(&company).cloned().unwrap_or_default()
    }

    /// The engine's configuration of the company's operator queue.
    fn queue_config(&self, company: CompanyId) -> QueueConfig {
        let s = self.settings_of(company);
        QueueConfig {
            skills: vec![(company_skill(company), 1)],
            ring_timeout: s.ring_timeout,
            wrap_up: s.wrap_up,
            max_wait: s.max_wait,
            ..QueueConfig::new(queue_of(company), "operators")
        }
    }

    /// Makes sure the company's operator queue exists, with its settings.
    fn ensure_queue(&mut self, company: CompanyId) {
        if self.companies.insert(company) {
            let q = self.queue_config(company);
            self.handle(Event::UpdateQueue(q));
        }
    }

    /// A contact that left the ACD: nothing of it is kept.
    fn forget(&mut self, contact: ContactId) {
        self.calls.remove(&contact);
        self.call_company.remove(&contact);
        self.callers.remove(&contact);
    }

    /// Plays their position and estimated wait to the callers whose turn
    /// for it has come, and schedules the next.
    fn announce(&mut self) {
        let now = tokio::time::Instant::now();
        while let Some(Reverse((at, contact))) = self.announcements.peek().copied() {
            if at > now {
                break;
            }
            self.announcements.pop();
            let (Some(call), Some(company)) = (self.calls.get(&contact), self.call_company.get(&contact)) else {
                continue;
            };
            let s = self.settings_of(*company);
            let Some(every) = s.announce_every else { continue };
            // Only while it waits in the queue (not while a phone rings).
            if let Some((position, wait)) = self.acd.position(contact) {
                let words = centrala_call::prompts::announcement(position, wait, s.callback_offer);
                let _ = call.send(Control::Announce(words));
            }
            self.announcements.push(Reverse((now + every, contact)));
        }
    }

    /// A waiting caller's key: `1` asks for a callback when it is offered.
    fn digit(&mut self, contact: ContactId, digit: char) {
        let Some(company) = self.call_company.get(&contact).copied() else { return };
        if digit != '1' || !self.settings_of(company).callback_offer || !self.calls.contains_key(&contact) {
            return;
        }
        self.handle(Event::RequestCallback { contact });
        if self.acd.wants_callback(contact) {
            if let Some(call) = self.calls.remove(&contact) {
                let _ = call.send(Control::Callback);
            }
        }
    }

    /// Tells the wallboards that the company's queue changed (a call came,
    /// was answered, left): they fetch the statistics again.
    fn queue_changed(&self, company: CompanyId) {
        self.bus.publish(BusEvent {
            company,
            staff: Vec::new(),
            roles: vec![Role::Supervisor, Role::Admin, Role::HeadOfSales, Role::HeadOfWholesale],
            kind: "queue_changed",
            data: serde_json::json!({ "waiting": self.acd.stats(queue_of(company)).map_or(0, |s| s.waiting) }),
        });
    }

    /// Puts a call into the ACD: for `chain` in turn, then the operators.
    fn route_in(&mut self, company: CompanyId, contact: ContactId, chain: &[Person]) {
        self.ensure_queue(company);
        for p in chain {
            self.ensure(company, p.staff, &p.name, p.role);
            if let Some(u) = &p.sip {
                self.sip.insert(p.staff, u.clone());
            }
        }
        // Someone reached by name who is present and has a phone takes the
        // call even without "ready" on the desk.
        for p in chain.iter().filter(|p| p.sip.is_some()) {
            let a = agent_of(p.staff);
            if matches!(self.acd.agent_state(a), Some(AgentState::Offline) | None) {
                self.handle(Event::Login(a));
            }
        }
        let queue = queue_of(company);
        if chain.is_empty() {
            self.handle(Event::Arrive { contact, queue, priority: 0 });
        } else {
            let mut steps: Vec<Step> = chain.iter().map(|p| Step::Agent(agent_of(p.staff), DIRECT_WAIT)).collect();
            steps.push(Step::Queue(queue));
            self.handle(Event::ArriveDirect { contact, channel: Channel::Voice, priority: 0, chain: steps });
        }
    }

    /// Makes sure the company's queue and the agent exist. Only operators
    /// and supervisors take the operator queue's calls; everyone else is
    /// reached by name (a manager, a head, finance).
    fn ensure(&mut self, company: CompanyId, staff: StaffId, name: &str, role: Role) {
        self.ensure_queue(company);
        if let std::collections::hash_map::Entry::Vacant(v) = self.agents.entry(staff) {
            v.insert(company);
            let id = AgentId(u64::try_from(staff.0).unwrap_or(0));
            let mut cfg = AgentConfig::new(id, name);
            if matches!(role, Role::Operator | Role::Supervisor) {
                cfg.skills = vec![(company_skill(company), 1)];
            }
            self.handle(Event::AddAgent(cfg));
        }
    }
}

fn reason(s: &AgentState) -> Option<&str> {
    match s {
        AgentState::NotReady(r) => Some(r.as_str()),
        _ => None,
    }
}

impl AcdService {
    /// Starts the ACD task; it ends when the last handle is dropped.
    /// Callbacks whose turn has come arrive on the returned channel.
    pub fn start(bus: Arc<Bus>) -> (AcdService, mpsc::UnboundedReceiver<CallbackJob>) {
        let (tx, mut rx) = mpsc::channel::<Request>(1024);
        let (jobs, jobs_rx) = mpsc::unbounded_channel();
        let mut d = Driver {
            acd: Acd::new(),
            start: tokio::time::Instant::now(),
            companies: HashSet::new(),
            agents: HashMap::new(),
            bus,
            calls: HashMap::new(),
            call_company: HashMap::new(),
            sip: HashMap::new(),
            callers: HashMap::new(),
            settings: HashMap::new(),
            announcements: BinaryHeap::new(),
            jobs,
        };
        tokio::spawn(async move {
            loop {
                let engine = d.acd.next_timeout().map(|t| d.start + Duration::from_millis(t.0));
                let announcement = d.announcements.peek().map(|Reverse((at, _))| *at);
                let wake = match (engine, announcement) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                let req = match wake {
                    Some(at) => tokio::select! {
                        r = rx.recv() => r,
                        () = tokio::time::sleep_until(at) => {
                            d.handle(Event::Tick);
                            d.announce();
                            continue;
                        }
                    },
                    None => rx.recv().await,
                };
                let Some(req) = req else { break };
                match req {
                    Request::Arrive { company, contact, caller, chain, control } => {
                        d.calls.insert(contact, control);
                        d.call_company.insert(contact, company);
                        d.callers.insert(contact, caller);
                        if d.settings_of(company).announce_every.is_some() {
                            let first = tokio::time::Instant::now() + FIRST_ANNOUNCEMENT;
                            d.announcements.push(Reverse((first, contact)));
                        }
                        d.route_in(company, contact, &chain);
                        d.queue_changed(company);
                    }
                    Request::Configure { company, settings } => {
                        d.settings.insert(company, settings);
                        d.companies.insert(company);
                        let q = d.queue_config(company);
                        d.handle(Event::UpdateQueue(q));
                    }
                    Request::Listen { contact, staff, user, reply } => {
                        let talking = d.acd.agent_of(contact).is_some();
                        let sent = talking
                            && d.calls
                                .get(&contact)
                                .is_some_and(|c| c.send(Control::Listen { staff: staff.0, user }).is_ok());
                        let _ = reply.send(sent);
                    }
                    Request::Digit { contact, digit } => {
                        d.digit(contact, digit);
                        if let Some(company) = d.call_company.get(&contact).copied() {
                            d.queue_changed(company);
                        }
                    }
                    Request::Transfer { company, contact, chain, reply } => {
                        let known = d.calls.get(&contact).is_some_and(|c| c.send(Control::Transfer).is_ok());
                        if known {
                            d.handle(Event::End { contact });
                            d.route_in(company, contact, &chain);
                        }
                        let _ = reply.send(known);
                        d.queue_changed(company);
                    }
                    Request::Contact(e) => {
                        let done = match &e {
                            Event::End { contact } | Event::Abandon { contact } => Some(*contact),
                            _ => None,
                        };
                        let company = match &e {
                            Event::Accept { contact, .. }
                            | Event::Decline { contact, .. }
                            | Event::End { contact }
                            | Event::Abandon { contact } => d.call_company.get(contact).copied(),
                            _ => None,
                        };
                        d.handle(e);
                        if let Some(c) = done {
                            d.forget(c);
                        }
                        if let Some(company) = company {
                            d.queue_changed(company);
                        }
                    }
                    Request::Set { company, staff, name, role, phone, wanted, reply } => {
                        d.ensure(company, staff, &name, role);
                        match phone {
                            Some(user) => d.sip.insert(staff, user),
                            None => d.sip.remove(&staff),
                        };
                        let a = AgentId(u64::try_from(staff.0).unwrap_or(0));
                        let offline = matches!(d.acd.agent_state(a), Some(AgentState::Offline) | None);
                        match wanted {
                            Wanted::Ready if offline => d.handle(Event::Login(a)),
                            Wanted::Ready => d.handle(Event::Ready(a)),
                            Wanted::NotReady(r) => {
                                if offline {
                                    d.handle(Event::Login(a));
                                }
                                d.handle(Event::NotReady(a, r));
                            }
                            Wanted::Offline => d.handle(Event::Logout(a)),
                            Wanted::WrapUpDone => d.handle(Event::WrapUpDone(a)),
                        }
                        let _ = reply.send(d.acd.agent_state(a).unwrap_or(AgentState::Offline));
                    }
                    Request::State { staff, reply } => {
                        let a = AgentId(u64::try_from(staff.0).unwrap_or(0));
                        let view = d.acd.agents().into_iter().find(|x| x.id == a).map(|x| (x.state, x.in_state));
                        let _ = reply.send(view);
                    }
                    Request::Stats { company, reply } => {
                        d.handle(Event::Tick);
                        let stats = d.acd.stats(queue_of(company)).unwrap_or_default();
                        let agents = d
                            .acd
                            .agents()
                            .into_iter()
                            .filter_map(|x| {
                                let staff = StaffId(i64::try_from(x.id.0).ok()?);
                                (d.agents.get(&staff) == Some(&company)).then_some(AgentView {
                                    staff,
                                    state: x.state,
                                    in_state: x.in_state,
                                    handled_today: x.handled_today,
                                })
                            })
                            .collect();
                        let _ = reply.send((stats, agents));
                    }
                }
            }
        });
        (AcdService { tx }, jobs_rx)
    }

    /// Sets an agent's state; `phone` is their SIP username (rung when
    /// they are offered a call).
    pub async fn set(
        &self,
        company: CompanyId,
        staff: StaffId,
        name: &str,
        role: Role,
        phone: Option<String>,
        wanted: Wanted,
    ) -> Option<AgentState> {
        let (reply, rx) = oneshot::channel();
        let name = name.to_owned();
        self.tx.send(Request::Set { company, staff, name, role, phone, wanted, reply }).await.ok()?;
        rx.await.ok()
    }

    /// A routed call enters the ACD: for `chain` in turn, then the
    /// operators (whose phones the ACD knows from their states).
    pub async fn arrive(
        &self,
        company: CompanyId,
        contact: i64,
        caller: &str,
        chain: Vec<Person>,
        control: mpsc::UnboundedSender<Control>,
    ) -> bool {
        let contact = ContactId(u64::try_from(contact).unwrap_or(0));
        let caller = caller.to_owned();
        self.tx.send(Request::Arrive { company, contact, caller, chain, control }).await.is_ok()
    }

    /// Applies a company's queue settings (at start, and when changed).
    pub async fn configure(&self, company: CompanyId, settings: QueueSettings) {
        let _ = self.tx.send(Request::Configure { company, settings }).await;
    }

    /// Listen in on a call being talked: false when it is not (or no
    /// longer) in the ACD or nobody talks in it.
    pub async fn listen(&self, contact: i64, staff: StaffId, user: &str) -> bool {
        let contact = ContactId(u64::try_from(contact).unwrap_or(0));
        let (reply, rx) = oneshot::channel();
        let user = user.to_owned();
        if self.tx.send(Request::Listen { contact, staff, user, reply }).await.is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    /// A waiting caller pressed `digit`.
    pub async fn digit(&self, contact: i64, digit: char) {
        let contact = ContactId(u64::try_from(contact).unwrap_or(0));
        let _ = self.tx.send(Request::Digit { contact, digit }).await;
    }

    /// Blind transfer of a talking call to `chain`, then the operators;
    /// false when the call is not (or no longer) in the ACD.
    pub async fn transfer(&self, company: CompanyId, contact: i64, chain: Vec<Person>) -> bool {
        let contact = ContactId(u64::try_from(contact).unwrap_or(0));
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Request::Transfer { company, contact, chain, reply }).await.is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    /// How a call's ringing or conversation went.
    pub async fn contact(&self, e: Event) {
        let _ = self.tx.send(Request::Contact(e)).await;
    }

    pub async fn state(&self, staff: StaffId) -> Option<(AgentState, Duration)> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Request::State { staff, reply }).await.ok()?;
        rx.await.ok().flatten()
    }

    pub async fn stats(&self, company: CompanyId) -> Option<(QueueStats, Vec<AgentView>)> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Request::Stats { company, reply }).await.ok()?;
        rx.await.ok()
    }
}
