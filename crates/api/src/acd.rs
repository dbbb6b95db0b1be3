//! The ACD's driver inside the server: one task owns the pure engine
//! (`centrala-acd`), fed by one channel, so events reach it in order; it
//! wakes at the engine's `next_timeout()`. Agents' states come from the
//! desk (and later from phones); queue statistics and agent states go to
//! the wallboard, and every state change is pushed on the event stream.
//!
//! Each company has an operator queue (engine id = company id); staff are
//! engine agents under their staff id. Calls will arrive here with the
//! telephony.

use crate::events::{Bus, Event as BusEvent};
use centrala_acd::{Acd, AgentConfig, AgentId, AgentState, Command, Event, Instant, QueueConfig, QueueId, QueueStats};
use centrala_domain::{CompanyId, Role, StaffId};
use std::{
    collections::{HashMap, HashSet},
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

enum Request {
    Set { company: CompanyId, staff: StaffId, name: String, wanted: Wanted, reply: oneshot::Sender<AgentState> },
    State { staff: StaffId, reply: oneshot::Sender<Option<(AgentState, Duration)>> },
    Stats { company: CompanyId, reply: oneshot::Sender<(QueueStats, Vec<AgentView>)> },
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
}

impl Driver {
    fn now(&self) -> Instant {
        Instant(u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    fn handle(&mut self, e: Event) {
        let now = self.now();
        for cmd in self.acd.handle(now, e) {
            if let Command::AgentState { agent, state } = cmd {
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
        }
    }

    fn ensure(&mut self, company: CompanyId, staff: StaffId, name: &str) {
        if self.companies.insert(company) {
            let q = QueueConfig {
                skills: vec![(company_skill(company), 1)],
                ..QueueConfig::new(queue_of(company), "operators")
            };
            self.handle(Event::AddQueue(q));
        }
        if let std::collections::hash_map::Entry::Vacant(v) = self.agents.entry(staff) {
            v.insert(company);
            let id = AgentId(u64::try_from(staff.0).unwrap_or(0));
            let mut cfg = AgentConfig::new(id, name);
            cfg.skills = vec![(company_skill(company), 1)];
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
    pub fn start(bus: Arc<Bus>) -> AcdService {
        let (tx, mut rx) = mpsc::channel::<Request>(1024);
        let mut d = Driver {
            acd: Acd::new(),
            start: tokio::time::Instant::now(),
            companies: HashSet::new(),
            agents: HashMap::new(),
            bus,
        };
        tokio::spawn(async move {
            loop {
                let wake = d.acd.next_timeout().map(|t| d.start + Duration::from_millis(t.0));
                let req = match wake {
                    Some(at) => tokio::select! {
                        r = rx.recv() => r,
                        () = tokio::time::sleep_until(at) => { d.handle(Event::Tick); continue; }
                    },
                    None => rx.recv().await,
                };
                let Some(req) = req else { break };
                match req {
                    Request::Set { company, staff, name, wanted, reply } => {
                        d.ensure(company, staff, &name);
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
        AcdService { tx }
    }

    pub async fn set(&self, company: CompanyId, staff: StaffId, name: &str, wanted: Wanted) -> Option<AgentState> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Request::Set { company, staff, name: name.to_owned(), wanted, reply }).await.ok()?;
        rx.await.ok()
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
