//! The one clock of the runtime, and what a company's time zone makes of
//! it. Pure crates never read a clock; what they need of "now" comes from
//! here, in the company's zone (its opening hours, its "today", every time
//! a person reads).

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

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

    /// The local time in `zone` now.
    pub fn local(self, zone: Tz) -> NaiveDateTime {
        self.now().with_timezone(&zone).naive_local()
    }

    /// The day it is now in `zone`.
    pub fn today(self, zone: Tz) -> NaiveDate {
        self.local(zone).date()
    }
}

/// Reads an IANA zone name (`Europe/Sarajevo`); the error says what is wrong.
pub fn parse_zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| format!("{name:?} is not an IANA time zone (such as Europe/Sarajevo)"))
}

/// The first local midnight in `zone` after `at`, as an instant. Where a
/// day starts without a midnight (a daylight-saving jump at 00:00), the
/// day's first moment counts.
pub fn next_midnight(at: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
    let today = at.with_timezone(&zone).date_naive();
    let tomorrow = today.checked_add_days(Days::new(1)).unwrap_or(today);
    let start = tomorrow.and_hms_opt(0, 0, 0).unwrap_or_default();
    // A gap at midnight is at most a few hours long: the first minute that
    // exists is the day's start.
    (0..24 * 60)
        .find_map(|m| zone.from_local_datetime(&(start + chrono::Duration::minutes(m))).earliest())
        .map_or(at + chrono::Duration::days(1), |t| t.with_timezone(&Utc))
}

/// The instant a local day starts in `zone`, as stored (RFC 3339 UTC, ms).
pub fn day_start(day: NaiveDate, zone: Tz) -> String {
    let before = day.pred_opt().unwrap_or(day).and_hms_opt(12, 0, 0).unwrap_or_default();
    let at = zone.from_local_datetime(&before).earliest().map_or_else(|| before.and_utc(), |t| t.with_timezone(&Utc));
    next_midnight(at, zone).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn local_midnights_in_zones_and_across_daylight_saving() {
        let sarajevo: Tz = parse_zone("Europe/Sarajevo").unwrap();
        let havana: Tz = parse_zone("America/Havana").unwrap();
        for (at, zone, want) in [
            // Winter: UTC+1.
            ("2026-11-27T12:00:00Z", sarajevo, "2026-11-27T23:00:00Z"),
            // Just before local midnight, and at it: the next one.
            ("2026-11-27T22:59:59Z", sarajevo, "2026-11-27T23:00:00Z"),
            ("2026-11-27T23:00:00Z", sarajevo, "2026-11-28T23:00:00Z"),
            // The night the clocks go forward (29 March 2026, 02:00 → 03:00):
            // the day that follows is 23 hours long.
            ("2026-03-28T12:00:00Z", sarajevo, "2026-03-28T23:00:00Z"),
            ("2026-03-29T12:00:00Z", sarajevo, "2026-03-29T22:00:00Z"),
            // And back (25 October 2026): 25 hours.
            ("2026-10-25T12:00:00Z", sarajevo, "2026-10-25T23:00:00Z"),
            ("2026-11-27T12:00:00Z", Tz::UTC, "2026-11-28T00:00:00Z"),
            // Cuba jumps at midnight (8 March 2026, 00:00 → 01:00): that
            // day starts at 01:00 local, 05:00 UTC.
            ("2026-03-07T12:00:00Z", havana, "2026-03-08T05:00:00Z"),
        ] {
            assert_eq!(next_midnight(utc(at), zone), utc(want), "{at} in {zone}");
        }
        assert!(parse_zone("Mars/Olympus").unwrap_err().contains("not an IANA time zone"));
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        assert_eq!(day_start(day, sarajevo), "2026-11-26T23:00:00.000Z");
        assert_eq!(day_start(day, Tz::UTC), "2026-11-27T00:00:00.000Z");
    }

    #[test]
    fn today_is_the_zones_day() {
        // Noon UTC on the 27th: 13:00 in Sarajevo, 21:00 in Tokyo, and
        // already 02:00 on the 28th on Kiritimati (UTC+14).
        let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let c = Clock::Fixed(day);
        assert_eq!(c.today(parse_zone("Europe/Sarajevo").unwrap()), day);
        let tokyo = c.local(parse_zone("Asia/Tokyo").unwrap());
        assert_eq!((tokyo.date(), tokyo.format("%H:%M").to_string()), (day, "21:00".to_owned()));
        assert_eq!(c.today(parse_zone("Pacific/Kiritimati").unwrap()), day.succ_opt().unwrap());
    }
}
