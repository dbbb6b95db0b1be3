//! The order desk's data: clients and their cards' facts, price rules,
//! recommendations' inputs, and desk orders with their lines, offers,
//! delivery terms and history. All company-scoped.

use crate::error::found;
use crate::Returned;
use crate::{now_rfc3339, records::fmt_date, records::parse_date, Result, Scoped, StoreError};
use centrala_desk::{
    offers::{Catalog, ProductFacts},
    order::{Delivery, OrderStatus},
    pricing::PriceRule,
    staffing::{AbsenceEntry, Department, Member, Staffing},
    Receivable,
};
use centrala_domain::{
    Absence, ClientId, ContactId, DepartmentId, DepartmentKind, Money, OrderId, ProductId, Quantity, StaffId,
};
use chrono::{NaiveDate, NaiveTime};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub id: ClientId,
    pub code: String,
    pub name: String,
    pub client_type: String,
    pub manager: Option<StaffId>,
    pub email: String,
    pub region: String,
    pub credit_limit: Money,
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    id: i64,
    code: String,
    name: String,
    client_type: String,
    manager_staff_id: Option<i64>,
    email: String,
    region: String,
    credit_limit: i64,
}

impl crate::search::HasId for ClientRow {
    fn id(&self) -> i64 {
        self.id
    }
}

impl From<ClientRow> for Client {
    fn from(r: ClientRow) -> Self {
        Client {
            id: ClientId(r.id),
            code: r.code,
            name: r.name,
            client_type: r.client_type,
            manager: r.manager_staff_id.map(StaffId),
            email: r.email,
            region: r.region,
            credit_limit: Money(r.credit_limit),
        }
    }
}

#[derive(sqlx::FromRow)]
struct DormantRow {
    #[sqlx(flatten)]
    client: ClientRow,
    last_order: Option<String>,
}

#[derive(sqlx::FromRow)]
struct CatalogRow {
    id: i64,
    sku: String,
    name: String,
    unit: String,
    is_new: i64,
    is_special: i64,
    stock: i64,
    price_1: i64,
    price_2: i64,
    price_3: i64,
    price_4: i64,
    price_5: i64,
}

#[derive(sqlx::FromRow)]
struct PriceRuleRow {
    id: i64,
    name: String,
    priority: i64,
    client_type: Option<String>,
    min_volume: Option<i64>,
    valid_from: Option<String>,
    valid_to: Option<String>,
    column_no: i64,
}

/// A client type (retail, key, HoReCa, …) as the admin sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientType {
    pub code: String,
    pub name: String,
    /// How many clients have it.
    pub clients: i64,
    /// The SKUs an operator offers every client of this type (OD-9).
    pub traditional: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: ContactId,
    pub name: String,
    /// E.164, or empty when the contact is reached by e-mail only.
    pub phone: String,
    /// Empty when the contact has none.
    pub email: String,
    pub authorized_to_receive: bool,
}

/// A contact as an order taker adds or changes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactInput<'a> {
    pub name: &'a str,
    /// E.164 or empty.
    pub phone: &'a str,
    pub email: &'a str,
    pub authorized_to_receive: bool,
}

/// An order as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSummary {
    pub id: OrderId,
    pub order_no: String,
    pub client: ClientId,
    pub date: NaiveDate,
    pub status: OrderStatus,
    pub total: Money,
}

/// A client that owes money, as finance's page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debtor {
    pub code: String,
    pub name: String,
    pub client_type: String,
    pub credit_limit: Money,
    pub open: Money,
    pub overdue: Money,
    /// The earliest due date among its open invoices.
    pub oldest_due: NaiveDate,
}

/// An order with its client, as `confirmed_since` and `open_orders_of`
/// read it (the last two: when and by whom confirmed, or empty).
type DayOrderRow =
    (i64, String, i64, String, String, i64, String, String, String, Option<i64>, Option<String>, String, String);

/// An order's summary from its row: id, number, client, date, status, total.
fn summary((id, no, client, date, st, total): (i64, String, i64, String, String, i64)) -> Result<OrderSummary> {
    Ok(OrderSummary {
        id: OrderId(id),
        order_no: no,
        client: ClientId(client),
        date: parse_date(&date)?,
        status: status(&st)?,
        total: Money(total),
    })
}

fn day_order(row: DayOrderRow) -> Result<DayOrder> {
    let (id, no, client, date, st, total, code, name, kind, manager, delivery, at, actor) = row;
    Ok(DayOrder {
        summary: summary((id, no, client, date, st, total))?,
        client_code: code,
        client_name: name,
        client_type: kind,
        manager: manager.map(StaffId),
        delivery_date: delivery.filter(|d| !d.is_empty()).map(|d| parse_date(&d)).transpose()?,
        confirmed_at: at,
        confirmed_by: actor,
    })
}

/// A value no other registration has at the same moment (the clock's
/// nanoseconds and a counter), for a placeholder code.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// An order confirmed on a day, as the heads' page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayOrder {
    pub summary: OrderSummary,
    pub client_code: String,
    pub client_name: String,
    pub client_type: String,
    pub manager: Option<StaffId>,
    pub delivery_date: Option<NaiveDate>,
    /// When it was confirmed (RFC 3339 UTC) and by whom (username); empty
    /// in lists of orders under way (`open_orders_of`).
    pub confirmed_at: String,
    pub confirmed_by: String,
}

/// A filter for listing orders; empty fields match everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrderFilter {
    pub client: Option<ClientId>,
    pub status: Option<OrderStatus>,
    /// Who opened it.
    pub taken_by: Option<StaffId>,
    /// At most this many (50 when 0).
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub product: ProductId,
    pub sku: String,
    pub name: String,
    pub unit: String,
    /// What the warehouse has of it now.
    pub stock: Quantity,
    pub quantity: Quantity,
    pub unit_price: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferRecord {
    pub product: ProductId,
    pub sku: String,
    pub reason: String,
    pub answer: String,
    pub staff: StaffId,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEvent {
    pub actor: String,
    pub kind: String,
    pub detail: String,
    pub at: String,
}

/// A whole order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub summary: OrderSummary,
    pub created_by: Option<StaffId>,
    pub price_column: u8,
    pub price_rule: String,
    pub override_reason: Option<String>,
    pub delivery: Delivery,
    pub notes: String,
    pub lines: Vec<OrderLine>,
    pub offers: Vec<OfferRecord>,
}

const CLIENT_COLS: &str = "id, code, name, client_type, manager_staff_id, email, region, credit_limit";

/// The id of the client with phone `$2` (its own or a contact's), in
/// company `$1`.
const BY_PHONE: &str = "SELECT client_id FROM client_phones WHERE company_id = $1 AND phone = $2
    UNION ALL SELECT client_id FROM contacts WHERE company_id = $1 AND phone = $2 LIMIT 1";

/// A receivable as the database holds it.
fn receivable(invoice: String, issued: &str, due: &str, amount: i64, paid: i64) -> Result<Receivable> {
    Ok(Receivable {
        invoice,
        issued: parse_date(issued)?,
        due: parse_date(due)?,
        amount: Money(amount),
        paid: Money(paid),
    })
}

fn status(s: &str) -> Result<OrderStatus> {
    OrderStatus::parse(s).ok_or_else(|| StoreError::Corrupt(format!("order status {s:?}")))
}

fn time(s: Option<String>) -> Option<NaiveTime> {
    s.and_then(|t| NaiveTime::parse_from_str(&t, "%H:%M").ok())
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    order_no: String,
    client_id: i64,
    order_date: String,
    status: String,
    total: i64,
    created_by: Option<i64>,
    price_column: i64,
    price_rule: String,
    override_reason: Option<String>,
    delivery_date: Option<String>,
    window_from: Option<String>,
    window_to: Option<String>,
    receivers: String,
    payment_form: Option<String>,
    pickup_at: Option<String>,
    shipping_details: Option<String>,
    documents: Option<String>,
    notes: String,
}

impl Scoped<'_> {
    // ---- clients ----------------------------------------------------------

    /// The clients a manager owns, by name.
    pub async fn clients_of(&self, manager: StaffId, limit: i64) -> Result<Vec<Client>> {
        let sql = format!(
            "SELECT {CLIENT_COLS} FROM clients WHERE company_id = $1 AND manager_staff_id = $2 ORDER BY name, code LIMIT $3"
        );
        let rows: Vec<ClientRow> = sqlx::query_as(&sql)
            .bind(self.company_id().0)
            .bind(manager.0)
            .bind(limit.clamp(1, 5000))
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The orders of a manager's clients still under way (draft, confirmed,
    /// shipped), newest first, with their client, in one query.
    pub async fn open_orders_of(&self, manager: StaffId, limit: i64) -> Result<Vec<DayOrder>> {
        let rows: Vec<DayOrderRow> = sqlx::query_as(
            "SELECT o.id, o.order_no, o.client_id, o.order_date, o.status, o.total, c.code, c.name, c.client_type,
                    c.manager_staff_id, o.delivery_date, '', ''
             FROM orders o JOIN clients c ON c.company_id = o.company_id AND c.id = o.client_id
             WHERE o.company_id = $1 AND c.manager_staff_id = $2 AND o.status IN ('draft', 'confirmed', 'shipped')
             ORDER BY o.order_date DESC, o.id DESC LIMIT $3",
        )
        .bind(self.company_id().0)
        .bind(manager.0)
        .bind(limit.clamp(1, 5000))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(day_order).collect()
    }

    /// Registers a new client (OD-15): no manager (a head assigns one), no
    /// credit, its phone, a code of its own (`N` and its number), in one
    /// transaction. A phone that is already a client's or a contact's is a
    /// conflict: that caller is known.
    pub async fn register_client(
        &self,
        name: &str,
        client_type: &str,
        region: &str,
        phone: &str,
        email: &str,
    ) -> Result<Client> {
        let c = self.company_id().0;
        if self.client_by_phone(phone).await?.is_some() {
            return Err(StoreError::Conflict(format!("{phone} is already a client's number")));
        }
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO client_types (company_id, code, name) VALUES ($1, $2, $2) ON CONFLICT (company_id, code) DO NOTHING",
        )
        .bind(c)
        .bind(client_type)
        .execute(&mut *tx)
        .await?;
        // A placeholder code, unique while the row gets its id.
        let temp = format!("new-{}", uuid_like());
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO clients (company_id, code, name, client_type, manager_staff_id, email, region, credit_limit)
             VALUES ($1, $2, $3, $4, NULL, $6, $5, 0) RETURNING id",
        )
        .bind(c)
        .bind(&temp)
        .bind(name.trim())
        .bind(client_type)
        .bind(region.trim())
        .bind(email.trim())
        .fetch_all(&mut *tx)
        .await?
        .returned()?;
        let code = format!("N{id:05}");
        sqlx::query("UPDATE clients SET code = $3 WHERE company_id = $1 AND id = $2")
            .bind(c)
            .bind(id)
            .bind(&code)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, format!("client code {code:?} is taken")))?;
        sqlx::query("INSERT INTO client_phones (company_id, client_id, phone) VALUES ($1, $2, $3)")
            .bind(c)
            .bind(id)
            .bind(phone)
            .execute(&mut *tx)
            .await?;
        let mut vocabulary = std::collections::BTreeSet::new();
        let kind = crate::search::Kind::Client;
        crate::search::index(&mut tx, c, kind, id, &[name, &code], &mut vocabulary).await?;
        crate::search::add_typos(&mut tx, c, kind, &vocabulary).await?;
        tx.commit().await?;
        self.client(ClientId(id)).await?.ok_or(StoreError::NotFound)
    }

    pub async fn client(&self, id: ClientId) -> Result<Option<Client>> {
        let sql = format!("SELECT {CLIENT_COLS} FROM clients WHERE company_id = $1 AND id = $2");
        let row: Option<ClientRow> =
            sqlx::query_as(&sql).bind(self.company_id().0).bind(id.0).fetch_optional(self.pool()).await?;
        Ok(row.map(Into::into))
    }

    pub async fn client_by_code(&self, code: &str) -> Result<Option<Client>> {
        let sql = format!("SELECT {CLIENT_COLS} FROM clients WHERE company_id = $1 AND code = $2");
        let row: Option<ClientRow> =
            sqlx::query_as(&sql).bind(self.company_id().0).bind(code).fetch_optional(self.pool()).await?;
        Ok(row.map(Into::into))
    }

    /// The client that has this e-mail address (case folded): the one
    /// whose card has it, else the one a contact with it belongs to — if
    /// exactly one. An address two clients share identifies neither.
    pub async fn client_by_email(&self, email: &str) -> Result<Option<Client>> {
        let email = email.trim();
        if email.is_empty() {
            return Ok(None);
        }
        for sql in [
            "SELECT id FROM clients WHERE company_id = $1 AND LOWER(email) = LOWER($2) LIMIT 2",
            "SELECT DISTINCT client_id FROM contacts WHERE company_id = $1 AND LOWER(email) = LOWER($2) LIMIT 2",
        ] {
            let ids: Vec<(i64,)> =
                sqlx::query_as(sql).bind(self.company_id().0).bind(email).fetch_all(self.pool()).await?;
            match ids.as_slice() {
                [] => continue,
                [(id,)] => return self.client(ClientId(*id)).await,
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    /// Sets the address on the client's card (empty clears it).
    pub async fn set_client_email(&self, client: ClientId, email: &str) -> Result<()> {
        let r = sqlx::query("UPDATE clients SET email = $3 WHERE company_id = $1 AND id = $2")
            .bind(self.company_id().0)
            .bind(client.0)
            .bind(email.trim())
            .execute(self.pool())
            .await?;
        found(r)
    }

    /// Adds a contact person to the client. Names are unique per client.
    pub async fn add_contact(&self, client: ClientId, c: &ContactInput<'_>) -> Result<Contact> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO contacts (company_id, client_id, name, phone, email, authorized_to_receive)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(self.company_id().0)
        .bind(client.0)
        .bind(c.name.trim())
        .bind(c.phone)
        .bind(c.email.trim())
        .bind(i64::from(c.authorized_to_receive))
        .fetch_all(self.pool())
        .await
        .map_err(|e| StoreError::unique(e, format!("the client already has a contact {:?}", c.name.trim())))?
        .returned()?;
        self.contact(client, ContactId(id)).await?.ok_or(StoreError::NotFound)
    }

    /// Changes one of the client's contacts.
    pub async fn update_contact(&self, client: ClientId, id: ContactId, c: &ContactInput<'_>) -> Result<Contact> {
        let r = sqlx::query(
            "UPDATE contacts SET name = $4, phone = $5, email = $6, authorized_to_receive = $7
             WHERE company_id = $1 AND client_id = $2 AND id = $3",
        )
        .bind(self.company_id().0)
        .bind(client.0)
        .bind(id.0)
        .bind(c.name.trim())
        .bind(c.phone)
        .bind(c.email.trim())
        .bind(i64::from(c.authorized_to_receive))
        .execute(self.pool())
        .await
        .map_err(|e| StoreError::unique(e, format!("the client already has a contact {:?}", c.name.trim())))?;
        found(r)?;
        self.contact(client, id).await?.ok_or(StoreError::NotFound)
    }

    async fn contact(&self, client: ClientId, id: ContactId) -> Result<Option<Contact>> {
        Ok(self.contacts(client).await?.into_iter().find(|c| c.id == id))
    }

    /// The client with this E.164 phone, its own or one of its contacts'.
    pub async fn client_by_phone(&self, phone: &str) -> Result<Option<Client>> {
        let sql = format!("SELECT {CLIENT_COLS} FROM clients WHERE company_id = $1 AND id = ({BY_PHONE})");
        let row: Option<ClientRow> =
            sqlx::query_as(&sql).bind(self.company_id().0).bind(phone).fetch_optional(self.pool()).await?;
        Ok(row.map(Into::into))
    }

    /// The client with this E.164 phone (as [`Scoped::client_by_phone`])
    /// and its open receivables (as [`Scoped::open_receivables`]), in one
    /// read: what a call's routing needs of its caller (issue 17: one
    /// database trip per step of a call's set-up).
    pub async fn caller_by_phone(&self, phone: &str) -> Result<Option<(Client, Vec<Receivable>)>> {
        type Row = (
            i64,
            String,
            String,
            String,
            Option<i64>,
            String,
            String,
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<i64>,
        );
        let sql = format!(
            "SELECT c.id, c.code, c.name, c.client_type, c.manager_staff_id, c.email, c.region, c.credit_limit,
                    r.invoice, r.issued, r.due, r.amount, r.paid
             FROM clients c LEFT JOIN receivables r
               ON r.company_id = c.company_id AND r.client_id = c.id AND r.amount > r.paid
             WHERE c.company_id = $1 AND c.id = ({BY_PHONE})
             ORDER BY r.due, r.invoice"
        );
        let rows: Vec<Row> = sqlx::query_as(&sql).bind(self.company_id().0).bind(phone).fetch_all(self.pool()).await?;
        let Some(first) = rows.first() else { return Ok(None) };
        let client = Client::from(ClientRow {
            id: first.0,
            code: first.1.clone(),
            name: first.2.clone(),
            client_type: first.3.clone(),
            manager_staff_id: first.4,
            email: first.5.clone(),
            region: first.6.clone(),
            credit_limit: first.7,
        });
        let mut receivables = Vec::new();
        for r in rows {
            // A client without open receivables has one row, its own.
            let (Some(invoice), Some(issued), Some(due), Some(amount), Some(paid)) = (r.8, r.9, r.10, r.11, r.12)
            else {
                continue;
            };
            receivables.push(receivable(invoice, &issued, &due, amount, paid)?);
        }
        Ok(Some((client, receivables)))
    }

    /// Clients matching `q` word by word (see `search`: folded, prefixes,
    /// one typo in a long word), in code order; an exact code and the
    /// clients with phone `phone` come first. Every client, by code, when
    /// both are empty.
    pub async fn search_clients(&self, q: &str, phone: Option<&str>, limit: i64) -> Result<Vec<Client>> {
        let c = self.company_id().0;
        let typed = q.trim();
        if typed.is_empty() && phone.is_none() {
            let sql = format!("SELECT {CLIENT_COLS} FROM clients WHERE company_id = $1 ORDER BY code LIMIT $2");
            let rows: Vec<ClientRow> = sqlx::query_as(&sql).bind(c).bind(limit).fetch_all(self.pool()).await?;
            return Ok(rows.into_iter().map(Into::into).collect());
        }
        let kind = crate::search::Kind::Client;
        let rows: Vec<ClientRow> = crate::search::find(self.pool(), c, kind, CLIENT_COLS, typed, limit, 0).await?;
        // The clients with the phone, then the words' matches; the code
        // typed exactly goes before them all.
        let mut found: Vec<ClientRow> = Vec::new();
        if let Some(phone) = phone {
            let sql = format!(
                "SELECT {CLIENT_COLS} FROM clients WHERE company_id = $1 AND (
                    id IN (SELECT client_id FROM client_phones WHERE company_id = $1 AND phone = $2)
                    OR id IN (SELECT client_id FROM contacts WHERE company_id = $1 AND phone = $2))
                 ORDER BY code LIMIT $3"
            );
            found = sqlx::query_as(&sql).bind(c).bind(phone).bind(limit).fetch_all(self.pool()).await?;
        }
        for r in rows {
            if !found.iter().any(|f| f.id == r.id) {
                found.push(r);
            }
        }
        let found = crate::search::exact_first(self.pool(), c, kind, CLIENT_COLS, typed, found, limit).await?;
        Ok(found.into_iter().take(usize::try_from(limit).unwrap_or(0)).map(Into::into).collect())
    }

    /// Clients with a manager and no order since `cutoff` (OD-16), with
    /// their last order date, oldest first.
    pub async fn dormant_clients(&self, cutoff: NaiveDate, limit: i64) -> Result<Vec<(Client, Option<NaiveDate>)>> {
        let sql = format!(
            "SELECT * FROM (SELECT {CLIENT_COLS}, (SELECT MAX(order_date) FROM orders o WHERE o.company_id = c.company_id
                 AND o.client_id = c.id AND o.status <> 'cancelled') AS last_order
             FROM clients c WHERE company_id = $1 AND manager_staff_id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.company_id = c.company_id AND o.client_id = c.id
                 AND o.status <> 'cancelled' AND o.order_date >= $2)) d
             -- Never-ordered first on both backends (their NULL orders differ).
             ORDER BY CASE WHEN last_order IS NULL THEN 0 ELSE 1 END, last_order, code LIMIT $3"
        );
        let rows: Vec<DormantRow> = sqlx::query_as(&sql)
            .bind(self.company_id().0)
            .bind(fmt_date(cutoff))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.into_iter().map(|r| Ok((r.client.into(), r.last_order.as_deref().map(parse_date).transpose()?))).collect()
    }

    /// Clients with no manager yet (OD-15), by code.
    pub async fn clients_without_manager(&self, limit: i64) -> Result<Vec<Client>> {
        let sql = format!("SELECT {CLIENT_COLS} FROM clients WHERE company_id = $1 AND manager_staff_id IS NULL ORDER BY code LIMIT $2");
        let rows: Vec<ClientRow> =
            sqlx::query_as(&sql).bind(self.company_id().0).bind(limit).fetch_all(self.pool()).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Assigns the client to a manager (OD-15): the staff member must be a
    /// manager or key-account manager of this company.
    pub async fn assign_manager(&self, client: ClientId, manager: StaffId) -> Result<()> {
        let m = self
            .staff(manager)
            .await?
            .ok_or_else(|| StoreError::Invalid(format!("staff member {manager} does not exist")))?;
        if !m.role.manages_clients() {
            return Err(StoreError::Invalid(format!("{} is a {}, not a manager", m.username, m.role)));
        }
        let r = sqlx::query("UPDATE clients SET manager_staff_id = $3 WHERE company_id = $1 AND id = $2")
            .bind(self.company_id().0)
            .bind(client.0)
            .bind(manager.0)
            .execute(self.pool())
            .await?;
        found(r)
    }

    pub async fn client_phones(&self, client: ClientId) -> Result<Vec<String>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT phone FROM client_phones WHERE company_id = $1 AND client_id = $2 ORDER BY phone")
                .bind(self.company_id().0)
                .bind(client.0)
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().map(|(p,)| p).collect())
    }

    pub async fn contacts(&self, client: ClientId) -> Result<Vec<Contact>> {
        let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
            "SELECT id, name, phone, email, authorized_to_receive FROM contacts
             WHERE company_id = $1 AND client_id = $2 ORDER BY id",
        )
        .bind(self.company_id().0)
        .bind(client.0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, phone, email, auth)| Contact {
                id: ContactId(id),
                name,
                phone,
                email,
                authorized_to_receive: auth != 0,
            })
            .collect())
    }

    /// Every client that owes something (of `manager`'s clients only, when
    /// named), worst first (most overdue, then most open), with what it
    /// owes, what of it is overdue on `today` and its credit limit, in one
    /// query (finance's page, a manager's book).
    pub async fn debtors(&self, today: NaiveDate, manager: Option<StaffId>, limit: i64) -> Result<Vec<Debtor>> {
        let rows: Vec<(String, String, String, i64, i64, i64, String)> = sqlx::query_as(
            "SELECT c.code, c.name, c.client_type, c.credit_limit,
                    CAST(SUM(r.amount - r.paid) AS BIGINT),
                    CAST(SUM(CASE WHEN r.due < $2 THEN r.amount - r.paid ELSE 0 END) AS BIGINT),
                    MIN(r.due)
             FROM receivables r JOIN clients c ON c.company_id = r.company_id AND c.id = r.client_id
             WHERE r.company_id = $1 AND r.amount > r.paid AND ($4 = 0 OR c.manager_staff_id = $4)
             GROUP BY c.id, c.code, c.name, c.client_type, c.credit_limit
             ORDER BY 6 DESC, 5 DESC, c.code LIMIT $3",
        )
        .bind(self.company_id().0)
        .bind(fmt_date(today))
        .bind(limit.clamp(1, 5000))
        .bind(manager.map_or(0, |m| m.0))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(code, name, client_type, limit, open, overdue, oldest)| {
                Ok(Debtor {
                    code,
                    name,
                    client_type,
                    credit_limit: Money(limit),
                    open: Money(open),
                    overdue: Money(overdue),
                    oldest_due: parse_date(&oldest)?,
                })
            })
            .collect()
    }

    /// The client's receivables that are not fully paid.
    pub async fn open_receivables(&self, client: ClientId) -> Result<Vec<Receivable>> {
        let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT invoice, issued, due, amount, paid FROM receivables
             WHERE company_id = $1 AND client_id = $2 AND amount > paid ORDER BY due, invoice",
        )
        .bind(self.company_id().0)
        .bind(client.0)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(invoice, issued, due, amount, paid)| receivable(invoice, &issued, &due, amount, paid))
            .collect()
    }

    /// The client's newest orders (any status but cancelled), newest first.
    pub async fn client_orders(&self, client: ClientId, limit: i64) -> Result<Vec<OrderSummary>> {
        let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
            "SELECT id, order_no, order_date, status, total FROM orders
             WHERE company_id = $1 AND client_id = $2 AND status <> 'cancelled'
             ORDER BY order_date DESC, id DESC LIMIT $3",
        )
        .bind(self.company_id().0)
        .bind(client.0)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(id, no, date, st, total)| {
                Ok(OrderSummary {
                    id: OrderId(id),
                    order_no: no,
                    client,
                    date: parse_date(&date)?,
                    status: status(&st)?,
                    total: Money(total),
                })
            })
            .collect()
    }

    /// How many of the client's last `n` orders held each product, and how
    /// many orders that was.
    pub async fn usual_products(&self, client: ClientId, n: i64) -> Result<(Vec<(ProductId, u32)>, u32)> {
        // One statement for both answers: the recent orders, then their lines.
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "WITH recent AS (SELECT id FROM orders WHERE company_id = $1 AND client_id = $2 AND status <> 'cancelled'
                             ORDER BY order_date DESC, id DESC LIMIT $3)
             SELECT l.product_id, COUNT(DISTINCT l.order_id), (SELECT COUNT(*) FROM recent)
             FROM order_lines l WHERE l.company_id = $1 AND l.order_id IN (SELECT id FROM recent)
             GROUP BY l.product_id",
        )
        .bind(self.company_id().0)
        .bind(client.0)
        .bind(n)
        .fetch_all(self.pool())
        .await?;
        let count = rows.first().map_or(0, |r| u32::try_from(r.2).unwrap_or(0));
        Ok((rows.into_iter().map(|(p, n, _)| (ProductId(p), u32::try_from(n).unwrap_or(0))).collect(), count))
    }

    /// The most of each product the client took in one order (cancelled
    /// orders aside): what an accepted offer defaults to.
    pub async fn usual_quantities(&self, client: ClientId) -> Result<std::collections::HashMap<ProductId, Quantity>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT l.product_id, MAX(l.quantity) FROM order_lines l
             JOIN orders o ON o.company_id = l.company_id AND o.id = l.order_id
             WHERE l.company_id = $1 AND o.client_id = $2 AND o.status <> 'cancelled'
             GROUP BY l.product_id",
        )
        .bind(self.company_id().0)
        .bind(client.0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(p, q)| (ProductId(p), Quantity(q))).collect())
    }

    /// Products bought together with any of `products`, most often first.
    pub async fn complementary(&self, products: &[ProductId], limit: i64) -> Result<Vec<(ProductId, u32, ProductId)>> {
        if products.is_empty() {
            return Ok(Vec::new());
        }
        let list = (0..products.len()).map(|i| format!("${}", i + 3)).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT other_id, orders, product_id FROM product_pairs WHERE company_id = $1 AND product_id IN ({list})
             ORDER BY orders DESC, other_id LIMIT $2"
        );
        let mut q = sqlx::query_as::<_, (i64, i64, i64)>(&sql).bind(self.company_id().0).bind(limit);
        for p in products {
            q = q.bind(p.0);
        }
        let rows = q.fetch_all(self.pool()).await?;
        Ok(rows.into_iter().map(|(o, n, p)| (ProductId(o), u32::try_from(n).unwrap_or(0), ProductId(p))).collect())
    }

    /// Traditional products of a client type.
    pub async fn traditional(&self, client_type: &str) -> Result<Vec<ProductId>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT t.product_id FROM traditional_products t JOIN products p ON p.id = t.product_id
             WHERE t.company_id = $1 AND t.client_type = $2 ORDER BY p.sku",
        )
        .bind(self.company_id().0)
        .bind(client_type)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(p,)| ProductId(p)).collect())
    }

    /// The assortment as recommendations see it: every product's facts,
    /// the traditional products of every client type, and for each product
    /// the `pairs` products most often bought with it.
    pub async fn catalog(&self, pairs: i64) -> Result<Catalog> {
        let c = self.company_id().0;
        let products: Vec<CatalogRow> = sqlx::query_as(
            "SELECT id, sku, name, unit, is_new, is_special, stock, price_1, price_2, price_3, price_4, price_5
             FROM products WHERE company_id = $1 ORDER BY id",
        )
        .bind(c)
        .fetch_all(self.pool())
        .await?;
        let traditional: Vec<(String, i64)> = sqlx::query_as(
            "SELECT client_type, product_id FROM traditional_products WHERE company_id = $1 ORDER BY product_id",
        )
        .bind(c)
        .fetch_all(self.pool())
        .await?;
        let mut top: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT product_id, other_id, orders FROM product_pairs WHERE company_id = $1
             ORDER BY product_id, orders DESC, other_id",
        )
        .bind(c)
        .fetch_all(self.pool())
        .await?;
        // The strongest `pairs` of each product (the table keeps a few more,
        // and confirmations add new ones between imports).
        let mut kept = 0;
        let mut last = None;
        top.retain(|(p, _, _)| {
            if last != Some(*p) {
                last = Some(*p);
                kept = 0;
            }
            kept += 1;
            kept <= pairs
        });
        Ok(Catalog::new(
            products
                .into_iter()
                .map(|r| ProductFacts {
                    id: ProductId(r.id),
                    sku: r.sku,
                    name: r.name,
                    unit: r.unit,
                    is_new: r.is_new != 0,
                    is_special: r.is_special != 0,
                    in_stock: r.stock > 0,
                    prices: [r.price_1, r.price_2, r.price_3, r.price_4, r.price_5].map(Money),
                })
                .collect(),
            traditional.into_iter().map(|(t, p)| (t, ProductId(p))).collect(),
            top.into_iter().map(|(p, o, n)| (ProductId(p), ProductId(o), u32::try_from(n).unwrap_or(0))).collect(),
        ))
    }

    // ---- staffing ---------------------------------------------------------

    /// Staff, departments and absences as the routing rules see them.
    pub async fn staffing(&self) -> Result<Staffing> {
        let members = self
            .staff_list()
            .await?
            .into_iter()
            .map(|m| Member {
                id: m.id,
                username: m.username,
                full_name: m.full_name,
                role: m.role,
                department: m.department,
                active: m.active,
            })
            .collect();
        let departments = self
            .departments()
            .await?
            .into_iter()
            .map(|d| Department { id: d.id, code: d.code, name: d.name, kind: d.kind, head: d.head })
            .collect();
        let absences = self
            .absences(None)
            .await?
            .into_iter()
            .map(|a| AbsenceEntry {
                staff: a.staff,
                absence: Absence { from: a.from, to: a.to, kind: a.kind },
                substitute: a.substitute,
            })
            .collect();
        Ok(Staffing { members, departments, absences })
    }

    // ---- client types -----------------------------------------------------

    /// The company's client types with how many clients each has and its
    /// traditional products' SKUs, by code.
    pub async fn client_types(&self) -> Result<Vec<ClientType>> {
        let types: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT t.code, t.name,
                    (SELECT COUNT(*) FROM clients c WHERE c.company_id = t.company_id AND c.client_type = t.code)
             FROM client_types t WHERE t.company_id = $1 ORDER BY t.code",
        )
        .bind(self.company_id().0)
        .fetch_all(self.pool())
        .await?;
        let traditional: Vec<(String, String)> = sqlx::query_as(
            "SELECT t.client_type, p.sku FROM traditional_products t JOIN products p ON p.id = t.product_id
             WHERE t.company_id = $1 ORDER BY t.client_type, p.sku",
        )
        .bind(self.company_id().0)
        .fetch_all(self.pool())
        .await?;
        Ok(types
            .into_iter()
            .map(|(code, name, clients)| ClientType {
                traditional: traditional.iter().filter(|(t, _)| *t == code).map(|(_, sku)| sku.clone()).collect(),
                code,
                name,
                clients,
            })
            .collect())
    }

    // ---- price rules ------------------------------------------------------

    pub async fn price_rules(&self) -> Result<Vec<PriceRule>> {
        let rows: Vec<PriceRuleRow> = sqlx::query_as(
            "SELECT id, name, priority, client_type, min_volume, valid_from, valid_to, column_no FROM price_rules
             WHERE company_id = $1 ORDER BY priority DESC, id",
        )
        .bind(self.company_id().0)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(PriceRule {
                    id: r.id,
                    name: r.name,
                    priority: r.priority,
                    client_type: r.client_type,
                    min_volume: r.min_volume.map(Money),
                    valid_from: r.valid_from.as_deref().map(parse_date).transpose()?,
                    valid_to: r.valid_to.as_deref().map(parse_date).transpose()?,
                    column: u8::try_from(r.column_no)
                        .map_err(|_| StoreError::Corrupt(format!("price column {}", r.column_no)))?,
                })
            })
            .collect()
    }

    /// Stores a rule: a new one when `rule.id` is 0, else replaces that rule.
    pub async fn save_price_rule(&self, rule: &PriceRule) -> Result<PriceRule> {
        rule.validate().map_err(StoreError::Invalid)?;
        // The same seven fields ($2–$8) either way; an update also names the rule ($9).
        let sql = if rule.id == 0 {
            "INSERT INTO price_rules (company_id, name, priority, client_type, min_volume, valid_from, valid_to, column_no)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
        } else {
            "UPDATE price_rules SET name = $2, priority = $3, client_type = $4, min_volume = $5, valid_from = $6,
             valid_to = $7, column_no = $8 WHERE company_id = $1 AND id = $9 RETURNING id"
        };
        let mut q = sqlx::query_as::<_, (i64,)>(sql)
            .bind(self.company_id().0)
            .bind(rule.name.trim())
            .bind(rule.priority)
            .bind(rule.client_type.clone())
            .bind(rule.min_volume.map(Money::cents))
            .bind(rule.valid_from.map(fmt_date))
            .bind(rule.valid_to.map(fmt_date))
            .bind(i64::from(rule.column));
        if rule.id != 0 {
            q = q.bind(rule.id);
        }
        let (id,) = q.fetch_all(self.pool()).await?.into_iter().next().ok_or(StoreError::NotFound)?;
        self.price_rules().await?.into_iter().find(|r| r.id == id).ok_or(StoreError::NotFound)
    }

    pub async fn delete_price_rule(&self, id: i64) -> Result<()> {
        let r = sqlx::query("DELETE FROM price_rules WHERE company_id = $1 AND id = $2")
            .bind(self.company_id().0)
            .bind(id)
            .execute(self.pool())
            .await?;
        found(r)
    }

    // ---- desk orders ------------------------------------------------------

    /// Opens a draft order; records who opened it and any debt override.
    pub async fn create_order(
        &self,
        client: ClientId,
        staff: StaffId,
        actor: &str,
        today: NaiveDate,
        override_reason: Option<&str>,
    ) -> Result<OrderId> {
        let c = self.company_id().0;
        let mut tx = self.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO orders (company_id, order_no, client_id, order_date, status, created_by, created_at, override_reason)
             VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7) RETURNING id",
        )
        .bind(c)
        .bind(format!("pending-{}-{}", staff.0, now_rfc3339()))
        .bind(client.0)
        .bind(fmt_date(today))
        .bind(staff.0)
        .bind(now_rfc3339())
        .bind(override_reason.map(str::to_owned))
        .fetch_all(&mut *tx)
        .await?
        .returned()?;
        sqlx::query("UPDATE orders SET order_no = $3 WHERE company_id = $1 AND id = $2")
            .bind(c)
            .bind(id)
            .bind(format!("D-{id:06}"))
            .execute(&mut *tx)
            .await?;
        let detail = match override_reason {
            Some(r) => format!("debt block overridden: {r}"),
            None => String::new(),
        };
        event(&mut tx, c, id, actor, "opened", &detail).await?;
        tx.commit().await?;
        Ok(OrderId(id))
    }

    pub async fn order(&self, id: OrderId) -> Result<Option<Order>> {
        let c = self.company_id().0;
        let row: Option<OrderRow> = sqlx::query_as(
            "SELECT id, order_no, client_id, order_date, status, total, created_by, price_column, price_rule, override_reason,
                    delivery_date, window_from, window_to, receivers, payment_form, pickup_at, shipping_details, documents, notes
             FROM orders WHERE company_id = $1 AND id = $2",
        )
        .bind(c)
        .bind(id.0)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        let lines: Vec<(i64, String, String, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT l.product_id, p.sku, p.name, p.unit, p.stock, l.quantity, l.unit_price FROM order_lines l JOIN products p ON p.id = l.product_id
             WHERE l.company_id = $1 AND l.order_id = $2 ORDER BY l.line_no",
        )
        .bind(c)
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        let offers: Vec<(i64, String, String, String, i64, String)> = sqlx::query_as(
            "SELECT o.product_id, p.sku, o.reason, o.answer, o.staff_id, o.at FROM order_offers o JOIN products p ON p.id = o.product_id
             WHERE o.company_id = $1 AND o.order_id = $2 ORDER BY o.id",
        )
        .bind(c)
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        Ok(Some(Order {
            summary: OrderSummary {
                id: OrderId(r.id),
                order_no: r.order_no,
                client: ClientId(r.client_id),
                date: parse_date(&r.order_date)?,
                status: status(&r.status)?,
                total: Money(r.total),
            },
            created_by: r.created_by.map(StaffId),
            price_column: u8::try_from(r.price_column).unwrap_or(1),
            price_rule: r.price_rule,
            override_reason: r.override_reason,
            delivery: Delivery {
                date: r.delivery_date.as_deref().map(parse_date).transpose()?,
                window_from: time(r.window_from),
                window_to: time(r.window_to),
                receivers: r.receivers.split('\n').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                payment_form: r.payment_form,
                pickup_at: r.pickup_at,
                shipping_details: r.shipping_details,
                documents: r.documents,
            },
            notes: r.notes,
            lines: lines
                .into_iter()
                .map(|(p, sku, name, unit, stock, q, price)| OrderLine {
                    product: ProductId(p),
                    sku,
                    name,
                    unit,
                    stock: Quantity(stock),
                    quantity: Quantity(q),
                    unit_price: Money(price),
                })
                .collect(),
            offers: offers
                .into_iter()
                .map(|(p, sku, reason, answer, staff, at)| OfferRecord {
                    product: ProductId(p),
                    sku,
                    reason,
                    answer,
                    staff: StaffId(staff),
                    at,
                })
                .collect(),
        }))
    }

    /// Orders, newest first, filtered.
    pub async fn orders(&self, f: &OrderFilter) -> Result<Vec<OrderSummary>> {
        let rows: Vec<(i64, String, i64, String, String, i64)> = sqlx::query_as(
            "SELECT id, order_no, client_id, order_date, status, total FROM orders WHERE company_id = $1
             AND ($2 = 0 OR client_id = $2) AND ($3 = '' OR status = $3) AND ($4 = 0 OR created_by = $4)
             ORDER BY order_date DESC, id DESC LIMIT $5",
        )
        .bind(self.company_id().0)
        .bind(f.client.map_or(0, |c| c.0))
        .bind(f.status.map_or("", OrderStatus::as_str))
        .bind(f.taken_by.map_or(0, |s| s.0))
        .bind(if f.limit > 0 { f.limit } else { 50 })
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(summary).collect()
    }

    /// The orders confirmed since `since` (a day's start, RFC 3339 UTC),
    /// whatever became of them since, newest first, with their client, in
    /// one query: the heads' page keeps the day (OD-14).
    pub async fn confirmed_since(&self, since: &str, limit: i64) -> Result<Vec<DayOrder>> {
        let rows: Vec<DayOrderRow> = sqlx::query_as(
            "SELECT o.id, o.order_no, o.client_id, o.order_date, o.status, o.total, c.code, c.name, c.client_type,
                    c.manager_staff_id, o.delivery_date, e.at, e.actor
             FROM order_events e
             JOIN orders o ON o.company_id = e.company_id AND o.id = e.order_id
             JOIN clients c ON c.company_id = o.company_id AND c.id = o.client_id
             WHERE e.company_id = $1 AND e.kind = 'confirmed' AND e.at >= $2
             ORDER BY e.at DESC, o.id DESC LIMIT $3",
        )
        .bind(self.company_id().0)
        .bind(since)
        .bind(limit.clamp(1, 5000))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(day_order).collect()
    }

    pub async fn order_events(&self, id: OrderId) -> Result<Vec<OrderEvent>> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT actor, kind, detail, at FROM order_events WHERE company_id = $1 AND order_id = $2 ORDER BY id",
        )
        .bind(self.company_id().0)
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(actor, kind, detail, at)| OrderEvent { actor, kind, detail, at }).collect())
    }

    /// Replaces the order's lines, prices and column in one transaction
    /// (the caller computed them with the desk rules), with an event.
    pub async fn save_lines(
        &self,
        id: OrderId,
        lines: &[(ProductId, Quantity, Money)],
        column: u8,
        rule: &str,
        actor: &str,
        (event_kind, detail): (&str, &str),
    ) -> Result<()> {
        let c = self.company_id().0;
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM order_lines WHERE company_id = $1 AND order_id = $2")
            .bind(c)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let mut total = Money::ZERO;
        for (n, (product, qty, price)) in lines.iter().enumerate() {
            // Checked: a total that does not fit is refused, never saturated
            // (the transaction is dropped, nothing is written).
            total = price
                .checked_times(*qty)
                .and_then(|m| total.checked_add(m))
                .ok_or_else(|| StoreError::Invalid("the order's total does not fit".into()))?;
            sqlx::query(
                "INSERT INTO order_lines (company_id, order_id, line_no, product_id, quantity, unit_price) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(c)
            .bind(id.0)
            .bind(i64::try_from(n).unwrap_or(0) + 1)
            .bind(product.0)
            .bind(qty.0)
            .bind(price.cents())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE orders SET total = $3, price_column = $4, price_rule = $5 WHERE company_id = $1 AND id = $2",
        )
        .bind(c)
        .bind(id.0)
        .bind(total.cents())
        .bind(i64::from(column))
        .bind(rule)
        .execute(&mut *tx)
        .await?;
        event(&mut tx, c, id.0, actor, event_kind, detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records an offer and the client's answer (once per product).
    pub async fn record_offer(
        &self,
        id: OrderId,
        product: ProductId,
        reason: &str,
        answer: &str,
        staff: StaffId,
        actor: &str,
    ) -> Result<()> {
        let c = self.company_id().0;
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO order_offers (company_id, order_id, product_id, reason, answer, staff_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(c)
        .bind(id.0)
        .bind(product.0)
        .bind(reason)
        .bind(answer)
        .bind(staff.0)
        .bind(now_rfc3339())
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "this product was already offered on this order"))?;
        event(&mut tx, c, id.0, actor, "offer", &format!("product {product} ({reason}): {answer}")).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_delivery(&self, id: OrderId, d: &Delivery, notes: &str, actor: &str) -> Result<()> {
        let c = self.company_id().0;
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE orders SET delivery_date = $3, window_from = $4, window_to = $5, receivers = $6, payment_form = $7,
             pickup_at = $8, shipping_details = $9, documents = $10, notes = $11 WHERE company_id = $1 AND id = $2",
        )
        .bind(c)
        .bind(id.0)
        .bind(d.date.map(fmt_date))
        .bind(d.window_from.map(|t| t.format("%H:%M").to_string()))
        .bind(d.window_to.map(|t| t.format("%H:%M").to_string()))
        .bind(d.receivers.join("\n"))
        .bind(d.payment_form.clone())
        .bind(d.pickup_at.clone())
        .bind(d.shipping_details.clone())
        .bind(d.documents.clone())
        .bind(notes)
        .execute(&mut *tx)
        .await?;
        event(&mut tx, c, id.0, actor, "delivery", "delivery terms set").await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves the order from `from` to `to` (compare-and-set, so two clerks
    /// cannot both confirm). On confirmation the product pairs learn the
    /// order's lines. Returns false when the order was not in `from`.
    pub async fn move_order(
        &self,
        id: OrderId,
        from: OrderStatus,
        to: OrderStatus,
        actor: &str,
        detail: &str,
    ) -> Result<bool> {
        let c = self.company_id().0;
        let mut tx = self.begin().await?;
        let r = sqlx::query("UPDATE orders SET status = $4 WHERE company_id = $1 AND id = $2 AND status = $3")
            .bind(c)
            .bind(id.0)
            .bind(from.as_str())
            .bind(to.as_str())
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        if to == OrderStatus::Confirmed {
            sqlx::query(
                "INSERT INTO product_pairs (company_id, product_id, other_id, orders)
                 SELECT a.company_id, a.product_id, b.product_id, 1 FROM order_lines a
                 JOIN order_lines b ON b.company_id = a.company_id AND b.order_id = a.order_id AND b.product_id <> a.product_id
                 WHERE a.company_id = $1 AND a.order_id = $2
                 ON CONFLICT (company_id, product_id, other_id) DO UPDATE SET orders = product_pairs.orders + 1",
            )
            .bind(c)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        }
        event(&mut tx, c, id.0, actor, to.as_str(), detail).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Heads of a department and of departments of `kind`, for pushing
    /// order events (OD-14).
    pub async fn department_head(&self, id: DepartmentId) -> Result<Option<StaffId>> {
        Ok(self.department(id).await?.and_then(|d| d.head))
    }

    pub async fn heads_of_kind(&self, kind: DepartmentKind) -> Result<Vec<StaffId>> {
        Ok(self.departments().await?.into_iter().filter(|d| d.kind == kind).filter_map(|d| d.head).collect())
    }
}

async fn event(
    tx: &mut crate::writer::Tx,
    company: i64,
    order: i64,
    actor: &str,
    kind: &str,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO order_events (company_id, order_id, actor, kind, detail, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(company)
    .bind(order)
    .bind(actor)
    .bind(kind)
    .bind(detail)
    .bind(now_rfc3339())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
