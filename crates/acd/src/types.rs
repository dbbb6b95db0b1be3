//! The ACD's vocabulary: ids, time, configuration, events, commands,
//! statistics and the event log.

use std::time::Duration;

macro_rules! id {
    ($($(#[$d:meta])* $n:ident($t:ty)),*) => {$(
        $(#[$d])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $n(pub $t);
    )*};
}

id!(
    /// An agent (a staff member who takes contacts).
    AgentId(u64),
    /// A queue.
    QueueId(u32),
    /// A contact the ACD routes (a call, a chat, an e-mail, a callback): a
    /// task, in the words of task routers, so that it is never confused
    /// with a client's contact person. The driver gives each interaction's
    /// task its own number.
    TaskId(u64),
    /// A skill, interned by the driver ("orders", "bosnian", "finance").
    Skill(u32),
    /// A company (tenant, CC-12): its queues and contacts are its own, and
    /// only agents who serve it are ever offered its contacts.
    Company(u64)
);

/// Engine time: milliseconds since an epoch the driver chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Instant(pub u64);

impl Instant {
    pub fn plus(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)))
    }
    /// Time from `earlier` to `self` (zero if `earlier` is later).
    pub fn since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

/// The channel of a contact; an agent has a capacity per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Voice,
    Chat,
    Email,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Voice, Channel::Chat, Channel::Email];
    /// Its place in a capacity or load triple (voice, chat, e-mail).
    pub fn index(self) -> usize {
        match self {
            Channel::Voice => 0,
            Channel::Chat => 1,
            Channel::Email => 2,
        }
    }
}

/// How a queue picks among available eligible agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// The agent idle the longest.
    LongestIdle,
    /// Each agent in turn.
    RoundRobin,
    /// Every available eligible agent at once; the first to accept wins.
    RingAll,
    /// The agent with the fewest contacts handled today.
    FewestContacts,
    /// The agent with the highest level in the queue's first skill.
    HighestSkill,
}

/// Where a contact goes when a queue is too full or it waited too long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Into another queue, keeping its seniority.
    Queue(QueueId),
    /// The caller is told it will be called back, and keeps its place.
    Callback,
    /// The caller hears a message and the contact ends.
    Message,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueueConfig {
    pub id: QueueId,
    pub name: String,
    /// Whose queue it is: only agents who serve this company take its
    /// contacts. Fixed for the queue's life.
    pub company: Company,
    /// Higher is served first when queues compete for an agent.
    pub priority: i32,
    pub channel: Channel,
    /// Required skills and the level each needs at first.
    pub skills: Vec<(Skill, u8)>,
    /// Widening: after waiting this long, the level needed drops to this
    /// (like Asterisk's penalty changes or FreeSWITCH's tiers).
    pub widening: Vec<(Duration, u8)>,
    pub strategy: Strategy,
    pub ring_timeout: Duration,
    pub wrap_up: Duration,
    pub max_wait: Option<(Duration, Overflow)>,
    pub max_len: Option<(usize, Overflow)>,
    /// Service level threshold: answered within this counts as in service.
    pub sl_threshold: Duration,
    /// Handle time assumed before any contact has been handled.
    pub default_handle: Duration,
}

impl QueueConfig {
    /// A voice queue of company 0 with defaults: longest idle, 15 s ring,
    /// no wrap-up, 20 s service level, no skills required.
    pub fn new(id: QueueId, name: &str) -> QueueConfig {
        QueueConfig {
            id,
            name: name.to_owned(),
            company: Company(0),
            priority: 0,
            channel: Channel::Voice,
            skills: Vec::new(),
            widening: Vec::new(),
            strategy: Strategy::LongestIdle,
            ring_timeout: Duration::from_secs(15),
            wrap_up: Duration::ZERO,
            max_wait: None,
            max_len: None,
            sl_threshold: Duration::from_secs(20),
            default_handle: Duration::from_secs(180),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgentConfig {
    pub id: AgentId,
    pub name: String,
    pub skills: Vec<(Skill, u8)>,
    /// The companies whose contacts it takes (an outsourcing center's agent
    /// may serve several client companies).
    pub companies: Vec<Company>,
    /// How many contacts of each channel at once (voice, chat, e-mail).
    pub capacity: [u8; 3],
    /// Who takes contacts meant for this agent while it is logged out.
    pub substitute: Option<AgentId>,
}

impl AgentConfig {
    /// An agent of company 0 for one call at a time, no chats or e-mails.
    pub fn new(id: AgentId, name: &str) -> AgentConfig {
        AgentConfig {
            id,
            name: name.to_owned(),
            skills: Vec::new(),
            companies: vec![Company(0)],
            capacity: [1, 0, 0],
            substitute: None,
        }
    }
}

/// One step of a direct target's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Wait this long for this person.
    Agent(AgentId, Duration),
    /// Then a queue.
    Queue(QueueId),
}

/// Everything the engine reacts to.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    AddQueue(QueueConfig),
    /// New settings for a queue that exists (or a new queue): its name,
    /// priority, ring timeout, wrap-up, limits and overflow, service-level
    /// threshold and default handle time take effect for what happens next
    /// (contacts already waiting keep the max-wait they arrived with). Its
    /// skills, widening, strategy and channel stay as they were: those
    /// shape its lists, and changing them takes a new queue.
    UpdateQueue(QueueConfig),
    AddAgent(AgentConfig),
    /// New skills for an agent that exists: it joins and leaves queues
    /// accordingly, keeping its state, its contacts and its statistics.
    SetSkills(AgentId, Vec<(Skill, u8)>),
    /// The companies an agent serves now: it joins and leaves their queues
    /// as `SetSkills` does; contacts it holds stay with it.
    SetCompanies(AgentId, Vec<Company>),
    /// How many contacts of each channel (voice, chat, e-mail) the agent
    /// holds at once from now on; what it holds beyond stays until it ends.
    SetCapacity(AgentId, [u8; 3]),
    /// Logged in and ready.
    Login(AgentId),
    Logout(AgentId),
    Ready(AgentId),
    NotReady(AgentId, String),
    /// The agent finished wrap-up before its time ran out.
    WrapUpDone(AgentId),
    /// A contact arrives in a queue (and is of the queue's company).
    Arrive {
        contact: TaskId,
        queue: QueueId,
        priority: i32,
    },
    /// A callback to be made (a retry after the client was not reached):
    /// it waits in the queue as a callback from now on, with nobody on the
    /// line, so its turn is a `StartCallback`.
    ArriveCallback {
        contact: TaskId,
        queue: QueueId,
        priority: i32,
    },
    /// A contact of `company` for a chain of people (then, usually, a
    /// queue of the same company); a step that does not serve the company
    /// is passed over.
    ArriveDirect {
        contact: TaskId,
        company: Company,
        channel: Channel,
        priority: i32,
        chain: Vec<Step>,
    },
    Accept {
        contact: TaskId,
        agent: AgentId,
    },
    Decline {
        contact: TaskId,
        agent: AgentId,
    },
    End {
        contact: TaskId,
    },
    /// The agent's phone was lost mid-contact (a browser's network went,
    /// and the grace time passed): the contact goes back to its place.
    Lost {
        contact: TaskId,
        agent: AgentId,
    },
    /// The caller hung up while waiting (or ringing).
    Abandon {
        contact: TaskId,
    },
    /// The waiting caller asked to be called back; it keeps its place.
    RequestCallback {
        contact: TaskId,
    },
    /// Nothing happened but time passed (the driver's timer fired).
    Tick,
    /// Midnight in this company's time zone: its queues' statistics of
    /// today start again, and so do the contacts handled today of the
    /// agents whose first company it is.
    NewDay(Company),
    /// What a queue counted earlier today, before this engine started (a
    /// restart): added to its "today" figures, so they are the day's.
    SeedDay {
        queue: QueueId,
        counts: DayCounts,
    },
}

/// A queue's "today" counters, as `SeedDay` adds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DayCounts {
    pub arrived: u64,
    pub answered: u64,
    pub answered_within: u64,
    pub abandoned: u64,
    pub abandoned_after: u64,
    pub overflowed: u64,
    /// How long the answered waited, summed (ASA's numerator).
    pub answer_wait_ms: u64,
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Ring the agent for the contact.
    Offer { contact: TaskId, agent: AgentId },
    /// Stop ringing: another agent took it, or the caller left.
    Retract { contact: TaskId, agent: AgentId },
    /// A callback's turn: ring the agent, then dial the client.
    StartCallback { contact: TaskId, agent: AgentId },
    /// The contact overflowed (for `Message`: play it and hang up; for
    /// `Callback`: tell the caller it will be called back and hang up).
    Overflowed { contact: TaskId, from: QueueId, to: Overflow },
    /// A direct target's chain moved on to its next step.
    Redirected { contact: TaskId, step: usize },
    /// An agent's state changed (for the wallboard).
    AgentState { agent: AgentId, state: AgentState },
}

/// An agent's state as a supervisor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentState {
    Offline,
    Available,
    Offered,
    OnContact,
    WrapUp,
    NotReady(String),
}

impl AgentState {
    pub fn as_str(&self) -> &str {
        match self {
            AgentState::Offline => "offline",
            AgentState::Available => "available",
            AgentState::Offered => "offered",
            AgentState::OnContact => "on_contact",
            AgentState::WrapUp => "wrap_up",
            AgentState::NotReady(_) => "not_ready",
        }
    }
}

/// What happened, for reports (like Asterisk's queue_log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogKind {
    Enqueued {
        priority: i32,
    },
    Offered,
    NoAnswer,
    Declined,
    Connected {
        waited: Duration,
    },
    Ended {
        handled: Duration,
    },
    Abandoned {
        waited: Duration,
        position: usize,
    },
    Overflowed(Overflow),
    CallbackRequested,
    CallbackStarted,
    /// The agent's phone was lost; the contact went back.
    Lost,
    Redirected {
        step: usize,
    },
    Agent(AgentState),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub at: Instant,
    pub contact: Option<TaskId>,
    pub queue: Option<QueueId>,
    pub agent: Option<AgentId>,
    pub kind: LogKind,
}

/// A queue's real-time statistics.
///
/// Service level = contacts answered within the threshold ÷ (contacts
/// answered + contacts abandoned after the threshold), today. Callers who
/// hang up within the threshold count for neither (Asterisk's SL2 reading).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueueStats {
    pub waiting: usize,
    pub longest_wait: Duration,
    pub arrived_today: u64,
    pub answered_today: u64,
    pub answered_within_sl: u64,
    pub abandoned_today: u64,
    pub abandoned_after_sl: u64,
    pub overflowed_today: u64,
    pub service_level: Option<f64>,
    /// Average speed of answer.
    pub asa: Option<Duration>,
    /// Abandoned ÷ (answered + abandoned).
    pub abandon_rate: Option<f64>,
    /// Recent average handle time (talk and wrap-up), smoothed.
    pub aht: Duration,
    pub agents_available: usize,
    pub agents_busy: usize,
    pub agents_not_ready: usize,
    pub agents_logged_in: usize,
}

/// An agent as the wallboard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSnapshot {
    pub id: AgentId,
    pub name: String,
    pub state: AgentState,
    pub in_state: Duration,
    pub handled_today: u32,
}
