//! ACD decision throughput and memory.
//!
//!     cargo bench -p centrala-acd --bench acd
//!
//! A loaded center: every agent busy, `waiting` contacts queued across the
//! queues. One iteration is one agent finishing a contact and being given
//! the best waiting contact (the decision), the agent answering, and a new
//! contact arriving (so the queues stay as full): three events, one
//! decision.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The counting allocator below must implement `GlobalAlloc`, which is unsafe by definition.
#![allow(unsafe_code)]

use centrala_acd::*;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::atomic::{AtomicIsize, Ordering},
    time::Duration,
};

/// Counts live heap bytes, to measure memory per waiting contact.
struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Center {
    acd: Acd,
    now: u64,
    next_contact: u64,
    queues: u32,
    /// Each agent's current contact.
    current: Vec<TaskId>,
    turn: usize,
}

fn queue_of(n: u64, queues: u32) -> QueueId {
    QueueId((n.wrapping_mul(2_654_435_761) % u64::from(queues)) as u32)
}

impl Center {
    fn new(agents: u64, queues: u32, waiting: u64) -> Center {
        let mut acd = Acd::new();
        acd.set_logging(false);
        for q in 0..queues {
            let cfg = QueueConfig {
                skills: vec![(Skill(q), 1)],
                widening: vec![(Duration::from_secs(60), 1)],
                ..QueueConfig::new(QueueId(q), "q")
            };
            acd.handle(Instant(0), Event::AddQueue(cfg));
        }
        for a in 0..agents {
            let mut cfg = AgentConfig::new(AgentId(a), "agent");
            cfg.skills = (0..5u64)
                .map(|k| (Skill(((a * 7 + k * 13) % u64::from(queues)) as u32), (1 + (a + k) % 5) as u8))
                .collect();
            acd.handle(Instant(0), Event::AddAgent(cfg));
        }
        let mut c = Center { acd, now: 1, next_contact: 0, queues, current: vec![TaskId(0); agents as usize], turn: 0 };
        for a in 0..agents {
            // Log in, take one contact from one of its own queues, answer it.
            let q = QueueId(((a * 7) % u64::from(queues)) as u32);
            c.next_contact += 1;
            let id = TaskId(c.next_contact);
            c.acd.handle(Instant(c.now), Event::Arrive { contact: id, queue: q, priority: 0 });
            let out = c.acd.handle(Instant(c.now), Event::Login(AgentId(a)));
            c.answer(out);
        }
        for _ in 0..waiting {
            c.arrive();
        }
        c
    }

    fn answer(&mut self, out: Vec<Command>) -> usize {
        let mut decisions = 0;
        for cmd in out {
            if let Command::Offer { contact, agent } = cmd {
                self.acd.handle(Instant(self.now), Event::Accept { contact, agent });
                self.current[agent.0 as usize] = contact;
                decisions += 1;
            }
        }
        decisions
    }

    fn arrive(&mut self) {
        self.next_contact += 1;
        let id = TaskId(self.next_contact);
        let q = queue_of(self.next_contact, self.queues);
        let out = self.acd.handle(Instant(self.now), Event::Arrive { contact: id, queue: q, priority: 0 });
        self.answer(out);
    }

    /// One agent finishes and gets the best waiting contact; one arrives.
    fn cycle(&mut self) {
        self.now += 1;
        let agent = self.turn;
        self.turn = (self.turn + 1) % self.current.len();
        let contact = self.current[agent];
        let out = self.acd.handle(Instant(self.now), Event::End { contact });
        self.answer(out);
        self.arrive();
    }
}

fn decisions(c: &mut Criterion) {
    let mut group = c.benchmark_group("acd decision cycle");
    group.throughput(Throughput::Elements(1));
    group.sample_size(30);
    for (agents, queues, waiting) in [(100u64, 5u32, 1_000u64), (1_000, 50, 10_000), (10_000, 500, 100_000)] {
        let mut center = Center::new(agents, queues, waiting);
        assert!(center.acd.contacts_len() as u64 >= waiting, "the queues are full");
        group.bench_with_input(
            BenchmarkId::new("agents/queues/waiting", format!("{agents}/{queues}/{waiting}")),
            &agents,
            |b, _| b.iter(|| center.cycle()),
        );
    }
    group.finish();

    // The decision alone: an agent is freed and the engine picks its next
    // contact (the End event that yields the Offer); the answer and the
    // new arrival that keep the center loaded are not timed.
    let mut group = c.benchmark_group("acd decision");
    group.throughput(Throughput::Elements(1));
    group.sample_size(30);
    for (agents, queues, waiting) in [(100u64, 5u32, 1_000u64), (1_000, 50, 10_000), (10_000, 500, 100_000)] {
        let mut center = Center::new(agents, queues, waiting);
        group.bench_with_input(
            BenchmarkId::new("agents/queues/waiting", format!("{agents}/{queues}/{waiting}")),
            &agents,
            |b, _| {
                b.iter_custom(|iters| {
                    let mut spent = Duration::ZERO;
                    for _ in 0..iters {
                        center.now += 1;
                        let agent = center.turn;
                        center.turn = (center.turn + 1) % center.current.len();
                        let contact = center.current[agent];
                        let t = std::time::Instant::now();
                        let out = center.acd.handle(Instant(center.now), Event::End { contact });
                        spent += t.elapsed();
                        assert_eq!(center.answer(out), 1, "every freed agent gets a contact");
                        center.arrive();
                    }
                    spent
                })
            },
        );
    }
    group.finish();
}

fn memory(c: &mut Criterion) {
    // Not timed: printed once, for BENCHMARKS.md.
    let mut center = Center::new(10_000, 500, 0);
    let before = LIVE.load(Ordering::Relaxed);
    for _ in 0..100_000 {
        center.arrive();
    }
    let after = LIVE.load(Ordering::Relaxed);
    eprintln!(
        "memory per waiting contact: {} bytes (100,000 waiting, 10,000 agents, 500 queues)",
        (after - before) / 100_000
    );
    let mut group = c.benchmark_group("acd arrival into a full center");
    group.sample_size(30);
    group.bench_function("10000/500/100000", |b| b.iter(|| center.arrive()));
    group.finish();
}

criterion_group!(benches, decisions, memory);
criterion_main!(benches);
