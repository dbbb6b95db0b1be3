//! Who serves this caller (OD-3, OD-4, OD-6, OD-15, OD-19): the one routing
//! decision that both `POST /api/v1/routing/decide` and every inbound call
//! use. Rules are tried in order; the first that matches wins, and the
//! decision says which rule fired and why, in words a supervisor reads.

use crate::{
    debt::DebtStatus,
    staffing::{DepartmentKind, Staffing},
    KEY_CLIENT_TYPE,
};
use centrala_domain::{Role, StaffId};
use chrono::NaiveDate;

pub use centrala_domain::Intent;

/// The rule that fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// OD-15: unknown number, or a client without a manager.
    NewClient,
    /// OD-4: key clients go to their manager, then another key-account
    /// manager, then the head of wholesale.
    KeyClient,
    /// OD-5, OD-6: an order from a client with overdue or excess debt.
    DebtBlocked,
    /// OD-19: neither an order nor reference information.
    OtherMatter,
    /// OD-3: everyone else reaches an operator.
    Operators,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::NewClient => "new_client",
            Rule::KeyClient => "key_client",
            Rule::DebtBlocked => "debt_blocked",
            Rule::OtherMatter => "other_matter",
            Rule::Operators => "operators",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The operator queue.
    Operators,
    /// One named person.
    Staff { id: StaffId, username: String },
    /// The heads of a department, who assign a new client to a manager.
    DepartmentHeads { department: Option<String>, heads: Vec<(StaffId, String)> },
    /// The finance department.
    Finance { department: Option<String> },
}

impl Target {
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Operators => "operators",
            Target::Staff { .. } => "staff",
            Target::DepartmentHeads { .. } => "department_heads",
            Target::Finance { .. } => "finance",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingDecision {
    pub rule: Rule,
    pub target: Target,
    /// Where to go next if the target does not answer, in order (the
    /// key-client chain; the ACD falls back along it).
    pub fallback: Vec<Target>,
    pub reasons: Vec<String>,
}

/// What routing needs to know of a known caller.
#[derive(Debug, Clone)]
pub struct CallerFacts<'a> {
    pub client_code: &'a str,
    pub client_name: &'a str,
    pub client_type: &'a str,
    pub manager: Option<StaffId>,
    pub debt: &'a DebtStatus,
}

fn staff_target(s: &Staffing, id: StaffId) -> Target {
    Target::Staff { id, username: s.member(id).map_or_else(String::new, |m| m.username.clone()) }
}

fn heads_of(s: &Staffing, kinds: &[DepartmentKind]) -> Target {
    let depts: Vec<_> = kinds.iter().flat_map(|k| s.departments_of_kind(*k)).collect();
    let heads: Vec<(StaffId, String)> =
        depts.iter().filter_map(|d| d.head).filter_map(|h| s.member(h).map(|m| (m.id, m.username.clone()))).collect();
    let department = if depts.len() == 1 { depts.first().map(|d| d.code.clone()) } else { None };
    Target::DepartmentHeads { department, heads }
}

fn finance(s: &Staffing) -> Target {
    Target::Finance { department: s.departments_of_kind(DepartmentKind::Finance).first().map(|d| d.code.clone()) }
}

fn absence_words(s: &Staffing, id: StaffId, today: NaiveDate) -> String {
    match s.presence(id, today) {
        crate::staffing::Presence::Absent { until, .. } => format!("{} is away until {until}", s.name(id)),
        crate::staffing::Presence::Inactive => format!("{} is no longer active", s.name(id)),
        crate::staffing::Presence::Present => format!("{} is present", s.name(id)),
    }
}

/// The client's manager for today: the manager if present, else the
/// manager's substitute if one is named and present. Reasons are appended.
fn manager_today(s: &Staffing, manager: StaffId, today: NaiveDate, reasons: &mut Vec<String>) -> Option<StaffId> {
    match s.present_or_substitute(manager, today) {
        Some((id, false)) => {
            reasons.push(format!("the client's manager {} is present today", s.name(id)));
            Some(id)
        }
        Some((id, true)) => {
            reasons.push(format!("{}; {} substitutes", absence_words(s, manager, today), s.name(id)));
            Some(id)
        }
        None => {
            reasons.push(absence_words(s, manager, today));
            None
        }
    }
}

/// Decides who serves a caller. `caller` is None for an unknown number.
pub fn decide(caller: Option<&CallerFacts<'_>>, intent: Intent, today: NaiveDate, s: &Staffing) -> RoutingDecision {
    let mut reasons = Vec::new();
    let Some(c) = caller else {
        reasons.push("the number is not a known client's or contact's: a new client".into());
        reasons.push("the heads of the sales departments assign new clients to a manager (OD-15)".into());
        return RoutingDecision {
            rule: Rule::NewClient,
            target: heads_of(s, &[DepartmentKind::Sales]),
            fallback: vec![],
            reasons,
        };
    };
    let who = format!("{} ({})", c.client_name, c.client_code);
    let key = c.client_type == KEY_CLIENT_TYPE;

    let Some(manager) = c.manager.filter(|m| s.member(*m).is_some()) else {
        reasons.push(format!("{who} has no manager assigned yet: a new client"));
        let kinds: &[DepartmentKind] = if key { &[DepartmentKind::Wholesale] } else { &[DepartmentKind::Sales] };
        reasons.push(format!(
            "the heads of the {} department assign it to a manager (OD-15)",
            if key { "wholesale" } else { "sales" }
        ));
        return RoutingDecision { rule: Rule::NewClient, target: heads_of(s, kinds), fallback: vec![], reasons };
    };

    if key {
        reasons.push(format!("{who} is a key client: served by its manager, not by operators (OD-3, OD-4)"));
        let mut chain: Vec<Target> = Vec::new();
        let first = manager_today(s, manager, today, &mut reasons);
        if let Some(m) = first {
            chain.push(staff_target(s, m));
        }
        let others: Vec<StaffId> = s
            .present_with_role(Role::KeyAccountManager, today)
            .into_iter()
            .map(|m| m.id)
            .filter(|id| *id != manager && Some(*id) != first)
            .collect();
        if first.is_none() {
            match others.first() {
                Some(o) => reasons.push(format!("{} is another key-account manager present today", s.name(*o))),
                None => reasons.push("no other key-account manager is present today".into()),
            }
        }
        chain.extend(others.iter().map(|o| staff_target(s, *o)));
        let head = s
            .departments_of_kind(DepartmentKind::Wholesale)
            .iter()
            .filter_map(|d| d.head)
            .chain(s.present_with_role(Role::HeadOfWholesale, today).iter().map(|m| m.id))
            .find(|h| s.is_present(*h, today));
        if let Some(h) = head {
            if chain.is_empty() {
                reasons.push(format!("so the head of wholesale {} takes the call", s.name(h)));
            }
            chain.push(staff_target(s, h));
        }
        let mut chain = chain.into_iter();
        let target = chain.next().unwrap_or_else(|| {
            reasons.push("nobody of the key-client chain is present: the heads of wholesale's department".into());
            heads_of(s, &[DepartmentKind::Wholesale])
        });
        return RoutingDecision { rule: Rule::KeyClient, target, fallback: chain.collect(), reasons };
    }

    if intent == Intent::Order && c.debt.blocked() {
        reasons.push(format!("{who} wants to order but is blocked: {} (OD-5)", c.debt.explain().unwrap_or_default()));
        let target = match manager_today(s, manager, today, &mut reasons) {
            Some(m) => {
                reasons.push("its manager settles the debt question (OD-6)".into());
                staff_target(s, m)
            }
            None => {
                reasons.push("so finance takes the call (OD-6)".into());
                finance(s)
            }
        };
        let fallback = if matches!(target, Target::Staff { .. }) { vec![finance(s)] } else { vec![] };
        return RoutingDecision { rule: Rule::DebtBlocked, target, fallback, reasons };
    }

    if intent == Intent::Other {
        reasons.push(format!("{who} calls about something other than an order or reference information (OD-19)"));
        let head = s
            .member(manager)
            .and_then(|m| m.department)
            .and_then(|d| s.department(d))
            .and_then(|d| d.head)
            .filter(|h| s.is_present(*h, today))
            .or_else(|| s.present_with_role(Role::HeadOfSales, today).first().map(|m| m.id));
        let target = match manager_today(s, manager, today, &mut reasons) {
            Some(m) => staff_target(s, m),
            None => match head {
                Some(h) => {
                    reasons.push(format!("so the head of its sales department {} takes it", s.name(h)));
                    staff_target(s, h)
                }
                None => {
                    reasons.push("no head of sales is present either: the operators take a message".into());
                    Target::Operators
                }
            },
        };
        let fallback = match (&target, head) {
            (Target::Staff { id, .. }, Some(h)) if *id != h => vec![staff_target(s, h)],
            _ => vec![],
        };
        return RoutingDecision { rule: Rule::OtherMatter, target, fallback, reasons };
    }

    reasons.push(format!(
        "{who} is a {} client with a manager: the operators take {} (OD-3)",
        c.client_type,
        match intent {
            Intent::Order => "the order",
            Intent::Reference => "the request for information",
            Intent::Complaint => "the complaint",
            Intent::Other => "the call",
        }
    ));
    if c.debt.blocked() {
        reasons.push(format!("note: {}; an order would be refused", c.debt.explain().unwrap_or_default()));
    }
    RoutingDecision { rule: Rule::Operators, target: Target::Operators, fallback: vec![], reasons }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        debt::{debt_status, Receivable},
        staffing::{AbsenceEntry, Department, Member},
    };
    use centrala_domain::{Absence, AbsenceKind, DepartmentId, Money};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const TODAY: &str = "2026-11-27";

    /// A company: two sales departments, wholesale, finance; a manager per
    /// sales department, two key-account managers, heads.
    fn company(absent: &[(i64, &str, &str, Option<i64>)]) -> Staffing {
        let m = |id: i64, u: &str, role: Role, dept: i64| Member {
            id: StaffId(id),
            username: u.into(),
            full_name: u.into(),
            role,
            department: Some(DepartmentId(dept)),
            active: true,
        };
        let dep = |id: i64, code: &str, kind: DepartmentKind, head: i64| Department {
            id: DepartmentId(id),
            code: code.into(),
            name: code.into(),
            kind,
            head: Some(StaffId(head)),
        };
        Staffing {
            members: vec![
                m(1, "head.north", Role::HeadOfSales, 1),
                m(2, "head.south", Role::HeadOfSales, 2),
                m(3, "head.wh", Role::HeadOfWholesale, 3),
                m(4, "fin", Role::Finance, 4),
                m(10, "mgr.emir", Role::Manager, 1),
                m(11, "mgr.jasna", Role::Manager, 2),
                m(20, "kam.lejla", Role::KeyAccountManager, 3),
                m(21, "kam.tarik", Role::KeyAccountManager, 3),
                m(30, "op.ana", Role::Operator, 5),
            ],
            departments: vec![
                dep(1, "sales-north", DepartmentKind::Sales, 1),
                dep(2, "sales-south", DepartmentKind::Sales, 2),
                dep(3, "wholesale", DepartmentKind::Wholesale, 3),
                dep(4, "finance", DepartmentKind::Finance, 4),
            ],
            absences: absent
                .iter()
                .map(|(id, from, to, sub)| AbsenceEntry {
                    staff: StaffId(*id),
                    absence: Absence { from: d(from), to: d(to), kind: AbsenceKind::Vacation },
                    substitute: sub.map(StaffId),
                })
                .collect(),
        }
    }

    fn debt(overdue: bool, over: bool) -> DebtStatus {
        let mut r = Vec::new();
        if overdue {
            r.push(Receivable {
                invoice: "a".into(),
                issued: d("2026-09-01"),
                due: d("2026-10-01"),
                amount: Money(100),
                paid: Money(0),
            });
        }
        if over {
            r.push(Receivable {
                invoice: "b".into(),
                issued: d("2026-11-20"),
                due: d("2026-12-20"),
                amount: Money(10_000),
                paid: Money(0),
            });
        }
        debt_status(&r, Money(5_000), d(TODAY))
    }

    fn target_name(t: &Target) -> String {
        match t {
            Target::Operators => "operators".into(),
            Target::Staff { username, .. } => format!("staff:{username}"),
            Target::DepartmentHeads { department, heads } => format!(
                "heads:{}:{}",
                department.as_deref().unwrap_or("*"),
                heads.iter().map(|(_, u)| u.as_str()).collect::<Vec<_>>().join("+")
            ),
            Target::Finance { department } => format!("finance:{}", department.as_deref().unwrap_or("*")),
        }
    }

    /// (client type or "unknown", manager, overdue, over limit, intent, absences) → rule, target, fallback
    #[test]
    fn routing_rules_as_a_table() {
        type Abs = &'static [(i64, &'static str, &'static str, Option<i64>)];
        let cases: Vec<(&str, Option<i64>, bool, bool, Intent, Abs, &str, &str, &str)> = vec![
            // OD-15: unknown numbers and clients without a manager.
            ("unknown", None, false, false, Intent::Order, &[], "new_client", "heads:*:head.north+head.south", ""),
            ("retail", None, false, false, Intent::Order, &[], "new_client", "heads:*:head.north+head.south", ""),
            ("key", None, false, false, Intent::Order, &[], "new_client", "heads:wholesale:head.wh", ""),
            // OD-4: manager present; absent → other KAM; none → head of wholesale.
            (
                "key",
                Some(20),
                false,
                false,
                Intent::Order,
                &[],
                "key_client",
                "staff:kam.lejla",
                "staff:kam.tarik,staff:head.wh",
            ),
            (
                "key",
                Some(20),
                false,
                false,
                Intent::Order,
                &[(20, "2026-11-27", "2026-11-27", None)],
                "key_client",
                "staff:kam.tarik",
                "staff:head.wh",
            ),
            (
                "key",
                Some(20),
                false,
                false,
                Intent::Order,
                &[(20, "2026-11-20", "2026-12-01", None), (21, "2026-11-27", "2026-11-28", None)],
                "key_client",
                "staff:head.wh",
                "",
            ),
            // Absent only yesterday: present today.
            (
                "key",
                Some(20),
                false,
                false,
                Intent::Order,
                &[(20, "2026-11-26", "2026-11-26", None)],
                "key_client",
                "staff:kam.lejla",
                "staff:kam.tarik,staff:head.wh",
            ),
            // A key client wins over its debt and intent: its manager deals with it.
            (
                "key",
                Some(21),
                true,
                true,
                Intent::Other,
                &[],
                "key_client",
                "staff:kam.tarik",
                "staff:kam.lejla,staff:head.wh",
            ),
            // A named substitute stands in for an absent manager.
            (
                "key",
                Some(20),
                false,
                false,
                Intent::Order,
                &[(20, "2026-11-27", "2026-11-30", Some(21))],
                "key_client",
                "staff:kam.tarik",
                "staff:head.wh",
            ),
            // OD-5/OD-6: blocked order → manager if present, else finance.
            ("retail", Some(10), true, false, Intent::Order, &[], "debt_blocked", "staff:mgr.emir", "finance:finance"),
            (
                "retail",
                Some(10),
                false,
                true,
                Intent::Order,
                &[(10, "2026-11-27", "2026-12-03", None)],
                "debt_blocked",
                "finance:finance",
                "",
            ),
            // A blocked client asking for information reaches operators.
            ("retail", Some(10), true, true, Intent::Reference, &[], "operators", "operators", ""),
            // OD-19: other → manager if present, else the head of its sales department.
            (
                "marketer",
                Some(11),
                false,
                false,
                Intent::Other,
                &[],
                "other_matter",
                "staff:mgr.jasna",
                "staff:head.south",
            ),
            (
                "marketer",
                Some(11),
                false,
                false,
                Intent::Other,
                &[(11, "2026-11-25", "2026-11-29", None)],
                "other_matter",
                "staff:head.south",
                "",
            ),
            (
                "marketer",
                Some(11),
                false,
                false,
                Intent::Other,
                &[(11, "2026-11-25", "2026-11-29", None), (2, "2026-11-27", "2026-11-27", None)],
                "other_matter",
                "staff:head.north",
                "",
            ),
            // Everyone else: operators.
            ("regional", Some(10), false, false, Intent::Order, &[], "operators", "operators", ""),
            ("own_point", Some(10), false, false, Intent::Complaint, &[], "operators", "operators", ""),
            (
                "retail",
                Some(10),
                false,
                false,
                Intent::Reference,
                &[(10, "2026-11-27", "2026-11-27", None)],
                "operators",
                "operators",
                "",
            ),
        ];
        for (i, (ty, mgr, overdue, over, intent, absent, rule, target, fallback)) in cases.into_iter().enumerate() {
            let s = company(absent);
            let debt = debt(overdue, over);
            let facts = CallerFacts {
                client_code: "K1",
                client_name: "Market Zora",
                client_type: ty,
                manager: mgr.map(StaffId),
                debt: &debt,
            };
            let caller = (ty != "unknown").then_some(&facts);
            let got = decide(caller, intent, d(TODAY), &s);
            let fb = got.fallback.iter().map(target_name).collect::<Vec<_>>().join(",");
            assert_eq!(
                (got.rule.as_str(), target_name(&got.target).as_str(), fb.as_str()),
                (rule, target, fallback),
                "case {i}: {:?}",
                got.reasons
            );
            assert!(!got.reasons.is_empty());
        }
    }

    #[test]
    fn reasons_read_like_a_supervisor_would_say_them() {
        let s = company(&[(20, "2026-11-20", "2026-12-01", None)]);
        let debt = debt(false, false);
        let facts = CallerFacts {
            client_code: "K7",
            client_name: "Hotel Bosna",
            client_type: "key",
            manager: Some(StaffId(20)),
            debt: &debt,
        };
        let got = decide(Some(&facts), Intent::Order, d(TODAY), &s);
        assert_eq!(
            got.reasons,
            vec![
                "Hotel Bosna (K7) is a key client: served by its manager, not by operators (OD-3, OD-4)",
                "kam.lejla is away until 2026-12-01",
                "kam.tarik is another key-account manager present today",
            ]
        );
    }
}
