//! The order desk's services: gather facts from the store, ask the pure
//! rules in `centrala-desk`, and return what they decided. The API shapes
//! these into its wire types.

use crate::{CenterError, CenterResult};
use centrala_desk::{
    debt_status,
    offers::{Catalog, Recommendation},
    pricing::choose_column,
    routing::{decide, CallerFacts, RoutingDecision, Target},
    staffing::{Presence, Staffing},
    DebtStatus, Receivable,
};
use centrala_domain::{Intent, Money, ProductId, StaffId};
use centrala_store::{
    desk::{Client, Contact, Order, OrderSummary},
    Scoped,
};
use chrono::{Months, NaiveDate};

/// How many recent orders "usual" products are counted over.
pub const USUAL_OVER_ORDERS: i64 = 6;
/// Recommendations returned for an order.
pub const RECOMMENDATIONS: usize = 8;

/// A client is dormant after this many months without an order (OD-16).
pub fn dormant_cutoff(today: NaiveDate) -> NaiveDate {
    today.checked_sub_months(Months::new(6)).unwrap_or(today)
}

/// Everything the desk knows about one client today.
pub struct ClientFacts {
    pub client: Client,
    pub debt: DebtStatus,
    pub receivables: Vec<Receivable>,
}

pub async fn client_facts(s: &Scoped<'_>, client: Client, today: NaiveDate) -> CenterResult<ClientFacts> {
    let receivables = s.open_receivables(client.id).await?;
    Ok(facts_of(client, receivables, today))
}

/// The client's facts from its open receivables, as of `today`.
pub fn facts_of(client: Client, receivables: Vec<Receivable>, today: NaiveDate) -> ClientFacts {
    let debt = debt_status(&receivables, client.credit_limit, today);
    ClientFacts { client, debt, receivables }
}

/// The routing decision for a (possibly unknown) caller.
pub fn route(facts: Option<&ClientFacts>, intent: Intent, today: NaiveDate, staffing: &Staffing) -> RoutingDecision {
    let caller = facts.map(|f| CallerFacts {
        client_code: &f.client.code,
        client_name: &f.client.name,
        client_type: &f.client.client_type,
        manager: f.client.manager,
        debt: &f.debt,
    });
    decide(caller.as_ref(), intent, today, staffing)
}

/// The client's manager and whether they are in today.
pub struct ManagerFacts {
    pub id: StaffId,
    pub username: String,
    pub full_name: String,
    pub presence: Presence,
    /// The substitute's username, when absent and one is named.
    pub substitute: Option<String>,
}

/// What the client card shows (OD-2, OD-5, OD-10, OD-12, OD-16), as of a day.
pub struct Card {
    pub facts: ClientFacts,
    pub phones: Vec<String>,
    pub contacts: Vec<Contact>,
    /// The latest orders, newest first.
    pub orders: Vec<OrderSummary>,
    /// The price-list column for a new order (1-5) and the rule that gave it.
    pub price_column: u8,
    pub price_rule: Option<String>,
    pub manager: Option<ManagerFacts>,
    /// For a blocked client: whom to transfer the call to (OD-6).
    pub transfer_to: Option<Target>,
    /// No order in the last 6 months (OD-16).
    pub dormant: bool,
}

/// Gathers the client card as of `today`.
pub async fn card(s: &Scoped<'_>, client: Client, today: NaiveDate, staffing: &Staffing) -> CenterResult<Card> {
    let facts = client_facts(s, client, today).await?;
    let c = &facts.client;
    let phones = s.client_phones(c.id).await?;
    let contacts = s.contacts(c.id).await?;
    let orders = s.client_orders(c.id, 5).await?;
    let rules = s.price_rules().await?;
    let (price_column, rule) = choose_column(&rules, &c.client_type, Money::ZERO, today);
    let price_rule = rule.map(|r| r.name.clone());
    let manager = c.manager.and_then(|m| staffing.member(m)).map(|m| ManagerFacts {
        id: m.id,
        username: m.username.clone(),
        full_name: m.full_name.clone(),
        presence: staffing.presence(m.id, today),
        substitute: match staffing.presence(m.id, today) {
            Presence::Absent { substitute, .. } => {
                substitute.and_then(|s| staffing.member(s)).map(|s| s.username.clone())
            }
            _ => None,
        },
    });
    let transfer_to = facts.debt.blocked().then(|| route(Some(&facts), Intent::Order, today, staffing).target);
    let last_order_date = orders.first().map(|o| o.date);
    let dormant = c.manager.is_some() && last_order_date.is_none_or(|d| d < dormant_cutoff(today));
    Ok(Card { facts, phones, contacts, orders, price_column, price_rule, manager, transfer_to, dormant })
}

/// Recommendations for an order (OD-7, OD-8), best first, with each
/// product's sku and name.
pub async fn recommendations(
    s: &Scoped<'_>,
    catalog: &Catalog,
    order: &Order,
    client: &Client,
    limit: usize,
) -> CenterResult<Vec<(Recommendation, String, String)>> {
    let in_order: Vec<ProductId> = order.lines.iter().map(|l| l.product).collect();
    let (usual, recent) = s.usual_products(client.id, USUAL_OVER_ORDERS).await?;
    Ok(catalog
        .recommend(&client.client_type, &usual, recent, &in_order, limit)
        .into_iter()
        .map(|r| {
            let (sku, name) =
                catalog.facts(r.product).map_or_else(Default::default, |p| (p.sku.clone(), p.name.clone()));
            (r, sku, name)
        })
        .collect())
}

/// The staff member's username (or id, when not a member), for transfers and audit.
pub fn member_name(staffing: &Staffing, id: StaffId) -> String {
    staffing.member(id).map_or_else(|| id.to_string(), |m| m.username.clone())
}

/// The company's client of that code, or not found.
pub async fn client_by_code(s: &Scoped<'_>, code: &str) -> CenterResult<Client> {
    s.client_by_code(code).await?.ok_or(CenterError::NotFound("client"))
}
