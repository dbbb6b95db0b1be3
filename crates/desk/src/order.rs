//! An order's life (OD-5, OD-7, OD-12, OD-13): who may open one for whom,
//! what a confirmation needs, and which status changes are allowed.

use crate::{
    debt::DebtStatus,
    offers::MIN_OFFERS,
    staffing::{DepartmentKind, Staffing},
    KEY_CLIENT_TYPE, REGIONAL_CLIENT_TYPE,
};
use centrala_domain::{Role, StaffId};
use chrono::{NaiveDate, NaiveTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    Draft,
    Confirmed,
    Shipped,
    Delivered,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::Draft,
        OrderStatus::Confirmed,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Draft => "draft",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The allowed moves after confirmation; confirming itself goes
    /// through [`check_confirm`].
    pub fn can_move_to(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!((self, to), (Confirmed, Shipped) | (Shipped, Delivered) | (Draft | Confirmed, Cancelled))
    }
}

/// Roles that move confirmed orders along (shipped, delivered) and may
/// cancel any order; whoever took an order may cancel it too.
pub const DISPATCH: &[Role] =
    &[Role::Admin, Role::Supervisor, Role::HeadOfSales, Role::HeadOfWholesale, Role::Manager, Role::KeyAccountManager];

/// Whether `role` may move an order to `to` (`took_it`: they took the order).
pub fn may_move(role: Role, to: OrderStatus, took_it: bool) -> bool {
    DISPATCH.contains(&role) || (to == OrderStatus::Cancelled && took_it)
}

/// Who learns of a confirmed order at once (OD-14): the client's manager
/// and the head of the manager's department; for key clients and clients
/// without a manager, the heads of wholesale; for clients without a
/// manager, the heads of sales too. Each once, by id.
pub fn confirmation_recipients(client_type: &str, manager: Option<StaffId>, staffing: &Staffing) -> Vec<StaffId> {
    let heads_of =
        |kind: DepartmentKind| staffing.departments.iter().filter(move |d| d.kind == kind).filter_map(|d| d.head);
    let mut staff: Vec<StaffId> = Vec::new();
    if let Some(m) = manager {
        staff.push(m);
        let dept = staffing.member(m).and_then(|m| m.department);
        staff.extend(staffing.departments.iter().filter(|d| Some(d.id) == dept).filter_map(|d| d.head));
    }
    if client_type == KEY_CLIENT_TYPE || manager.is_none() {
        staff.extend(heads_of(DepartmentKind::Wholesale));
    }
    if manager.is_none() {
        staff.extend(heads_of(DepartmentKind::Sales));
    }
    staff.sort();
    staff.dedup();
    staff
}

/// Why an order may not be opened (OD-3, OD-5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenRefusal {
    /// Key clients order through their manager (OD-4).
    KeyClient,
    /// New clients first get a manager from a department head (OD-15).
    NewClient,
    /// Overdue or over-limit debt (OD-5); only a manager or finance may
    /// override it, with a written reason.
    DebtBlocked { override_allowed: bool },
}

impl OpenRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            OpenRefusal::KeyClient => "key_client",
            OpenRefusal::NewClient => "new_client",
            OpenRefusal::DebtBlocked { .. } => "debt_blocked",
        }
    }
}

/// Whether a product sold in `unit` is ordered in whole units (cases,
/// bottles, pieces) rather than measured (kilograms, litres, metres).
pub fn whole_units(unit: &str) -> bool {
    !matches!(
        unit.trim().to_lowercase().as_str(),
        "kg" | "g" | "l" | "ml" | "m" | "kilogram" | "litre" | "liter" | "metre"
    )
}

/// Roles that take orders at the desk and are bound by every gate.
fn is_desk(role: Role) -> bool {
    matches!(role, Role::Operator | Role::Supervisor | Role::Admin)
}

/// Roles that may override a debt block with a written reason.
pub fn may_override_debt(role: Role) -> bool {
    matches!(role, Role::Manager | Role::KeyAccountManager | Role::HeadOfSales | Role::HeadOfWholesale | Role::Finance)
}

/// The shortest override reason accepted: a reason, not a tick box.
pub const MIN_OVERRIDE_REASON: usize = 10;

/// May `role` open an order for this client? Ok(true) when a debt block is
/// being overridden (the reason must then be recorded).
pub fn may_open(
    role: Role,
    client_type: &str,
    has_manager: bool,
    debt: &DebtStatus,
    override_reason: Option<&str>,
) -> Result<bool, OpenRefusal> {
    if is_desk(role) {
        if client_type == KEY_CLIENT_TYPE {
            return Err(OpenRefusal::KeyClient);
        }
        if !has_manager {
            return Err(OpenRefusal::NewClient);
        }
    }
    if !debt.blocked() {
        return Ok(false);
    }
    let reason_given = override_reason.is_some_and(|r| r.trim().chars().count() >= MIN_OVERRIDE_REASON);
    if may_override_debt(role) && reason_given {
        Ok(true)
    } else {
        Err(OpenRefusal::DebtBlocked { override_allowed: may_override_debt(role) })
    }
}

/// Delivery terms agreed with the client (OD-12, OD-13).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    pub date: Option<NaiveDate>,
    pub window_from: Option<NaiveTime>,
    pub window_to: Option<NaiveTime>,
    /// Names of the client's contacts who will receive the goods.
    pub receivers: Vec<String>,
    pub payment_form: Option<String>,
    /// Regional client: when it comes to the central warehouse.
    pub pickup_at: Option<String>,
    /// Regional client: where to ship to.
    pub shipping_details: Option<String>,
    pub documents: Option<String>,
}

/// What a confirmation needs to know of the order.
#[derive(Debug, Clone)]
pub struct ConfirmFacts<'a> {
    pub status: OrderStatus,
    pub client_type: &'a str,
    pub lines: usize,
    /// Distinct products offered with the client's answer recorded.
    pub offers_answered: usize,
    /// The client's debt blocks it and no override was recorded.
    pub debt_blocked: bool,
    pub delivery: &'a Delivery,
    /// Names of the client's contacts authorized to receive goods.
    pub authorized: &'a [String],
    pub today: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmError {
    NotDraft(OrderStatus),
    DebtBlocked,
    NoLines,
    OffersRequired {
        done: usize,
        required: usize,
    },
    /// Every missing or wrong delivery field, at once.
    DeliveryIncomplete(Vec<DeliveryProblem>),
}

/// What is wrong with one delivery field: the field as the API names it,
/// what is wrong (a stable code the UI words per language), and the value
/// at fault, when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryProblem {
    /// `date`, `window_from`, `window_to`, `receivers`, `payment_form`,
    /// `pickup_at` (for "pickup_at or shipping_details").
    pub field: &'static str,
    /// `missing`, `in_past`, `not_after_from`, `not_authorized`,
    /// `pickup_or_shipping`.
    pub problem: &'static str,
    pub value: Option<String>,
}

impl DeliveryProblem {
    fn new(field: &'static str, problem: &'static str, value: Option<String>) -> Self {
        DeliveryProblem { field, problem, value }
    }
}

/// In English words, as earlier releases listed them (`missing` in the API).
impl std::fmt::Display for DeliveryProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.value.as_deref().unwrap_or("");
        match (self.field, self.problem) {
            ("date", "missing") => write!(f, "delivery_date"),
            ("date", _) => write!(f, "delivery_date ({v} is in the past)"),
            ("window_to", "not_after_from") => write!(f, "window_to ({v} is not after window_from)"),
            ("receivers", "missing") => write!(f, "receivers (a contact authorized to receive goods)"),
            ("receivers", _) => write!(f, "receivers ({v:?} is not authorized to receive goods)"),
            (_, "pickup_or_shipping") => write!(f, "pickup_at or shipping_details"),
            (field, _) => write!(f, "{field}"),
        }
    }
}

impl ConfirmError {
    pub fn code(&self) -> &'static str {
        match self {
            ConfirmError::NotDraft(_) => "not_draft",
            ConfirmError::DebtBlocked => "debt_blocked",
            ConfirmError::NoLines => "no_lines",
            ConfirmError::OffersRequired { .. } => "offers_required",
            ConfirmError::DeliveryIncomplete(_) => "delivery_incomplete",
        }
    }

    pub fn message(&self) -> String {
        match self {
            ConfirmError::NotDraft(s) => format!("the order is {}, only a draft can be confirmed", s.as_str()),
            ConfirmError::DebtBlocked => "the client's debt blocks the order and no override is recorded".into(),
            ConfirmError::NoLines => "the order has no lines".into(),
            ConfirmError::OffersRequired { done, required } => {
                format!("offer at least {required} more items and record the client's answer: {done} done (OD-7)")
            }
            ConfirmError::DeliveryIncomplete(f) => {
                let words: Vec<String> = f.iter().map(ToString::to_string).collect();
                format!("delivery terms are incomplete: {}", words.join(", "))
            }
        }
    }
}

/// Checks an order before confirmation, in this order: status, debt,
/// lines, offers, delivery.
pub fn check_confirm(f: &ConfirmFacts<'_>) -> Result<(), ConfirmError> {
    if f.status != OrderStatus::Draft {
        return Err(ConfirmError::NotDraft(f.status));
    }
    if f.debt_blocked {
        return Err(ConfirmError::DebtBlocked);
    }
    if f.lines == 0 {
        return Err(ConfirmError::NoLines);
    }
    if f.offers_answered < MIN_OFFERS {
        return Err(ConfirmError::OffersRequired { done: f.offers_answered, required: MIN_OFFERS });
    }
    let d = f.delivery;
    let mut missing = Vec::new();
    let problem = DeliveryProblem::new;
    match d.date {
        None => missing.push(problem("date", "missing", None)),
        Some(day) if day < f.today => missing.push(problem("date", "in_past", Some(day.to_string()))),
        Some(_) => {}
    }
    match (d.window_from, d.window_to) {
        (None, _) => missing.push(problem("window_from", "missing", None)),
        (Some(a), Some(b)) if b <= a => {
            missing.push(problem("window_to", "not_after_from", Some(b.format("%H:%M").to_string())))
        }
        _ => {}
    }
    if d.window_to.is_none() {
        missing.push(problem("window_to", "missing", None));
    }
    if d.receivers.is_empty() {
        missing.push(problem("receivers", "missing", None));
    }
    for r in &d.receivers {
        if !f.authorized.iter().any(|a| a == r) {
            missing.push(problem("receivers", "not_authorized", Some(r.clone())));
        }
    }
    if f.client_type == REGIONAL_CLIENT_TYPE {
        if d.payment_form.as_deref().is_none_or(|p| p.trim().is_empty()) {
            missing.push(problem("payment_form", "missing", None));
        }
        let pickup = d.pickup_at.as_deref().is_some_and(|p| !p.trim().is_empty());
        let shipping = d.shipping_details.as_deref().is_some_and(|p| !p.trim().is_empty());
        if !pickup && !shipping {
            missing.push(problem("pickup_at", "pickup_or_shipping", None));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ConfirmError::DeliveryIncomplete(missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::debt::{debt_status, Receivable};
    use centrala_domain::Money;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn debt(blocked: bool) -> DebtStatus {
        let r = Receivable {
            invoice: "x".into(),
            issued: d("2026-01-01"),
            due: d("2026-02-01"),
            amount: Money(100),
            paid: Money(0),
        };
        debt_status(if blocked { std::slice::from_ref(&r) } else { &[] }, Money(1000), d("2026-11-27"))
    }

    #[test]
    fn who_may_open_an_order_for_whom() {
        use Role::*;
        let long = Some("agreed a payment plan with the owner");
        let cases: Vec<(Role, &str, bool, bool, Option<&str>, Result<bool, &str>)> = vec![
            (Operator, "retail", true, false, None, Ok(false)),
            (Operator, "key", true, false, None, Err("key_client")),
            (Operator, "retail", false, false, None, Err("new_client")),
            (Operator, "retail", true, true, None, Err("debt_blocked")),
            (Operator, "retail", true, true, long, Err("debt_blocked")), // operators cannot override
            (Manager, "retail", true, true, None, Err("debt_blocked")),  // no reason, no override
            (Manager, "retail", true, true, Some("ok"), Err("debt_blocked")), // too short to be a reason
            (Manager, "retail", true, true, long, Ok(true)),
            (Finance, "retail", true, true, long, Ok(true)),
            (KeyAccountManager, "key", true, false, None, Ok(false)),
            (HeadOfSales, "retail", false, false, None, Ok(false)),
            (Supervisor, "key", true, false, None, Err("key_client")),
        ];
        for (i, (role, ty, mgr, blocked, reason, want)) in cases.into_iter().enumerate() {
            let got = may_open(role, ty, mgr, &debt(blocked), reason).map_err(|e| e.code());
            assert_eq!(got, want, "case {i}");
        }
    }

    #[test]
    fn confirmation_needs_offers_and_every_delivery_field() {
        let today = d("2026-11-27");
        let authorized = vec!["Amela (owner)".to_owned()];
        let full = Delivery {
            date: Some(d("2026-11-28")),
            window_from: NaiveTime::from_hms_opt(8, 0, 0),
            window_to: NaiveTime::from_hms_opt(12, 0, 0),
            receivers: authorized.clone(),
            ..Delivery::default()
        };
        let facts = |offers: usize, delivery: &'static Delivery, ty: &'static str| ConfirmFacts {
            status: OrderStatus::Draft,
            client_type: ty,
            lines: 2,
            offers_answered: offers,
            debt_blocked: false,
            delivery,
            authorized: Box::leak(Box::new(authorized.clone())),
            today,
        };
        let full: &'static Delivery = Box::leak(Box::new(full));
        assert_eq!(
            check_confirm(&facts(2, full, "retail")),
            Err(ConfirmError::OffersRequired { done: 2, required: 3 })
        );
        assert_eq!(check_confirm(&facts(3, full, "retail")), Ok(()));
        let empty: &'static Delivery = Box::leak(Box::default());
        assert_eq!(
            check_confirm(&facts(3, empty, "regional")),
            Err(ConfirmError::DeliveryIncomplete(vec![
                DeliveryProblem::new("date", "missing", None),
                DeliveryProblem::new("window_from", "missing", None),
                DeliveryProblem::new("window_to", "missing", None),
                DeliveryProblem::new("receivers", "missing", None),
                DeliveryProblem::new("payment_form", "missing", None),
                DeliveryProblem::new("pickup_at", "pickup_or_shipping", None),
            ]))
        );
        let regional: &'static Delivery = Box::leak(Box::new(Delivery {
            payment_form: Some("cash".into()),
            pickup_at: Some("Friday 10:00".into()),
            ..full.clone()
        }));
        assert_eq!(check_confirm(&facts(4, regional, "regional")), Ok(()));
        let wrong: &'static Delivery = Box::leak(Box::new(Delivery {
            date: Some(d("2026-11-26")),
            window_to: NaiveTime::from_hms_opt(7, 0, 0),
            receivers: vec!["Senad (warehouse)".into()],
            ..full.clone()
        }));
        assert_eq!(
            check_confirm(&facts(3, wrong, "retail")),
            Err(ConfirmError::DeliveryIncomplete(vec![
                DeliveryProblem::new("date", "in_past", Some("2026-11-26".into())),
                DeliveryProblem::new("window_to", "not_after_from", Some("07:00".into())),
                DeliveryProblem::new("receivers", "not_authorized", Some("Senad (warehouse)".into())),
            ]))
        );
        let words: Vec<String> = match check_confirm(&facts(3, wrong, "retail")) {
            Err(ConfirmError::DeliveryIncomplete(p)) => p.iter().map(ToString::to_string).collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            words,
            [
                "delivery_date (2026-11-26 is in the past)",
                "window_to (07:00 is not after window_from)",
                "receivers (\"Senad (warehouse)\" is not authorized to receive goods)"
            ]
        );
        let mut blocked = facts(5, full, "retail");
        blocked.debt_blocked = true;
        assert_eq!(check_confirm(&blocked), Err(ConfirmError::DebtBlocked));
        let mut done = facts(5, full, "retail");
        done.status = OrderStatus::Confirmed;
        assert_eq!(check_confirm(&done), Err(ConfirmError::NotDraft(OrderStatus::Confirmed)));
        let mut none = facts(5, full, "retail");
        none.lines = 0;
        assert_eq!(check_confirm(&none), Err(ConfirmError::NoLines));
    }

    #[test]
    fn cases_and_bottles_are_whole_kilograms_and_litres_are_measured() {
        for unit in ["case", "bottle", "box", "bag", "piece"] {
            assert!(whole_units(unit), "{unit}");
        }
        for unit in ["kg", "KG", " l ", "m"] {
            assert!(!whole_units(unit), "{unit}");
        }
    }

    #[test]
    fn status_moves() {
        use OrderStatus::*;
        let allowed: Vec<(OrderStatus, OrderStatus)> = OrderStatus::ALL
            .into_iter()
            .flat_map(|a| OrderStatus::ALL.into_iter().map(move |b| (a, b)))
            .filter(|(a, b)| a.can_move_to(*b))
            .collect();
        assert_eq!(
            allowed,
            vec![(Draft, Cancelled), (Confirmed, Shipped), (Confirmed, Cancelled), (Shipped, Delivered)]
        );
    }

    #[test]
    fn who_may_move_an_order() {
        use OrderStatus::*;
        // (role, to, took it) -> allowed
        for (role, to, took, ok) in [
            (Role::Operator, Cancelled, true, true),
            (Role::Operator, Cancelled, false, false),
            (Role::Operator, Shipped, true, false),
            (Role::Finance, Cancelled, false, false),
            (Role::Finance, Cancelled, true, true),
            (Role::Manager, Shipped, false, true),
            (Role::KeyAccountManager, Delivered, false, true),
            (Role::Supervisor, Cancelled, false, true),
            (Role::Admin, Shipped, false, true),
            (Role::HeadOfSales, Cancelled, false, true),
        ] {
            assert_eq!(may_move(role, to, took), ok, "{role:?} -> {to:?}, took it: {took}");
        }
    }

    #[test]
    fn who_learns_of_a_confirmed_order() {
        use crate::staffing::{Department, Member};
        use centrala_domain::DepartmentId;
        let member = |id: i64, dept: i64| Member {
            id: StaffId(id),
            username: format!("u{id}"),
            full_name: String::new(),
            role: Role::Manager,
            department: Some(DepartmentId(dept)),
            active: true,
        };
        let dept = |id: i64, kind: DepartmentKind, head: Option<i64>| Department {
            id: DepartmentId(id),
            code: format!("d{id}"),
            name: String::new(),
            kind,
            head: head.map(StaffId),
        };
        let staffing = Staffing {
            members: vec![
                member(1, 10),
                member(2, 20),
                member(3, 30),
                member(11, 10),
                member(21, 20),
                member(31, 30),
                member(41, 40),
            ],
            departments: vec![
                dept(10, DepartmentKind::Sales, Some(11)),
                dept(20, DepartmentKind::Sales, Some(21)),
                dept(30, DepartmentKind::Wholesale, Some(31)),
                dept(40, DepartmentKind::Wholesale, Some(41)),
                dept(50, DepartmentKind::Finance, None),
            ],
            absences: vec![],
        };
        let ids = |v: &[i64]| v.iter().map(|i| StaffId(*i)).collect::<Vec<_>>();
        // (client type, manager) -> recipients
        for (ty, manager, want) in [
            ("retail", Some(1), ids(&[1, 11])),
            ("retail", Some(2), ids(&[2, 21])),
            // A key client: its manager, their head, and every head of wholesale.
            ("key", Some(3), ids(&[3, 31, 41])),
            ("key", Some(1), ids(&[1, 11, 31, 41])),
            // No manager yet: the heads of sales and of wholesale.
            ("retail", None, ids(&[11, 21, 31, 41])),
            // A head who manages a client is told once.
            ("retail", Some(11), ids(&[11])),
            // A manager outside any known department: only them.
            ("retail", Some(99), ids(&[99])),
        ] {
            assert_eq!(confirmation_recipients(ty, manager.map(StaffId), &staffing), want, "{ty} {manager:?}");
        }
    }
}
