//! The company's wrap-up codes and request categories (CC-8). The rules
//! (what a list must hold, what a code taken off it becomes) are
//! `centrala_desk::requests`'s; this file only reads and writes.

use crate::{Result, Scoped};
use centrala_desk::requests::{built_in, Category, Code, Names};

fn names(bs: String, en: String, ru: String) -> Names {
    [("bs", bs), ("en", en), ("ru", ru)]
        .into_iter()
        .filter(|(_, n)| !n.is_empty())
        .map(|(l, n)| (l.to_owned(), n))
        .collect()
}

fn name<'a>(n: &'a Names, lang: &str) -> &'a str {
    n.get(lang).map_or("", |s| s.trim())
}

impl Scoped<'_> {
    /// The company's codes in their order, retired ones last; the built-in
    /// five when it configured none.
    pub async fn wrap_up_codes(&self) -> Result<Vec<Code>> {
        let rows: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
            "SELECT code, category, name_bs, name_en, name_ru, active FROM wrap_up_codes
             WHERE company_id = $1 ORDER BY active DESC, position",
        )
        .bind(self.company_id().0)
        .fetch_all(self.pool())
        .await?;
        if rows.is_empty() {
            return Ok(built_in());
        }
        Ok(rows
            .into_iter()
            .map(|(code, category, bs, en, ru, active)| Code {
                code,
                category,
                names: names(bs, en, ru),
                active: active != 0,
            })
            .collect())
    }

    /// The company's request categories, in their order.
    pub async fn request_categories(&self) -> Result<Vec<Category>> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT code, name_bs, name_en, name_ru FROM request_categories WHERE company_id = $1 ORDER BY position",
        )
        .bind(self.company_id().0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(code, bs, en, ru)| Category { code, names: names(bs, en, ru) }).collect())
    }

    /// Replaces the company's codes and categories in one transaction
    /// (`codes` as `centrala_desk::requests::merge` made them).
    pub async fn put_wrap_up_codes(&self, codes: &[Code], categories: &[Category]) -> Result<()> {
        let company = self.company_id().0;
        let mut tx = self.begin().await?;
        for table in ["wrap_up_codes", "request_categories"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE company_id = $1")).bind(company).execute(&mut *tx).await?;
        }
        for (i, c) in categories.iter().enumerate() {
            sqlx::query(
                "INSERT INTO request_categories (company_id, code, position, name_bs, name_en, name_ru)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(company)
            .bind(&c.code)
            .bind(i as i64)
            .bind(name(&c.names, "bs"))
            .bind(name(&c.names, "en"))
            .bind(name(&c.names, "ru"))
            .execute(&mut *tx)
            .await?;
        }
        for (i, c) in codes.iter().enumerate() {
            sqlx::query(
                "INSERT INTO wrap_up_codes (company_id, code, position, category, name_bs, name_en, name_ru, active)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(company)
            .bind(&c.code)
            .bind(i as i64)
            .bind(&c.category)
            .bind(name(&c.names, "bs"))
            .bind(name(&c.names, "en"))
            .bind(name(&c.names, "ru"))
            .bind(crate::b(c.active))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
