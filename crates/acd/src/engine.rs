//! The engine. Data structures are chosen so that every decision costs
//! O(log n) in waiting contacts and available agents:
//!
//! - each queue keeps its waiting contacts in a `BTreeSet` ordered by
//!   (priority, seniority), and its available agents in one `BTreeSet` per
//!   widening tier, ordered by the queue's strategy key;
//! - an agent that becomes available looks only at the oldest contact of
//!   each priority level of the few queues it belongs to;
//! - timers live in one binary heap and are checked lazily (a stale timer
//!   is recognised by an epoch or sequence number and dropped).

use crate::types::*;
use std::{
    cmp::Reverse,
    collections::{BTreeSet, BinaryHeap, HashMap, VecDeque},
    time::Duration,
};

/// A fast hasher for the engine's maps. Keys are small integer ids given
/// by the driver, never by an outsider, so SipHash's resistance to
/// collision attacks buys nothing here and costs a good part of every
/// decision. (The multiply-rotate mix of rustc's FxHash, hand-written to
/// keep this crate free of dependencies.)
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }
}

type IdMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;

/// Queue order: higher priority first, then seniority (earlier arrival).
type WaitKey = (Reverse<i32>, Instant, TaskId);
/// Agent order within a tier: the strategy's key, smallest first.
type AgentKey = (u64, u64, AgentId);

/// How long a direct target's phone rings.
const DIRECT_RING: Duration = Duration::from_secs(20);
/// Ring-all offers to at most this many agents at once.
const RING_ALL_MAX: usize = 64;
/// Smoothing of the average handle time (weight of the newest contact).
const AHT_ALPHA: f64 = 0.1;

struct Agent {
    cfg: AgentConfig,
    online: bool,
    ready: bool,
    reason: String,
    since: Instant,
    wrap_until: Option<Instant>,
    wrap_seq: u64,
    offered: Vec<TaskId>,
    connected: Vec<TaskId>,
    load: [u8; 3],
    /// What it may hold per channel now: its capacity, or more while it
    /// still holds what it took before its capacity was lowered.
    allowed: [u8; 3],
    idle_since: Instant,
    handled_today: u32,
    /// The queues this agent can serve, with its widening tier in each.
    queues: Vec<(QueueId, usize)>,
    /// Where the agent is listed as available, to unlist it.
    listed: Vec<(QueueId, usize, AgentKey)>,
    /// Direct contacts waiting for this very agent, oldest first.
    waiters: VecDeque<TaskId>,
}

impl Agent {
    fn has_room(&self, ch: Channel) -> bool {
        self.online && self.ready && self.wrap_until.is_none() && self.load[ch.index()] < self.cfg.capacity[ch.index()]
    }

    /// One contact of the channel is no longer held.
    fn release(&mut self, ch: Channel) {
        let i = ch.index();
        self.load[i] = self.load[i].saturating_sub(1);
        self.allowed[i] = self.allowed[i].min(self.load[i]).max(self.cfg.capacity[i]);
    }

    fn state(&self) -> AgentState {
        if !self.online {
            AgentState::Offline
        } else if !self.connected.is_empty() {
            AgentState::OnContact
        } else if !self.offered.is_empty() {
            AgentState::Offered
        } else if self.wrap_until.is_some() {
            AgentState::WrapUp
        } else if !self.ready {
            AgentState::NotReady(self.reason.clone())
        } else {
            AgentState::Available
        }
    }

    fn level(&self, skill: Skill) -> u8 {
        self.cfg.skills.iter().find(|(s, _)| *s == skill).map_or(0, |(_, l)| *l)
    }

    fn serves(&self, company: Company) -> bool {
        self.cfg.companies.contains(&company)
    }
}

#[derive(Default, Clone)]
struct DayStats {
    arrived: u64,
    answered: u64,
    answered_within: u64,
    abandoned: u64,
    abandoned_after: u64,
    overflowed: u64,
    answer_wait_ms: u64,
}

struct Queue {
    cfg: QueueConfig,
    waiting: BTreeSet<WaitKey>,
    /// Available agents per widening tier.
    avail: Vec<BTreeSet<AgentKey>>,
    /// Level needed per tier and when each tier opens.
    tier_levels: Vec<u8>,
    tier_opens: Vec<Duration>,
    members: Vec<(AgentId, usize)>,
    rr: u64,
    rr_last: IdMap<AgentId, u64>,
    day: DayStats,
    aht_ms: f64,
}

impl Queue {
    fn new(cfg: QueueConfig) -> Queue {
        let mut tier_levels = vec![u8::MAX];
        let mut tier_opens = vec![Duration::ZERO];
        let mut widening = cfg.widening.clone();
        widening.sort_by_key(|(d, _)| *d);
        for (d, l) in widening {
            tier_levels.push(l);
            tier_opens.push(d);
        }
        let tiers = tier_levels.len();
        let aht_ms = cfg.default_handle.as_millis() as f64;
        Queue {
            cfg,
            waiting: BTreeSet::new(),
            avail: (0..tiers).map(|_| BTreeSet::new()).collect(),
            tier_levels,
            tier_opens,
            members: Vec::new(),
            rr: 0,
            rr_last: IdMap::default(),
            day: DayStats::default(),
            aht_ms,
        }
    }

    /// The first tier whose level the agent meets, if any; none for an
    /// agent who does not serve the queue's company.
    fn tier_of(&self, agent: &Agent) -> Option<usize> {
        if !agent.serves(self.cfg.company) {
            return None;
        }
        (0..self.tier_levels.len()).find(|&t| {
            self.cfg.skills.iter().all(|(s, first)| {
                let need = if t == 0 { *first } else { self.tier_levels[t].min(*first) };
                agent.level(*s) >= need
            })
        })
    }

    /// How many tiers are open to a contact that arrived at `arrived`.
    ///
    /// Widening counts from the contact's first arrival, the same instant
    /// its place in the queue is ordered by: so within a priority level the
    /// most senior contact always has the most tiers open, and only the
    /// head of each level needs looking at. A contact that overflowed here,
    /// or fell back from a direct target, has waited already and is widened
    /// accordingly.
    fn open_tiers(&self, arrived: Instant, now: Instant) -> usize {
        let waited = now.since(arrived);
        self.tier_opens.iter().filter(|d| waited >= **d).count()
    }

    fn key(&self, a: &Agent) -> AgentKey {
        let id = a.cfg.id;
        match self.cfg.strategy {
            Strategy::LongestIdle | Strategy::RingAll => (a.idle_since.0, 0, id),
            Strategy::RoundRobin => (self.rr_last.get(&id).copied().unwrap_or(0), 0, id),
            Strategy::FewestContacts => (u64::from(a.handled_today), a.idle_since.0, id),
            Strategy::HighestSkill => {
                let level = self.cfg.skills.first().map_or(0, |(s, _)| a.level(*s));
                (u64::from(u8::MAX - level), a.idle_since.0, id)
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CState {
    Waiting,
    WaitingFor(AgentId),
    Offered,
    Connected,
}

struct Contact {
    company: Company,
    channel: Channel,
    priority: i32,
    /// Seniority: when it first arrived (kept through overflow).
    arrived: Instant,
    /// When it entered its current queue or step (widening, max wait).
    enqueued: Instant,
    queue: Option<QueueId>,
    state: CState,
    callback: bool,
    /// Counted as arrived where it first came (a callback made again or
    /// restored after a restart): not counted again in a queue's day.
    counted: bool,
    chain: Vec<Step>,
    step: usize,
    epoch: u64,
    offer_seq: u64,
    offered_to: Vec<AgentId>,
    agent: Option<AgentId>,
    connected_at: Instant,
    /// Answered once already (its agent was lost): not counted as answered
    /// again in its queue's day.
    answered: bool,
}

impl Contact {
    fn key(&self, id: TaskId) -> WaitKey {
        (Reverse(self.priority), self.arrived, id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Ring(TaskId, u64),
    Wrap(AgentId, u64),
    Widen(TaskId, u64),
    MaxWait(TaskId, u64),
    Step(TaskId, u64),
}

/// The ACD engine. See the crate documentation.
pub struct Acd {
    agents: IdMap<AgentId, Agent>,
    queues: IdMap<QueueId, Queue>,
    contacts: IdMap<TaskId, Contact>,
    timers: BinaryHeap<Reverse<(Instant, Timer)>>,
    log: Vec<LogEntry>,
    logging: bool,
    out: Vec<Command>,
    now: Instant,
    /// Tests turn on the first-in first-out check at every offer.
    checks: bool,
    fifo_violations: Vec<String>,
}

impl Default for Acd {
    fn default() -> Self {
        Self::new()
    }
}

impl Acd {
    pub fn new() -> Acd {
        Acd {
            agents: IdMap::default(),
            queues: IdMap::default(),
            contacts: IdMap::default(),
            timers: BinaryHeap::new(),
            log: Vec::new(),
            logging: true,
            out: Vec::new(),
            now: Instant(0),
            checks: false,
            fifo_violations: Vec::new(),
        }
    }

    /// Checks, at every offer, that no contact of the same queue and
    /// priority that came earlier and could be served by that agent is
    /// passed over. Costs a scan per offer: for tests.
    pub fn enable_checks(&mut self) {
        self.checks = true;
    }

    /// Turns the event log off (it is on by default).
    pub fn set_logging(&mut self, on: bool) {
        self.logging = on;
    }

    /// Takes the event log written so far.
    pub fn take_log(&mut self) -> Vec<LogEntry> {
        std::mem::take(&mut self.log)
    }

    /// When the engine next needs [`Event::Tick`] (or any event).
    pub fn next_timeout(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((t, _))| *t)
    }

    /// Feeds one event at time `now` (never earlier than a previous call's)
    /// and returns what the driver must do. Timers due by `now` fire first.
    pub fn handle(&mut self, now: Instant, event: Event) -> Vec<Command> {
        self.now = self.now.max(now);
        self.fire_timers();
        self.event(event);
        std::mem::take(&mut self.out)
    }

    fn record(&mut self, contact: Option<TaskId>, queue: Option<QueueId>, agent: Option<AgentId>, kind: LogKind) {
        if self.logging {
            self.log.push(LogEntry { at: self.now, contact, queue, agent, kind });
        }
    }

    fn agent_changed(&mut self, id: AgentId) {
        if let Some(a) = self.agents.get_mut(&id) {
            let state = a.state();
            a.since = self.now;
            self.out.push(Command::AgentState { agent: id, state: state.clone() });
            self.record(None, None, Some(id), LogKind::Agent(state));
        }
    }

    fn timer(&mut self, at: Instant, t: Timer) {
        self.timers.push(Reverse((at, t)));
    }

    fn fire_timers(&mut self) {
        while let Some(Reverse((at, t))) = self.timers.peek().copied() {
            if at > self.now {
                break;
            }
            self.timers.pop();
            match t {
                Timer::Ring(c, seq) => {
                    let live = self.contacts.get(&c).is_some_and(|k| k.state == CState::Offered && k.offer_seq == seq);
                    if live {
                        self.no_answer(c, LogKind::NoAnswer, "no_answer");
                    }
                }
                Timer::Wrap(a, seq) => {
                    let live = self.agents.get(&a).is_some_and(|x| x.wrap_seq == seq && x.wrap_until.is_some());
                    if live {
                        self.end_wrap(a);
                    }
                }
                Timer::Widen(c, epoch) => {
                    if let Some(q) = self.waiting_in(c, epoch) {
                        self.match_queue(q);
                    }
                }
                Timer::MaxWait(c, epoch) => {
                    // A callback waits for an agent, not on the line: the
                    // longest wait is for callers.
                    let callback = self.contacts.get(&c).is_some_and(|k| k.callback);
                    if let Some(q) = self.waiting_in(c, epoch).filter(|_| !callback) {
                        if let Some((_, to)) = self.queues.get(&q).and_then(|q| q.cfg.max_wait) {
                            self.overflow(c, q, to, 0);
                        }
                    }
                }
                Timer::Step(c, epoch) => {
                    let waiting_for = self.contacts.get(&c).and_then(|k| match k.state {
                        CState::WaitingFor(a) if k.epoch == epoch => Some(a),
                        _ => None,
                    });
                    if let Some(a) = waiting_for {
                        if let Some(ag) = self.agents.get_mut(&a) {
                            ag.waiters.retain(|w| *w != c);
                        }
                        self.next_step(c);
                    }
                }
            }
        }
    }

    /// The queue a contact waits in, if it still waits there since `epoch`.
    fn waiting_in(&self, c: TaskId, epoch: u64) -> Option<QueueId> {
        self.contacts.get(&c).filter(|k| k.state == CState::Waiting && k.epoch == epoch).and_then(|k| k.queue)
    }

    fn event(&mut self, e: Event) {
        match e {
            Event::AddQueue(cfg) => self.add_queue(cfg),
            Event::UpdateQueue(cfg) => match self.queues.get_mut(&cfg.id) {
                Some(q) => {
                    let keep = (q.cfg.skills.clone(), q.cfg.widening.clone(), q.cfg.strategy, q.cfg.channel);
                    let company = q.cfg.company;
                    q.cfg = QueueConfig {
                        skills: keep.0,
                        widening: keep.1,
                        strategy: keep.2,
                        channel: keep.3,
                        company,
                        ..cfg
                    };
                }
                None => self.add_queue(cfg),
            },
            Event::AddAgent(cfg) => self.add_agent(cfg),
            Event::SetSkills(a, skills) => {
                if let Some(x) = self.agents.get_mut(&a) {
                    x.cfg.skills = skills;
                    self.rejoin(a);
                }
            }
            Event::SetCapacity(a, capacity) => {
                if let Some(x) = self.agents.get_mut(&a) {
                    x.cfg.capacity = capacity;
                    for ((allowed, load), room) in x.allowed.iter_mut().zip(x.load).zip(capacity) {
                        *allowed = load.max(room);
                    }
                    self.relist(a);
                    self.match_agent(a);
                }
            }
            Event::SetCompanies(a, companies) => {
                let Some(x) = self.agents.get_mut(&a) else { return };
                x.cfg.companies = companies;
                // Offers of companies it no longer serves are taken back
                // (contacts it talks in stay with it until they end).
                let foreign: Vec<TaskId> = x
                    .offered
                    .iter()
                    .copied()
                    .filter(|c| self.contacts.get(c).is_some_and(|k| !x.cfg.companies.contains(&k.company)))
                    .collect();
                for c in foreign {
                    self.retract_one(c, a);
                    self.if_unoffered_return(c);
                }
                // Contacts waiting for this very agent move on to their next step.
                let Some(x) = self.agents.get_mut(&a) else { return };
                let (foreign, keep): (VecDeque<TaskId>, VecDeque<TaskId>) = std::mem::take(&mut x.waiters)
                    .into_iter()
                    .partition(|c| self.contacts.get(c).is_some_and(|k| !x.cfg.companies.contains(&k.company)));
                x.waiters = keep;
                for c in foreign {
                    self.next_step(c);
                }
                self.rejoin(a);
            }
            Event::Login(a) => {
                if let Some(x) = self.agents.get_mut(&a) {
                    x.online = true;
                    x.ready = true;
                    x.idle_since = self.now;
                    self.agent_changed(a);
                    self.match_agent(a);
                }
            }
            Event::Logout(a) => {
                let offered = match self.agents.get_mut(&a) {
                    Some(x) => {
                        x.online = false;
                        x.offered.clone()
                    }
                    None => return,
                };
                self.unlist(a);
                for c in offered {
                    self.retract_one(c, a);
                    self.if_unoffered_return(c);
                }
                self.agent_changed(a);
            }
            Event::Ready(a) => {
                if let Some(x) = self.agents.get_mut(&a) {
                    if x.online && !x.ready {
                        x.ready = true;
                        x.reason.clear();
                        x.idle_since = self.now;
                        self.agent_changed(a);
                        self.match_agent(a);
                    }
                }
            }
            Event::NotReady(a, reason) => {
                if let Some(x) = self.agents.get_mut(&a) {
                    x.ready = false;
                    x.reason = reason;
                    self.unlist(a);
                    self.agent_changed(a);
                }
            }
            Event::WrapUpDone(a) => {
                if self.agents.get(&a).is_some_and(|x| x.wrap_until.is_some()) {
                    self.end_wrap(a);
                }
            }
            Event::Arrive { contact, queue, priority } => {
                let Some((ch, company)) = self.queues.get(&queue).map(|q| (q.cfg.channel, q.cfg.company)) else {
                    return;
                };
                if self.contacts.contains_key(&contact) {
                    return;
                }
                self.contacts.insert(contact, self.new_contact(company, ch, priority, Vec::new()));
                self.enqueue(contact, queue, 0);
            }
            Event::ArriveCallback { contact, queue, priority } => {
                let Some((ch, company)) = self.queues.get(&queue).map(|q| (q.cfg.channel, q.cfg.company)) else {
                    return;
                };
                if self.contacts.contains_key(&contact) {
                    return;
                }
                let mut k = self.new_contact(company, ch, priority, Vec::new());
                k.callback = true;
                k.counted = true;
                self.contacts.insert(contact, k);
                self.record(Some(contact), Some(queue), None, LogKind::CallbackRequested);
                self.enqueue(contact, queue, 0);
            }
            Event::ArriveDirect { contact, company, channel, priority, chain } => {
                if self.contacts.contains_key(&contact) || chain.is_empty() {
                    return;
                }
                self.contacts.insert(contact, self.new_contact(company, channel, priority, chain));
                self.start_step(contact);
            }
            Event::Accept { contact, agent } => self.accept(contact, agent),
            Event::Decline { contact, agent } => {
                let offered = self
                    .contacts
                    .get(&contact)
                    .is_some_and(|k| k.state == CState::Offered && k.offered_to.contains(&agent));
                if offered {
                    let only = self.contacts.get(&contact).is_some_and(|k| k.offered_to.len() == 1);
                    if only {
                        self.no_answer(contact, LogKind::Declined, "declined");
                    } else {
                        // Ring-all: one agent declining leaves the others ringing.
                        self.retract_one(contact, agent);
                        self.set_not_ready(agent, "declined");
                    }
                }
            }
            Event::End { contact } => self.end(contact),
            Event::Lost { contact, agent } => self.lost(contact, agent),
            Event::Abandon { contact } => self.abandon(contact),
            Event::RequestCallback { contact } => {
                if let Some(k) = self.contacts.get_mut(&contact) {
                    if matches!(k.state, CState::Waiting | CState::WaitingFor(_)) && !k.callback {
                        k.callback = true;
                        let q = k.queue;
                        self.record(Some(contact), q, None, LogKind::CallbackRequested);
                    }
                }
            }
            Event::Tick => {}
            Event::SeedDay { queue, counts } => {
                if let Some(q) = self.queues.get_mut(&queue) {
                    let d = &mut q.day;
                    d.arrived += counts.arrived;
                    d.answered += counts.answered;
                    d.answered_within += counts.answered_within;
                    d.abandoned += counts.abandoned;
                    d.abandoned_after += counts.abandoned_after;
                    d.overflowed += counts.overflowed;
                    d.answer_wait_ms += counts.answer_wait_ms;
                }
            }
            Event::NewDay(company) => {
                for q in self.queues.values_mut().filter(|q| q.cfg.company == company) {
                    q.day = DayStats::default();
                }
                let ids: Vec<AgentId> = self
                    .agents
                    .iter()
                    .filter(|(_, x)| x.cfg.companies.first() == Some(&company))
                    .map(|(a, _)| *a)
                    .collect();
                for a in ids {
                    if let Some(x) = self.agents.get_mut(&a) {
                        x.handled_today = 0;
                    }
                    self.relist(a);
                }
            }
        }
    }

    fn new_contact(&self, company: Company, channel: Channel, priority: i32, chain: Vec<Step>) -> Contact {
        Contact {
            company,
            channel,
            priority,
            arrived: self.now,
            enqueued: self.now,
            queue: None,
            state: CState::Waiting,
            callback: false,
            counted: false,
            chain,
            step: 0,
            epoch: 0,
            offer_seq: 0,
            offered_to: Vec::new(),
            agent: None,
            connected_at: self.now,
            answered: false,
        }
    }

    fn add_queue(&mut self, cfg: QueueConfig) {
        let id = cfg.id;
        let mut q = Queue::new(cfg);
        for (aid, a) in &mut self.agents {
            if let Some(t) = q.tier_of(a) {
                q.members.push((*aid, t));
                a.queues.push((id, t));
            }
        }
        self.queues.insert(id, q);
        let members: Vec<AgentId> =
            self.queues.get(&id).map(|q| q.members.iter().map(|(a, _)| *a).collect()).unwrap_or_default();
        for a in members {
            self.match_agent(a);
        }
    }

    fn add_agent(&mut self, cfg: AgentConfig) {
        let (id, capacity) = (cfg.id, cfg.capacity);
        let mut a = Agent {
            cfg,
            online: false,
            ready: false,
            reason: String::new(),
            since: self.now,
            wrap_until: None,
            wrap_seq: 0,
            offered: Vec::new(),
            connected: Vec::new(),
            load: [0; 3],
            allowed: capacity,
            idle_since: self.now,
            handled_today: 0,
            queues: Vec::new(),
            listed: Vec::new(),
            waiters: VecDeque::new(),
        };
        for (qid, q) in &mut self.queues {
            if let Some(t) = q.tier_of(&a) {
                q.members.push((id, t));
                a.queues.push((*qid, t));
            }
        }
        self.agents.insert(id, a);
    }

    /// The agent's skills or companies changed: it joins and leaves queues
    /// accordingly, keeping its state, its contacts and its statistics.
    fn rejoin(&mut self, id: AgentId) {
        if !self.agents.contains_key(&id) {
            return;
        }
        self.unlist(id);
        for q in self.queues.values_mut() {
            q.members.retain(|(m, _)| *m != id);
        }
        let Some(a) = self.agents.get_mut(&id) else { return };
        a.queues.clear();
        for (qid, q) in &mut self.queues {
            if let Some(t) = q.tier_of(a) {
                q.members.push((id, t));
                a.queues.push((*qid, t));
            }
        }
        self.relist(id);
        self.match_agent(id);
    }

    // ---- availability lists -------------------------------------------

    fn unlist(&mut self, a: AgentId) {
        let listed = match self.agents.get_mut(&a) {
            Some(x) => std::mem::take(&mut x.listed),
            None => return,
        };
        for (q, t, key) in listed {
            if let Some(q) = self.queues.get_mut(&q) {
                q.avail[t].remove(&key);
            }
        }
    }

    /// Lists the agent as available in each of its queues it has room for.
    fn relist(&mut self, a: AgentId) {
        self.unlist(a);
        let Some(agent) = self.agents.get(&a) else { return };
        let mut listed = Vec::new();
        for (qid, t) in &agent.queues {
            if let Some(q) = self.queues.get_mut(qid) {
                if agent.has_room(q.cfg.channel) {
                    let key = q.key(agent);
                    q.avail[*t].insert(key);
                    listed.push((*qid, *t, key));
                }
            }
        }
        if let Some(x) = self.agents.get_mut(&a) {
            x.listed = listed;
        }
    }

    // ---- matching -------------------------------------------------------

    /// An agent has room: give it the best waiting contact, repeatedly.
    fn match_agent(&mut self, a: AgentId) {
        // `offer` relists the agents it rings; only an agent that got
        // nothing needs listing here.
        let mut offered = false;
        loop {
            let Some(agent) = self.agents.get(&a) else { return };
            // Contacts meant for this very agent come first.
            let direct =
                agent.waiters.iter().copied().find(|c| {
                    self.contacts.get(c).is_some_and(|k| agent.has_room(k.channel) && agent.serves(k.company))
                });
            if let Some(c) = direct {
                if let Some(x) = self.agents.get_mut(&a) {
                    x.waiters.retain(|w| *w != c);
                }
                self.offer(c, vec![a], DIRECT_RING);
                offered = true;
                continue;
            }
            // Then the best head among its queues: queue priority, contact
            // priority, seniority.
            let mut best: Option<((i32, Reverse<WaitKey>), QueueId, TaskId)> = None;
            for (qid, tier) in &agent.queues {
                let Some(q) = self.queues.get(qid) else { continue };
                if !agent.has_room(q.cfg.channel) {
                    continue;
                }
                if let Some((key, c)) = self.oldest_open_to(q, *tier) {
                    let rank = (q.cfg.priority, Reverse(key));
                    if best.as_ref().is_none_or(|(b, _, _)| rank > *b) {
                        best = Some((rank, *qid, c));
                    }
                }
            }
            let Some((_, q, c)) = best else { break };
            self.check_fifo(q, c, a);
            self.take_from_queue(q, c);
            let agents = self.ring_group(q, c, a);
            let ring = self.queues.get(&q).map_or(DIRECT_RING, |q| q.cfg.ring_timeout);
            self.offer(c, agents, ring);
            offered = true;
        }
        if !offered {
            self.relist(a);
        }
    }

    /// The most senior waiting contact of `q` whose open tiers include `tier`:
    /// the oldest of each priority level is checked, best level first.
    fn oldest_open_to(&self, q: &Queue, tier: usize) -> Option<(WaitKey, TaskId)> {
        let mut cursor = q.waiting.iter().next().copied();
        while let Some(key) = cursor {
            let c = key.2;
            let open = self.contacts.get(&c).map_or(0, |k| q.open_tiers(k.arrived, self.now));
            if open > tier {
                return Some((key, c));
            }
            // Skip to the next priority level.
            let next_level = (Reverse(key.0 .0 - 1), Instant(0), TaskId(0));
            if key.0 .0 == i32::MIN {
                return None;
            }
            cursor = q.waiting.range(next_level..).next().copied();
        }
        None
    }

    /// Contacts of `q` got waiting, or tiers opened: match while possible.
    fn match_queue(&mut self, qid: QueueId) {
        loop {
            let Some(q) = self.queues.get(&qid) else { return };
            let mut found: Option<(TaskId, AgentId)> = None;
            let mut cursor = q.waiting.iter().next().copied();
            while let Some(key) = cursor {
                let c = key.2;
                let open = self.contacts.get(&c).map_or(0, |k| q.open_tiers(k.arrived, self.now));
                let best = q.avail[..open.min(q.avail.len())].iter().filter_map(|s| s.first()).min();
                if let Some(&(_, _, a)) = best {
                    found = Some((c, a));
                    break;
                }
                if key.0 .0 == i32::MIN {
                    break;
                }
                cursor = q.waiting.range((Reverse(key.0 .0 - 1), Instant(0), TaskId(0))..).next().copied();
            }
            let Some((c, a)) = found else { return };
            self.check_fifo(qid, c, a);
            self.take_from_queue(qid, c);
            let agents = self.ring_group(qid, c, a);
            let ring = self.queues.get(&qid).map_or(DIRECT_RING, |q| q.cfg.ring_timeout);
            self.offer(c, agents, ring);
        }
    }

    /// With checks on: is `c` being served before an earlier contact of
    /// the same queue and priority that agent `a` could serve as well?
    fn check_fifo(&mut self, qid: QueueId, c: TaskId, a: AgentId) {
        if !self.checks {
            return;
        }
        let (Some(q), Some(k)) = (self.queues.get(&qid), self.contacts.get(&c)) else { return };
        let tier = q.members.iter().find(|(m, _)| *m == a).map_or(usize::MAX, |(_, t)| *t);
        let start = (Reverse(k.priority), Instant(0), TaskId(0));
        for key in q.waiting.range(start..k.key(c)) {
            let d = key.2;
            if d == c || key.0 .0 != k.priority {
                continue;
            }
            let open = self.contacts.get(&d).map_or(0, |x| q.open_tiers(x.arrived, self.now));
            if open > tier {
                self.fifo_violations.push(format!("{c:?} served before {d:?} in {qid:?}"));
            }
        }
    }

    fn take_from_queue(&mut self, q: QueueId, c: TaskId) {
        let key = self.contacts.get(&c).map(|k| k.key(c));
        if let (Some(q), Some(key)) = (self.queues.get_mut(&q), key) {
            q.waiting.remove(&key);
        }
    }

    /// The agents to ring for `c`: `first`, plus for ring-all every other
    /// available agent of the open tiers.
    fn ring_group(&self, qid: QueueId, c: TaskId, first: AgentId) -> Vec<AgentId> {
        let mut agents = vec![first];
        let Some(q) = self.queues.get(&qid) else { return agents };
        if q.cfg.strategy == Strategy::RingAll {
            let open = self.contacts.get(&c).map_or(1, |k| q.open_tiers(k.arrived, self.now));
            for tier in &q.avail[..open.min(q.avail.len())] {
                for &(_, _, a) in tier {
                    if agents.len() >= RING_ALL_MAX {
                        break;
                    }
                    if !agents.contains(&a) {
                        agents.push(a);
                    }
                }
            }
        }
        agents
    }

    fn offer(&mut self, c: TaskId, agents: Vec<AgentId>, ring: Duration) {
        let Some(k) = self.contacts.get_mut(&c) else { return };
        k.state = CState::Offered;
        k.offer_seq += 1;
        k.offered_to = agents.clone();
        let (seq, ch, callback, queue) = (k.offer_seq, k.channel, k.callback, k.queue);
        let now = self.now;
        self.timer(now.plus(ring), Timer::Ring(c, seq));
        for a in agents {
            if let Some(q) = queue.and_then(|q| self.queues.get_mut(&q)) {
                if q.cfg.strategy == Strategy::RoundRobin {
                    q.rr += 1;
                    let rr = q.rr;
                    q.rr_last.insert(a, rr);
                }
            }
            if let Some(x) = self.agents.get_mut(&a) {
                x.offered.push(c);
                x.load[ch.index()] += 1;
            }
            self.relist(a);
            self.out.push(if callback {
                Command::StartCallback { contact: c, agent: a }
            } else {
                Command::Offer { contact: c, agent: a }
            });
            self.record(Some(c), queue, Some(a), if callback { LogKind::CallbackStarted } else { LogKind::Offered });
            self.agent_changed(a);
        }
    }

    /// Stops ringing `a` for `c` and frees its room (the contact's state is
    /// the caller's business).
    fn retract_one(&mut self, c: TaskId, a: AgentId) {
        let ch = match self.contacts.get_mut(&c) {
            Some(k) => {
                k.offered_to.retain(|x| *x != a);
                k.channel
            }
            None => return,
        };
        if let Some(x) = self.agents.get_mut(&a) {
            if let Some(pos) = x.offered.iter().position(|o| *o == c) {
                x.offered.remove(pos);
                x.release(ch);
            }
        }
        self.out.push(Command::Retract { contact: c, agent: a });
    }

    fn set_not_ready(&mut self, a: AgentId, reason: &str) {
        if let Some(x) = self.agents.get_mut(&a) {
            x.ready = false;
            x.reason = reason.to_owned();
        }
        self.unlist(a);
        self.agent_changed(a);
    }

    /// Nobody answered (or the one agent declined): the agents go not
    /// ready, the contact goes back to its place or on along its chain.
    fn no_answer(&mut self, c: TaskId, kind: LogKind, reason: &str) {
        let (agents, queue) = match self.contacts.get(&c) {
            Some(k) => (k.offered_to.clone(), k.queue),
            None => return,
        };
        for a in &agents {
            self.retract_one(c, *a);
            self.record(Some(c), queue, Some(*a), kind.clone());
            self.set_not_ready(*a, reason);
        }
        let direct = self.contacts.get(&c).is_some_and(|k| k.queue.is_none() && !k.chain.is_empty());
        if direct {
            self.next_step(c);
        } else if let Some(q) = queue {
            self.requeue(c, q);
        }
    }

    /// A ringing contact whose last ringing agent went away goes back: to
    /// its queue place, or on along its chain.
    fn if_unoffered_return(&mut self, c: TaskId) {
        let Some(k) = self.contacts.get(&c) else { return };
        if k.state != CState::Offered || !k.offered_to.is_empty() {
            return;
        }
        if k.queue.is_none() && !k.chain.is_empty() {
            self.next_step(c);
        } else if let Some(q) = k.queue {
            self.requeue(c, q);
        }
    }

    /// Back into the queue at its old place (seniority and widening kept).
    fn requeue(&mut self, c: TaskId, q: QueueId) {
        let Some(k) = self.contacts.get_mut(&c) else { return };
        k.state = CState::Waiting;
        k.offered_to.clear();
        let key = k.key(c);
        if let Some(queue) = self.queues.get_mut(&q) {
            queue.waiting.insert(key);
        }
        self.match_queue(q);
    }

    fn enqueue(&mut self, c: TaskId, qid: QueueId, depth: u8) {
        let now = self.now;
        let Some(q) = self.queues.get(&qid) else { return };
        // A contact never enters another company's queue: it hears the
        // message instead (a driver's mistake, refused here where it matters).
        if self.contacts.get(&c).is_some_and(|k| k.company != q.cfg.company) {
            self.out.push(Command::Overflowed { contact: c, from: qid, to: Overflow::Message });
            self.record(Some(c), Some(qid), None, LogKind::Overflowed(Overflow::Message));
            self.contacts.remove(&c);
            return;
        }
        let arrives = self.contacts.get(&c).is_some_and(|k| !k.counted);
        if let Some((max, to)) = q.cfg.max_len {
            if q.waiting.len() >= max && depth < 8 {
                if let Some(q) = self.queues.get_mut(&qid) {
                    q.day.arrived += u64::from(arrives);
                }
                self.overflow(c, qid, to, depth);
                return;
            }
        }
        let (opens, max_wait) = (q.tier_opens.clone(), q.cfg.max_wait);
        let Some(k) = self.contacts.get_mut(&c) else { return };
        k.queue = Some(qid);
        k.enqueued = now;
        k.state = CState::Waiting;
        k.epoch += 1;
        let (epoch, key, priority, arrived) = (k.epoch, k.key(c), k.priority, k.arrived);
        if let Some(q) = self.queues.get_mut(&qid) {
            q.waiting.insert(key);
            q.day.arrived += u64::from(arrives);
        }
        for d in opens.into_iter().skip(1) {
            let at = arrived.plus(d);
            if at > now {
                self.timer(at, Timer::Widen(c, epoch));
            }
        }
        if let Some((d, _)) = max_wait {
            self.timer(now.plus(d), Timer::MaxWait(c, epoch));
        }
        self.record(Some(c), Some(qid), None, LogKind::Enqueued { priority });
        self.match_queue(qid);
    }

    fn overflow(&mut self, c: TaskId, from: QueueId, to: Overflow, depth: u8) {
        // Overflow into another company's queue is a message.
        let to = match to {
            Overflow::Queue(next)
                if self.queues.get(&next).map(|q| q.cfg.company) != self.contacts.get(&c).map(|k| k.company) =>
            {
                Overflow::Message
            }
            to => to,
        };
        self.out.push(Command::Overflowed { contact: c, from, to });
        self.record(Some(c), Some(from), None, LogKind::Overflowed(to));
        if let Some(q) = self.queues.get_mut(&from) {
            q.day.overflowed += 1;
        }
        match to {
            Overflow::Queue(next) => {
                self.take_from_queue(from, c);
                self.enqueue(c, next, depth + 1);
            }
            Overflow::Callback => {
                // Keeps its place; if it had not got one (queue full), it
                // joins at the back as a callback.
                let waiting =
                    self.contacts.get(&c).is_some_and(|k| k.queue == Some(from) && k.state == CState::Waiting);
                if let Some(k) = self.contacts.get_mut(&c) {
                    k.callback = true;
                }
                if !waiting {
                    if let Some(k) = self.contacts.get_mut(&c) {
                        k.queue = Some(from);
                        k.state = CState::Waiting;
                        k.enqueued = self.now;
                        k.epoch += 1;
                        let key = k.key(c);
                        if let Some(q) = self.queues.get_mut(&from) {
                            q.waiting.insert(key);
                        }
                    }
                    self.match_queue(from);
                }
            }
            Overflow::Message => {
                self.take_from_queue(from, c);
                self.contacts.remove(&c);
            }
        }
    }

    // ---- direct targets ---------------------------------------------------

    fn start_step(&mut self, c: TaskId) {
        let Some(k) = self.contacts.get(&c) else { return };
        let Some(step) = k.chain.get(k.step).copied() else {
            // The chain ran out: the caller hears a message.
            self.out.push(Command::Overflowed { contact: c, from: QueueId(u32::MAX), to: Overflow::Message });
            self.record(Some(c), None, None, LogKind::Overflowed(Overflow::Message));
            self.contacts.remove(&c);
            return;
        };
        let ch = k.channel;
        match step {
            Step::Queue(q) => self.enqueue(c, q, 0),
            Step::Agent(mut a, wait) => {
                let company = k.company;
                // An agent who is logged out is stood in for by its substitute.
                if let Some(x) = self.agents.get(&a) {
                    if !x.online {
                        if let Some(s) = x
                            .cfg
                            .substitute
                            .filter(|s| self.agents.get(s).is_some_and(|s| s.online && s.serves(company)))
                        {
                            a = s;
                        }
                    }
                }
                // Someone who does not serve the contact's company is passed over.
                if self.agents.get(&a).is_some_and(|x| !x.serves(company)) {
                    self.next_step(c);
                    return;
                }
                let now = self.now;
                let Some(k) = self.contacts.get_mut(&c) else { return };
                k.epoch += 1;
                k.enqueued = now;
                k.queue = None;
                k.state = CState::WaitingFor(a);
                let epoch = k.epoch;
                self.timer(now.plus(wait), Timer::Step(c, epoch));
                if self.agents.get(&a).is_some_and(|x| x.has_room(ch)) {
                    self.offer(c, vec![a], DIRECT_RING);
                } else if let Some(x) = self.agents.get_mut(&a) {
                    x.waiters.push_back(c);
                } else {
                    self.next_step(c);
                }
            }
        }
    }

    fn next_step(&mut self, c: TaskId) {
        let step = match self.contacts.get_mut(&c) {
            Some(k) => {
                k.step += 1;
                k.offered_to.clear();
                k.step
            }
            None => return,
        };
        self.out.push(Command::Redirected { contact: c, step });
        self.record(Some(c), None, None, LogKind::Redirected { step });
        self.start_step(c);
    }

    // ---- answering and ending ----------------------------------------------

    fn accept(&mut self, c: TaskId, a: AgentId) {
        let ok = self.contacts.get(&c).is_some_and(|k| k.state == CState::Offered && k.offered_to.contains(&a));
        if !ok {
            // A late or stray answer: make sure that phone stops ringing.
            self.out.push(Command::Retract { contact: c, agent: a });
            return;
        }
        let others: Vec<AgentId> = self
            .contacts
            .get(&c)
            .map(|k| k.offered_to.iter().copied().filter(|x| *x != a).collect())
            .unwrap_or_default();
        for o in &others {
            self.retract_one(c, *o);
            self.agent_changed(*o);
        }
        let now = self.now;
        let Some(k) = self.contacts.get_mut(&c) else { return };
        k.state = CState::Connected;
        k.agent = Some(a);
        k.connected_at = now;
        k.offered_to.clear();
        let (queue, waited, again) = (k.queue, now.since(k.arrived), std::mem::replace(&mut k.answered, true));
        if let Some(x) = self.agents.get_mut(&a) {
            x.offered.retain(|o| *o != c);
            x.connected.push(c);
        }
        if let Some(q) = queue.and_then(|q| self.queues.get_mut(&q)).filter(|_| !again) {
            q.day.answered += 1;
            q.day.answer_wait_ms += u64::try_from(waited.as_millis()).unwrap_or(u64::MAX);
            if waited <= q.cfg.sl_threshold {
                q.day.answered_within += 1;
            }
        }
        self.record(Some(c), queue, Some(a), LogKind::Connected { waited });
        self.agent_changed(a);
        for o in others {
            self.match_agent(o);
        }
    }

    fn end(&mut self, c: TaskId) {
        let Some(k) = self.contacts.get(&c) else { return };
        if k.state != CState::Connected {
            self.abandon(c);
            return;
        }
        let Some(k) = self.contacts.remove(&c) else { return };
        let Some(a) = k.agent else { return };
        let wrap = k.queue.and_then(|q| self.queues.get(&q)).map_or(Duration::ZERO, |q| q.cfg.wrap_up);
        let handled = self.now.since(k.connected_at);
        if let Some(q) = k.queue.and_then(|q| self.queues.get_mut(&q)) {
            let ms = (handled + wrap).as_millis() as f64;
            q.aht_ms = q.aht_ms * (1.0 - AHT_ALPHA) + ms * AHT_ALPHA;
        }
        self.record(Some(c), k.queue, Some(a), LogKind::Ended { handled });
        let now = self.now;
        let Some(x) = self.agents.get_mut(&a) else { return };
        x.connected.retain(|o| *o != c);
        x.release(k.channel);
        x.handled_today += 1;
        if wrap > Duration::ZERO {
            x.wrap_seq += 1;
            x.wrap_until = Some(now.plus(wrap));
            let seq = x.wrap_seq;
            self.unlist(a);
            self.timer(now.plus(wrap), Timer::Wrap(a, seq));
            self.agent_changed(a);
        } else {
            x.idle_since = now;
            self.agent_changed(a);
            self.match_agent(a);
        }
    }

    /// The agent's phone was lost mid-contact (and its grace time passed):
    /// the agent goes not ready, and the contact goes back to its queue at
    /// its old place — its seniority kept, so ahead of every later arrival —
    /// or on along its chain.
    fn lost(&mut self, c: TaskId, a: AgentId) {
        let ok = self.contacts.get(&c).is_some_and(|k| k.state == CState::Connected && k.agent == Some(a));
        if !ok {
            return;
        }
        let Some(k) = self.contacts.get_mut(&c) else { return };
        k.agent = None;
        let (queue, ch, direct) = (k.queue, k.channel, k.queue.is_none() && !k.chain.is_empty());
        self.record(Some(c), queue, Some(a), LogKind::Lost);
        if let Some(x) = self.agents.get_mut(&a) {
            x.connected.retain(|o| *o != c);
            x.release(ch);
        }
        self.set_not_ready(a, "connection_lost");
        if direct {
            self.next_step(c);
        } else if let Some(q) = queue {
            self.requeue(c, q);
        } else {
            self.contacts.remove(&c);
        }
    }

    fn end_wrap(&mut self, a: AgentId) {
        if let Some(x) = self.agents.get_mut(&a) {
            x.wrap_until = None;
            x.idle_since = self.now;
        }
        self.agent_changed(a);
        self.match_agent(a);
    }

    fn abandon(&mut self, c: TaskId) {
        let Some(k) = self.contacts.get(&c) else { return };
        match k.state {
            CState::Connected => self.end(c),
            CState::Waiting | CState::Offered | CState::WaitingFor(_) => {
                let (state, queue, waited) = (k.state, k.queue, self.now.since(k.arrived));
                let position = match (state, queue) {
                    (CState::Waiting, Some(q)) => self.position_of(c, q),
                    _ => 0,
                };
                let offered = k.offered_to.clone();
                for a in &offered {
                    self.retract_one(c, *a);
                }
                if let Some(q) = queue {
                    self.take_from_queue(q, c);
                    if let Some(q) = self.queues.get_mut(&q) {
                        q.day.abandoned += 1;
                        if waited > q.cfg.sl_threshold {
                            q.day.abandoned_after += 1;
                        }
                    }
                }
                if let CState::WaitingFor(a) = state {
                    if let Some(x) = self.agents.get_mut(&a) {
                        x.waiters.retain(|w| *w != c);
                    }
                }
                self.record(Some(c), queue, None, LogKind::Abandoned { waited, position });
                self.contacts.remove(&c);
                for a in offered {
                    self.agent_changed(a);
                    self.match_agent(a);
                }
            }
        }
    }

    // ---- questions ----------------------------------------------------------

    fn position_of(&self, c: TaskId, q: QueueId) -> usize {
        let (Some(k), Some(q)) = (self.contacts.get(&c), self.queues.get(&q)) else { return 0 };
        q.waiting.range(..k.key(c)).count() + 1
    }

    /// A waiting contact's position in its queue (1 = next) and its
    /// estimated wait: position × recent handle time ÷ agents staffed.
    pub fn position(&self, c: TaskId) -> Option<(usize, Duration)> {
        let k = self.contacts.get(&c)?;
        if k.state != CState::Waiting {
            return None;
        }
        let qid = k.queue?;
        let q = self.queues.get(&qid)?;
        let pos = self.position_of(c, qid);
        let staffed = q
            .members
            .iter()
            .filter(|(a, _)| self.agents.get(a).is_some_and(|x| x.online && (x.ready || !x.connected.is_empty())))
            .count()
            .max(1);
        let ms = q.aht_ms * pos as f64 / staffed as f64;
        Some((pos, Duration::from_millis(ms as u64)))
    }

    /// The agent a contact is connected to, if it is.
    pub fn agent_of(&self, c: TaskId) -> Option<AgentId> {
        self.contacts.get(&c).filter(|k| k.state == CState::Connected).and_then(|k| k.agent)
    }

    /// Whether the contact is to be called back (asked for, or overflowed so).
    pub fn wants_callback(&self, c: TaskId) -> bool {
        self.contacts.get(&c).is_some_and(|k| k.callback)
    }

    /// The queue a contact is in (waiting, ringing or connected), if it
    /// came through one.
    pub fn queue_of(&self, c: TaskId) -> Option<QueueId> {
        self.contacts.get(&c).and_then(|k| k.queue)
    }

    /// The queue a contact is waiting in (not ringing, not connected).
    pub fn waiting_in_queue(&self, c: TaskId) -> Option<QueueId> {
        self.contacts.get(&c).filter(|k| k.state == CState::Waiting).and_then(|k| k.queue)
    }

    /// The call an agent is on now: the one it is connected to, else the
    /// one ringing it; `true` when connected. Chats and e-mails are not
    /// calls ([`Acd::contacts_of_agent`] has them).
    pub fn contact_of_agent(&self, a: AgentId) -> Option<(TaskId, bool)> {
        let agent = self.agents.get(&a)?;
        let voice = |c: &&TaskId| self.contacts.get(c).is_some_and(|k| k.channel == Channel::Voice);
        let connected = agent.connected.iter().find(voice).map(|c| (*c, true));
        connected.or_else(|| agent.offered.iter().find(voice).map(|c| (*c, false)))
    }

    /// Every contact an agent holds or is offered, of every channel, with
    /// `true` when connected: connected first, each in the order it came.
    pub fn contacts_of_agent(&self, a: AgentId) -> Vec<(TaskId, Channel, bool)> {
        let Some(agent) = self.agents.get(&a) else { return Vec::new() };
        let connected = agent.connected.iter().map(|c| (*c, true));
        let offered = agent.offered.iter().map(|c| (*c, false));
        connected.chain(offered).filter_map(|(c, on)| self.contacts.get(&c).map(|k| (c, k.channel, on))).collect()
    }

    /// How much of an agent's wrap-up is left, as of the last event.
    pub fn wrap_left(&self, a: AgentId) -> Option<Duration> {
        self.agents.get(&a)?.wrap_until.map(|until| until.since(self.now))
    }

    pub fn agent_state(&self, a: AgentId) -> Option<AgentState> {
        self.agents.get(&a).map(Agent::state)
    }

    /// Every agent with its state and time in state, by id.
    pub fn agents(&self) -> Vec<AgentSnapshot> {
        let mut v: Vec<AgentSnapshot> = self
            .agents
            .values()
            .map(|a| AgentSnapshot {
                id: a.cfg.id,
                name: a.cfg.name.clone(),
                state: a.state(),
                in_state: self.now.since(a.since),
                handled_today: a.handled_today,
            })
            .collect();
        v.sort_by_key(|a| a.id);
        v
    }

    /// The contacts waiting in a queue, next first, with how long each
    /// has waited (since it arrived), as of the last event.
    pub fn waiting(&self, q: QueueId) -> Vec<(TaskId, Duration)> {
        let Some(queue) = self.queues.get(&q) else { return Vec::new() };
        queue
            .waiting
            .iter()
            .filter_map(|(_, _, c)| self.contacts.get(c).map(|k| (*c, self.now.since(k.arrived))))
            .collect()
    }

    /// How many contacts wait in a queue (0 for an unknown queue): what
    /// [`Acd::stats`] counts as `waiting`, without walking the members.
    pub fn waiting_len(&self, q: QueueId) -> usize {
        self.queues.get(&q).map_or(0, |queue| queue.waiting.len())
    }

    /// A queue's real-time statistics as of the last event.
    pub fn stats(&self, q: QueueId) -> Option<QueueStats> {
        let queue = self.queues.get(&q)?;
        let d = &queue.day;
        let longest = queue
            .waiting
            .iter()
            .filter_map(|(_, _, c)| self.contacts.get(c))
            .map(|k| self.now.since(k.arrived))
            .max()
            .unwrap_or_default();
        let mut s = QueueStats {
            waiting: queue.waiting.len(),
            longest_wait: longest,
            arrived_today: d.arrived,
            answered_today: d.answered,
            answered_within_sl: d.answered_within,
            abandoned_today: d.abandoned,
            abandoned_after_sl: d.abandoned_after,
            overflowed_today: d.overflowed,
            service_level: None,
            asa: None,
            abandon_rate: None,
            aht: Duration::from_millis(queue.aht_ms as u64),
            ..QueueStats::default()
        };
        let denominator = d.answered + d.abandoned_after;
        if denominator > 0 {
            s.service_level = Some(d.answered_within as f64 / denominator as f64);
        }
        s.asa = d.answer_wait_ms.checked_div(d.answered).map(Duration::from_millis);
        if d.answered + d.abandoned > 0 {
            s.abandon_rate = Some(d.abandoned as f64 / (d.answered + d.abandoned) as f64);
        }
        for (a, _) in &queue.members {
            let Some(x) = self.agents.get(a) else { continue };
            if !x.online {
                continue;
            }
            s.agents_logged_in += 1;
            match x.state() {
                AgentState::Available => s.agents_available += 1,
                AgentState::NotReady(_) => s.agents_not_ready += 1,
                _ => s.agents_busy += 1,
            }
        }
        Some(s)
    }

    /// Contacts in the engine (waiting, ringing or connected).
    pub fn contacts_len(&self) -> usize {
        self.contacts.len()
    }

    /// Checks the engine's invariants; tests call it after every event.
    pub fn check_invariants(&self) -> Result<(), String> {
        if let Some(v) = self.fifo_violations.first() {
            return Err(format!("first-in first-out broken: {v}"));
        }
        for (id, a) in &self.agents {
            for ch in Channel::ALL {
                let held = a
                    .offered
                    .iter()
                    .chain(&a.connected)
                    .filter(|c| self.contacts.get(c).is_some_and(|k| k.channel == ch))
                    .count();
                if held != usize::from(a.load[ch.index()]) {
                    return Err(format!("agent {id:?}: load {} but holds {held} {ch:?} contacts", a.load[ch.index()]));
                }
                if held > usize::from(a.allowed[ch.index()].max(a.cfg.capacity[ch.index()])) {
                    return Err(format!("agent {id:?} holds {held} {ch:?} contacts over its capacity"));
                }
            }
        }
        for (id, k) in &self.contacts {
            // Companies apart (CC-12): a contact is only ever in its own
            // company's queue, and offered to or held by agents who serve it.
            if let Some(q) = k.queue.and_then(|q| self.queues.get(&q)) {
                if k.state == CState::Waiting && q.cfg.company != k.company {
                    return Err(format!("contact {id:?} of {:?} waits in {:?}'s queue", k.company, q.cfg.company));
                }
            }
            for a in &k.offered_to {
                if self.agents.get(a).is_some_and(|x| !x.serves(k.company)) {
                    return Err(format!(
                        "contact {id:?} of {:?} is offered to agent {a:?}, who does not serve it",
                        k.company
                    ));
                }
            }
            if k.state == CState::Offered {
                let ring_all =
                    k.queue.and_then(|q| self.queues.get(&q)).is_some_and(|q| q.cfg.strategy == Strategy::RingAll);
                let ok = k.offered_to.len() == 1 || (ring_all && !k.offered_to.is_empty());
                if !ok {
                    return Err(format!("contact {id:?} is offered to {:?}", k.offered_to));
                }
            }
            match k.state {
                CState::Waiting => {
                    let Some(q) = k.queue.and_then(|q| self.queues.get(&q)) else {
                        return Err(format!("contact {id:?} waits in no queue"));
                    };
                    let open = q.open_tiers(k.arrived, self.now);
                    for (a, tier) in &q.members {
                        if *tier < open && self.agents.get(a).is_some_and(|x| x.has_room(k.channel)) {
                            return Err(format!(
                                "contact {id:?} waits in {:?} while agent {a:?} is free for it",
                                q.cfg.id
                            ));
                        }
                    }
                }
                CState::WaitingFor(a) if self.agents.get(&a).is_some_and(|x| x.has_room(k.channel)) => {
                    return Err(format!("contact {id:?} waits for agent {a:?}, who is free"));
                }
                _ => {}
            }
        }
        Ok(())
    }
}
