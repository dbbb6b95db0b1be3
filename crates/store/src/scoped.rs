//! `Scoped`: one company's view of the store. Every statement here filters
//! by `company_id`; ids from another company are simply not found.
//!
//! Architecture invariant: a business query that does not go through
//! `Scoped` (or the import, which is bound to one company too) is a bug.

use crate::error::found;
use crate::records::fmt_date;
use crate::Returned;
use crate::{b, now_rfc3339, records::*, validate_code, Result, Store, StoreError};
use centrala_domain::{AbsenceId, AbsenceKind, CompanyId, DepartmentId, DepartmentKind, StaffId};
use chrono::NaiveDate;

const STAFF_COLS: &str = "id, username, full_name, role, department_id, active, locale, password_hash, email";
const PRODUCT_COLS: &str =
    "id, sku, name, category, unit, price_1, price_2, price_3, price_4, price_5, is_new, is_special, alcohol, stock";

#[derive(Clone, Copy)]
pub struct Scoped<'a> {
    store: &'a Store,
    company: CompanyId,
}

impl<'a> Scoped<'a> {
    pub(crate) fn new(store: &'a Store, company: CompanyId) -> Self {
        Scoped { store, company }
    }

    pub fn company_id(&self) -> CompanyId {
        self.company
    }

    pub(crate) fn pool(&self) -> &crate::writer::Writer {
        self.store.pool()
    }

    /// For long reads ([`Store::reads`]).
    pub(crate) fn reads(&self) -> &sqlx::AnyPool {
        self.store.reads()
    }

    /// A write transaction ([`Store::begin`]).
    pub(crate) async fn begin(&self) -> Result<crate::writer::Tx> {
        self.store.begin().await
    }

    async fn exists(&self, table: &'static str, id: i64) -> Result<bool> {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE company_id = $1 AND id = $2");
        let (n,): (i64,) = sqlx::query_as(&sql).bind(self.company.0).bind(id).fetch_one(self.pool()).await?;
        Ok(n > 0)
    }

    pub(crate) async fn require(&self, table: &'static str, what: &str, id: i64) -> Result<()> {
        if self.exists(table, id).await? {
            Ok(())
        } else {
            Err(StoreError::Invalid(format!("{what} {id} does not exist")))
        }
    }

    // ---- departments ----------------------------------------------------

    pub async fn departments(&self) -> Result<Vec<Department>> {
        let rows: Vec<DepartmentRow> = sqlx::query_as(
            "SELECT id, code, name, kind, head_staff_id FROM departments WHERE company_id = $1 ORDER BY code",
        )
        .bind(self.company.0)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    pub async fn department(&self, id: DepartmentId) -> Result<Option<Department>> {
        let row: Option<DepartmentRow> = sqlx::query_as(
            "SELECT id, code, name, kind, head_staff_id FROM departments WHERE company_id = $1 AND id = $2",
        )
        .bind(self.company.0)
        .bind(id.0)
        .fetch_optional(self.pool())
        .await?;
        row.map(TryInto::try_into).transpose()
    }

    pub async fn create_department(
        &self,
        code: &str,
        name: &str,
        kind: DepartmentKind,
        head: Option<StaffId>,
    ) -> Result<Department> {
        validate_code(code)?;
        if let Some(h) = head {
            self.require("staff", "staff member", h.0).await?;
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO departments (company_id, code, name, kind, head_staff_id) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(self.company.0)
        .bind(code)
        .bind(name)
        .bind(kind.as_str())
        .bind(head.map(|h| h.0))
        .fetch_all(self.pool())
        .await
        .map_err(|e| StoreError::unique(e, format!("department {code:?} already exists")))?
        .returned()?;
        self.department(DepartmentId(id)).await?.ok_or(StoreError::NotFound)
    }

    pub async fn update_department(
        &self,
        id: DepartmentId,
        name: &str,
        kind: DepartmentKind,
        head: Option<StaffId>,
    ) -> Result<Department> {
        if let Some(h) = head {
            self.require("staff", "staff member", h.0).await?;
        }
        let r = sqlx::query(
            "UPDATE departments SET name = $3, kind = $4, head_staff_id = $5 WHERE company_id = $1 AND id = $2",
        )
        .bind(self.company.0)
        .bind(id.0)
        .bind(name)
        .bind(kind.as_str())
        .bind(head.map(|h| h.0))
        .execute(self.pool())
        .await?;
        found(r)?;
        self.department(id).await?.ok_or(StoreError::NotFound)
    }

    // ---- staff ----------------------------------------------------------

    pub async fn staff_list(&self) -> Result<Vec<Staff>> {
        let sql = format!("SELECT {STAFF_COLS} FROM staff WHERE company_id = $1 ORDER BY username");
        let rows: Vec<StaffRow> = sqlx::query_as(&sql).bind(self.company.0).fetch_all(self.pool()).await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    pub async fn staff(&self, id: StaffId) -> Result<Option<Staff>> {
        let sql = format!("SELECT {STAFF_COLS} FROM staff WHERE company_id = $1 AND id = $2");
        let row: Option<StaffRow> =
            sqlx::query_as(&sql).bind(self.company.0).bind(id.0).fetch_optional(self.pool()).await?;
        row.map(TryInto::try_into).transpose()
    }

    /// The staff member and their password hash (None: cannot log in).
    pub async fn staff_login(&self, username: &str) -> Result<Option<(Staff, Option<String>)>> {
        let sql = format!("SELECT {STAFF_COLS} FROM staff WHERE company_id = $1 AND username = $2");
        let row: Option<StaffRow> =
            sqlx::query_as(&sql).bind(self.company.0).bind(username).fetch_optional(self.pool()).await?;
        match row {
            None => Ok(None),
            Some(mut r) => {
                let hash = r.password_hash.take();
                let mut s: Staff = r.try_into()?;
                s.has_password = hash.is_some();
                Ok(Some((s, hash)))
            }
        }
    }

    pub async fn staff_by_username(&self, username: &str) -> Result<Option<Staff>> {
        Ok(self.staff_login(username).await?.map(|(s, _)| s))
    }

    async fn check_staff_input(&self, input: &StaffInput) -> Result<()> {
        validate_code(&input.username)?;
        if input.full_name.trim().is_empty() {
            return Err(StoreError::Invalid("full_name must not be empty".into()));
        }
        if let Some(d) = input.department {
            self.require("departments", "department", d.0).await?;
        }
        Ok(())
    }

    pub async fn create_staff(&self, input: &StaffInput) -> Result<Staff> {
        self.create_staff_with_email(input, "").await
    }

    /// A new member with their e-mail address (checked by the caller;
    /// empty: none), in one statement.
    pub async fn create_staff_with_email(&self, input: &StaffInput, email: &str) -> Result<Staff> {
        self.check_staff_input(input).await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO staff (company_id, username, full_name, role, department_id, active, locale, created_at, email)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(self.company.0)
        .bind(&input.username)
        .bind(input.full_name.trim())
        .bind(input.role.as_str())
        .bind(input.department.map(|d| d.0))
        .bind(b(input.active))
        .bind(&input.locale)
        .bind(now_rfc3339())
        .bind(email)
        .fetch_all(self.pool())
        .await
        .map_err(|e| StoreError::unique(e, format!("username {:?} is taken", input.username)))?
        .returned()?;
        self.staff(StaffId(id)).await?.ok_or(StoreError::NotFound)
    }

    /// The member's e-mail address (checked by the caller); empty: none.
    pub async fn set_staff_email(&self, id: StaffId, email: &str) -> Result<()> {
        let r = sqlx::query("UPDATE staff SET email = $3 WHERE company_id = $1 AND id = $2")
            .bind(self.company.0)
            .bind(id.0)
            .bind(email)
            .execute(self.pool())
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The member's own language for every page (checked by the caller).
    pub async fn set_staff_locale(&self, id: StaffId, locale: &str) -> Result<()> {
        let r = sqlx::query("UPDATE staff SET locale = $3 WHERE company_id = $1 AND id = $2")
            .bind(self.company.0)
            .bind(id.0)
            .bind(locale)
            .execute(self.pool())
            .await?;
        found(r)
    }

    pub async fn update_staff(&self, id: StaffId, input: &StaffInput) -> Result<Staff> {
        self.update_staff_and_email(id, input, None).await
    }

    /// Changes a member and, when given, their e-mail address (checked by
    /// the caller; empty: none), all or none.
    pub async fn update_staff_and_email(&self, id: StaffId, input: &StaffInput, email: Option<&str>) -> Result<Staff> {
        self.check_staff_input(input).await?;
        let mut tx = self.begin().await?;
        let before: Option<(String, i64)> =
            sqlx::query_as("SELECT role, active FROM staff WHERE company_id = $1 AND id = $2")
                .bind(self.company.0)
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?;
        let was_admin = before.is_some_and(|(role, active)| role == "admin" && active != 0);
        let r = sqlx::query(
            "UPDATE staff SET username = $3, full_name = $4, role = $5, department_id = $6, active = $7, locale = $8
             WHERE company_id = $1 AND id = $2",
        )
        .bind(self.company.0)
        .bind(id.0)
        .bind(&input.username)
        .bind(input.full_name.trim())
        .bind(input.role.as_str())
        .bind(input.department.map(|d| d.0))
        .bind(b(input.active))
        .bind(&input.locale)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, format!("username {:?} is taken", input.username)))?;
        found(r)?;
        if let Some(email) = email {
            sqlx::query("UPDATE staff SET email = $3 WHERE company_id = $1 AND id = $2")
                .bind(self.company.0)
                .bind(id.0)
                .bind(email)
                .execute(&mut *tx)
                .await?;
        }
        // A company never loses its last active admin (demoted or
        // deactivated): nobody could then manage it. Checked inside the
        // change, so the change and the check are one.
        let stays_admin = input.role == centrala_domain::Role::Admin && input.active;
        if !stays_admin && was_admin {
            let (others,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM staff WHERE company_id = $1 AND role = 'admin' AND active = 1 AND id <> $2",
            )
            .bind(self.company.0)
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await?;
            if others == 0 {
                return Err(StoreError::Refused {
                    code: "last_admin",
                    message: "this is the company's last active admin: make someone else admin first".into(),
                });
            }
        }
        tx.commit().await?;
        if !input.active {
            self.store.delete_sessions_of(self.company, id).await?;
        }
        self.staff(id).await?.ok_or(StoreError::NotFound)
    }

    /// Stores a new password hash and ends the member's sessions.
    pub async fn set_password_hash(&self, id: StaffId, hash: &str) -> Result<()> {
        let r = sqlx::query("UPDATE staff SET password_hash = $3 WHERE company_id = $1 AND id = $2")
            .bind(self.company.0)
            .bind(id.0)
            .bind(hash)
            .execute(self.pool())
            .await?;
        found(r)?;
        self.store.delete_sessions_of(self.company, id).await
    }

    // ---- absences -------------------------------------------------------

    pub async fn absences(&self, staff: Option<StaffId>) -> Result<Vec<AbsenceRecord>> {
        let rows: Vec<AbsenceRow> = sqlx::query_as(
            "SELECT id, staff_id, from_date, to_date, kind, substitute_staff_id FROM absences
             WHERE company_id = $1 AND ($2 = 0 OR staff_id = $2) ORDER BY from_date, id",
        )
        .bind(self.company.0)
        .bind(staff.map_or(0, |s| s.0))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    pub async fn absence(&self, id: AbsenceId) -> Result<Option<AbsenceRecord>> {
        let row: Option<AbsenceRow> = sqlx::query_as(
            "SELECT id, staff_id, from_date, to_date, kind, substitute_staff_id FROM absences WHERE company_id = $1 AND id = $2",
        )
        .bind(self.company.0)
        .bind(id.0)
        .fetch_optional(self.pool())
        .await?;
        row.map(TryInto::try_into).transpose()
    }

    pub async fn create_absence(
        &self,
        staff: StaffId,
        from: NaiveDate,
        to: NaiveDate,
        kind: AbsenceKind,
        substitute: Option<StaffId>,
    ) -> Result<AbsenceRecord> {
        if to < from {
            return Err(StoreError::Invalid(format!("absence ends ({to}) before it starts ({from})")));
        }
        self.require("staff", "staff member", staff.0).await?;
        if let Some(s) = substitute {
            if s == staff {
                return Err(StoreError::Invalid("a staff member cannot substitute for themselves".into()));
            }
            self.require("staff", "substitute", s.0).await?;
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO absences (company_id, staff_id, from_date, to_date, kind, substitute_staff_id)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(self.company.0)
        .bind(staff.0)
        .bind(fmt_date(from))
        .bind(fmt_date(to))
        .bind(kind.as_str())
        .bind(substitute.map(|s| s.0))
        .fetch_all(self.pool())
        .await
        .map_err(|e| StoreError::unique(e, format!("staff member {staff} already has an absence starting {from}")))?
        .returned()?;
        self.absence(AbsenceId(id)).await?.ok_or(StoreError::NotFound)
    }

    pub async fn delete_absence(&self, id: AbsenceId) -> Result<()> {
        let r = sqlx::query("DELETE FROM absences WHERE company_id = $1 AND id = $2")
            .bind(self.company.0)
            .bind(id.0)
            .execute(self.pool())
            .await?;
        found(r)
    }

    // ---- products -------------------------------------------------------

    /// Products matching `q` word by word in their name, category or sku
    /// (see `search`), by sku; every product when `q` is blank. An exact
    /// sku comes first.
    pub async fn products(&self, q: &str, limit: i64, offset: i64) -> Result<Vec<Product>> {
        let typed = q.trim();
        if typed.is_empty() {
            let sql =
                format!("SELECT {PRODUCT_COLS} FROM products WHERE company_id = $1 ORDER BY sku LIMIT $2 OFFSET $3");
            let rows: Vec<ProductRow> =
                sqlx::query_as(&sql).bind(self.company.0).bind(limit).bind(offset).fetch_all(self.pool()).await?;
            return Ok(rows.into_iter().map(Into::into).collect());
        }
        let kind = crate::search::Kind::Product;
        let c = self.company.0;
        let rows: Vec<ProductRow> =
            crate::search::find(self.pool(), c, kind, PRODUCT_COLS, typed, limit, offset).await?;
        let rows = if offset == 0 {
            crate::search::exact_first(self.pool(), c, kind, PRODUCT_COLS, typed, rows, limit).await?
        } else {
            rows
        };
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn product_by_id(&self, id: centrala_domain::ProductId) -> Result<Option<Product>> {
        let sql = format!("SELECT {PRODUCT_COLS} FROM products WHERE company_id = $1 AND id = $2");
        let row: Option<ProductRow> =
            sqlx::query_as(&sql).bind(self.company_id().0).bind(id.0).fetch_optional(self.pool()).await?;
        Ok(row.map(Into::into))
    }

    pub async fn product_by_sku(&self, sku: &str) -> Result<Option<Product>> {
        let sql = format!("SELECT {PRODUCT_COLS} FROM products WHERE company_id = $1 AND sku = $2");
        let row: Option<ProductRow> =
            sqlx::query_as(&sql).bind(self.company.0).bind(sku).fetch_optional(self.pool()).await?;
        Ok(row.map(Into::into))
    }

    // ---- audit and counts -----------------------------------------------

    /// Appends to the audit log: `actor` did `action` on `entity` `entity_id`.
    pub async fn audit(&self, actor: &str, action: &str, entity: &str, entity_id: &str, detail: &str) -> Result<()> {
        crate::audit::write(self.pool(), Some(self.company), actor, action, entity, entity_id, detail).await
    }

    pub async fn audit_entries(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query_as(
            "SELECT id, actor, action, entity, entity_id, detail, at FROM audit_log
             WHERE company_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(self.company.0)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    pub async fn counts(&self) -> Result<DataCounts> {
        let mut c = DataCounts::default();
        for (table, slot) in [
            ("departments", &mut c.departments),
            ("staff", &mut c.staff),
            ("clients", &mut c.clients),
            ("contacts", &mut c.contacts),
            ("products", &mut c.products),
            ("receivables", &mut c.receivables),
            ("orders", &mut c.orders),
            ("order_lines", &mut c.order_lines),
        ] {
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE company_id = $1");
            let (n,): (i64,) = sqlx::query_as(&sql).bind(self.company.0).fetch_one(self.pool()).await?;
            *slot = n;
        }
        Ok(c)
    }
}
