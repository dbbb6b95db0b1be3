//! The ACD (automatic contact distribution): queues, agents with skills and
//! per-channel capacity, offers with ring timeouts, wrap-up, direct targets
//! with fallback chains, callbacks that keep their place, overflow,
//! estimated waits, real-time statistics and an event log.
//!
//! A pure state machine in the style of `quinn-proto` and `str0m`: the
//! driver feeds [`Acd::handle`] with the time and an [`Event`], carries out
//! the returned [`Command`]s (ring a phone, play a message), and calls again
//! by [`Acd::next_timeout`]. No IO, no clock, no randomness: a whole day of
//! contacts is a fast, deterministic test.

mod engine;
pub mod erlang;
mod types;

pub use engine::Acd;
pub use types::*;
