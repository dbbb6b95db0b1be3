//! Who works here and who is present on a given day: the facts that routing
//! needs about staff (OD-4, OD-15, OD-19, OD-25).

pub use centrala_domain::DepartmentKind;
use centrala_domain::{Absence, DepartmentId, Role, StaffId};
use chrono::{Months, NaiveDate};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub id: DepartmentId,
    pub code: String,
    pub name: String,
    pub kind: DepartmentKind,
    pub head: Option<StaffId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: StaffId,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub department: Option<DepartmentId>,
    pub active: bool,
}

/// An absence and who substitutes for it, if anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsenceEntry {
    pub staff: StaffId,
    pub absence: Absence,
    pub substitute: Option<StaffId>,
}

/// A company's staff, departments and absences.
#[derive(Debug, Clone, Default)]
pub struct Staffing {
    pub members: Vec<Member>,
    pub departments: Vec<Department>,
    pub absences: Vec<AbsenceEntry>,
}

/// Whether `id` is present on `day`, and if not, until when it is away and
/// who substitutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    Present,
    Absent {
        until: NaiveDate,
        substitute: Option<StaffId>,
    },
    /// Not an active member at all.
    Inactive,
}

impl Staffing {
    pub fn member(&self, id: StaffId) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    pub fn department(&self, id: DepartmentId) -> Option<&Department> {
        self.departments.iter().find(|d| d.id == id)
    }

    pub fn presence(&self, id: StaffId, day: NaiveDate) -> Presence {
        match self.member(id) {
            Some(m) if m.active => {}
            _ => return Presence::Inactive,
        }
        match self.absences.iter().find(|a| a.staff == id && a.absence.covers(day)) {
            None => Presence::Present,
            Some(a) => Presence::Absent { until: a.absence.to, substitute: a.substitute },
        }
    }

    pub fn is_present(&self, id: StaffId, day: NaiveDate) -> bool {
        self.presence(id, day) == Presence::Present
    }

    /// `id` if present; else its substitute for the day if that one is
    /// present. The second value says whether a substitute stands in.
    pub fn present_or_substitute(&self, id: StaffId, day: NaiveDate) -> Option<(StaffId, bool)> {
        match self.presence(id, day) {
            Presence::Present => Some((id, false)),
            Presence::Absent { substitute: Some(s), .. } if self.is_present(s, day) => Some((s, true)),
            _ => None,
        }
    }

    pub fn name(&self, id: StaffId) -> String {
        self.member(id).map_or_else(|| format!("staff #{id}"), |m| m.full_name.clone())
    }

    /// Present, active members with `role`, by username.
    pub fn present_with_role(&self, role: Role, day: NaiveDate) -> Vec<&Member> {
        let mut v: Vec<&Member> =
            self.members.iter().filter(|m| m.role == role && self.is_present(m.id, day)).collect();
        v.sort_by(|a, b| a.username.cmp(&b.username));
        v
    }

    pub fn departments_of_kind(&self, kind: DepartmentKind) -> Vec<&Department> {
        let mut v: Vec<&Department> = self.departments.iter().filter(|d| d.kind == kind).collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    }
}

/// Why a substitution is refused (OD-25).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubstituteError {
    #[error("a substitution lasts at most one calendar month: from {from} it may run to {last} at the latest")]
    LongerThanAMonth { from: NaiveDate, last: NaiveDate },
    #[error("an operator is substituted by another operator")]
    NotAnOperator,
}

/// OD-25: an absent operator is substituted by another operator, for at
/// most one calendar month: from 5 March the last day may be 4 April.
pub fn check_substitution(
    absent_role: Role,
    substitute_role: Role,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(), SubstituteError> {
    let last = from.checked_add_months(Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(from);
    if to > last {
        return Err(SubstituteError::LongerThanAMonth { from, last });
    }
    if absent_role == Role::Operator && substitute_role != Role::Operator {
        return Err(SubstituteError::NotAnOperator);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_substitution_lasts_at_most_one_calendar_month() {
        let op = Role::Operator;
        let cases = [
            ("2026-03-05", "2026-04-04", true),  // exactly one month
            ("2026-03-05", "2026-04-05", false), // one day more
            ("2026-03-05", "2026-03-05", true),
            ("2026-01-31", "2026-02-27", true), // Jan 31 + 1 month is Feb 28: last day Feb 27
            ("2026-01-31", "2026-02-28", false),
            ("2026-12-15", "2027-01-14", true),
            ("2026-12-15", "2027-01-15", false),
        ];
        for (from, to, ok) in cases {
            assert_eq!(check_substitution(op, op, d(from), d(to)).is_ok(), ok, "{from}..{to}");
        }
        assert_eq!(
            check_substitution(op, Role::Manager, d("2026-03-05"), d("2026-03-06")),
            Err(SubstituteError::NotAnOperator)
        );
        assert!(check_substitution(Role::Manager, Role::KeyAccountManager, d("2026-03-05"), d("2026-03-06")).is_ok());
    }
}
