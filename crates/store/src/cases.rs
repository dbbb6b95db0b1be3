//! Cases (OD-20, CC-15): a client's comment, wish, complaint or claim with
//! its department, owner, status, due time, history and resolution; the
//! company's rules per category. The rules are `centrala_desk::cases`'s;
//! this file only reads and writes.

use crate::error::found;
use crate::{now_rfc3339, Result, Returned, Scoped, StoreError};
use centrala_desk::cases::{CaseRule, Category, Status};
use centrala_desk::report::CaseFact;
use centrala_domain::{ClientId, DepartmentId, InteractionId, StaffId};
use chrono::{DateTime, Duration, Utc};

/// A case as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub id: i64,
    pub category: Category,
    pub status: Status,
    pub subject: String,
    pub description: String,
    pub client: Option<ClientId>,
    pub interaction: Option<InteractionId>,
    pub department: Option<DepartmentId>,
    pub owner: Option<StaffId>,
    /// Who raised it: a username, or `form:<code>` for a web form.
    pub raised_by: String,
    pub created_at: String,
    pub due_at: String,
    pub resolution: String,
    pub closed_at: Option<String>,
}

/// One step of a case's history: `opened`, `status`, `owner`,
/// `department`, `note` (internal) or `reply` (sent to the client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub detail: String,
}

/// A new case, its department and due time already decided
/// (`centrala_desk::cases::route`).
#[derive(Debug, Clone)]
pub struct NewCase {
    pub category: Category,
    pub subject: String,
    pub description: String,
    pub client: Option<ClientId>,
    pub interaction: Option<InteractionId>,
    pub department: Option<DepartmentId>,
    pub owner: Option<StaffId>,
    pub raised_by: String,
    pub due_at: DateTime<Utc>,
}

/// Which cases to list; empty fields match every case.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Only cases still open (open or in progress).
    pub open_only: bool,
    pub status: Option<Status>,
    pub client: Option<ClientId>,
    /// Only the cases of these departments, or owned by `owner`, or raised
    /// by `raised_by` (what a member who is not a planner may see).
    pub departments: Option<Vec<DepartmentId>>,
    pub owner: Option<StaffId>,
    pub raised_by: Option<String>,
    pub limit: i64,
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: i64,
    category: String,
    status: String,
    subject: String,
    description: String,
    client_id: Option<i64>,
    interaction_id: Option<i64>,
    department_id: Option<i64>,
    owner_id: Option<i64>,
    raised_by: String,
    created_at: String,
    due_at: String,
    resolution: String,
    closed_at: Option<String>,
}

const COLS: &str = "id, category, status, subject, description, client_id, interaction_id, department_id, owner_id,
    raised_by, created_at, due_at, resolution, closed_at";

impl TryFrom<CaseRow> for Case {
    type Error = StoreError;

    fn try_from(r: CaseRow) -> Result<Case> {
        let corrupt = |what: &str, v: &str| StoreError::Corrupt(format!("case {}: {what} {v:?}", r.id));
        Ok(Case {
            category: Category::parse(&r.category).ok_or_else(|| corrupt("category", &r.category))?,
            status: Status::parse(&r.status).ok_or_else(|| corrupt("status", &r.status))?,
            id: r.id,
            subject: r.subject,
            description: r.description,
            client: r.client_id.map(ClientId),
            interaction: r.interaction_id.map(InteractionId),
            department: r.department_id.map(DepartmentId),
            owner: r.owner_id.map(StaffId),
            raised_by: r.raised_by,
            created_at: r.created_at,
            due_at: r.due_at,
            resolution: r.resolution,
            closed_at: r.closed_at,
        })
    }
}

impl Scoped<'_> {
    /// Opens a case with its first event, all or none.
    pub async fn open_case(&self, c: &NewCase) -> Result<Case> {
        let company = self.company_id().0;
        if c.subject.trim().is_empty() {
            return Err(StoreError::Invalid("subject must not be empty".into()));
        }
        if let Some(client) = c.client {
            self.require("clients", "client", client.0).await?;
        }
        if let Some(d) = c.department {
            self.require("departments", "department", d.0).await?;
        }
        let now = now_rfc3339();
        let mut tx = self.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO cases (company_id, category, status, subject, description, client_id, interaction_id,
             department_id, owner_id, raised_by, created_at, due_at) VALUES ($1, $2, 'open', $3, $4, $5, $6, $7, $8, $9, $10, $11)
             RETURNING id",
        )
        .bind(company)
        .bind(c.category.as_str())
        .bind(c.subject.trim())
        .bind(c.description.trim())
        .bind(c.client.map(|x| x.0))
        .bind(c.interaction.map(|x| x.0))
        .bind(c.department.map(|x| x.0))
        .bind(c.owner.map(|x| x.0))
        .bind(&c.raised_by)
        .bind(&now)
        .bind(crate::intervals::stamp(c.due_at))
        .fetch_all(&mut *tx)
        .await?
        .returned()?;
        event(&mut tx, company, id, &c.raised_by, "opened", c.category.as_str(), &now).await?;
        tx.commit().await?;
        self.case(id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn case(&self, id: i64) -> Result<Option<Case>> {
        let row: Option<CaseRow> =
            sqlx::query_as(&format!("SELECT {COLS} FROM cases WHERE company_id = $1 AND id = $2"))
                .bind(self.company_id().0)
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        row.map(Case::try_from).transpose()
    }

    /// Cases, the soonest due first among open ones, then the newest.
    pub async fn cases(&self, f: &CaseFilter) -> Result<Vec<Case>> {
        let mut sql = format!("SELECT {COLS} FROM cases WHERE company_id = $1");
        let mut texts: Vec<String> = Vec::new();
        let mut ids: Vec<i64> = Vec::new();
        if f.open_only {
            sql.push_str(" AND status IN ('open', 'in_progress')");
        }
        if let Some(s) = f.status {
            texts.push(s.as_str().to_owned());
            sql.push_str(&format!(" AND status = ${}", 1 + texts.len()));
        }
        // The numbered texts come first, then the ids.
        let mut scope = Vec::new();
        if let Some(who) = &f.raised_by {
            texts.push(who.clone());
            scope.push(format!("raised_by = ${}", 1 + texts.len()));
        }
        let n = 1 + texts.len();
        if let Some(c) = f.client {
            ids.push(c.0);
            sql.push_str(&format!(" AND client_id = ${}", n + ids.len()));
        }
        if let Some(o) = f.owner {
            ids.push(o.0);
            scope.push(format!("owner_id = ${}", n + ids.len()));
        }
        if let Some(ds) = &f.departments {
            for d in ds {
                ids.push(d.0);
                scope.push(format!("department_id = ${}", n + ids.len()));
            }
        }
        if f.raised_by.is_some() || f.owner.is_some() || f.departments.is_some() {
            if scope.is_empty() {
                return Ok(Vec::new());
            }
            sql.push_str(&format!(" AND ({})", scope.join(" OR ")));
        }
        sql.push_str(" ORDER BY CASE WHEN status IN ('open', 'in_progress') THEN 0 ELSE 1 END, due_at, id DESC");
        sql.push_str(&format!(" LIMIT {}", f.limit.clamp(1, 1000)));
        let mut q = sqlx::query_as::<_, CaseRow>(&sql).bind(self.company_id().0);
        for t in &texts {
            q = q.bind(t.clone());
        }
        for i in &ids {
            q = q.bind(*i);
        }
        q.fetch_all(self.pool()).await?.into_iter().map(Case::try_from).collect()
    }

    pub async fn case_events(&self, id: i64) -> Result<Vec<CaseEvent>> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT at, actor, kind, detail FROM case_events WHERE company_id = $1 AND case_id = $2 ORDER BY id",
        )
        .bind(self.company_id().0)
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(at, actor, kind, detail)| CaseEvent { at, actor, kind, detail }).collect())
    }

    /// Writes a case's new state (the caller checked it with the rules)
    /// and the events that tell the change, all or none — only if it is
    /// still in `from` (false: someone changed it first).
    pub async fn change_case(&self, next: &Case, from: Status, actor: &str, events: &[(&str, String)]) -> Result<bool> {
        let company = self.company_id().0;
        let now = now_rfc3339();
        let closed = (next.status == Status::Closed).then(|| now.clone());
        let mut tx = self.begin().await?;
        let r = sqlx::query(
            "UPDATE cases SET status = $4, department_id = $5, owner_id = $6, resolution = $7,
             closed_at = COALESCE(closed_at, $8) WHERE company_id = $1 AND id = $2 AND status = $3",
        )
        .bind(company)
        .bind(next.id)
        .bind(from.as_str())
        .bind(next.status.as_str())
        .bind(next.department.map(|d| d.0))
        .bind(next.owner.map(|o| o.0))
        .bind(next.resolution.trim())
        .bind(closed)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        for (kind, detail) in events {
            event(&mut tx, company, next.id, actor, kind, detail, &now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// A note (internal) or a reply (sent to the client) on a case.
    pub async fn add_case_event(&self, id: i64, actor: &str, kind: &str, detail: &str) -> Result<()> {
        let company = self.company_id().0;
        let mut tx = self.begin().await?;
        let r = sqlx::query("SELECT id FROM cases WHERE company_id = $1 AND id = $2")
            .bind(company)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if r.is_none() {
            return Err(StoreError::NotFound);
        }
        event(&mut tx, company, id, actor, kind, detail, &now_rfc3339()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The cases raised from `from` to before `until` (RFC 3339 UTC) as
    /// the case statistics count them, with their client's type and when
    /// each was resolved or closed the last time: the first such status
    /// change after the last reopening, in its history.
    pub async fn case_facts(&self, from: &str, until: &str) -> Result<Vec<CaseFact>> {
        type Row = (String, String, Option<i64>, Option<String>, String, String, Option<String>, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT c.category, c.status, c.department_id, k.client_type, c.created_at, c.due_at,
             (SELECT MIN(e.at) FROM case_events e WHERE e.company_id = c.company_id AND e.case_id = c.id
                AND e.kind = 'status' AND e.detail IN ('resolved', 'closed')
                AND e.id > COALESCE((SELECT MAX(r.id) FROM case_events r WHERE r.company_id = c.company_id
                    AND r.case_id = c.id AND r.kind = 'status' AND r.detail IN ('open', 'in_progress')), 0)),
             c.closed_at
             FROM cases c LEFT JOIN clients k ON k.company_id = c.company_id AND k.id = c.client_id
             WHERE c.company_id = $1 AND c.created_at >= $2 AND c.created_at < $3 ORDER BY c.created_at, c.id",
        )
        .bind(self.company_id().0)
        .bind(from)
        .bind(until)
        .fetch_all(self.pool())
        .await?;
        let instant = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.to_utc())
                .map_err(|_| StoreError::Corrupt(format!("case: instant {s:?}")))
        };
        rows.into_iter()
            .map(|(category, status, department, client_type, created, due, resolved, closed)| {
                Ok(CaseFact {
                    category: Category::parse(&category)
                        .ok_or_else(|| StoreError::Corrupt(format!("case: category {category:?}")))?,
                    status: Status::parse(&status)
                        .ok_or_else(|| StoreError::Corrupt(format!("case: status {status:?}")))?,
                    department,
                    client_type,
                    created_at: instant(&created)?,
                    due_at: instant(&due)?,
                    resolved_at: resolved.or(closed).as_deref().map(instant).transpose()?,
                })
            })
            .collect()
    }

    /// The company's rules, by category.
    pub async fn case_rules(&self) -> Result<Vec<CaseRule>> {
        let rows: Vec<(String, Option<i64>, i64)> = sqlx::query_as(
            "SELECT category, department_id, deadline_hours FROM case_rules WHERE company_id = $1 ORDER BY category",
        )
        .bind(self.company_id().0)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(c, d, h)| {
                Ok(CaseRule {
                    category: Category::parse(&c)
                        .ok_or_else(|| StoreError::Corrupt(format!("case rule: category {c:?}")))?,
                    department: d.map(DepartmentId),
                    deadline: Duration::hours(h),
                })
            })
            .collect()
    }

    /// Replaces the company's rules, all or none.
    pub async fn put_case_rules(&self, rules: &[CaseRule]) -> Result<()> {
        let company = self.company_id().0;
        for r in rules {
            if let Some(d) = r.department {
                self.require("departments", "department", d.0).await?;
            }
        }
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM case_rules WHERE company_id = $1").bind(company).execute(&mut *tx).await?;
        for r in rules {
            sqlx::query(
                "INSERT INTO case_rules (company_id, category, department_id, deadline_hours) VALUES ($1, $2, $3, $4)",
            )
            .bind(company)
            .bind(r.category.as_str())
            .bind(r.department.map(|d| d.0))
            .bind(r.deadline.num_hours())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, format!("category {:?} twice", r.category.as_str())))?;
        }
        tx.commit().await?;
        Ok(())
    }
}

async fn event(
    tx: &mut crate::writer::Tx,
    company: i64,
    case: i64,
    actor: &str,
    kind: &str,
    detail: &str,
    at: &str,
) -> Result<()> {
    let r = sqlx::query(
        "INSERT INTO case_events (company_id, case_id, at, actor, kind, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(company)
    .bind(case)
    .bind(at)
    .bind(actor)
    .bind(kind)
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    found(r)
}
