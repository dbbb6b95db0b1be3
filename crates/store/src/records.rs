//! What the store returns: plain records with typed ids and enums, plus the
//! raw row shapes they are decoded from.

use crate::StoreError;
use centrala_domain::{
    AbsenceId, AbsenceKind, CompanyId, DepartmentId, DepartmentKind, Money, ProductId, Quantity, Role, StaffId,
};
use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    pub id: CompanyId,
    pub code: String,
    pub name: String,
    /// Its IANA time zone; empty for the configured default.
    pub time_zone: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct CompanyRow {
    id: i64,
    code: String,
    name: String,
    time_zone: String,
}

impl From<CompanyRow> for Company {
    fn from(r: CompanyRow) -> Self {
        Company { id: CompanyId(r.id), code: r.code, name: r.name, time_zone: r.time_zone }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub id: DepartmentId,
    pub code: String,
    pub name: String,
    pub kind: DepartmentKind,
    pub head: Option<StaffId>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct DepartmentRow {
    id: i64,
    code: String,
    name: String,
    kind: String,
    head_staff_id: Option<i64>,
}

impl TryFrom<DepartmentRow> for Department {
    type Error = StoreError;
    fn try_from(r: DepartmentRow) -> Result<Self, StoreError> {
        Ok(Department {
            id: DepartmentId(r.id),
            kind: DepartmentKind::parse(&r.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("department kind {:?}", r.kind)))?,
            code: r.code,
            name: r.name,
            head: r.head_staff_id.map(StaffId),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub id: StaffId,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub department: Option<DepartmentId>,
    pub active: bool,
    pub locale: String,
    pub has_password: bool,
    /// Where the daily report goes (heads and supervisors); empty: none.
    pub email: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct StaffRow {
    pub(crate) id: i64,
    username: String,
    full_name: String,
    role: String,
    department_id: Option<i64>,
    active: i64,
    locale: String,
    pub(crate) password_hash: Option<String>,
    email: String,
}

impl TryFrom<StaffRow> for Staff {
    type Error = StoreError;
    fn try_from(r: StaffRow) -> Result<Self, StoreError> {
        Ok(Staff {
            id: StaffId(r.id),
            role: r.role.parse().map_err(|e: centrala_domain::RoleParseError| StoreError::Corrupt(e.to_string()))?,
            username: r.username,
            full_name: r.full_name,
            department: r.department_id.map(DepartmentId),
            active: r.active != 0,
            locale: r.locale,
            has_password: r.password_hash.is_some(),
            email: r.email,
        })
    }
}

/// A new or changed staff member.
#[derive(Debug, Clone)]
pub struct StaffInput {
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub department: Option<DepartmentId>,
    pub active: bool,
    pub locale: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsenceRecord {
    pub id: AbsenceId,
    pub staff: StaffId,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub kind: AbsenceKind,
    pub substitute: Option<StaffId>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct AbsenceRow {
    id: i64,
    staff_id: i64,
    from_date: String,
    to_date: String,
    kind: String,
    substitute_staff_id: Option<i64>,
}

pub(crate) fn parse_date(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| StoreError::Corrupt(format!("date {s:?}")))
}

pub(crate) fn fmt_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl TryFrom<AbsenceRow> for AbsenceRecord {
    type Error = StoreError;
    fn try_from(r: AbsenceRow) -> Result<Self, StoreError> {
        Ok(AbsenceRecord {
            id: AbsenceId(r.id),
            staff: StaffId(r.staff_id),
            from: parse_date(&r.from_date)?,
            to: parse_date(&r.to_date)?,
            kind: r.kind.parse().map_err(StoreError::Corrupt)?,
            substitute: r.substitute_staff_id.map(StaffId),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: ProductId,
    pub sku: String,
    pub name: String,
    pub category: String,
    pub unit: String,
    /// Price-list columns 1 to 5.
    pub prices: [Money; 5],
    pub is_new: bool,
    pub is_special: bool,
    pub alcohol: bool,
    pub stock: Quantity,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ProductRow {
    id: i64,
    sku: String,
    name: String,
    category: String,
    unit: String,
    price_1: i64,
    price_2: i64,
    price_3: i64,
    price_4: i64,
    price_5: i64,
    is_new: i64,
    is_special: i64,
    alcohol: i64,
    stock: i64,
}

impl crate::search::HasId for ProductRow {
    fn id(&self) -> i64 {
        self.id
    }
}

impl From<ProductRow> for Product {
    fn from(r: ProductRow) -> Self {
        Product {
            id: ProductId(r.id),
            sku: r.sku,
            name: r.name,
            category: r.category,
            unit: r.unit,
            prices: [r.price_1, r.price_2, r.price_3, r.price_4, r.price_5].map(Money),
            is_new: r.is_new != 0,
            is_special: r.is_special != 0,
            alcohol: r.alcohol != 0,
            stock: Quantity(r.stock),
        }
    }
}

/// One line of the audit log: who saw or changed what, and when.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub detail: String,
    pub at: String,
}

/// Row counts of a company's master data (for logs and the import report).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataCounts {
    pub departments: i64,
    pub staff: i64,
    pub clients: i64,
    pub contacts: i64,
    pub products: i64,
    pub receivables: i64,
    pub orders: i64,
    pub order_lines: i64,
}
