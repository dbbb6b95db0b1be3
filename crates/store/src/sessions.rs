//! Login sessions. Only a SHA-256 of the bearer token is stored, so a
//! database leak does not hand out live sessions.

use crate::{Result, Store};
use centrala_domain::{CompanyId, StaffId};
use chrono::{DateTime, SecondsFormat, Utc};

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Store {
    pub async fn create_session(
        &self,
        token_hash: &str,
        company: CompanyId,
        staff: StaffId,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, company_id, staff_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash)
            .bind(company.0)
            .bind(staff.0)
            .bind(ts(now))
            .bind(ts(expires))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The live session with this token hash: its company and staff member,
    /// provided the member is still active.
    pub async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<(CompanyId, StaffId)>> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT s.company_id, s.staff_id FROM sessions s JOIN staff m ON m.id = s.staff_id AND m.company_id = s.company_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND m.active = 1",
        )
        .bind(token_hash)
        .bind(ts(now))
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(c, s)| (CompanyId(c), StaffId(s))))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(self.pool()).await?;
        Ok(r.rows_affected() > 0)
    }

    pub(crate) async fn delete_sessions_of(&self, company: CompanyId, staff: StaffId) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE company_id = $1 AND staff_id = $2")
            .bind(company.0)
            .bind(staff.0)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Removes expired sessions; returns how many.
    pub async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(ts(now)).execute(self.pool()).await?;
        Ok(r.rows_affected())
    }
}
