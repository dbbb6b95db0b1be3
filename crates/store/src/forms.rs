//! Web forms: a company's forms and their fields, and the submissions
//! taken. The rules are `centrala_desk::forms`'s; this file only reads and
//! writes.

use crate::{now_rfc3339, Result, Returned, Scoped, StoreError};
use centrala_desk::forms::{built_in, Field, FieldKind, Form, Kind};
use centrala_domain::InteractionId;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// A submission as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    pub id: i64,
    pub form: String,
    pub at: String,
    pub address: String,
    pub values: BTreeMap<String, String>,
    pub interaction: Option<InteractionId>,
    pub case: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct SubmissionRow {
    id: i64,
    form_code: String,
    at: String,
    address: String,
    interaction_id: Option<i64>,
    case_id: Option<i64>,
}

impl Scoped<'_> {
    /// The company's forms in their order; the built-in four when it set
    /// none.
    pub async fn web_forms(&self) -> Result<Vec<Form>> {
        let company = self.company_id().0;
        let forms: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT code, kind, active FROM web_forms WHERE company_id = $1 ORDER BY position")
                .bind(company)
                .fetch_all(self.pool())
                .await?;
        if forms.is_empty() {
            return Ok(built_in());
        }
        let fields: Vec<(String, String, String, i64, String, String, String)> = sqlx::query_as(
            "SELECT form_code, name, kind, required, label_bs, label_en, label_ru FROM web_form_fields
             WHERE company_id = $1 ORDER BY form_code, position",
        )
        .bind(company)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for (code, kind, active) in forms {
            let kind =
                Kind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("form {code:?}: kind {kind:?}")))?;
            let mut own = Vec::new();
            for (form, name, fkind, required, bs, en, ru) in fields.iter().filter(|f| f.0 == code) {
                let kind = FieldKind::parse(fkind)
                    .ok_or_else(|| StoreError::Corrupt(format!("form {form:?}: field kind {fkind:?}")))?;
                let labels = [("bs", bs), ("en", en), ("ru", ru)]
                    .into_iter()
                    .filter(|(_, l)| !l.is_empty())
                    .map(|(k, l)| (k.to_owned(), l.clone()))
                    .collect();
                own.push(Field { name: name.clone(), kind, required: *required != 0, labels });
            }
            out.push(Form { code, kind, fields: own, active: active != 0 });
        }
        Ok(out)
    }

    /// Replaces the company's forms (checked by the caller), all or none.
    pub async fn put_web_forms(&self, forms: &[Form]) -> Result<()> {
        let company = self.company_id().0;
        let mut tx = self.begin().await?;
        for table in ["web_form_fields", "web_forms"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE company_id = $1")).bind(company).execute(&mut *tx).await?;
        }
        for (i, f) in forms.iter().enumerate() {
            sqlx::query("INSERT INTO web_forms (company_id, code, kind, active, position) VALUES ($1, $2, $3, $4, $5)")
                .bind(company)
                .bind(&f.code)
                .bind(f.kind.as_str())
                .bind(crate::b(f.active))
                .bind(i as i64)
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::unique(e, format!("form {:?} twice", f.code)))?;
            for (n, field) in f.fields.iter().enumerate() {
                let label = |l: &str| field.labels.get(l).map_or("", |s| s.trim()).to_owned();
                sqlx::query(
                    "INSERT INTO web_form_fields (company_id, form_code, position, name, kind, required, label_bs,
                     label_en, label_ru) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(company)
                .bind(&f.code)
                .bind(n as i64)
                .bind(&field.name)
                .bind(field.kind.as_str())
                .bind(crate::b(field.required))
                .bind(label("bs"))
                .bind(label("en"))
                .bind(label("ru"))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// How many submissions `address` made to this company since `since`.
    pub async fn submissions_since(&self, address: &str, since: DateTime<Utc>) -> Result<u32> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM form_submissions WHERE company_id = $1 AND address = $2 AND at >= $3")
                .bind(self.company_id().0)
                .bind(address)
                .bind(crate::intervals::stamp(since))
                .fetch_one(self.pool())
                .await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Keeps a submission with its values, all or none; returns its id.
    pub async fn record_submission(&self, form: &str, address: &str, values: &BTreeMap<String, String>) -> Result<i64> {
        let company = self.company_id().0;
        let mut tx = self.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO form_submissions (company_id, form_code, at, address) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(company)
        .bind(form)
        .bind(now_rfc3339())
        .bind(address)
        .fetch_all(&mut *tx)
        .await?
        .returned()?;
        for (name, value) in values {
            sqlx::query(
                "INSERT INTO form_submission_values (company_id, submission_id, name, value) VALUES ($1, $2, $3, $4)",
            )
            .bind(company)
            .bind(id)
            .bind(name)
            .bind(value)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Says what a submission became: a contact, a case.
    pub async fn submission_became(
        &self,
        id: i64,
        interaction: Option<InteractionId>,
        case: Option<i64>,
    ) -> Result<()> {
        let r = sqlx::query(
            "UPDATE form_submissions SET interaction_id = $3, case_id = $4 WHERE company_id = $1 AND id = $2",
        )
        .bind(self.company_id().0)
        .bind(id)
        .bind(interaction.map(|i| i.0))
        .bind(case)
        .execute(self.pool())
        .await?;
        crate::error::found(r)
    }

    /// The submissions, newest first.
    pub async fn submissions(&self, limit: i64) -> Result<Vec<Taken>> {
        let company = self.company_id().0;
        let rows: Vec<SubmissionRow> = sqlx::query_as(
            "SELECT id, form_code, at, address, interaction_id, case_id FROM form_submissions
             WHERE company_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(company)
        .bind(limit.clamp(1, 1000))
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for SubmissionRow { id, form_code: form, at, address, interaction_id: interaction, case_id: case } in rows {
            let values: Vec<(String, String)> = sqlx::query_as(
                "SELECT name, value FROM form_submission_values WHERE company_id = $1 AND submission_id = $2",
            )
            .bind(company)
            .bind(id)
            .fetch_all(self.pool())
            .await?;
            out.push(Taken {
                id,
                form,
                at,
                address,
                values: values.into_iter().collect(),
                interaction: interaction.map(InteractionId),
                case,
            });
        }
        Ok(out)
    }

    /// Registers a contact that came by a web form (channel `form`,
    /// arrived and ended at once), from `from` (the phone or e-mail
    /// given), for `client` when known, with what became of it.
    pub async fn start_form_contact(
        &self,
        from: &str,
        client: Option<centrala_domain::ClientId>,
        intent: centrala_domain::Intent,
        disposition: crate::interactions::Disposition,
    ) -> Result<InteractionId> {
        let now = now_rfc3339();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO interactions (company_id, channel, direction, caller, called, client_id, arrived_at, ended_at,
             disposition, caller_verified, intent) VALUES ($1, 'form', 'inbound', $2, '', $3, $4, $4, $5, 0, $6) RETURNING id",
        )
        .bind(self.company_id().0)
        .bind(from)
        .bind(client.map(|c| c.0))
        .bind(&now)
        .bind(disposition.as_str())
        .bind(intent.as_str())
        .fetch_all(self.pool())
        .await?
        .returned()?;
        Ok(InteractionId(id))
    }
}
