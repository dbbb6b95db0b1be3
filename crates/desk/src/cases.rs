//! Cases (OD-20, CC-15): a client's comment, wish, complaint or claim,
//! raised from any channel, goes to the department concerned, with an
//! owner, a status, a due time from the category's deadline, its history
//! and a resolution. Pure: which department and deadline a case gets, which
//! status changes are allowed, when a case is overdue. Time is an argument.

use centrala_domain::DepartmentId;
use chrono::{DateTime, Duration, Utc};

/// What the client raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// A remark on the service or the goods.
    Comment,
    /// Something the client would like (an assortment, a delivery day).
    Wish,
    /// Dissatisfaction with the service or a person.
    Complaint,
    /// A claim on a delivery: goods missing, damaged, past their date.
    Claim,
}

impl Category {
    pub const ALL: [Category; 4] = [Category::Comment, Category::Wish, Category::Complaint, Category::Claim];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Comment => "comment",
            Category::Wish => "wish",
            Category::Complaint => "complaint",
            Category::Claim => "claim",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// How long the department has, when the company set nothing: a claim
    /// a working day, a complaint two days, a wish or a comment a week.
    pub fn default_deadline(self) -> Duration {
        match self {
            Category::Claim => Duration::hours(24),
            Category::Complaint => Duration::hours(48),
            Category::Wish | Category::Comment => Duration::hours(168),
        }
    }
}

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Open,
    InProgress,
    Resolved,
    /// Final: kept with its resolution.
    Closed,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Open, Status::InProgress, Status::Resolved, Status::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::InProgress => "in_progress",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Still someone's work (counts against the deadline).
    pub fn is_open(self) -> bool {
        matches!(self, Status::Open | Status::InProgress)
    }
}

/// A company's rule for one category: the department its cases go to
/// (none: the client's department, see [`route`]) and the deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRule {
    pub category: Category,
    pub department: Option<DepartmentId>,
    pub deadline: Duration,
}

/// The longest deadline a rule may set: 90 days.
pub const MAX_DEADLINE_HOURS: i64 = 24 * 90;

/// Why a change of a case is refused; each says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("a case cannot go from {from} to {to}")]
    Transition { from: &'static str, to: &'static str },
    #[error("a case is resolved or closed with its resolution in words")]
    NoResolution,
    #[error("a closed case does not change")]
    Closed,
    #[error("a deadline is 1 to {MAX_DEADLINE_HOURS} hours, not {0}")]
    Deadline(i64),
}

/// The department and the due time of a new case of `category` raised at
/// `now`: the company's rule for the category, else the department of the
/// client's manager (`client_department`), else none (the heads of every
/// department see unassigned cases); the rule's deadline, else the
/// category's default.
pub fn route(
    category: Category,
    rules: &[CaseRule],
    client_department: Option<DepartmentId>,
    now: DateTime<Utc>,
) -> (Option<DepartmentId>, DateTime<Utc>) {
    let rule = rules.iter().find(|r| r.category == category);
    let department = rule.and_then(|r| r.department).or(client_department);
    let deadline = rule.map_or_else(|| category.default_deadline(), |r| r.deadline);
    (department, now + deadline)
}

/// Checks a rule's deadline (whole hours, 1 to 90 days).
pub fn check_deadline(hours: i64) -> Result<Duration, CaseError> {
    if (1..=MAX_DEADLINE_HOURS).contains(&hours) {
        Ok(Duration::hours(hours))
    } else {
        Err(CaseError::Deadline(hours))
    }
}

/// Whether a case may go from `from` to `to`, with `resolution` the words
/// it would then carry: work starts, a case is resolved (with words), a
/// resolved case is reopened or closed; any open case may be closed with
/// words (a duplicate, a mistake). A closed case stays closed.
pub fn transition(from: Status, to: Status, resolution: &str) -> Result<(), CaseError> {
    use Status::*;
    if from == Closed {
        return Err(CaseError::Closed);
    }
    let allowed = matches!(
        (from, to),
        (Open, InProgress) | (Open, Resolved) | (InProgress, Resolved) | (Resolved, InProgress) | (_, Closed)
    );
    if !allowed {
        return Err(CaseError::Transition { from: from.as_str(), to: to.as_str() });
    }
    if matches!(to, Resolved | Closed) && resolution.trim().is_empty() {
        return Err(CaseError::NoResolution);
    }
    Ok(())
}

/// Whether a case in `status` due at `due` is late at `now`.
pub fn overdue(status: Status, due: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    status.is_open() && now > due
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_case_goes_where_the_rule_says_else_to_the_clients_department() {
        let now = t("2026-12-01T09:00:00Z");
        let rules = [
            CaseRule { category: Category::Claim, department: Some(DepartmentId(7)), deadline: Duration::hours(4) },
            CaseRule { category: Category::Wish, department: None, deadline: Duration::hours(10) },
        ];
        let client = Some(DepartmentId(2));
        assert_eq!(route(Category::Claim, &rules, client, now), (Some(DepartmentId(7)), t("2026-12-01T13:00:00Z")));
        assert_eq!(route(Category::Wish, &rules, client, now), (client, t("2026-12-01T19:00:00Z")));
        assert_eq!(route(Category::Complaint, &rules, client, now), (client, t("2026-12-03T09:00:00Z")));
        assert_eq!(route(Category::Comment, &[], None, now), (None, t("2026-12-08T09:00:00Z")));
        assert_eq!(check_deadline(0), Err(CaseError::Deadline(0)));
        assert_eq!(check_deadline(2161), Err(CaseError::Deadline(2161)));
        assert_eq!(check_deadline(2160), Ok(Duration::days(90)));
    }

    #[test]
    fn a_case_moves_only_along_its_life() {
        use Status::*;
        let table: &[(Status, Status, &str, Result<(), CaseError>)] = &[
            (Open, InProgress, "", Ok(())),
            (Open, Resolved, "credited 2 crates", Ok(())),
            (Open, Resolved, "  ", Err(CaseError::NoResolution)),
            (InProgress, Resolved, "replaced", Ok(())),
            (Resolved, InProgress, "", Ok(())),
            (Resolved, Closed, "replaced", Ok(())),
            (Open, Closed, "a duplicate of case 12", Ok(())),
            (InProgress, Closed, "", Err(CaseError::NoResolution)),
            (InProgress, Open, "", Err(CaseError::Transition { from: "in_progress", to: "open" })),
            (Resolved, Open, "", Err(CaseError::Transition { from: "resolved", to: "open" })),
            (Open, Open, "", Err(CaseError::Transition { from: "open", to: "open" })),
            (Closed, InProgress, "", Err(CaseError::Closed)),
            (Closed, Closed, "again", Err(CaseError::Closed)),
        ];
        for (from, to, words, want) in table {
            assert_eq!(transition(*from, *to, words), *want, "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn only_open_work_is_overdue() {
        let due = t("2026-12-01T12:00:00Z");
        assert!(!overdue(Status::Open, due, due), "at the due time itself: not yet");
        assert!(overdue(Status::Open, due, t("2026-12-01T12:00:01Z")));
        assert!(overdue(Status::InProgress, due, t("2026-12-02T00:00:00Z")));
        assert!(!overdue(Status::Resolved, due, t("2026-12-02T00:00:00Z")));
        assert!(!overdue(Status::Closed, due, t("2026-12-02T00:00:00Z")));
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        assert_eq!((Status::parse("done"), Category::parse("praise")), (None, None));
    }
}
