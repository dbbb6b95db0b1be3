//! The order desk's wire types: the client card, routing decisions and
//! targets as JSON, shaped from what the runtime's desk services
//! (`centrala_center::desk`) gathered. Handlers in `routes::clients` and
//! `routes::orders` use these.

use crate::error::{ApiError, ApiResult};
pub use centrala_center::desk::{
    client_facts, dormant_cutoff, recommendations, route, ClientFacts, RECOMMENDATIONS, USUAL_OVER_ORDERS,
};
use centrala_desk::{
    routing::{RoutingDecision, Target},
    staffing::{Presence, Staffing},
    KEY_CLIENT_TYPE,
};
use centrala_domain::StaffId;
use centrala_store::{
    desk::{Client, Contact, OrderSummary},
    Scoped,
};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema, Clone)]
pub struct TargetOut {
    /// `operators`, `staff`, `department_heads` or `finance`.
    pub kind: String,
    pub username: Option<String>,
    pub department: Option<String>,
    /// For `department_heads`: the heads' usernames.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub heads: Vec<String>,
}

impl From<&Target> for TargetOut {
    fn from(t: &Target) -> Self {
        let (username, department, heads) = match t {
            Target::Operators => (None, None, vec![]),
            Target::Staff { username, .. } => (Some(username.clone()), None, vec![]),
            Target::DepartmentHeads { department, heads } => {
                (None, department.clone(), heads.iter().map(|(_, u)| u.clone()).collect())
            }
            Target::Finance { department } => (None, department.clone(), vec![]),
        };
        TargetOut { kind: t.kind().into(), username, department, heads }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DecisionOut {
    pub target: TargetOut,
    /// Where to go next if the target does not answer, in order.
    pub fallback: Vec<TargetOut>,
    /// The rule that fired: new_client, key_client, debt_blocked, other_matter, operators.
    pub rule: String,
    pub reasons: Vec<String>,
    /// The client's code, when the caller is known.
    pub client: Option<String>,
}

impl DecisionOut {
    pub fn new(d: &RoutingDecision, client: Option<&Client>) -> Self {
        DecisionOut {
            target: (&d.target).into(),
            fallback: d.fallback.iter().map(Into::into).collect(),
            rule: d.rule.as_str().into(),
            reasons: d.reasons.clone(),
            client: client.map(|c| c.code.clone()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ManagerOut {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    /// Present today (not on an absence).
    pub present: bool,
    /// Away until this day, when absent.
    pub away_until: Option<NaiveDate>,
    /// Who substitutes today, when absent and a substitute is named.
    pub substitute: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ContactOut {
    pub id: i64,
    pub name: String,
    /// E.164, or empty when the contact is reached by e-mail only.
    pub phone: String,
    /// Empty when the contact has none.
    pub email: String,
    pub authorized_to_receive: bool,
}

impl From<Contact> for ContactOut {
    fn from(c: Contact) -> Self {
        ContactOut {
            id: c.id.0,
            name: c.name,
            phone: c.phone,
            email: c.email,
            authorized_to_receive: c.authorized_to_receive,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReceivableOut {
    pub invoice: String,
    pub issued: NaiveDate,
    pub due: NaiveDate,
    pub amount: String,
    pub paid: String,
    pub open: String,
    pub overdue: bool,
}

#[derive(Serialize, ToSchema)]
pub struct OrderBrief {
    pub id: i64,
    pub order_no: String,
    pub date: NaiveDate,
    pub status: String,
    pub total: String,
}

impl From<&OrderSummary> for OrderBrief {
    fn from(o: &OrderSummary) -> Self {
        OrderBrief {
            id: o.id.0,
            order_no: o.order_no.clone(),
            date: o.date,
            status: o.status.as_str().into(),
            total: o.total.to_string(),
        }
    }
}

/// The client card (OD-2, OD-5, OD-10, OD-12, OD-16).
#[derive(Serialize, ToSchema)]
pub struct CardOut {
    pub code: String,
    pub name: String,
    /// The client type: marketer, key, own_point, retail, regional, …
    #[serde(rename = "type")]
    pub client_type: String,
    pub key_client: bool,
    /// No manager yet: a department head assigns one (OD-15).
    pub new_client: bool,
    pub region: String,
    pub email: String,
    pub phones: Vec<String>,
    pub manager: Option<ManagerOut>,
    pub contacts: Vec<ContactOut>,
    pub credit_limit: String,
    pub open_receivables: Vec<ReceivableOut>,
    /// Everything invoiced and not yet paid.
    pub open_total: String,
    /// Past due and unpaid as of today.
    pub overdue: String,
    /// Debt above the credit limit.
    pub over_limit: String,
    /// Overdue > 0 or over the limit: orders are refused (OD-5).
    pub blocked: bool,
    /// `overdue`, `over_limit` or `overdue_and_over_limit`.
    pub block_reason: Option<String>,
    /// The reason in words, to tell the client.
    pub block_message: Option<String>,
    /// For a blocked client: whom to transfer the call to (OD-6).
    pub transfer_to: Option<TargetOut>,
    /// How much more the client may owe within its limit.
    pub credit_headroom: String,
    /// The price-list column for a new order (1-5) and the rule that gave it.
    pub price_column: u8,
    pub price_rule: Option<String>,
    pub last_order_date: Option<NaiveDate>,
    /// No order in the last 6 months (OD-16).
    pub dormant: bool,
    pub last_orders: Vec<OrderBrief>,
}

/// Builds the client card as of `today`.
pub async fn card(s: &Scoped<'_>, client: Client, today: NaiveDate, staffing: &Staffing) -> ApiResult<CardOut> {
    let card = centrala_center::desk::card(s, client, today, staffing).await?;
    let (facts, c) = (&card.facts, &card.facts.client);
    let manager = card.manager.map(|m| {
        let (present, away_until) = match m.presence {
            Presence::Present => (true, None),
            Presence::Absent { until, .. } => (false, Some(until)),
            Presence::Inactive => (false, None),
        };
        ManagerOut {
            id: m.id.0,
            username: m.username,
            full_name: m.full_name,
            present,
            away_until,
            substitute: m.substitute,
        }
    });
    Ok(CardOut {
        code: c.code.clone(),
        name: c.name.clone(),
        client_type: c.client_type.clone(),
        key_client: c.client_type == KEY_CLIENT_TYPE,
        new_client: manager.is_none(),
        region: c.region.clone(),
        email: c.email.clone(),
        phones: card.phones,
        manager,
        contacts: card.contacts.into_iter().map(Into::into).collect(),
        credit_limit: c.credit_limit.to_string(),
        open_receivables: facts
            .receivables
            .iter()
            .map(|r| ReceivableOut {
                invoice: r.invoice.clone(),
                issued: r.issued,
                due: r.due,
                amount: r.amount.to_string(),
                paid: r.paid.to_string(),
                open: r.open().to_string(),
                overdue: r.is_overdue(today),
            })
            .collect(),
        open_total: facts.debt.open.to_string(),
        overdue: facts.debt.overdue.to_string(),
        over_limit: facts.debt.over_limit.to_string(),
        blocked: facts.debt.blocked(),
        block_reason: facts.debt.block.map(|b| b.as_str().to_owned()),
        block_message: facts.debt.explain(),
        transfer_to: card.transfer_to.as_ref().map(TargetOut::from),
        credit_headroom: facts.debt.headroom.to_string(),
        price_column: card.price_column,
        price_rule: card.price_rule,
        last_order_date: card.orders.first().map(|o| o.date),
        dormant: card.dormant,
        last_orders: card.orders.iter().map(Into::into).collect(),
    })
}

/// The staff member's username (or id), for transfers and audit.
pub fn member_name(staffing: &Staffing, id: StaffId) -> String {
    centrala_center::desk::member_name(staffing, id)
}

/// 404 for a client code that is not the caller's company's.
pub async fn client_by_code(s: &Scoped<'_>, code: &str) -> ApiResult<Client> {
    s.client_by_code(code).await?.ok_or_else(|| ApiError::not_found("client"))
}
