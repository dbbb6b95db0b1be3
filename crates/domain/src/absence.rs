//! Staff absences: who is away on a given day. The routing rules of the
//! order desk ask "is this manager present today?".

use chrono::NaiveDate;
use std::{fmt, str::FromStr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AbsenceKind {
    Vacation,
    BusinessTrip,
    SickLeave,
}

impl AbsenceKind {
    pub const ALL: [AbsenceKind; 3] = [AbsenceKind::Vacation, AbsenceKind::BusinessTrip, AbsenceKind::SickLeave];

    pub fn as_str(self) -> &'static str {
        match self {
            AbsenceKind::Vacation => "vacation",
            AbsenceKind::BusinessTrip => "business_trip",
            AbsenceKind::SickLeave => "sick_leave",
        }
    }
}

impl fmt::Display for AbsenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AbsenceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        AbsenceKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| format!("unknown absence kind {s:?}; expected vacation, business_trip or sick_leave"))
    }
}

/// An absence covering the days `from..=to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Absence {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub kind: AbsenceKind,
}

impl Absence {
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }
}

/// Whether someone with these absences is present on `day`.
pub fn is_present(absences: &[Absence], day: NaiveDate) -> bool {
    !absences.iter().any(|a| a.covers(day))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn absence_bounds_are_inclusive() {
        let a = [Absence { from: d("2026-03-02"), to: d("2026-03-02"), kind: AbsenceKind::SickLeave }];
        assert!(is_present(&a, d("2026-03-01")));
        assert!(!is_present(&a, d("2026-03-02")));
        assert!(is_present(&a, d("2026-03-03")));
        assert!(is_present(&[], d("2026-03-02")));
    }

    #[test]
    fn kinds_parse_by_name() {
        assert_eq!("Business_Trip".parse(), Ok(AbsenceKind::BusinessTrip));
        assert!("holiday".parse::<AbsenceKind>().is_err());
    }
}
