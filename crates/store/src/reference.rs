//! Reference information (OD-18): the company's delivery terms, the
//! certificates of its products, and outbox messages that carry files
//! (the price list, the terms, the certificates an operator sends).

use crate::{now_rfc3339, Result, Returned, Scoped};

/// A file as kept or sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// A certificate as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

type CertRow = (i64, String, String, String, i64, String, String);

fn cert((id, sku, name, content_type, size, uploaded_by, uploaded_at): CertRow) -> Certificate {
    Certificate { id, sku, name, content_type, size, uploaded_by, uploaded_at }
}

impl Scoped<'_> {
    /// The delivery terms, and those for regional clients ("" when unset).
    pub async fn reference_terms(&self) -> Result<(String, String)> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT delivery_terms, regional_terms FROM company_reference WHERE company_id = $1")
                .bind(self.company_id().0)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.unwrap_or_default())
    }

    pub async fn set_reference_terms(&self, delivery: &str, regional: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO company_reference (company_id, delivery_terms, regional_terms) VALUES ($1, $2, $3)
             ON CONFLICT (company_id) DO UPDATE SET delivery_terms = excluded.delivery_terms,
             regional_terms = excluded.regional_terms",
        )
        .bind(self.company_id().0)
        .bind(delivery)
        .bind(regional)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Keeps a certificate of the product `sku` (checked to exist by the caller).
    pub async fn add_certificate(&self, sku: &str, f: &File, by: &str) -> Result<Certificate> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO product_certificates (company_id, sku, name, content_type, size, data, uploaded_by, uploaded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(self.company_id().0)
        .bind(sku)
        .bind(&f.name)
        .bind(&f.content_type)
        .bind(i64::try_from(f.data.len()).unwrap_or(i64::MAX))
        .bind(&f.data)
        .bind(by)
        .bind(now_rfc3339())
        .fetch_all(self.pool())
        .await?
        .returned()?;
        let c = self.certificates(Some(sku)).await?.into_iter().find(|c| c.id == id);
        c.ok_or(crate::StoreError::NotFound)
    }

    /// The certificates of one product (or all), by product then upload.
    pub async fn certificates(&self, sku: Option<&str>) -> Result<Vec<Certificate>> {
        let rows: Vec<CertRow> = sqlx::query_as(
            "SELECT id, sku, name, content_type, size, uploaded_by, uploaded_at FROM product_certificates
             WHERE company_id = $1 AND ($2 = '' OR sku = $2) ORDER BY sku, id",
        )
        .bind(self.company_id().0)
        .bind(sku.unwrap_or(""))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(cert).collect())
    }

    /// A certificate's file.
    pub async fn certificate_file(&self, id: i64) -> Result<Option<File>> {
        let row: Option<(String, String, Vec<u8>)> = sqlx::query_as(
            "SELECT name, content_type, data FROM product_certificates WHERE company_id = $1 AND id = $2",
        )
        .bind(self.company_id().0)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(name, content_type, data)| File { name, content_type, data }))
    }

    pub async fn delete_certificate(&self, id: i64) -> Result<()> {
        let r = sqlx::query("DELETE FROM product_certificates WHERE company_id = $1 AND id = $2")
            .bind(self.company_id().0)
            .bind(id)
            .execute(self.pool())
            .await?;
        crate::error::found(r)
    }

    /// Puts a message with files into the outbox, in one transaction.
    pub async fn queue_mail_with_files(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        about: &str,
        files: &[File],
    ) -> Result<i64> {
        let company = self.company_id().0;
        let now = now_rfc3339();
        let mut tx = self.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO mail_outbox (company_id, to_address, subject, body, about, created_at, state, next_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $6) RETURNING id",
        )
        .bind(company)
        .bind(to)
        .bind(subject)
        .bind(body)
        .bind(about)
        .bind(&now)
        .fetch_all(&mut *tx)
        .await?
        .returned()?;
        for f in files {
            sqlx::query(
                "INSERT INTO mail_outbox_files (company_id, outbox_id, name, content_type, data) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(company)
            .bind(id)
            .bind(&f.name)
            .bind(&f.content_type)
            .bind(&f.data)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// The files an outbox message carries.
    pub async fn outbox_files(&self, outbox: i64) -> Result<Vec<File>> {
        let rows: Vec<(String, String, Vec<u8>)> = sqlx::query_as(
            "SELECT name, content_type, data FROM mail_outbox_files WHERE company_id = $1 AND outbox_id = $2 ORDER BY id",
        )
        .bind(self.company_id().0)
        .bind(outbox)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(name, content_type, data)| File { name, content_type, data }).collect())
    }
}
