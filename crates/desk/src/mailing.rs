//! When the daily report goes out, and how a failed one is retried. Pure:
//! the caller passes the company's local time.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

/// After this many failed attempts a report is given up (and shown as
/// failed on the admin page).
pub const MAX_ATTEMPTS: u32 = 8;

/// The day whose report is due at local time `now`, when it goes out at
/// `at` each morning: yesterday once `at` has passed, else the day
/// before. Only the latest due day is sent: a server that was down for
/// days does not flood the heads with old reports.
pub fn due_day(now: NaiveDateTime, at: NaiveTime) -> NaiveDate {
    let back = if now.time() >= at { 1 } else { 2 };
    now.date() - Duration::days(back)
}

/// How long to wait after the `attempts`-th failure before trying again
/// (1, 2, 4 … minutes, at most an hour), or `None`: give up.
pub fn retry_after(attempts: u32) -> Option<Duration> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let minutes = 1i64 << attempts.saturating_sub(1).min(6);
    Some(Duration::minutes(minutes.min(60)))
}

/// Reads a local time of day written `HH:MM`.
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn yesterday_is_due_from_the_chosen_time() {
        let seven = parse_time("07:00").unwrap();
        assert_eq!(due_day(at("2026-12-02 06:59"), seven), NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        assert_eq!(due_day(at("2026-12-02 07:00"), seven), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(due_day(at("2026-01-01 23:59"), seven), NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
        assert_eq!(
            due_day(at("2026-03-01 00:00"), parse_time("00:00").unwrap()),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
    }

    #[test]
    fn failures_wait_longer_each_time_then_give_up() {
        let waits: Vec<i64> = (1..MAX_ATTEMPTS).map(|n| retry_after(n).unwrap().num_minutes()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60]);
        assert_eq!(retry_after(MAX_ATTEMPTS), None);
        assert_eq!(parse_time("7:30"), NaiveTime::from_hms_opt(7, 30, 0));
        assert_eq!(parse_time("25:00"), None);
        assert_eq!(parse_time("seven"), None);
    }
}
