//! Invariants over random event sequences: an agent never holds more than
//! its capacity; a contact rings one agent at a time (ring-all excepted);
//! no contact waits while an eligible agent is free; first-in first-out
//! within one queue and priority; with many companies, no contact is ever
//! offered to an agent who does not serve its company (CC-12).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use centrala_acd::*;
use proptest::prelude::{prop_assert, prop_oneof, proptest, ProptestConfig, Strategy as _};
use std::time::Duration;

#[derive(Debug, Clone)]
enum Op {
    Advance(u16),
    Arrive(u8, i8),
    Direct(u8, u8),
    Accept(u8),
    Decline(u8),
    End(u8),
    Abandon(u8),
    Callback(u8),
    Ready(u8),
    NotReady(u8),
    Logout(u8),
    Login(u8),
    WrapDone(u8),
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    prop_oneof![
        4 => (1u16..40).prop_map(Op::Advance),
        5 => (0u8..3, -1i8..2).prop_map(|(q, p)| Op::Arrive(q, p)),
        1 => (0u8..6, 0u8..2).prop_map(|(a, q)| Op::Direct(a, q)),
        4 => (0u8..255).prop_map(Op::Accept),
        1 => (0u8..255).prop_map(Op::Decline),
        3 => (0u8..255).prop_map(Op::End),
        1 => (0u8..255).prop_map(Op::Abandon),
        1 => (0u8..255).prop_map(Op::Callback),
        2 => (0u8..6).prop_map(Op::Ready),
        1 => (0u8..6).prop_map(Op::NotReady),
        1 => (0u8..6).prop_map(Op::Logout),
        1 => (0u8..6).prop_map(Op::Login),
        1 => (0u8..6).prop_map(Op::WrapDone),
    ]
}

fn setup() -> Acd {
    let mut acd = Acd::new();
    // First-in first-out is checked inside the engine at every offer.
    acd.enable_checks();
    let s = |n: u64| Duration::from_secs(n);
    let mut q = |id: u32, strategy: Strategy, skills: Vec<(Skill, u8)>, widening, max_wait, channel| {
        acd.handle(
            Instant(0),
            Event::AddQueue(QueueConfig {
                strategy,
                skills,
                widening,
                max_wait,
                channel,
                ring_timeout: s(15),
                wrap_up: s(5),
                ..QueueConfig::new(QueueId(id), "q")
            }),
        );
    };
    q(
        0,
        Strategy::LongestIdle,
        vec![(Skill(1), 4)],
        vec![(s(30), 1)],
        Some((s(120), Overflow::Queue(QueueId(1)))),
        Channel::Voice,
    );
    q(1, Strategy::RoundRobin, vec![], vec![], Some((s(300), Overflow::Callback)), Channel::Voice);
    q(2, Strategy::RingAll, vec![(Skill(2), 1)], vec![], None, Channel::Chat);
    for i in 0..6u64 {
        let mut cfg = AgentConfig::new(AgentId(i), "a");
        cfg.skills = vec![(Skill(1), (i % 5) as u8 + 1), (Skill(2), (i % 2) as u8)];
        cfg.capacity = [1, 2, 0];
        cfg.substitute = Some(AgentId((i + 1) % 6));
        acd.handle(Instant(0), Event::AddAgent(cfg));
        acd.handle(Instant(0), Event::Login(AgentId(i)));
    }
    acd
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_for_any_sequence(ops in proptest::collection::vec(op(), 1..120)) {
        let mut acd = setup();
        let mut now = 0u64;
        let mut next_contact = 0u64;
        let mut ringing: Vec<(TaskId, AgentId)> = Vec::new();
        let mut known: Vec<TaskId> = Vec::new();
        for op in ops {
            let pick = |n: u8, v: &[TaskId]| if v.is_empty() { None } else { Some(v[n as usize % v.len()]) };
            let event = match op {
                Op::Advance(s) => { now += u64::from(s) * 1000; Event::Tick }
                Op::Arrive(q, p) => {
                    next_contact += 1;
                    let id = TaskId(next_contact);
                    known.push(id);
                    Event::Arrive { contact: id, queue: QueueId(u32::from(q)), priority: i32::from(p) }
                }
                Op::Direct(a, q) => {
                    next_contact += 1;
                    let id = TaskId(next_contact);
                    known.push(id);
                    Event::ArriveDirect {
                        contact: id,
                        company: Company(0),
                        channel: Channel::Voice,
                        priority: 0,
                        chain: vec![Step::Agent(AgentId(u64::from(a)), Duration::from_secs(20)), Step::Queue(QueueId(u32::from(q)))],
                    }
                }
                Op::Accept(n) | Op::Decline(n) if !ringing.is_empty() => {
                    let (c, a) = ringing[n as usize % ringing.len()];
                    if matches!(op, Op::Accept(_)) { Event::Accept { contact: c, agent: a } } else { Event::Decline { contact: c, agent: a } }
                }
                Op::Accept(_) | Op::Decline(_) => Event::Tick,
                Op::End(n) => pick(n, &known).map_or(Event::Tick, |c| Event::End { contact: c }),
                Op::Abandon(n) => pick(n, &known).map_or(Event::Tick, |c| Event::Abandon { contact: c }),
                Op::Callback(n) => pick(n, &known).map_or(Event::Tick, |c| Event::RequestCallback { contact: c }),
                Op::Ready(a) => Event::Ready(AgentId(u64::from(a))),
                Op::NotReady(a) => Event::NotReady(AgentId(u64::from(a)), "break".into()),
                Op::Logout(a) => Event::Logout(AgentId(u64::from(a))),
                Op::Login(a) => Event::Login(AgentId(u64::from(a))),
                Op::WrapDone(a) => Event::WrapUpDone(AgentId(u64::from(a))),
            };
            let out = acd.handle(Instant(now), event);
            if let Err(e) = acd.check_invariants() {
                prop_assert!(false, "{e}");
            }
            for cmd in &out {
                match cmd {
                    Command::Offer { contact, agent } | Command::StartCallback { contact, agent } => {
                        ringing.push((*contact, *agent));
                    }
                    Command::Retract { contact, agent } => ringing.retain(|x| *x != (*contact, *agent)),
                    _ => {}
                }
            }
            // Drop rings the engine no longer holds (accepted, timed out).
            ringing.retain(|(c, a)| acd.agent_state(*a).is_some_and(|s| s == AgentState::Offered) && acd.contacts_len() > 0 && known.contains(c));
        }
    }
}

/// Companies, among them ids past 32,768 and 2^40 (nothing is packed into
/// smaller ids).
const COMPANIES: [u64; 5] = [1, 2, 32_768, 32_769, 1 << 40];

#[derive(Debug, Clone)]
enum TenantOp {
    Advance(u16),
    /// A contact arrives in queue n (of 10: two per company).
    Arrive(u8),
    /// A contact of company c for agent a, then queue q (perhaps of
    /// another company: the engine must refuse it).
    Direct(u8, u8, u8),
    Accept(u8),
    Decline(u8),
    End(u8),
    Ready(u8),
    Logout(u8),
    Login(u8),
    /// Agent a now serves the companies of this bit mask.
    Serve(u8, u8),
}

fn tenant_op() -> impl proptest::strategy::Strategy<Value = TenantOp> {
    prop_oneof![
        3 => (1u16..40).prop_map(TenantOp::Advance),
        5 => (0u8..10).prop_map(TenantOp::Arrive),
        2 => (0u8..5, 0u8..10, 0u8..10).prop_map(|(c, a, q)| TenantOp::Direct(c, a, q)),
        4 => (0u8..255).prop_map(TenantOp::Accept),
        1 => (0u8..255).prop_map(TenantOp::Decline),
        3 => (0u8..255).prop_map(TenantOp::End),
        2 => (0u8..10).prop_map(TenantOp::Ready),
        1 => (0u8..10).prop_map(TenantOp::Logout),
        1 => (0u8..10).prop_map(TenantOp::Login),
        1 => (0u8..10, 1u8..32).prop_map(|(a, m)| TenantOp::Serve(a, m)),
    ]
}

fn companies_of(mask: u8) -> Vec<Company> {
    COMPANIES.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, c)| Company(*c)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn companies_stay_apart_for_any_sequence(ops in proptest::collection::vec(tenant_op(), 1..150)) {
        let mut acd = Acd::new();
        acd.enable_checks();
        // Two queues per company, with ids that do not follow the company's.
        for (i, c) in COMPANIES.iter().enumerate() {
            for k in 0..2u32 {
                let id = QueueId(u32::try_from(i).unwrap() * 2 + k);
                acd.handle(Instant(0), Event::AddQueue(QueueConfig {
                    company: Company(*c),
                    max_wait: (k == 0).then(|| (Duration::from_secs(60), Overflow::Queue(QueueId(id.0 + 1)))),
                    ..QueueConfig::new(id, "q")
                }));
            }
        }
        // Ten agents: most serve one company, some two (an outsourcing
        // center's agent on two client companies' lines).
        let mut serves: Vec<Vec<Company>> = Vec::new();
        for i in 0..10u8 {
            let mask = if i % 3 == 0 { 0b11 << (i % 4) } else { 1 << (i % 5) };
            let mut cfg = AgentConfig::new(AgentId(u64::from(i)), "a");
            cfg.companies = companies_of(mask);
            serves.push(cfg.companies.clone());
            acd.handle(Instant(0), Event::AddAgent(cfg));
            acd.handle(Instant(0), Event::Login(AgentId(u64::from(i))));
        }
        let company_of_queue = |q: u8| Company(COMPANIES[usize::from(q / 2)]);
        let mut now = 0u64;
        let mut contact_company: std::collections::HashMap<TaskId, Company> = std::collections::HashMap::new();
        let mut known: Vec<TaskId> = Vec::new();
        let mut ringing: Vec<(TaskId, AgentId)> = Vec::new();
        for op in ops {
            let pick = |n: u8, v: &[TaskId]| if v.is_empty() { None } else { Some(v[n as usize % v.len()]) };
            let event = match op {
                TenantOp::Advance(s) => { now += u64::from(s) * 1000; Event::Tick }
                TenantOp::Arrive(q) => {
                    let id = TaskId(known.len() as u64 + 1);
                    known.push(id);
                    contact_company.insert(id, company_of_queue(q));
                    Event::Arrive { contact: id, queue: QueueId(u32::from(q)), priority: 0 }
                }
                TenantOp::Direct(c, a, q) => {
                    let id = TaskId(known.len() as u64 + 1);
                    known.push(id);
                    let company = Company(COMPANIES[usize::from(c)]);
                    contact_company.insert(id, company);
                    Event::ArriveDirect {
                        contact: id,
                        company,
                        channel: Channel::Voice,
                        priority: 0,
                        chain: vec![Step::Agent(AgentId(u64::from(a)), Duration::from_secs(20)), Step::Queue(QueueId(u32::from(q)))],
                    }
                }
                TenantOp::Accept(n) | TenantOp::Decline(n) if !ringing.is_empty() => {
                    let (c, a) = ringing[n as usize % ringing.len()];
                    if matches!(op, TenantOp::Accept(_)) { Event::Accept { contact: c, agent: a } } else { Event::Decline { contact: c, agent: a } }
                }
                TenantOp::Accept(_) | TenantOp::Decline(_) => Event::Tick,
                TenantOp::End(n) => pick(n, &known).map_or(Event::Tick, |c| Event::End { contact: c }),
                TenantOp::Ready(a) => Event::Ready(AgentId(u64::from(a))),
                TenantOp::Logout(a) => Event::Logout(AgentId(u64::from(a))),
                TenantOp::Login(a) => Event::Login(AgentId(u64::from(a))),
                TenantOp::Serve(a, mask) => {
                    serves[usize::from(a)] = companies_of(mask);
                    Event::SetCompanies(AgentId(u64::from(a)), companies_of(mask))
                }
            };
            let out = acd.handle(Instant(now), event);
            if let Err(e) = acd.check_invariants() {
                prop_assert!(false, "{e}");
            }
            for cmd in &out {
                match cmd {
                    Command::Offer { contact, agent } => {
                        // Checked here too, from the test's own record of
                        // who serves whom, not only by the engine's checker.
                        let company = contact_company[contact];
                        let agent_serves = &serves[usize::try_from(agent.0).unwrap()];
                        prop_assert!(agent_serves.contains(&company), "{contact:?} of {company:?} offered to {agent:?}, who serves {agent_serves:?}");
                        ringing.push((*contact, *agent));
                    }
                    Command::Retract { contact, agent } => ringing.retain(|x| *x != (*contact, *agent)),
                    _ => {}
                }
            }
            ringing.retain(|(_, a)| acd.agent_state(*a).is_some_and(|s| s == AgentState::Offered));
        }
    }
}
