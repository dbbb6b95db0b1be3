//! Daily reports by e-mail: each company's SMTP settings (never its
//! password, which comes from a file or the environment) and every report
//! mailed, with its attempts. When a report is due and how failures are
//! retried is `centrala_desk::mailing`'s.

use crate::{b, now_rfc3339, Result, Scoped, Store};
use centrala_domain::{CompanyId, StaffId};
use chrono::{DateTime, NaiveDate, Utc};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Plain SMTP (a relay on the same host or network).
    None,
    /// Plain, then STARTTLS, which must succeed (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl Tls {
    pub fn as_str(self) -> &'static str {
        match self {
            Tls::None => "none",
            Tls::StartTls => "starttls",
            Tls::Tls => "tls",
        }
    }

    pub fn parse(s: &str) -> Option<Tls> {
        [Tls::None, Tls::StartTls, Tls::Tls].into_iter().find(|t| t.as_str() == s)
    }
}

/// A company's SMTP server and its daily report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    /// Empty: no login.
    pub username: String,
    pub from_address: String,
    /// Local `HH:MM` when yesterday's report goes out.
    pub report_at: String,
    pub daily_report: bool,
}

/// One report mailed (or to be) to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailing {
    pub company: CompanyId,
    pub day: NaiveDate,
    pub staff: StaffId,
    pub address: String,
    /// `pending`, `sent` or `failed` (given up).
    pub state: String,
    pub attempts: u32,
    pub last_error: String,
    pub next_at: String,
    pub sent_at: Option<String>,
}

type MailingRow = (i64, String, i64, String, String, i64, String, String, Option<String>);

fn mailing(r: MailingRow) -> Option<Mailing> {
    Some(Mailing {
        company: CompanyId(r.0),
        day: r.1.parse().ok()?,
        staff: StaffId(r.2),
        address: r.3,
        state: r.4,
        attempts: u32::try_from(r.5).unwrap_or(0),
        last_error: r.6,
        next_at: r.7,
        sent_at: r.8,
    })
}

const MAILING_COLS: &str = "company_id, day, staff_id, address, state, attempts, last_error, next_at, sent_at";

impl Scoped<'_> {
    pub async fn mail_settings(&self) -> Result<Option<MailSettings>> {
        let row: Option<(String, i64, String, String, String, String, i64)> = sqlx::query_as(
            "SELECT host, port, tls, username, from_address, report_at, daily_report FROM mail_settings
             WHERE company_id = $1",
        )
        .bind(self.company_id().0)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(host, port, tls, username, from_address, report_at, daily)| MailSettings {
            host,
            port: u16::try_from(port).unwrap_or(25),
            tls: Tls::parse(&tls).unwrap_or(Tls::StartTls),
            username,
            from_address,
            report_at,
            daily_report: daily != 0,
        }))
    }

    pub async fn put_mail_settings(&self, m: &MailSettings) -> Result<()> {
        sqlx::query(
            "INSERT INTO mail_settings (company_id, host, port, tls, username, from_address, report_at, daily_report,
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (company_id) DO UPDATE SET host = excluded.host, port = excluded.port, tls = excluded.tls,
             username = excluded.username, from_address = excluded.from_address, report_at = excluded.report_at,
             daily_report = excluded.daily_report, updated_at = excluded.updated_at",
        )
        .bind(self.company_id().0)
        .bind(&m.host)
        .bind(i64::from(m.port))
        .bind(m.tls.as_str())
        .bind(&m.username)
        .bind(&m.from_address)
        .bind(&m.report_at)
        .bind(b(m.daily_report))
        .bind(now_rfc3339())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Plans `day`'s report for each recipient once: a recipient already
    /// planned for that day keeps their row (sent, failed or pending).
    /// Returns how many were new.
    pub async fn plan_mailings(
        &self,
        day: NaiveDate,
        recipients: &[(StaffId, String)],
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        let mut new = 0;
        for (staff, address) in recipients {
            let r = sqlx::query(
                "INSERT INTO report_mailings (company_id, day, staff_id, address, state, next_at)
                 VALUES ($1, $2, $3, $4, 'pending', $5) ON CONFLICT (company_id, day, staff_id) DO NOTHING",
            )
            .bind(self.company_id().0)
            .bind(day.to_string())
            .bind(staff.0)
            .bind(address)
            .bind(crate::intervals::stamp(now))
            .execute(&mut *tx)
            .await?;
            new += r.rows_affected();
        }
        tx.commit().await?;
        Ok(new)
    }

    /// The company's reports mailed from `since` on, newest first.
    pub async fn mailings(&self, since: NaiveDate) -> Result<Vec<Mailing>> {
        let rows: Vec<MailingRow> = sqlx::query_as(&format!(
            "SELECT {MAILING_COLS} FROM report_mailings WHERE company_id = $1 AND day >= $2
             ORDER BY day DESC, staff_id"
        ))
        .bind(self.company_id().0)
        .bind(since.to_string())
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().filter_map(mailing).collect())
    }

    /// Records an attempt: sent, or failed with `error` and tried again at
    /// `retry` (`None`: given up).
    pub async fn mailing_tried(
        &self,
        day: NaiveDate,
        staff: StaffId,
        outcome: std::result::Result<(), (&str, Option<DateTime<Utc>>)>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (state, error, next, sent) = attempt(outcome, now);
        sqlx::query(
            "UPDATE report_mailings SET state = $4, attempts = attempts + 1, last_error = $5, next_at = $6,
             sent_at = $7 WHERE company_id = $1 AND day = $2 AND staff_id = $3",
        )
        .bind(self.company_id().0)
        .bind(day.to_string())
        .bind(staff.0)
        .bind(state)
        .bind(error)
        .bind(next)
        .bind(sent)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

impl Store {
    /// Every company's reports waiting to be (re)sent at `now`.
    pub async fn due_mailings(&self, now: DateTime<Utc>) -> Result<Vec<Mailing>> {
        let rows: Vec<MailingRow> = sqlx::query_as(&format!(
            "SELECT {MAILING_COLS} FROM report_mailings WHERE state = 'pending' AND next_at <= $1
             ORDER BY company_id, day, staff_id"
        ))
        .bind(crate::intervals::stamp(now))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().filter_map(mailing).collect())
    }
}

/// A message waiting in the outbox (or sent, or given up).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Outgoing {
    pub id: i64,
    pub company_id: i64,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    /// What it is about, e.g. `case:12`.
    pub about: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: String,
    /// A reply's own id and threading headers (empty for other mail).
    pub message_id: String,
    pub in_reply_to: String,
    /// The References, one per line.
    pub refs: String,
}

const OUT_COLS: &str =
    "id, company_id, to_address, subject, body, about, state, attempts, last_error, message_id, in_reply_to, refs";

impl Scoped<'_> {
    /// Puts a plain-text message into the outbox, to go out at the next
    /// mail round.
    pub async fn queue_mail(&self, to: &str, subject: &str, body: &str, about: &str) -> Result<()> {
        let now = crate::now_rfc3339();
        sqlx::query(
            "INSERT INTO mail_outbox (company_id, to_address, subject, body, about, created_at, state, next_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $6)",
        )
        .bind(self.company_id().0)
        .bind(to)
        .bind(subject)
        .bind(body)
        .bind(about)
        .bind(&now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The messages about `about`, oldest first.
    pub async fn mail_about(&self, about: &str) -> Result<Vec<Outgoing>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {OUT_COLS} FROM mail_outbox WHERE company_id = $1 AND about = $2 ORDER BY id"
        ))
        .bind(self.company_id().0)
        .bind(about)
        .fetch_all(self.pool())
        .await?)
    }

    /// The outbox messages that did not go at the first try (failed, or
    /// pending again), newest first: what the admin page shows.
    pub async fn outbox_problems(&self, limit: i64) -> Result<Vec<Outgoing>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {OUT_COLS} FROM mail_outbox WHERE company_id = $1 AND state <> 'sent' AND attempts > 0
             ORDER BY id DESC LIMIT $2"
        ))
        .bind(self.company_id().0)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Records an attempt at an outbox message: sent, or failed with
    /// `error` and tried again at `retry` (`None`: given up).
    pub async fn outgoing_tried(
        &self,
        id: i64,
        outcome: std::result::Result<(), (&str, Option<DateTime<Utc>>)>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (state, error, next, sent) = attempt(outcome, now);
        sqlx::query(
            "UPDATE mail_outbox SET state = $3, attempts = attempts + 1, last_error = $4, next_at = $5, sent_at = $6
             WHERE company_id = $1 AND id = $2",
        )
        .bind(self.company_id().0)
        .bind(id)
        .bind(state)
        .bind(error)
        .bind(next)
        .bind(sent)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

impl Store {
    /// Every company's outbox messages due at `now`, oldest first.
    pub async fn due_outgoing(&self, now: DateTime<Utc>) -> Result<Vec<Outgoing>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {OUT_COLS} FROM mail_outbox WHERE state = 'pending' AND next_at <= $1 ORDER BY id LIMIT 500"
        ))
        .bind(crate::intervals::stamp(now))
        .fetch_all(self.pool())
        .await?)
    }
}

/// What an attempt at sending leaves: the state (`sent`; `pending`, tried
/// again at the time given; `failed`, given up), the error, when it is
/// next due, when it was sent.
fn attempt(
    outcome: std::result::Result<(), (&str, Option<DateTime<Utc>>)>,
    now: DateTime<Utc>,
) -> (&'static str, &str, String, Option<String>) {
    let now = crate::intervals::stamp(now);
    match outcome {
        Ok(()) => ("sent", "", now.clone(), Some(now)),
        Err((e, Some(at))) => ("pending", e, crate::intervals::stamp(at), None),
        Err((e, None)) => ("failed", e, now, None),
    }
}
