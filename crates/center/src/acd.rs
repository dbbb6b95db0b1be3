//! The ACD's driver inside the server: one task owns the pure engine
//! (`centrala-acd`), fed by one channel, so events reach it in order; it
//! wakes at the engine's `next_timeout()`. Agents' states come from the
//! desk (and later from phones); queue statistics and agent states go to
//! the wallboard, and every state change is pushed on the event stream.
//!
//! Each company has an operator queue, taken by its operators and
//! supervisors, and any number of named queues, each taken by its listed
//! members; every queue has its own settings, and a caller who waited its
//! longest may overflow into another queue of the company, keeping its
//! seniority. Companies are the engine's own concept (CC-12): every queue
//! carries its company and every agent the companies it serves, and the
//! engine never offers a contact to an agent who does not serve its
//! company. Each queue has its own engine id and skill, handed out in turn;
//! membership is that skill. Staff are engine agents under their staff id.
//! Waiting callers hear their position and estimated wait at their queue's
//! period (the driver keeps those timers beside the engine's), and may ask
//! to be called back; a callback's turn becomes a [`CallbackJob`] for the
//! product to dial (agent first, then the client).

use crate::bus::{Bus, Event as BusEvent};
use centrala_acd::{
    Acd, AgentConfig, AgentId, AgentState, Channel, Command, Company, Event, Instant, Overflow, QueueConfig, QueueId,
    QueueStats, Step, TaskId,
};
use centrala_call::queued::{AcdReport, Coach};
use centrala_domain::{CompanyId, InteractionId, Role, StaffId};
use centrala_sip::{chan, Control};
use std::{
    cmp::Reverse,
    collections::{BinaryHeap, HashMap},
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
    /// The interaction it is talking in, if any, and the queue it came
    /// through (none for a call put straight through to it).
    pub talking: Option<InteractionId>,
    pub queue: Option<String>,
}

/// An agent as its desk shows it.
#[derive(Debug, Clone)]
pub struct AgentNow {
    pub state: AgentState,
    pub in_state: Duration,
    /// The call it is on (`true`: talking; `false`: ringing it).
    pub contact: Option<(InteractionId, bool)>,
    /// The queue that call came through.
    pub queue: Option<String>,
    /// What is left of its wrap-up.
    pub wrap_left: Option<Duration>,
    /// The chats and e-mails it holds (`true`) or is offered (`false`).
    pub media: Vec<(InteractionId, Channel, bool)>,
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

/// The name of every company's operator queue.
pub const OPERATORS: &str = "operators";

/// The operators' queue of a channel: chats and e-mails wait in their own
/// queue (its own service level and ring time), taken by the same people
/// as the operators' calls, each agent up to its company's capacity.
pub fn channel_queue(channel: Channel) -> &'static str {
    match channel {
        Channel::Voice => OPERATORS,
        Channel::Chat => "operators:chat",
        Channel::Email => "operators:email",
    }
}

/// Whether a queue is one of the operators' (of any channel).
fn operators_queue(name: &str) -> bool {
    name == OPERATORS || name.strip_prefix("operators:").is_some()
}

/// A company's channel settings as the ACD applies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelSettings {
    /// Contacts of each channel an agent holds at once (voice, chat, e-mail).
    pub capacity: [u8; 3],
    /// A chat answered within this is in service level.
    pub chat_service_level: Duration,
}

impl Default for ChannelSettings {
    fn default() -> Self {
        ChannelSettings { capacity: [1, 3, 5], chat_service_level: Duration::from_secs(60) }
    }
}

/// How long a chat or an e-mail is offered to an agent's desk before the
/// next agent's.
pub const DESK_OFFER: Duration = Duration::from_secs(30);

/// Where a caller goes after its queue's longest wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverflowTo {
    /// "Please call later", then hang-up.
    Message,
    /// It is told it will be called back, and keeps its place.
    Callback,
    /// Into another queue of the company, keeping its seniority.
    Queue(String),
}

/// A queue's settings, as the ACD applies them.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSettings {
    /// How long an agent's phone rings before the next agent's.
    pub ring_timeout: Duration,
    /// After a call, before the agent gets the next.
    pub wrap_up: Duration,
    /// The longest a caller waits, and where it goes then.
    pub max_wait: Option<(Duration, OverflowTo)>,
    /// How often a waiting caller hears its position and estimated wait.
    pub announce_every: Option<Duration>,
    /// Whether waiting callers are offered "press 1 to be called back".
    pub callback_offer: bool,
    /// Who takes the queue's calls (for the operator queue: besides its
    /// operators and supervisors).
    pub members: Vec<StaffId>,
    /// How many times a callback dials the client before it gives up, and
    /// how long it waits between tries (it joins the queue again then).
    pub callback_attempts: u32,
    pub callback_retry: Duration,
    /// Answered within this counts as in service level.
    pub service_level: Duration,
    /// Higher is served first when queues compete for an agent: every
    /// caller's queue is 0, a campaign's below, so inbound comes first.
    pub priority: i32,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            ring_timeout: Duration::from_secs(15),
            wrap_up: Duration::ZERO,
            max_wait: None,
            announce_every: Some(Duration::from_secs(60)),
            callback_offer: true,
            members: Vec::new(),
            callback_attempts: 3,
            callback_retry: Duration::from_secs(300),
            service_level: Duration::from_secs(20),
            priority: 0,
        }
    }
}

/// The queue of outbound campaign `id` (progressive dialling): a name no
/// company's own queue can have.
pub fn campaign_queue(id: i64) -> String {
    format!("{CAMPAIGN_PREFIX}{id}")
}

/// The campaign whose queue this is, if it is one.
pub fn campaign_of_queue(name: &str) -> Option<i64> {
    name.strip_prefix(CAMPAIGN_PREFIX)?.parse().ok()
}

const CAMPAIGN_PREFIX: &str = "campaign:";

/// A callback's turn has come: ring the agent's phone (`user`, when the
/// ACD knows it), then dial `number`, for interaction `contact`.
#[derive(Debug, Clone)]
pub struct CallbackJob {
    pub company: CompanyId,
    pub contact: InteractionId,
    pub staff: StaffId,
    pub user: Option<String>,
    pub number: String,
    /// How long the agent's phone may ring (a little under the queue's ring
    /// timeout, so the dialler gives up before the ACD moves on).
    pub ring: Duration,
    /// The queue it waited in, this try (1, 2, …), how many tries there are,
    /// and how long to wait before the next.
    pub queue: String,
    pub attempt: u32,
    pub attempts: u32,
    pub retry: Duration,
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
    /// queue), then the named queue (`None`, or one that does not exist:
    /// the operators).
    Arrive {
        company: CompanyId,
        contact: TaskId,
        caller: String,
        chain: Vec<Person>,
        queue: Option<String>,
        control: chan::Sender<Control>,
        story: Option<chan::Sender<AcdReport>>,
    },
    /// The company's queues and their settings (from the store, or just
    /// changed); queues left out are no longer routed to.
    Configure {
        company: CompanyId,
        queues: Vec<(String, QueueSettings)>,
    },
    /// What the company's queues counted earlier today, before this start.
    SeedDay {
        company: CompanyId,
        counts: Vec<(String, centrala_acd::DayCounts)>,
    },
    /// A company's time zone (its midnight follows).
    Zone {
        company: CompanyId,
        zone: chrono_tz::Tz,
    },
    /// Someone listens in on a call being talked (or changes how they
    /// are heard: `mode`).
    Listen {
        contact: TaskId,
        staff: StaffId,
        user: String,
        mode: Coach,
        reply: oneshot::Sender<bool>,
    },
    /// The agent on a call acts on it from the desk (hold, mute, hang up).
    CallControl {
        contact: TaskId,
        staff: StaffId,
        control: Control,
        reply: oneshot::Sender<bool>,
    },
    /// A staff member's role or activity changed (an admin's edit).
    Staff {
        staff: StaffId,
        role: Role,
        active: bool,
    },
    /// A staff member's phone changed (or is gone).
    Phone {
        staff: StaffId,
        user: Option<String>,
    },
    /// A callback whose client was not reached joins its queue again.
    CallbackAgain {
        company: CompanyId,
        contact: TaskId,
        number: String,
        queue: String,
        attempt: u32,
    },
    /// A campaign's call joins the campaign's queue, to be started (agent
    /// first) when a member is free; false when the queue is not there.
    CampaignCall {
        company: CompanyId,
        contact: TaskId,
        number: String,
        queue: String,
        reply: oneshot::Sender<bool>,
    },
    /// The members of a queue available now (nobody waiting for them).
    Idle {
        company: CompanyId,
        queue: String,
        reply: oneshot::Sender<Vec<StaffId>>,
    },
    /// A waiting caller pressed a key.
    Digit {
        contact: TaskId,
        digit: char,
    },
    /// Accept, Decline, End, Abandon of a call.
    Contact(Event),
    /// A chat or an e-mail enters the company's channel queue.
    ArriveMedia {
        company: CompanyId,
        contact: TaskId,
        channel: Channel,
    },
    /// The company's channel settings (at start, and when changed).
    Channels {
        company: CompanyId,
        settings: ChannelSettings,
    },
    /// An agent takes a chat or e-mail offered to it (true: it is theirs).
    Take {
        contact: TaskId,
        staff: StaffId,
        reply: oneshot::Sender<bool>,
    },
    /// An agent closes a chat or e-mail it holds (true: it was theirs).
    Close {
        contact: TaskId,
        staff: StaffId,
        reply: oneshot::Sender<bool>,
    },
    /// A waiting contact's place and estimated wait.
    Position {
        contact: TaskId,
        reply: oneshot::Sender<Option<(usize, Duration)>>,
    },
    /// Whether anyone can take the company's contacts of a channel now.
    Open {
        company: CompanyId,
        channel: Channel,
        reply: oneshot::Sender<bool>,
    },
    /// A blind transfer of a call being talked: its agent is done, it
    /// rings `chain` in turn, then the operators.
    Transfer {
        company: CompanyId,
        contact: TaskId,
        chain: Vec<Person>,
        reply: oneshot::Sender<bool>,
    },
    State {
        staff: StaffId,
        reply: oneshot::Sender<Option<AgentNow>>,
    },
    Stats {
        company: CompanyId,
        reply: oneshot::Sender<(Vec<QueueView>, Vec<AgentView>)>,
    },
}

/// A routed call entering the ACD.
#[derive(Debug)]
pub struct Arriving {
    pub company: CompanyId,
    pub interaction: InteractionId,
    /// The caller's number (dialled back for a callback).
    pub caller: String,
    /// People to ring in turn first (empty: straight to the queue).
    pub chain: Vec<Person>,
    /// A named queue; `None`, or one that does not exist: the operators
    /// (whose phones the ACD knows from their states).
    pub queue: Option<String>,
    /// Where the ACD's orders for the call go.
    pub control: chan::Sender<Control>,
    /// Where what the ACD adds to the call's story goes (the queue it waits
    /// in), in order with the call's own reports.
    pub story: Option<chan::Sender<AcdReport>>,
}

impl Arriving {
    /// A call straight to the operators, its story untold.
    pub fn new(
        company: CompanyId,
        interaction: InteractionId,
        caller: &str,
        control: chan::Sender<Control>,
    ) -> Arriving {
        Arriving {
            company,
            interaction,
            caller: caller.to_owned(),
            chain: Vec::new(),
            queue: None,
            control,
            story: None,
        }
    }
}

/// A queue as the wallboard shows it.
#[derive(Debug, Clone)]
pub struct QueueView {
    pub name: String,
    pub stats: QueueStats,
    /// Who takes its calls.
    pub members: Vec<StaffId>,
    /// The calls waiting in it, next first, with how long each has waited.
    pub waiting: Vec<(InteractionId, Duration)>,
}

/// A queue the driver knows: whose it is, its name, the skill its members
/// carry, and its settings.
struct QueueInfo {
    company: CompanyId,
    channel: Channel,
    name: String,
    skill: centrala_acd::Skill,
    settings: QueueSettings,
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

/// The engine's name of a company: the same number, read unsigned (a
/// bijection, so no two companies ever share one).
fn tenant(company: CompanyId) -> Company {
    Company(u64::from_ne_bytes(company.0.to_ne_bytes()))
}

struct Driver {
    acd: Acd,
    start: tokio::time::Instant,
    /// Every queue, operator and named, by engine id.
    queues: HashMap<QueueId, QueueInfo>,
    /// The queues calls may be routed to, by company and name (the
    /// operators' always among them).
    names: HashMap<(CompanyId, String), QueueId>,
    /// The next engine queue id and skill to hand out: each queue has its
    /// own, whatever its company (companies are kept apart by the engine).
    next_queue: u32,
    next_skill: u32,
    agents: HashMap<StaffId, CompanyId>,
    roles: HashMap<StaffId, Role>,
    bus: Arc<Bus>,
    /// Calls waiting or talking: where their orders go.
    calls: HashMap<TaskId, chan::Sender<Control>>,
    /// Where each call's story goes (the call's reports, written in order):
    /// which queue it waits in is told here, not through the call.
    stories: HashMap<TaskId, chan::Sender<AcdReport>>,
    /// The company of each call in the ACD.
    call_company: HashMap<TaskId, CompanyId>,
    /// Staff phones' SIP usernames, as last told (with an agent's state,
    /// or with a call's chain).
    sip: HashMap<StaffId, String>,
    /// The caller's number of each contact (for its callback).
    callers: HashMap<TaskId, String>,
    /// Which try a retried callback is on (absent: the first).
    attempts: HashMap<TaskId, u32>,
    /// When each waiting caller hears its position next (stale entries, of
    /// calls no longer waiting, are dropped when they come up).
    announcements: BinaryHeap<Reverse<(tokio::time::Instant, TaskId)>>,
    jobs: mpsc::UnboundedSender<CallbackJob>,
    /// Where agents' state changes go to be kept (interval statistics).
    states: mpsc::UnboundedSender<crate::intervals::StateRecord>,
    /// The wall-clock instant at `start` (the engine's time is counted
    /// from there, so virtual time moves both).
    wall: chrono::DateTime<chrono::Utc>,
    /// Each company's time zone, as told (else the default).
    default_zone: chrono_tz::Tz,
    zones: HashMap<CompanyId, chrono_tz::Tz>,
    /// Each company's next local midnight: its "today" starts again then.
    midnights: HashMap<CompanyId, tokio::time::Instant>,
    /// Each company's channel settings, as told (else the default).
    channels: HashMap<CompanyId, ChannelSettings>,
    /// Chats and e-mails in the ACD: offered on the desk, not on a phone.
    media: HashMap<TaskId, Channel>,
}

// The engine's ids are unsigned; ours are signed. Each conversion is the
// same 64 bits read the other way: a bijection, so no id is ever mapped
// onto another's (no fallback, no sentinel).

/// A staff member as an engine agent.
pub fn agent_of(staff: StaffId) -> AgentId {
    AgentId(u64::from_ne_bytes(staff.0.to_ne_bytes()))
}

/// The staff member an engine agent is.
pub fn staff_of(agent: AgentId) -> StaffId {
    StaffId(i64::from_ne_bytes(agent.0.to_ne_bytes()))
}

/// An interaction as the engine's task.
pub fn task_of(id: InteractionId) -> TaskId {
    TaskId(u64::from_ne_bytes(id.0.to_ne_bytes()))
}

/// The interaction an engine task is.
pub fn interaction_of(task: TaskId) -> InteractionId {
    InteractionId(i64::from_ne_bytes(task.0.to_ne_bytes()))
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
            Command::Offer { contact, agent } if self.media.contains_key(&contact) => {
                self.tell_desk(contact, agent, "contact_offered");
            }
            Command::Retract { contact, agent } if self.media.contains_key(&contact) => {
                self.tell_desk(contact, agent, "contact_retracted");
            }
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
                Overflow::Queue(q) => {
                    if let (Some(story), Some(info)) = (self.stories.get(&contact), self.queues.get(&q)) {
                        let _ = story.send(AcdReport::Queued { queue: info.name.clone(), overflowed: true });
                    }
                }
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
                    (Some(company), Some(number)) => {
                        let q = self.acd.queue_of(contact).or_else(|| self.operators(*company));
                        let s = self.settings_of(contact, *company);
                        Some(CallbackJob {
                            company: *company,
                            contact: interaction_of(contact),
                            staff,
                            user: self.sip.get(&staff).cloned(),
                            number: number.clone(),
                            ring: s.ring_timeout.saturating_sub(Duration::from_secs(1)),
                            queue: q
                                .and_then(|q| self.queues.get(&q))
                                .map_or_else(|| OPERATORS.to_owned(), |i| i.name.clone()),
                            attempt: self.attempts.get(&contact).copied().unwrap_or(1),
                            attempts: s.callback_attempts.max(1),
                            retry: s.callback_retry,
                        })
                    }
                    _ => None,
                };
                // Nobody to dial it: as if declined.
                if job.is_none_or(|job| self.jobs.send(job).is_err()) {
                    todo.push_back(Event::Decline { contact, agent });
                }
            }
            Command::AgentState { agent, state } => {
                let staff = staff_of(agent);
                if let Some(company) = self.agents.get(&staff) {
                    let _ = self.states.send(crate::intervals::StateRecord {
                        company: *company,
                        staff,
                        // The store's instants are the wall clock's.
                        at: chrono::Utc::now(),
                        state: state.as_str().to_owned(),
                        reason: reason(&state).unwrap_or_default().to_owned(),
                    });
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

    /// Tells an agent's desk of a chat or e-mail offered to it or taken back.
    fn tell_desk(&self, contact: TaskId, agent: AgentId, kind: &'static str) {
        let (Some(company), Some(channel)) = (self.call_company.get(&contact), self.media.get(&contact)) else {
            return;
        };
        let channel = match channel {
            Channel::Voice => "voice",
            Channel::Chat => "chat",
            Channel::Email => "email",
        };
        self.bus.publish(BusEvent {
            company: *company,
            staff: vec![staff_of(agent)],
            roles: Vec::new(),
            kind,
            data: serde_json::json!({ "interaction": interaction_of(contact).0, "channel": channel }),
        });
    }

    /// The settings of the queue the contact is in (or came through), else
    /// of its company's operators.
    fn settings_of(&self, contact: TaskId, company: CompanyId) -> &QueueSettings {
        static DEFAULT: std::sync::LazyLock<QueueSettings> = std::sync::LazyLock::new(QueueSettings::default);
        let q = self.acd.queue_of(contact).or_else(|| self.operators(company));
        q.and_then(|q| self.queues.get(&q)).map_or(&DEFAULT, |i| &i.settings)
    }

    /// The engine's configuration of a queue the driver knows.
    fn queue_config(&self, id: QueueId) -> Option<QueueConfig> {
        let info = self.queues.get(&id)?;
        let s = &info.settings;
        let max_wait = s.max_wait.as_ref().map(|(d, to)| {
            let to = match to {
                OverflowTo::Message => Overflow::Message,
                OverflowTo::Callback => Overflow::Callback,
                // A queue that no longer exists: the message.
                OverflowTo::Queue(name) => {
                    self.names.get(&(info.company, name.clone())).map_or(Overflow::Message, |q| Overflow::Queue(*q))
                }
            };
            (*d, to)
        });
        Some(QueueConfig {
            company: tenant(info.company),
            channel: info.channel,
            skills: vec![(info.skill, 1)],
            ring_timeout: s.ring_timeout,
            wrap_up: s.wrap_up,
            max_wait,
            sl_threshold: s.service_level,
            priority: s.priority,
            ..QueueConfig::new(id, &info.name)
        })
    }

    /// The company's operator queue, if the driver has made it.
    fn operators(&self, company: CompanyId) -> Option<QueueId> {
        self.names.get(&(company, OPERATORS.to_owned())).copied()
    }

    /// A new queue of the company (with the default settings until it is
    /// configured), with its own engine id and skill.
    fn new_queue(&mut self, company: CompanyId, name: &str) -> QueueId {
        let id = QueueId(self.next_queue);
        let skill = centrala_acd::Skill(self.next_skill);
        self.next_queue = self.next_queue.saturating_add(1);
        self.next_skill = self.next_skill.saturating_add(1);
        self.names.insert((company, name.to_owned()), id);
        let info = QueueInfo {
            company,
            channel: Channel::Voice,
            name: name.to_owned(),
            skill,
            settings: QueueSettings::default(),
        };
        self.queues.insert(id, info);
        id
    }

    /// The company's chat and e-mail queues: the operators' skill (so the
    /// same people), their own ring time and service level.
    fn channel_queues(&mut self, company: CompanyId, operators: QueueId) {
        let Some(skill) = self.queues.get(&operators).map(|q| q.skill) else { return };
        let chat_sl = self.channels.get(&company).copied().unwrap_or_default().chat_service_level;
        for channel in [Channel::Chat, Channel::Email] {
            let name = channel_queue(channel);
            let id = match self.names.get(&(company, name.to_owned())) {
                Some(id) => *id,
                None => {
                    let id = QueueId(self.next_queue);
                    self.next_queue = self.next_queue.saturating_add(1);
                    self.names.insert((company, name.to_owned()), id);
                    id
                }
            };
            let settings = QueueSettings {
                ring_timeout: DESK_OFFER,
                announce_every: None,
                callback_offer: false,
                // An e-mail is in service level within a working day.
                service_level: if channel == Channel::Chat { chat_sl } else { Duration::from_secs(8 * 3600) },
                ..QueueSettings::default()
            };
            self.queues.insert(id, QueueInfo { company, channel, name: name.to_owned(), skill, settings });
            if let Some(q) = self.queue_config(id) {
                self.handle(Event::UpdateQueue(q));
            }
        }
    }

    /// Makes sure the company's operator queue exists (with the default
    /// settings until it is configured); returns it.
    fn ensure_queue(&mut self, company: CompanyId) -> QueueId {
        if let Some(id) = self.operators(company) {
            return id;
        }
        let id = self.new_queue(company, OPERATORS);
        if let Some(q) = self.queue_config(id) {
            self.handle(Event::UpdateQueue(q));
        }
        self.channel_queues(company, id);
        self.schedule_midnight(company);
        id
    }

    /// The company's next local midnight, from the wall clock now.
    fn schedule_midnight(&mut self, company: CompanyId) {
        let now = tokio::time::Instant::now();
        let wall = self.wall + chrono::Duration::from_std(now - self.start).unwrap_or_default();
        let zone = self.zones.get(&company).copied().unwrap_or(self.default_zone);
        let until = (crate::clock::next_midnight(wall, zone) - wall).to_std().unwrap_or_default();
        self.midnights.insert(company, now + until);
    }

    /// Every company whose midnight has come starts a new day: its queues'
    /// and agents' "today" figures start again.
    fn new_days(&mut self) {
        let now = tokio::time::Instant::now();
        let due: Vec<CompanyId> = self.midnights.iter().filter(|(_, at)| **at <= now).map(|(c, _)| *c).collect();
        for company in due {
            tracing::info!(company = company.0, "a new day: today's queue and agent figures start again");
            self.handle(Event::NewDay(tenant(company)));
            self.schedule_midnight(company);
            self.queue_changed(company);
        }
    }

    /// Applies a company's queues: new ones are made, every one gets its
    /// settings, ones left out are no longer routed to, and the company's
    /// agents join and leave queues by their membership.
    fn configure(&mut self, company: CompanyId, queues: Vec<(String, QueueSettings)>) {
        self.ensure_queue(company);
        self.names
            .retain(|(c, name), _| *c != company || operators_queue(name) || queues.iter().any(|(n, _)| n == name));
        let mut ids = Vec::new();
        for (name, settings) in queues {
            let id = match self.names.get(&(company, name.clone())) {
                Some(id) => *id,
                None => self.new_queue(company, &name),
            };
            if let Some(info) = self.queues.get_mut(&id) {
                info.settings = settings;
            }
            ids.push(id);
        }
        // Overflow targets are resolved once every queue has its id.
        for id in ids {
            if let Some(q) = self.queue_config(id) {
                self.handle(Event::UpdateQueue(q));
            }
        }
        let staff: Vec<StaffId> = self.agents.iter().filter(|(_, c)| **c == company).map(|(s, _)| *s).collect();
        for s in staff {
            let skills = self.skills_for(company, s);
            self.handle(Event::SetSkills(agent_of(s), skills));
        }
    }

    /// The company's queues in use: its operator queue and the named ones
    /// not deleted (a deleted one stays in the engine, unreachable).
    fn company_queues(&self, company: CompanyId) -> impl Iterator<Item = (QueueId, &QueueInfo)> {
        self.queues
            .iter()
            .map(|(id, q)| (*id, q))
            .filter(move |(id, q)| q.company == company && self.names.get(&(company, q.name.clone())) == Some(id))
    }

    /// Whether a staff member takes a queue's calls: its members, and for
    /// the operator queue its operators and supervisors.
    fn takes(&self, q: &QueueInfo, staff: StaffId) -> bool {
        q.settings.members.contains(&staff)
            || (operators_queue(&q.name) && matches!(self.roles.get(&staff), Some(Role::Operator | Role::Supervisor)))
    }

    /// The skills a staff member carries: one per queue of its company it
    /// takes calls of.
    fn skills_for(&self, company: CompanyId, staff: StaffId) -> Vec<(centrala_acd::Skill, u8)> {
        let mut skills: Vec<_> =
            self.company_queues(company).filter(|(_, q)| self.takes(q, staff)).map(|(_, q)| (q.skill, 1)).collect();
        skills.sort_unstable();
        // A channel queue carries the operators' skill: once is enough.
        skills.dedup();
        skills
    }

    /// A staff member's role as now stored: when it changed, the queues
    /// it takes follow at once.
    fn set_role(&mut self, company: CompanyId, staff: StaffId, role: Role) {
        if self.roles.insert(staff, role) != Some(role) {
            let skills = self.skills_for(company, staff);
            self.handle(Event::SetSkills(agent_of(staff), skills));
        }
    }

    /// A staff member's phone (its SIP username), or none.
    fn set_phone(&mut self, staff: StaffId, user: Option<String>) {
        match user {
            Some(u) => self.sip.insert(staff, u),
            None => self.sip.remove(&staff),
        };
    }

    /// A contact that left the ACD: nothing of it is kept.
    fn forget(&mut self, contact: TaskId) {
        self.calls.remove(&contact);
        self.media.remove(&contact);
        self.stories.remove(&contact);
        self.call_company.remove(&contact);
        self.callers.remove(&contact);
        self.attempts.remove(&contact);
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
            let s = self.settings_of(contact, *company);
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
    fn digit(&mut self, contact: TaskId, digit: char) {
        let Some(company) = self.call_company.get(&contact).copied() else { return };
        if digit != '1' || !self.settings_of(contact, company).callback_offer || !self.calls.contains_key(&contact) {
            return;
        }
        self.handle(Event::RequestCallback { contact });
        if self.acd.wants_callback(contact) {
            if let Some(call) = self.calls.remove(&contact) {
                let _ = call.send(Control::Callback);
            }
        }
    }

    /// Tells the wallboards that the company's queues changed (a call came,
    /// was answered, left): they fetch the statistics again.
    fn queue_changed(&self, company: CompanyId) {
        let waiting: usize = self.company_queues(company).map(|(id, _)| self.acd.waiting_len(id)).sum();
        self.bus.publish(BusEvent {
            company,
            staff: Vec::new(),
            roles: vec![Role::Supervisor, Role::Admin, Role::HeadOfSales, Role::HeadOfWholesale],
            kind: "queue_changed",
            data: serde_json::json!({ "waiting": waiting }),
        });
    }

    /// The company's queue of that name, or its operators'.
    fn queue_named(&mut self, company: CompanyId, name: Option<&str>) -> QueueId {
        let operators = self.ensure_queue(company);
        name.and_then(|n| self.names.get(&(company, n.to_owned())).copied()).unwrap_or(operators)
    }

    /// Every queue of the company with its statistics and members,
    /// operators first, then by name.
    fn views(&self, company: CompanyId) -> Vec<QueueView> {
        // A campaign's queue is the dialler's, not a queue callers wait in.
        let mut out: Vec<QueueView> = self
            .company_queues(company)
            .filter(|(_, q)| campaign_of_queue(&q.name).is_none())
            .map(|(id, q)| QueueView {
                name: q.name.clone(),
                stats: self.acd.stats(id).unwrap_or_default(),
                waiting: self.acd.waiting(id).into_iter().map(|(c, w)| (interaction_of(c), w)).collect(),
                members: self
                    .agents
                    .iter()
                    .filter(|(s, c)| **c == company && self.takes(q, **s))
                    .map(|(s, _)| *s)
                    .collect(),
            })
            .collect();
        // The operators' calls, the named queues, then chats and e-mails.
        let rank = |n: &str| match n {
            OPERATORS => 0,
            n if operators_queue(n) => 2,
            _ => 1,
        };
        out.sort_by(|a, b| (rank(&a.name), &a.name).cmp(&(rank(&b.name), &b.name)));
        out
    }

    /// Puts a call into the ACD: for `chain` in turn, then `queue`.
    fn route_in(&mut self, company: CompanyId, contact: TaskId, chain: &[Person], queue: QueueId) {
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
        if chain.is_empty() {
            self.handle(Event::Arrive { contact, queue, priority: 0 });
        } else {
            let mut steps: Vec<Step> = chain.iter().map(|p| Step::Agent(agent_of(p.staff), DIRECT_WAIT)).collect();
            steps.push(Step::Queue(queue));
            let company = tenant(company);
            self.handle(Event::ArriveDirect { contact, company, channel: Channel::Voice, priority: 0, chain: steps });
        }
    }

    /// Makes sure the company's queue and the agent exist. Operators and
    /// supervisors take the operator queue's calls, members of a named
    /// queue its calls; everyone is reached by name (a manager, a head,
    /// finance).
    fn ensure(&mut self, company: CompanyId, staff: StaffId, name: &str, role: Role) {
        self.ensure_queue(company);
        if let std::collections::hash_map::Entry::Vacant(v) = self.agents.entry(staff) {
            v.insert(company);
            self.roles.insert(staff, role);
            let mut cfg = AgentConfig::new(agent_of(staff), name);
            cfg.companies = vec![tenant(company)];
            cfg.skills = self.skills_for(company, staff);
            cfg.capacity = self.channels.get(&company).copied().unwrap_or_default().capacity;
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
    /// `clock` and `zone` (the default time zone) place each company's
    /// midnight, when its "today" statistics start again.
    pub fn start(
        bus: Arc<Bus>,
        clock: crate::Clock,
        zone: chrono_tz::Tz,
        states: mpsc::UnboundedSender<crate::intervals::StateRecord>,
    ) -> (AcdService, mpsc::UnboundedReceiver<CallbackJob>) {
        let (tx, mut rx) = mpsc::channel::<Request>(1024);
        let (jobs, jobs_rx) = mpsc::unbounded_channel();
        let mut d = Driver {
            acd: Acd::new(),
            start: tokio::time::Instant::now(),
            queues: HashMap::new(),
            names: HashMap::new(),
            next_queue: 0,
            next_skill: 0,
            agents: HashMap::new(),
            roles: HashMap::new(),
            bus,
            calls: HashMap::new(),
            stories: HashMap::new(),
            call_company: HashMap::new(),
            sip: HashMap::new(),
            callers: HashMap::new(),
            attempts: HashMap::new(),
            announcements: BinaryHeap::new(),
            jobs,
            states,
            wall: clock.now(),
            default_zone: zone,
            zones: HashMap::new(),
            midnights: HashMap::new(),
            channels: HashMap::new(),
            media: HashMap::new(),
        };
        tokio::spawn(async move {
            loop {
                let engine = d.acd.next_timeout().map(|t| d.start + Duration::from_millis(t.0));
                let announcement = d.announcements.peek().map(|Reverse((at, _))| *at);
                let midnight = d.midnights.values().min().copied();
                let wake = [engine, announcement, midnight].into_iter().flatten().min();
                let req = match wake {
                    // What is due comes first: a request that arrives as a
                    // timer fires sees the state after the timer.
                    Some(at) => tokio::select! {
                        biased;
                        () = tokio::time::sleep_until(at) => {
                            d.handle(Event::Tick);
                            d.announce();
                            d.new_days();
                            continue;
                        }
                        r = rx.recv() => r,
                    },
                    None => rx.recv().await,
                };
                let Some(req) = req else { break };
                match req {
                    Request::Arrive { company, contact, caller, chain, queue, control, story } => {
                        d.ensure_queue(company);
                        let q = d.queue_named(company, queue.as_deref());
                        if let Some(story) = story {
                            if queue.is_some() {
                                let name = d.queues.get(&q).map_or_else(|| OPERATORS.to_owned(), |i| i.name.clone());
                                let _ = story.send(AcdReport::Queued { queue: name, overflowed: false });
                            }
                            d.stories.insert(contact, story);
                        }
                        d.calls.insert(contact, control);
                        d.call_company.insert(contact, company);
                        d.callers.insert(contact, caller);
                        if d.queues.get(&q).is_some_and(|i| i.settings.announce_every.is_some()) {
                            let first = tokio::time::Instant::now() + FIRST_ANNOUNCEMENT;
                            d.announcements.push(Reverse((first, contact)));
                        }
                        d.route_in(company, contact, &chain, q);
                        d.queue_changed(company);
                    }
                    Request::Zone { company, zone } => {
                        d.zones.insert(company, zone);
                        if d.midnights.contains_key(&company) {
                            d.schedule_midnight(company);
                        }
                    }
                    Request::Configure { company, queues } => {
                        d.configure(company, queues);
                        d.queue_changed(company);
                    }
                    Request::SeedDay { company, counts } => {
                        for (name, counts) in counts {
                            let queue = d.queue_named(company, Some(&name));
                            d.handle(Event::SeedDay { queue, counts });
                        }
                        d.queue_changed(company);
                    }
                    Request::Listen { contact, staff, user, mode, reply } => {
                        let talking = d.acd.agent_of(contact).is_some();
                        let sent = talking
                            && d.calls
                                .get(&contact)
                                .is_some_and(|c| c.send(Control::Listen { staff: staff.0, user, mode }).is_ok());
                        let _ = reply.send(sent);
                    }
                    // Only the agent talking in the call controls it.
                    Request::CallControl { contact, staff, control, reply } => {
                        let theirs = d.acd.agent_of(contact) == Some(agent_of(staff));
                        let sent = theirs && d.calls.get(&contact).is_some_and(|c| c.send(control).is_ok());
                        let _ = reply.send(sent);
                    }
                    // Only for agents the ACD knows: others bring their
                    // phone with their first state.
                    Request::Phone { staff, user } => {
                        if d.agents.contains_key(&staff) {
                            d.set_phone(staff, user);
                        }
                    }
                    // Only for agents the ACD knows: the others bring
                    // their role with their first state.
                    Request::Staff { staff, role, active } => {
                        if let Some(company) = d.agents.get(&staff).copied() {
                            d.set_role(company, staff, role);
                            if !active {
                                d.handle(Event::Logout(agent_of(staff)));
                            }
                        }
                    }
                    Request::CallbackAgain { company, contact, number, queue, attempt } => {
                        d.ensure_queue(company);
                        let q = d.queue_named(company, Some(&queue));
                        d.call_company.insert(contact, company);
                        d.callers.insert(contact, number);
                        d.attempts.insert(contact, attempt);
                        d.handle(Event::ArriveCallback { contact, queue: q, priority: 0 });
                        d.queue_changed(company);
                    }
                    Request::CampaignCall { company, contact, number, queue, reply } => {
                        let Some(q) = d.names.get(&(company, queue)).copied() else {
                            let _ = reply.send(false);
                            continue;
                        };
                        d.call_company.insert(contact, company);
                        d.callers.insert(contact, number);
                        d.handle(Event::ArriveCallback { contact, queue: q, priority: 0 });
                        d.queue_changed(company);
                        let _ = reply.send(true);
                    }
                    Request::Idle { company, queue, reply } => {
                        let members = d
                            .names
                            .get(&(company, queue))
                            .and_then(|q| d.queues.get(q))
                            .map(|q| q.settings.members.clone())
                            .unwrap_or_default();
                        let idle = members
                            .into_iter()
                            .filter(|s| d.acd.agent_state(agent_of(*s)) == Some(AgentState::Available))
                            .collect();
                        let _ = reply.send(idle);
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
                            let q = d.ensure_queue(company);
                            d.route_in(company, contact, &chain, q);
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
                    Request::ArriveMedia { company, contact, channel } => {
                        d.ensure_queue(company);
                        let q = d.queue_named(company, Some(channel_queue(channel)));
                        d.call_company.insert(contact, company);
                        d.media.insert(contact, channel);
                        d.handle(Event::Arrive { contact, queue: q, priority: 0 });
                        d.queue_changed(company);
                    }
                    Request::Channels { company, settings } => {
                        d.channels.insert(company, settings);
                        let operators = d.ensure_queue(company);
                        d.channel_queues(company, operators);
                        let staff: Vec<StaffId> =
                            d.agents.iter().filter(|(_, c)| **c == company).map(|(s, _)| *s).collect();
                        for s in staff {
                            d.handle(Event::SetCapacity(agent_of(s), settings.capacity));
                        }
                    }
                    Request::Take { contact, staff, reply } => {
                        let agent = agent_of(staff);
                        let media = d.media.contains_key(&contact);
                        if media {
                            d.handle(Event::Accept { contact, agent });
                        }
                        let _ = reply.send(media && d.acd.agent_of(contact) == Some(agent));
                        if let Some(company) = d.call_company.get(&contact).copied() {
                            d.queue_changed(company);
                        }
                    }
                    Request::Close { contact, staff, reply } => {
                        let theirs = d.media.contains_key(&contact) && d.acd.agent_of(contact) == Some(agent_of(staff));
                        let company = d.call_company.get(&contact).copied();
                        if theirs {
                            d.handle(Event::End { contact });
                            d.forget(contact);
                        }
                        let _ = reply.send(theirs);
                        if let Some(company) = company {
                            d.queue_changed(company);
                        }
                    }
                    Request::Position { contact, reply } => {
                        d.handle(Event::Tick);
                        let _ = reply.send(d.acd.position(contact));
                    }
                    Request::Open { company, channel, reply } => {
                        let room = d.channels.get(&company).copied().unwrap_or_default().capacity;
                        let open = room[channel.index()] > 0
                            && d.queues.values().any(|q| {
                                q.company == company
                                    && q.name == OPERATORS
                                    && d.agents.iter().any(|(s, c)| {
                                        *c == company
                                            && d.takes(q, *s)
                                            && matches!(
                                                d.acd.agent_state(agent_of(*s)),
                                                Some(
                                                    AgentState::Available
                                                        | AgentState::Offered
                                                        | AgentState::OnContact
                                                        | AgentState::WrapUp
                                                )
                                            )
                                    })
                            });
                        let _ = reply.send(open);
                    }
                    Request::Set { company, staff, name, role, phone, wanted, reply } => {
                        d.ensure(company, staff, &name, role);
                        d.set_role(company, staff, role);
                        d.set_phone(staff, phone);
                        let a = agent_of(staff);
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
                        d.handle(Event::Tick);
                        let a = agent_of(staff);
                        let view = d.acd.agents().into_iter().find(|x| x.id == a).map(|x| {
                            let contact = d.acd.contact_of_agent(a);
                            AgentNow {
                                state: x.state,
                                in_state: x.in_state,
                                contact: contact.map(|(c, talking)| (interaction_of(c), talking)),
                                queue: contact
                                    .and_then(|(c, _)| d.acd.queue_of(c))
                                    .and_then(|q| d.queues.get(&q))
                                    .map(|q| q.name.clone()),
                                wrap_left: d.acd.wrap_left(a),
                                media: d
                                    .acd
                                    .contacts_of_agent(a)
                                    .into_iter()
                                    .filter(|(_, ch, _)| *ch != Channel::Voice)
                                    .map(|(c, ch, on)| (interaction_of(c), ch, on))
                                    .collect(),
                            }
                        });
                        let _ = reply.send(view);
                    }
                    Request::Stats { company, reply } => {
                        d.handle(Event::Tick);
                        d.ensure_queue(company);
                        let queues = d.views(company);
                        // Who talks in which call (a supervisor may listen in).
                        let talking: HashMap<AgentId, TaskId> =
                            d.calls.keys().filter_map(|c| Some((d.acd.agent_of(*c)?, *c))).collect();
                        let agents = d
                            .acd
                            .agents()
                            .into_iter()
                            .filter_map(|x| {
                                let staff = staff_of(x.id);
                                (d.agents.get(&staff) == Some(&company)).then_some(AgentView {
                                    staff,
                                    state: x.state,
                                    in_state: x.in_state,
                                    handled_today: x.handled_today,
                                    talking: talking.get(&x.id).map(|c| interaction_of(*c)),
                                    queue: talking
                                        .get(&x.id)
                                        .and_then(|c| d.acd.queue_of(*c))
                                        .and_then(|q| d.queues.get(&q))
                                        .filter(|q| campaign_of_queue(&q.name).is_none())
                                        .map(|q| q.name.clone()),
                                })
                            })
                            .collect();
                        let _ = reply.send((queues, agents));
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

    /// A routed call enters the ACD: for its chain in turn, then its queue.
    pub async fn arrive(&self, call: Arriving) -> bool {
        let Arriving { company, interaction, caller, chain, queue, control, story } = call;
        let contact = task_of(interaction);
        self.tx.send(Request::Arrive { company, contact, caller, chain, queue, control, story }).await.is_ok()
    }

    /// A campaign's call joins its queue (`campaign_queue`), to be started
    /// agent first like a callback; false when the queue is not there.
    pub async fn campaign_call(&self, company: CompanyId, contact: InteractionId, number: &str, queue: &str) -> bool {
        let (reply, rx) = oneshot::channel();
        let (contact, number, queue) = (task_of(contact), number.to_owned(), queue.to_owned());
        if self.tx.send(Request::CampaignCall { company, contact, number, queue, reply }).await.is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    /// The members of the company's queue `queue` available now.
    pub async fn idle(&self, company: CompanyId, queue: &str) -> Vec<StaffId> {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Request::Idle { company, queue: queue.to_owned(), reply }).await.is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// Applies a company's queues and their settings (at start, and when
    /// changed); the operator queue keeps the defaults if left out.
    pub async fn configure(&self, company: CompanyId, queues: Vec<(String, QueueSettings)>) {
        let _ = self.tx.send(Request::Configure { company, queues }).await;
    }

    /// Adds what the company's queues counted earlier today (before this
    /// start) to their "today" figures.
    pub async fn seed_day(&self, company: CompanyId, counts: Vec<(String, centrala_acd::DayCounts)>) {
        let _ = self.tx.send(Request::SeedDay { company, counts }).await;
    }

    /// A company's time zone changed (or is told at start): its midnight follows.
    pub async fn zone(&self, company: CompanyId, zone: chrono_tz::Tz) {
        let _ = self.tx.send(Request::Zone { company, zone }).await;
    }

    /// Listen in on a call being talked — silently, whispering to the
    /// agent or joined (`mode`; asked again by the one listening, it changes
    /// only the mode): false when it is not (or no longer) in the ACD or
    /// nobody talks in it.
    pub async fn listen(&self, contact: InteractionId, staff: StaffId, user: &str, mode: Coach) -> bool {
        let contact = task_of(contact);
        let (reply, rx) = oneshot::channel();
        let user = user.to_owned();
        if self.tx.send(Request::Listen { contact, staff, user, mode, reply }).await.is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    /// The agent `staff` puts their call on hold, mutes themselves or
    /// hangs up (`control`): false when the call is not theirs to control
    /// (over, or another agent's).
    pub async fn control(&self, contact: InteractionId, staff: StaffId, control: Control) -> bool {
        let contact = task_of(contact);
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Request::CallControl { contact, staff, control, reply }).await.is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    /// A staff member's role or activity changed: the queues they take
    /// follow at once, and a deactivated one is logged out.
    pub async fn staff_changed(&self, staff: StaffId, role: Role, active: bool) {
        let _ = self.tx.send(Request::Staff { staff, role, active }).await;
    }

    /// A staff member's phone changed: the next offer rings the new one
    /// (`None`: none; an offer is then a miss).
    pub async fn phone(&self, staff: StaffId, user: Option<String>) {
        let _ = self.tx.send(Request::Phone { staff, user }).await;
    }

    /// A callback whose client was not reached tries again: it joins the
    /// queue it waited in (or the operators') as a callback, try `attempt`.
    pub async fn callback_again(
        &self,
        company: CompanyId,
        contact: InteractionId,
        number: &str,
        queue: &str,
        attempt: u32,
    ) {
        let contact = task_of(contact);
        let (number, queue) = (number.to_owned(), queue.to_owned());
        let _ = self.tx.send(Request::CallbackAgain { company, contact, number, queue, attempt }).await;
    }

    /// A waiting caller pressed `digit`.
    pub async fn digit(&self, contact: InteractionId, digit: char) {
        let contact = task_of(contact);
        let _ = self.tx.send(Request::Digit { contact, digit }).await;
    }

    /// Blind transfer of a talking call to `chain`, then the operators;
    /// false when the call is not (or no longer) in the ACD.
    pub async fn transfer(&self, company: CompanyId, contact: InteractionId, chain: Vec<Person>) -> bool {
        let contact = task_of(contact);
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Request::Transfer { company, contact, chain, reply }).await.is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    /// A chat or an e-mail enters the company's queue of its channel.
    pub async fn arrive_media(&self, company: CompanyId, contact: InteractionId, channel: Channel) -> bool {
        let contact = task_of(contact);
        self.tx.send(Request::ArriveMedia { company, contact, channel }).await.is_ok()
    }

    /// The company's channel settings: its agents' capacities change at once.
    pub async fn channels(&self, company: CompanyId, settings: ChannelSettings) {
        let _ = self.tx.send(Request::Channels { company, settings }).await;
    }

    /// The agent takes the chat or e-mail offered to it: false when it is
    /// not (or no longer) theirs to take.
    pub async fn take(&self, contact: InteractionId, staff: StaffId) -> bool {
        let (reply, rx) = oneshot::channel();
        let contact = task_of(contact);
        if self.tx.send(Request::Take { contact, staff, reply }).await.is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    /// The agent closes the chat or e-mail it holds: false when it is not theirs.
    pub async fn close(&self, contact: InteractionId, staff: StaffId) -> bool {
        let (reply, rx) = oneshot::channel();
        let contact = task_of(contact);
        if self.tx.send(Request::Close { contact, staff, reply }).await.is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    /// A waiting contact's place (1 = next) and estimated wait.
    pub async fn position(&self, contact: InteractionId) -> Option<(usize, Duration)> {
        let (reply, rx) = oneshot::channel();
        let contact = task_of(contact);
        self.tx.send(Request::Position { contact, reply }).await.ok()?;
        rx.await.ok().flatten()
    }

    /// Whether anyone of the company's operators is at work now (ready, or
    /// busy) and agents take the channel at all.
    pub async fn open(&self, company: CompanyId, channel: Channel) -> bool {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Request::Open { company, channel, reply }).await.is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    /// How a call's ringing or conversation went.
    pub async fn contact(&self, e: Event) {
        let _ = self.tx.send(Request::Contact(e)).await;
    }

    /// An agent's state now, with the contact it is on and what is left
    /// of its wrap-up: what the desk shows after a reload.
    pub async fn state(&self, staff: StaffId) -> Option<AgentNow> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Request::State { staff, reply }).await.ok()?;
        rx.await.ok().flatten()
    }

    pub async fn stats(&self, company: CompanyId) -> Option<(Vec<QueueView>, Vec<AgentView>)> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Request::Stats { company, reply }).await.ok()?;
        rx.await.ok()
    }
}
