//! The audit log: who saw or changed what. Written by the API for every
//! change and every read of sensitive records, by the import and by the
//! retention jobs.

use crate::{now_rfc3339, Result};
use centrala_domain::CompanyId;

pub(crate) async fn write(
    pool: &crate::writer::Writer,
    company: Option<CompanyId>,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (company_id, actor, action, entity, entity_id, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(company.map(|c| c.0))
    .bind(actor)
    .bind(action)
    .bind(entity)
    .bind(entity_id)
    .bind(detail)
    .bind(now_rfc3339())
    .execute(pool)
    .await?;
    Ok(())
}
