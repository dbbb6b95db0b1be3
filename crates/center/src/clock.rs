//! The one clock of the runtime: the system's, or a fixed day in tests.
//! Pure crates never read a clock; what they need of "now" comes from here.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Where "now" comes from.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    System,
    /// Noon (UTC) of this day, always.
    Fixed(NaiveDate),
}

impl Clock {
    /// The instant it is now.
    pub fn now(self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(d) => d.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc(),
        }
    }

    /// The local time of the machine now (until companies have their own zone).
    pub fn local_now(self) -> NaiveDateTime {
        match self {
            Clock::System => chrono::Local::now().naive_local(),
            Clock::Fixed(_) => self.now().naive_utc(),
        }
    }

    /// The day it is now.
    pub fn today(self) -> NaiveDate {
        self.local_now().date()
    }
}
