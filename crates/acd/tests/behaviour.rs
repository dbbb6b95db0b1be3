//! The ACD's behaviours as small scenarios on virtual time: every strategy,
//! widening, direct targets with fallback, no-answer, wrap-up, overflow,
//! abandonment, callbacks, capacity, priorities, position and statistics.
//! The engine's invariants are checked after every event.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use centrala_acd::*;
use std::time::Duration;

struct Sim {
    acd: Acd,
    now: Instant,
}

const Q: QueueId = QueueId(1);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}
fn a(n: u64) -> AgentId {
    AgentId(n)
}
fn c(n: u64) -> TaskId {
    TaskId(n)
}

impl Sim {
    fn new() -> Sim {
        Sim { acd: Acd::new(), now: Instant(0) }
    }

    fn at(&mut self, s: u64) -> &mut Self {
        self.now = Instant(s * 1000);
        self
    }

    fn ev(&mut self, e: Event) -> Vec<Command> {
        let out = self.acd.handle(self.now, e);
        self.acd.check_invariants().unwrap_or_else(|e| panic!("invariant broken at {:?}: {e}", self.now));
        out
    }

    /// Offers among the commands, as (contact, agent).
    fn offers(out: &[Command]) -> Vec<(u64, u64)> {
        out.iter()
            .filter_map(|c| match c {
                Command::Offer { contact, agent } | Command::StartCallback { contact, agent } => {
                    Some((contact.0, agent.0))
                }
                _ => None,
            })
            .collect()
    }

    fn queue(&mut self, cfg: QueueConfig) {
        self.acd.enable_checks();
        self.ev(Event::AddQueue(cfg));
    }

    fn agent(&mut self, id: u64, skills: &[(u32, u8)]) {
        let mut cfg = AgentConfig::new(a(id), &format!("agent{id}"));
        cfg.skills = skills.iter().map(|(s, l)| (Skill(*s), *l)).collect();
        self.ev(Event::AddAgent(cfg));
        self.ev(Event::Login(a(id)));
    }

    fn arrive(&mut self, id: u64) -> Vec<(u64, u64)> {
        let out = self.ev(Event::Arrive { contact: c(id), queue: Q, priority: 0 });
        Self::offers(&out)
    }

    fn tick(&mut self, s: u64) -> Vec<Command> {
        self.at(s);
        self.ev(Event::Tick)
    }

    fn accept_and_end(&mut self, contact: u64, agent: u64) -> Vec<(u64, u64)> {
        self.ev(Event::Accept { contact: c(contact), agent: a(agent) });
        let out = self.ev(Event::End { contact: c(contact) });
        Self::offers(&out)
    }
}

fn queue(strategy: Strategy) -> QueueConfig {
    QueueConfig { strategy, ..QueueConfig::new(Q, "orders") }
}

#[test]
fn longest_idle_offers_to_the_agent_idle_the_longest() {
    let mut s = Sim::new();
    s.queue(queue(Strategy::LongestIdle));
    s.at(0).agent(1, &[]);
    s.at(5).agent(2, &[]);
    s.at(9).agent(3, &[]);
    assert_eq!(s.at(10).arrive(100), [(100, 1)]);
    assert_eq!(s.arrive(101), [(101, 2)]);
    // Agent 1 finishes first: it is now the one idle the shortest.
    s.at(20).accept_and_end(100, 1);
    s.at(21).accept_and_end(101, 2);
    assert_eq!(s.at(30).arrive(102), [(102, 3)]);
    assert_eq!(s.arrive(103), [(103, 1)]);
}

#[test]
fn round_robin_takes_each_agent_in_turn() {
    let mut s = Sim::new();
    s.queue(queue(Strategy::RoundRobin));
    for i in 1..=3 {
        s.agent(i, &[]);
    }
    let mut order = Vec::new();
    for n in 0..6 {
        let offers = s.at(n * 10).arrive(100 + n);
        let (_, agent) = offers[0];
        order.push(agent);
        s.at(n * 10 + 5).accept_and_end(100 + n, agent);
    }
    assert_eq!(order, [1, 2, 3, 1, 2, 3]);
}

#[test]
fn ring_all_rings_everyone_and_the_first_to_answer_wins() {
    let mut s = Sim::new();
    s.queue(queue(Strategy::RingAll));
    for i in 1..=3 {
        s.agent(i, &[]);
    }
    let offers = s.at(1).arrive(100);
    assert_eq!(offers, [(100, 1), (100, 2), (100, 3)]);
    let out = s.at(2).ev(Event::Accept { contact: c(100), agent: a(2) });
    let retracted: Vec<u64> =
        out.iter().filter_map(|x| if let Command::Retract { agent, .. } = x { Some(agent.0) } else { None }).collect();
    assert_eq!(retracted, [1, 3]);
    assert_eq!(s.acd.agent_state(a(2)), Some(AgentState::OnContact));
    assert_eq!(s.acd.agent_state(a(1)), Some(AgentState::Available));
    // The next contact rings the two still free.
    assert_eq!(s.at(3).arrive(101), [(101, 1), (101, 3)]);
}

#[test]
fn fewest_contacts_today_goes_to_the_least_busy() {
    let mut s = Sim::new();
    s.queue(queue(Strategy::FewestContacts));
    s.agent(1, &[]);
    s.agent(2, &[]);
    s.agent(3, &[]);
    // Agent 1 handles two, agent 2 one.
    for (n, agent) in [(100, 1), (101, 1), (102, 2)] {
        s.ev(Event::NotReady(a(if agent == 1 { 2 } else { 1 }), "hold".into()));
        s.ev(Event::NotReady(a(3), "hold".into()));
        let offers = s.arrive(n);
        assert_eq!(offers, [(n, agent)]);
        s.accept_and_end(n, agent);
        s.ev(Event::Ready(a(1)));
        s.ev(Event::Ready(a(2)));
        s.ev(Event::Ready(a(3)));
    }
    assert_eq!(s.arrive(103), [(103, 3)]);
    assert_eq!(s.arrive(104), [(104, 2)]);
    // Another company's midnight changes nothing here; this company's
    // new day resets the counts.
    s.ev(Event::NewDay(Company(9)));
    assert!(s.acd.agents().iter().any(|x| x.handled_today > 0));
    assert!(s.acd.stats(QueueId(1)).unwrap().answered_today > 0);
    s.ev(Event::NewDay(Company(0)));
    let snapshot = s.acd.agents();
    assert!(snapshot.iter().all(|x| x.handled_today == 0));
    assert_eq!(s.acd.stats(QueueId(1)).unwrap().answered_today, 0);
    // After a restart the day counted before it is added back, and the
    // figures that follow from it read the whole day.
    let counts = centrala_acd::DayCounts {
        arrived: 5,
        answered: 3,
        answered_within: 2,
        abandoned: 2,
        abandoned_after: 1,
        overflowed: 1,
        answer_wait_ms: 30_000,
    };
    s.ev(Event::SeedDay { queue: QueueId(1), counts });
    s.ev(Event::SeedDay { queue: QueueId(77), counts });
    let st = s.acd.stats(QueueId(1)).unwrap();
    assert_eq!((st.arrived_today, st.answered_today, st.abandoned_today, st.overflowed_today), (5, 3, 2, 1));
    assert_eq!((st.service_level, st.asa), (Some(0.5), Some(std::time::Duration::from_secs(10))));
}

#[test]
fn highest_skill_level_first() {
    let mut s = Sim::new();
    s.queue(QueueConfig { skills: vec![(Skill(7), 1)], ..queue(Strategy::HighestSkill) });
    s.agent(1, &[(7, 2)]);
    s.agent(2, &[(7, 5)]);
    s.agent(3, &[(7, 4)]);
    s.agent(4, &[]); // lacks the skill: never offered
    assert_eq!(s.arrive(100), [(100, 2)]);
    assert_eq!(s.arrive(101), [(101, 3)]);
    assert_eq!(s.arrive(102), [(102, 1)]);
    assert_eq!(s.arrive(103), []);
    assert_eq!(s.acd.position(c(103)).map(|p| p.0), Some(1));
}

#[test]
fn widening_lets_less_skilled_agents_in_after_a_while() {
    let mut s = Sim::new();
    s.queue(QueueConfig {
        skills: vec![(Skill(1), 5)],
        widening: vec![(secs(30), 3), (secs(60), 1)],
        ..queue(Strategy::LongestIdle)
    });
    s.agent(1, &[(1, 3)]);
    s.agent(2, &[(1, 1)]);
    assert_eq!(s.at(0).arrive(100), [], "nobody has level 5");
    assert_eq!(s.acd.next_timeout(), Some(Instant(30_000)));
    assert!(Sim::offers(&s.tick(29)).is_empty());
    assert_eq!(Sim::offers(&s.tick(30)), [(100, 1)], "level 3 admitted after 30 s");
    s.ev(Event::Accept { contact: c(100), agent: a(1) });
    assert_eq!(s.at(31).arrive(101), []);
    assert_eq!(Sim::offers(&s.tick(91)), [(101, 2)], "level 1 after 60 s more");
}

#[test]
fn no_answer_makes_the_agent_not_ready_and_offers_the_next() {
    let mut s = Sim::new();
    s.queue(QueueConfig { ring_timeout: secs(15), ..queue(Strategy::LongestIdle) });
    s.at(0).agent(1, &[]);
    s.at(1).agent(2, &[]);
    assert_eq!(s.at(2).arrive(100), [(100, 1)]);
    assert!(Sim::offers(&s.tick(16)).is_empty());
    let out = s.tick(17);
    assert!(out.contains(&Command::Retract { contact: c(100), agent: a(1) }));
    assert_eq!(Sim::offers(&out), [(100, 2)]);
    assert_eq!(s.acd.agent_state(a(1)), Some(AgentState::NotReady("no_answer".into())));
    let log = s.acd.take_log();
    assert!(log.iter().any(|e| e.kind == LogKind::NoAnswer && e.agent == Some(a(1))));
    // Ready again, it takes the next contact.
    s.ev(Event::Ready(a(1)));
    assert_eq!(s.at(20).arrive(101), [(101, 1)]);
}

#[test]
fn wrap_up_then_available() {
    let mut s = Sim::new();
    s.queue(QueueConfig { wrap_up: secs(10), ..queue(Strategy::LongestIdle) });
    s.agent(1, &[]);
    assert_eq!(s.at(0).arrive(100), [(100, 1)]);
    assert_eq!(s.at(5).accept_and_end(100, 1), []);
    assert_eq!(s.acd.agent_state(a(1)), Some(AgentState::WrapUp));
    assert_eq!(s.at(8).arrive(101), [], "no offer during wrap-up");
    assert_eq!(Sim::offers(&s.tick(15)), [(101, 1)]);
    // Wrap-up can be finished early.
    s.at(20).accept_and_end(101, 1);
    assert_eq!(s.acd.agent_state(a(1)), Some(AgentState::WrapUp));
    s.at(22).ev(Event::WrapUpDone(a(1)));
    assert_eq!(s.acd.agent_state(a(1)), Some(AgentState::Available));
}

#[test]
fn direct_target_waits_then_falls_back_along_the_chain() {
    let mut s = Sim::new();
    s.queue(queue(Strategy::LongestIdle));
    s.agent(10, &[]); // the client's manager
    s.agent(11, &[]); // another key-account manager
    s.agent(1, &[]); // an operator in the queue... and the managers are queue members too
                     // The manager is busy with someone else.
    s.ev(Event::NotReady(a(10), "meeting".into()));
    let chain = vec![Step::Agent(a(10), secs(20)), Step::Agent(a(11), secs(20)), Step::Queue(QueueId(2))];
    s.queue(QueueConfig::new(QueueId(2), "heads"));
    s.ev(Event::NotReady(a(11), "lunch".into()));
    s.ev(Event::NotReady(a(1), "break".into()));
    let out = s.at(0).ev(Event::ArriveDirect {
        contact: c(500),
        company: Company(0),
        channel: Channel::Voice,
        priority: 5,
        chain,
    });
    assert!(Sim::offers(&out).is_empty());
    // The manager becomes ready within its 20 s: it gets the call.
    let out = s.at(10).ev(Event::Ready(a(10)));
    assert_eq!(Sim::offers(&out), [(500, 10)]);
    // It does not answer: on to the next step at once.
    let out = s.tick(30);
    assert!(out.contains(&Command::Redirected { contact: c(500), step: 1 }));
    assert_eq!(s.acd.agent_state(a(10)), Some(AgentState::NotReady("no_answer".into())));
    // The other key-account manager stays away 20 s: on to the queue.
    let out = s.tick(50);
    assert!(out.contains(&Command::Redirected { contact: c(500), step: 2 }));
    assert_eq!(s.acd.waiting_in_queue(c(500)), Some(QueueId(2)));
    let out = s.at(51).ev(Event::Ready(a(1)));
    assert_eq!(Sim::offers(&out), [(500, 1)]);
}

#[test]
fn a_logged_out_target_is_stood_in_for_by_its_substitute() {
    let mut s = Sim::new();
    let mut cfg = AgentConfig::new(a(10), "manager");
    cfg.substitute = Some(a(11));
    s.ev(Event::AddAgent(cfg));
    s.agent(11, &[]);
    let out = s.ev(Event::ArriveDirect {
        contact: c(1),
        company: Company(0),
        channel: Channel::Voice,
        priority: 0,
        chain: vec![Step::Agent(a(10), secs(30))],
    });
    assert_eq!(Sim::offers(&out), [(1, 11)]);
}

#[test]
fn max_wait_overflows_to_another_queue_keeping_seniority() {
    let mut s = Sim::new();
    s.queue(QueueConfig { max_wait: Some((secs(60), Overflow::Queue(QueueId(2)))), ..queue(Strategy::LongestIdle) });
    s.queue(QueueConfig::new(QueueId(2), "overflow"));
    let mut cfg = AgentConfig::new(a(1), "backup");
    cfg.skills = vec![];
    s.ev(Event::AddAgent(cfg));
    // Agent 1 is a member of both queues but busy until t=100.
    s.ev(Event::Login(a(1)));
    s.ev(Event::NotReady(a(1), "busy".into()));
    s.at(0).arrive(100);
    // Someone arrives directly in queue 2 later.
    s.at(30).ev(Event::Arrive { contact: c(200), queue: QueueId(2), priority: 0 });
    let out = s.tick(60);
    assert!(out.contains(&Command::Overflowed { contact: c(100), from: Q, to: Overflow::Queue(QueueId(2)) }));
    assert_eq!(s.acd.waiting_in_queue(c(100)), Some(QueueId(2)));
    assert_eq!(s.acd.position(c(100)).map(|p| p.0), Some(1), "it arrived first, so it is first");
    let out = s.at(100).ev(Event::Ready(a(1)));
    assert_eq!(Sim::offers(&out), [(100, 1)]);
    assert_eq!(s.acd.stats(Q).unwrap().overflowed_today, 1);
}

#[test]
fn a_full_queue_overflows_at_once_to_a_message_or_a_callback() {
    let mut s = Sim::new();
    s.queue(QueueConfig { max_len: Some((2, Overflow::Message)), ..queue(Strategy::LongestIdle) });
    s.arrive(1);
    s.arrive(2);
    let out = s.ev(Event::Arrive { contact: c(3), queue: Q, priority: 0 });
    assert_eq!(out, [Command::Overflowed { contact: c(3), from: Q, to: Overflow::Message }]);
    assert_eq!(s.acd.stats(Q).unwrap().waiting, 2);
    assert_eq!(s.acd.waiting_len(Q), 2);
    assert_eq!(s.acd.waiting_len(QueueId(99)), 0, "an unknown queue has no one waiting");
    assert_eq!(s.acd.position(c(3)), None);

    let mut s = Sim::new();
    s.queue(QueueConfig { max_len: Some((1, Overflow::Callback)), ..queue(Strategy::LongestIdle) });
    s.arrive(1);
    let out = s.ev(Event::Arrive { contact: c(2), queue: Q, priority: 0 });
    assert_eq!(out, [Command::Overflowed { contact: c(2), from: Q, to: Overflow::Callback }]);
    s.agent(1, &[]);
    s.ev(Event::Accept { contact: c(1), agent: a(1) });
    let out = s.ev(Event::End { contact: c(1) });
    assert_eq!(
        out.iter().filter(|x| matches!(x, Command::StartCallback { contact, .. } if *contact == c(2))).count(),
        1
    );
}

#[test]
fn a_caller_who_hangs_up_is_removed_at_once() {
    let mut s = Sim::new();
    s.queue(QueueConfig { sl_threshold: secs(20), ..queue(Strategy::LongestIdle) });
    s.at(0).arrive(1);
    s.at(1).arrive(2);
    s.at(2).arrive(3);
    s.at(30).ev(Event::Abandon { contact: c(2) });
    assert_eq!(s.acd.position(c(3)).map(|p| p.0), Some(2));
    let stats = s.acd.stats(Q).unwrap();
    assert_eq!((stats.waiting, stats.abandoned_today, stats.abandoned_after_sl), (2, 1, 1));
    let log = s.acd.take_log();
    assert!(log
        .iter()
        .any(|e| e.contact == Some(c(2)) && e.kind == LogKind::Abandoned { waited: secs(29), position: 2 }));
    // Hanging up while ringing stops the ring and frees the agent.
    s.agent(1, &[]);
    let out = s.at(31).ev(Event::Abandon { contact: c(1) });
    assert!(out.contains(&Command::Retract { contact: c(1), agent: a(1) }));
    assert_eq!(Sim::offers(&out), [(3, 1)]);
}

#[test]
fn a_callback_keeps_the_callers_place() {
    let mut s = Sim::new();
    s.queue(queue(Strategy::LongestIdle));
    s.at(0).arrive(1);
    s.at(1).arrive(2);
    s.at(2).arrive(3);
    s.at(5).ev(Event::RequestCallback { contact: c(1) });
    assert_eq!(s.acd.position(c(1)).map(|p| p.0), Some(1));
    s.at(10).agent(1, &[]);
    let out = s.acd.handle(s.now, Event::Tick);
    assert!(out.is_empty());
    // The agent reserved for the callback: ring the agent, then dial the client.
    let log = s.acd.take_log();
    assert!(log.iter().any(|e| e.kind == LogKind::CallbackStarted && e.contact == Some(c(1)) && e.agent == Some(a(1))));
    assert_eq!(s.acd.position(c(2)).map(|p| p.0), Some(1));
    s.agent(2, &[]);
    assert_eq!(s.acd.waiting_in_queue(c(2)), None, "the next caller went to the second agent");
}

#[test]
fn capacity_per_channel() {
    let mut s = Sim::new();
    s.queue(QueueConfig { channel: Channel::Chat, ..queue(Strategy::LongestIdle) });
    let mut cfg = AgentConfig::new(a(1), "chatter");
    cfg.capacity = [1, 3, 0];
    s.ev(Event::AddAgent(cfg));
    s.ev(Event::Login(a(1)));
    let mut offered = Vec::new();
    for n in 1..=4 {
        offered.extend(s.arrive(n));
    }
    assert_eq!(offered, [(1, 1), (2, 1), (3, 1)], "three chats at once, the fourth waits");
    s.ev(Event::Accept { contact: c(1), agent: a(1) });
    let out = s.ev(Event::End { contact: c(1) });
    assert_eq!(Sim::offers(&out), [(4, 1)]);
}

/// A call is offered to an agent busy with chats, never to one on a call;
/// a chat to one on a call as long as it has chat room; a new capacity
/// takes effect at once, and the contacts held beyond it stay.
#[test]
fn calls_and_chats_side_by_side() {
    let mut s = Sim::new();
    s.queue(queue(Strategy::LongestIdle));
    s.queue(QueueConfig { channel: Channel::Chat, ..QueueConfig::new(QueueId(2), "chat") });
    let mut cfg = AgentConfig::new(a(1), "both");
    cfg.capacity = [1, 2, 0];
    s.ev(Event::AddAgent(cfg));
    s.ev(Event::Login(a(1)));
    let out = s.ev(Event::Arrive { contact: c(1), queue: QueueId(2), priority: 0 });
    assert_eq!(Sim::offers(&out), [(1, 1)]);
    s.ev(Event::Accept { contact: c(1), agent: a(1) });
    let out = s.ev(Event::Arrive { contact: c(2), queue: Q, priority: 0 });
    assert_eq!(Sim::offers(&out), [(2, 1)], "a call reaches the agent who is chatting");
    s.ev(Event::Accept { contact: c(2), agent: a(1) });
    assert_eq!(s.acd.contact_of_agent(a(1)), Some((c(2), true)), "the agent's call is the call, not the chat");
    assert_eq!(s.acd.contacts_of_agent(a(1)), [(c(1), Channel::Chat, true), (c(2), Channel::Voice, true)]);
    let out = s.ev(Event::Arrive { contact: c(3), queue: Q, priority: 0 });
    assert!(Sim::offers(&out).is_empty(), "no second call while on a call");
    let out = s.ev(Event::Arrive { contact: c(4), queue: QueueId(2), priority: 0 });
    assert_eq!(Sim::offers(&out), [(4, 1)], "a second chat while on a call");
    s.ev(Event::Accept { contact: c(4), agent: a(1) });
    s.ev(Event::SetCapacity(a(1), [1, 1, 0]));
    let out = s.ev(Event::Arrive { contact: c(5), queue: QueueId(2), priority: 0 });
    assert!(Sim::offers(&out).is_empty(), "the new capacity holds");
    s.ev(Event::End { contact: c(1) });
    assert_eq!(s.acd.waiting_in_queue(c(5)), Some(QueueId(2)), "two chats held, one allowed: still full");
    let out = s.ev(Event::SetCapacity(a(1), [1, 3, 0]));
    assert_eq!(Sim::offers(&out), [(5, 1)], "room again at once");
}

#[test]
fn priorities_within_and_across_queues() {
    let mut s = Sim::new();
    s.queue(queue(Strategy::LongestIdle));
    s.queue(QueueConfig { priority: 10, ..QueueConfig::new(QueueId(2), "key clients") });
    s.at(0).ev(Event::Arrive { contact: c(1), queue: Q, priority: 0 });
    s.at(1).ev(Event::Arrive { contact: c(2), queue: Q, priority: 5 });
    s.at(2).ev(Event::Arrive { contact: c(3), queue: QueueId(2), priority: 0 });
    s.at(3).agent(1, &[]);
    s.take_first_offer(3, 1);
    s.agent(2, &[]);
    s.take_first_offer(2, 2);
    s.agent(3, &[]);
    s.take_first_offer(1, 3);
}

impl Sim {
    fn take_first_offer(&mut self, contact: u64, agent: u64) {
        let log = self.acd.take_log();
        let first = log.iter().find(|e| e.kind == LogKind::Offered).expect("an offer");
        assert_eq!((first.contact, first.agent), (Some(c(contact)), Some(a(agent))));
    }
}

#[test]
fn position_estimated_wait_and_statistics() {
    let mut s = Sim::new();
    s.queue(QueueConfig {
        default_handle: secs(180),
        sl_threshold: secs(20),
        ring_timeout: secs(60),
        ..queue(Strategy::LongestIdle)
    });
    s.agent(1, &[]);
    s.agent(2, &[]);
    s.at(0).arrive(1);
    s.arrive(2);
    s.arrive(3);
    s.arrive(4);
    // Two agents busy, two waiting: the second is 2 × 180 s ÷ 2 agents away.
    assert_eq!(s.acd.position(c(4)), Some((2, secs(180))));
    s.at(5).ev(Event::Accept { contact: c(1), agent: a(1) });
    s.at(30).ev(Event::Accept { contact: c(2), agent: a(2) });
    s.at(40).ev(Event::Abandon { contact: c(4) });
    let st = s.acd.stats(Q).unwrap();
    assert_eq!((st.answered_today, st.answered_within_sl, st.abandoned_today, st.abandoned_after_sl), (2, 1, 1, 1));
    // Service level: 1 within 20 s of 2 answered + 1 abandoned after 20 s.
    assert!((st.service_level.unwrap() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(st.asa, Some(Duration::from_millis(17_500)));
    assert!((st.abandon_rate.unwrap() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!((st.waiting, st.longest_wait), (1, secs(40)));
    assert_eq!((st.agents_logged_in, st.agents_busy, st.agents_available), (2, 2, 0));
    let agents = s.acd.agents();
    assert_eq!(agents[0].state, AgentState::OnContact);
    assert_eq!(agents[1].in_state, secs(10));
}

#[test]
fn new_queue_settings_apply_to_what_happens_next_and_keep_who_waits() {
    let mut s = Sim::new();
    s.queue(QueueConfig { skills: vec![(Skill(1), 1)], ..queue(Strategy::LongestIdle) });
    s.ev(Event::Arrive { contact: c(1), queue: Q, priority: 0 });
    // Longer ring, a wrap-up and a max wait; the skills asked for are ignored.
    s.ev(Event::UpdateQueue(QueueConfig {
        ring_timeout: secs(30),
        wrap_up: secs(10),
        max_wait: Some((secs(60), Overflow::Message)),
        skills: Vec::new(),
        ..queue(Strategy::RoundRobin)
    }));
    assert_eq!(s.acd.position(c(1)).map(|p| p.0), Some(1), "still waiting, still first");
    s.agent(7, &[(1, 1)]);
    assert_eq!(s.acd.agent_state(a(7)), Some(AgentState::Offered), "the waiting contact went to the agent");
    // The ring timeout is 30 s now: at 20 s it still rings.
    s.tick(20);
    assert_eq!(s.acd.agent_state(a(7)), Some(AgentState::Offered));
    s.at(21);
    s.ev(Event::Accept { contact: c(1), agent: a(7) });
    s.at(40);
    s.ev(Event::End { contact: c(1) });
    assert_eq!(s.acd.agent_state(a(7)), Some(AgentState::WrapUp), "10 s of wrap-up now");
    s.tick(51);
    assert_eq!(s.acd.agent_state(a(7)), Some(AgentState::Available));
    // An agent without the queue's skill still gets nothing: skills stayed.
    s.agent(8, &[]);
    s.ev(Event::Logout(a(7)));
    s.ev(Event::Arrive { contact: c(2), queue: Q, priority: 0 });
    assert_eq!(s.acd.agent_state(a(8)), Some(AgentState::Available));
    // A new arrival gets the new max wait: overflow to a message at 60 s.
    let out = s.tick(51 + 61);
    assert!(out.iter().any(|c| matches!(c, Command::Overflowed { to: Overflow::Message, .. })), "{out:?}");
}

#[test]
fn new_skills_move_an_agent_between_queues_keeping_its_state() {
    let mut s = Sim::new();
    let mut q1 = queue(Strategy::LongestIdle);
    q1.skills = vec![(Skill(1), 1)];
    s.queue(q1);
    let mut q2 = QueueConfig::new(QueueId(2), "complaints");
    q2.skills = vec![(Skill(2), 1)];
    s.ev(Event::AddQueue(q2));
    s.agent(1, &[(1, 1)]);
    // A caller waits in the queue the agent cannot serve.
    let out = s.ev(Event::Arrive { contact: c(10), queue: QueueId(2), priority: 0 });
    assert!(Sim::offers(&out).is_empty());
    assert_eq!(s.acd.queue_of(c(10)), Some(QueueId(2)));
    // Given the second skill, it is offered the waiting call at once.
    let out = s.ev(Event::SetSkills(a(1), vec![(Skill(1), 1), (Skill(2), 1)]));
    assert_eq!(Sim::offers(&out), vec![(10, 1)]);
    s.ev(Event::Accept { contact: c(10), agent: a(1) });
    // Losing the first skill while talking keeps the call and the state.
    s.ev(Event::SetSkills(a(1), vec![(Skill(2), 1)]));
    assert_eq!(s.acd.agent_state(a(1)), Some(AgentState::OnContact));
    let out = s.ev(Event::End { contact: c(10) });
    assert!(Sim::offers(&out).is_empty());
    // A call for the first queue no longer reaches it.
    assert!(s.arrive(11).is_empty());
    assert_eq!(s.acd.stats(QueueId(2)).unwrap().answered_today, 1);
    // Unknown agents are ignored.
    assert!(s.ev(Event::SetSkills(a(99), vec![(Skill(1), 1)])).is_empty());
}

#[test]
fn a_callback_outlives_the_longest_wait_and_a_retry_arrives_as_a_callback() {
    let mut s = Sim::new();
    s.queue(QueueConfig { max_wait: Some((secs(30), Overflow::Message)), ..queue(Strategy::LongestIdle) });
    s.at(0).arrive(1);
    s.at(0).arrive(2);
    s.at(5).ev(Event::RequestCallback { contact: c(1) });
    // At 30 s the caller on the line is let go; the callback keeps its place.
    let out = s.tick(30);
    let overflowed: Vec<u64> = out
        .iter()
        .filter_map(|x| match x {
            Command::Overflowed { contact, .. } => Some(contact.0),
            _ => None,
        })
        .collect();
    assert_eq!(overflowed, [2]);
    assert_eq!(s.acd.position(c(1)).map(|p| p.0), Some(1));
    // A retry of another callback arrives behind it, as a callback: the
    // first agent starts the first callback, the second the retry (never an
    // offer, nobody is on the line).
    let arrived = s.acd.stats(Q).unwrap().arrived_today;
    assert_eq!(arrived, 2);
    let out = s.at(31).ev(Event::ArriveCallback { contact: c(3), queue: Q, priority: 0 });
    assert!(Sim::offers(&out).is_empty());
    assert!(s.acd.wants_callback(c(3)));
    // It was counted where it first arrived (or in the day seeded after a
    // restart): not again.
    assert_eq!(s.acd.stats(Q).unwrap().arrived_today, arrived);
    s.at(40).agent(1, &[]);
    let log = s.acd.take_log();
    assert!(log.iter().any(|e| e.kind == LogKind::CallbackStarted && e.contact == Some(c(1)) && e.agent == Some(a(1))));
    let mut cfg = AgentConfig::new(a(2), "agent2");
    cfg.skills = Vec::new();
    s.ev(Event::AddAgent(cfg));
    let out = s.ev(Event::Login(a(2)));
    assert!(out.contains(&Command::StartCallback { contact: c(3), agent: a(2) }), "{out:?}");
    // The retry ran past its queue's longest wait: still no overflow.
    assert!(s.tick(120).iter().all(|x| !matches!(x, Command::Overflowed { .. })));
}

/// A caller whose agent's phone was lost mid-call (a browser's network)
/// goes back to its queue at its old place — ahead of a caller who came
/// later — and the agent goes not ready; it is answered once in the day's
/// figures however often it is answered.
#[test]
fn a_contact_whose_agent_was_lost_goes_back_ahead_of_later_callers() {
    let mut s = Sim::new();
    s.queue(queue(Strategy::LongestIdle));
    s.at(0).agent(1, &[]);
    assert_eq!(s.at(10).arrive(100), [(100, 1)]);
    s.ev(Event::Accept { contact: c(100), agent: a(1) });
    assert_eq!(s.at(20).arrive(101), [], "nobody free");
    // Another agent's phone is not lost, nor a contact this agent does not hold.
    assert!(s.ev(Event::Lost { contact: c(101), agent: a(1) }).is_empty());
    let out = s.at(40).ev(Event::Lost { contact: c(100), agent: a(1) });
    assert_eq!(s.acd.agent_state(a(1)), Some(AgentState::NotReady("connection_lost".into())), "{out:?}");
    let order: Vec<u64> = s.acd.waiting(Q).into_iter().map(|(t, _)| t.0).collect();
    assert_eq!(order, [100, 101], "the lost contact is at the head");
    s.at(41).agent(2, &[]);
    assert_eq!(s.acd.waiting(Q).len(), 1, "agent 2 took one: {:?}", s.acd.waiting(Q));
    assert_eq!(s.acd.waiting(Q)[0].0, c(101), "the lost contact went first");
    s.ev(Event::Accept { contact: c(100), agent: a(2) });
    let st = s.acd.stats(Q).unwrap();
    assert_eq!((st.arrived_today, st.answered_today), (2, 1), "answered once, not twice");
    assert!(s.ev(Event::Lost { contact: c(100), agent: a(1) }).is_empty(), "a stale loss changes nothing");
    s.ev(Event::End { contact: c(100) });
    assert_eq!(s.acd.take_log().iter().filter(|e| e.kind == LogKind::Lost).count(), 1);
}
