//! Evaluation's records (OD-26, CC-13): the company's scorecards, the
//! calls scored on them (each with a copy of the criteria as they were),
//! complaints about staff and their decision, operators' levels and
//! mentors, and the department's targets. The rules are
//! `centrala_desk::evaluation`'s; this file only reads and writes.

use crate::error::found;
use crate::records::{fmt_date, parse_date};
use crate::{now_rfc3339, Result, Returned, Scoped, StoreError};
use centrala_desk::evaluation::{Criterion, Level, Scorecard, Targets};
use centrala_domain::{InteractionId, StaffId};
use chrono::NaiveDate;

/// A call scored: who was scored, by whom, on which card, each criterion
/// as it was then with its mark, the score (per mille) and a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub id: i64,
    pub interaction: InteractionId,
    pub staff: StaffId,
    pub evaluator: String,
    pub scorecard: String,
    pub marks: Vec<(Criterion, u32)>,
    pub score: u32,
    pub comment: String,
    pub created_at: String,
}

/// A complaint about a staff member: from a client or a commercial
/// department (`source`), naming where it came from (`origin`: a client's
/// code or a department's), and a head's decision once made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffComplaint {
    pub id: i64,
    pub staff: StaffId,
    pub source: String,
    pub origin: String,
    pub text: String,
    pub interaction: Option<InteractionId>,
    pub created_by: String,
    pub created_at: String,
    /// `None` until decided.
    pub justified: Option<bool>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: String,
}

/// An operator's level, mentor and end of probation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Development {
    pub level: Level,
    pub mentor: Option<StaffId>,
    pub probation_until: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct TargetsRow {
    service_level: Option<i64>,
    aht_seconds: Option<i64>,
    conversion: Option<i64>,
    attach_rate: Option<i64>,
    quality: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct EvaluationRow {
    id: i64,
    interaction_id: i64,
    staff_id: i64,
    evaluator: String,
    scorecard: String,
    score: i64,
    comment: String,
    created_at: String,
}

#[derive(sqlx::FromRow)]
struct ComplaintRow {
    id: i64,
    staff_id: i64,
    source: String,
    origin: String,
    text: String,
    interaction_id: Option<i64>,
    created_by: String,
    created_at: String,
    justified: Option<i64>,
    decided_by: Option<String>,
    decided_at: Option<String>,
    decision_note: String,
}

impl From<ComplaintRow> for StaffComplaint {
    fn from(r: ComplaintRow) -> Self {
        StaffComplaint {
            id: r.id,
            staff: StaffId(r.staff_id),
            source: r.source,
            origin: r.origin,
            text: r.text,
            interaction: r.interaction_id.map(InteractionId),
            created_by: r.created_by,
            created_at: r.created_at,
            justified: r.justified.map(|j| j != 0),
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            decision_note: r.decision_note,
        }
    }
}

fn criterion(code: String, name: String, weight: i64, max: i64) -> Criterion {
    Criterion { code, name, weight: u32::try_from(weight).unwrap_or(0), max: u32::try_from(max).unwrap_or(1) }
}

/// A share (0–1) as stored: per mille.
fn permille(v: Option<f64>) -> Option<i64> {
    v.map(|v| (v * 1000.0).round() as i64)
}

fn share(v: Option<i64>) -> Option<f64> {
    v.map(|v| v as f64 / 1000.0)
}

const COMPLAINT_COLS: &str = "id, staff_id, source, origin, text, interaction_id, created_by, created_at, justified, \
                              decided_by, decided_at, decision_note";

impl Scoped<'_> {
    /// The company's scorecards, by code, each with its criteria in order.
    pub async fn scorecards(&self) -> Result<Vec<Scorecard>> {
        let cards: Vec<(String, String)> =
            sqlx::query_as("SELECT code, name FROM scorecards WHERE company_id = $1 ORDER BY code")
                .bind(self.company_id().0)
                .fetch_all(self.reads())
                .await?;
        let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT scorecard, code, name, weight, max_mark FROM scorecard_criteria WHERE company_id = $1
             ORDER BY scorecard, position",
        )
        .bind(self.company_id().0)
        .fetch_all(self.reads())
        .await?;
        Ok(cards
            .into_iter()
            .map(|(code, name)| Scorecard {
                criteria: rows
                    .iter()
                    .filter(|r| r.0 == code)
                    .map(|(_, c, n, w, m)| criterion(c.clone(), n.clone(), *w, *m))
                    .collect(),
                code,
                name,
            })
            .collect())
    }

    pub async fn scorecard(&self, code: &str) -> Result<Option<Scorecard>> {
        Ok(self.scorecards().await?.into_iter().find(|c| c.code == code))
    }

    /// Creates or replaces a scorecard (checked by the caller), in one
    /// transaction. Evaluations made on it keep their own copy.
    pub async fn put_scorecard(&self, card: &Scorecard) -> Result<()> {
        let company = self.company_id().0;
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO scorecards (company_id, code, name, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (company_id, code) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
        )
        .bind(company)
        .bind(&card.code)
        .bind(&card.name)
        .bind(now_rfc3339())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM scorecard_criteria WHERE company_id = $1 AND scorecard = $2")
            .bind(company)
            .bind(&card.code)
            .execute(&mut *tx)
            .await?;
        for (i, c) in card.criteria.iter().enumerate() {
            sqlx::query(
                "INSERT INTO scorecard_criteria (company_id, scorecard, position, code, name, weight, max_mark)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(company)
            .bind(&card.code)
            .bind(i as i64)
            .bind(&c.code)
            .bind(&c.name)
            .bind(i64::from(c.weight))
            .bind(i64::from(c.max))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a call's evaluation (its score computed by the caller) with
    /// a copy of each criterion and its mark, in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_evaluation(
        &self,
        interaction: InteractionId,
        staff: StaffId,
        evaluator: &str,
        card: &Scorecard,
        marks: &[(String, u32)],
        score: u32,
        comment: &str,
    ) -> Result<i64> {
        let company = self.company_id().0;
        let mut tx = self.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO evaluations (company_id, interaction_id, staff_id, evaluator, scorecard, score, comment,
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(company)
        .bind(interaction.0)
        .bind(staff.0)
        .bind(evaluator)
        .bind(&card.code)
        .bind(i64::from(score))
        .bind(comment)
        .bind(now_rfc3339())
        .fetch_all(&mut *tx)
        .await?
        .returned()?;
        for (i, c) in card.criteria.iter().enumerate() {
            let mark = marks.iter().find(|(k, _)| *k == c.code).map_or(0, |(_, v)| *v);
            sqlx::query(
                "INSERT INTO evaluation_marks (company_id, evaluation_id, position, code, name, weight, max_mark, mark)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(company)
            .bind(id)
            .bind(i as i64)
            .bind(&c.code)
            .bind(&c.name)
            .bind(i64::from(c.weight))
            .bind(i64::from(c.max))
            .bind(i64::from(mark))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Evaluations, newest first: of these staff (all when `None`), made
    /// from `from` (included) to `until` (excluded), RFC 3339 UTC.
    pub async fn evaluations(
        &self,
        staff: Option<&[StaffId]>,
        from: &str,
        until: &str,
        limit: i64,
    ) -> Result<Vec<Evaluation>> {
        let rows: Vec<EvaluationRow> = sqlx::query_as(
            "SELECT id, interaction_id, staff_id, evaluator, scorecard, score, comment, created_at FROM evaluations
             WHERE company_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at DESC, id DESC",
        )
        .bind(self.company_id().0)
        .bind(from)
        .bind(until)
        .fetch_all(self.reads())
        .await?;
        let mut out = Vec::new();
        for r in rows.into_iter().filter(|r| staff.is_none_or(|s| s.contains(&StaffId(r.staff_id)))) {
            if out.len() as i64 >= limit {
                break;
            }
            out.push(self.with_marks(r).await?);
        }
        Ok(out)
    }

    pub async fn evaluation(&self, id: i64) -> Result<Option<Evaluation>> {
        let row: Option<EvaluationRow> = sqlx::query_as(
            "SELECT id, interaction_id, staff_id, evaluator, scorecard, score, comment, created_at FROM evaluations
             WHERE company_id = $1 AND id = $2",
        )
        .bind(self.company_id().0)
        .bind(id)
        .fetch_optional(self.reads())
        .await?;
        match row {
            Some(r) => Ok(Some(self.with_marks(r).await?)),
            None => Ok(None),
        }
    }

    /// The evaluations of one call.
    pub async fn evaluations_of(&self, interaction: InteractionId) -> Result<Vec<Evaluation>> {
        let rows: Vec<EvaluationRow> = sqlx::query_as(
            "SELECT id, interaction_id, staff_id, evaluator, scorecard, score, comment, created_at FROM evaluations
             WHERE company_id = $1 AND interaction_id = $2 ORDER BY id",
        )
        .bind(self.company_id().0)
        .bind(interaction.0)
        .fetch_all(self.reads())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            out.push(self.with_marks(r).await?);
        }
        Ok(out)
    }

    async fn with_marks(&self, r: EvaluationRow) -> Result<Evaluation> {
        let marks: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT code, name, weight, max_mark, mark FROM evaluation_marks WHERE company_id = $1 AND evaluation_id = $2
             ORDER BY position",
        )
        .bind(self.company_id().0)
        .bind(r.id)
        .fetch_all(self.reads())
        .await?;
        Ok(Evaluation {
            id: r.id,
            interaction: InteractionId(r.interaction_id),
            staff: StaffId(r.staff_id),
            evaluator: r.evaluator,
            scorecard: r.scorecard,
            marks: marks
                .into_iter()
                .map(|(c, n, w, m, v)| (criterion(c, n, w, m), u32::try_from(v).unwrap_or(0)))
                .collect(),
            score: u32::try_from(r.score).unwrap_or(0),
            comment: r.comment,
            created_at: r.created_at,
        })
    }

    /// Records a complaint about a staff member, not yet decided.
    pub async fn add_staff_complaint(
        &self,
        staff: StaffId,
        source: &str,
        origin: &str,
        text: &str,
        interaction: Option<InteractionId>,
        by: &str,
    ) -> Result<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO staff_complaints (company_id, staff_id, source, origin, text, interaction_id, created_by,
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(self.company_id().0)
        .bind(staff.0)
        .bind(source)
        .bind(origin)
        .bind(text)
        .bind(interaction.map(|i| i.0))
        .bind(by)
        .bind(now_rfc3339())
        .fetch_all(self.pool())
        .await?
        .returned()?;
        Ok(id)
    }

    /// Complaints about these staff (all when `None`), newest first, made
    /// from `from` to `until` (RFC 3339 UTC).
    pub async fn staff_complaints(
        &self,
        staff: Option<&[StaffId]>,
        from: &str,
        until: &str,
    ) -> Result<Vec<StaffComplaint>> {
        let rows: Vec<ComplaintRow> = sqlx::query_as(&format!(
            "SELECT {COMPLAINT_COLS} FROM staff_complaints WHERE company_id = $1 AND created_at >= $2
             AND created_at < $3 ORDER BY created_at DESC, id DESC"
        ))
        .bind(self.company_id().0)
        .bind(from)
        .bind(until)
        .fetch_all(self.reads())
        .await?;
        Ok(rows
            .into_iter()
            .filter(|r| staff.is_none_or(|s| s.contains(&StaffId(r.staff_id))))
            .map(StaffComplaint::from)
            .collect())
    }

    pub async fn staff_complaint(&self, id: i64) -> Result<Option<StaffComplaint>> {
        let row: Option<ComplaintRow> =
            sqlx::query_as(&format!("SELECT {COMPLAINT_COLS} FROM staff_complaints WHERE company_id = $1 AND id = $2"))
                .bind(self.company_id().0)
                .bind(id)
                .fetch_optional(self.reads())
                .await?;
        Ok(row.map(StaffComplaint::from))
    }

    /// A head's decision on a complaint: justified or not, with a note.
    pub async fn decide_staff_complaint(&self, id: i64, justified: bool, by: &str, note: &str) -> Result<()> {
        let r = sqlx::query(
            "UPDATE staff_complaints SET justified = $3, decided_by = $4, decided_at = $5, decision_note = $6
             WHERE company_id = $1 AND id = $2",
        )
        .bind(self.company_id().0)
        .bind(id)
        .bind(crate::b(justified))
        .bind(by)
        .bind(now_rfc3339())
        .bind(note)
        .execute(self.pool())
        .await?;
        found(r)
    }

    /// The department's targets (all unset when never set).
    pub async fn targets(&self) -> Result<Targets> {
        let row: Option<TargetsRow> = sqlx::query_as(
            "SELECT service_level, aht_seconds, conversion, attach_rate, quality FROM report_targets
             WHERE company_id = $1",
        )
        .bind(self.company_id().0)
        .fetch_optional(self.reads())
        .await?;
        Ok(row.map_or_else(Targets::default, |r| Targets {
            service_level: share(r.service_level),
            aht_seconds: r.aht_seconds.and_then(|a| u32::try_from(a).ok()),
            conversion: share(r.conversion),
            attach_rate: share(r.attach_rate),
            quality: r.quality.map(|q| q as f64 / 10.0),
        }))
    }

    pub async fn set_targets(&self, t: &Targets) -> Result<()> {
        sqlx::query(
            "INSERT INTO report_targets (company_id, service_level, aht_seconds, conversion, attach_rate, quality)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (company_id) DO UPDATE SET
             service_level = excluded.service_level, aht_seconds = excluded.aht_seconds,
             conversion = excluded.conversion, attach_rate = excluded.attach_rate, quality = excluded.quality",
        )
        .bind(self.company_id().0)
        .bind(permille(t.service_level))
        .bind(t.aht_seconds.map(i64::from))
        .bind(permille(t.conversion))
        .bind(permille(t.attach_rate))
        .bind(t.quality.map(|q| (q * 10.0).round() as i64))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Every staff member's level, mentor and probation, where set.
    pub async fn developments(&self) -> Result<Vec<(StaffId, Development)>> {
        let rows: Vec<(i64, String, Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT staff_id, level, mentor_id, probation_until FROM staff_development WHERE company_id = $1
             ORDER BY staff_id",
        )
        .bind(self.company_id().0)
        .fetch_all(self.reads())
        .await?;
        rows.into_iter()
            .map(|(staff, level, mentor, until)| {
                let level = Level::parse(&level)
                    .ok_or_else(|| StoreError::Corrupt(format!("staff {staff}: level {level:?}")))?;
                Ok((
                    StaffId(staff),
                    Development {
                        level,
                        mentor: mentor.map(StaffId),
                        probation_until: until.as_deref().map(parse_date).transpose()?,
                    },
                ))
            })
            .collect()
    }

    pub async fn development(&self, staff: StaffId) -> Result<Option<Development>> {
        Ok(self.developments().await?.into_iter().find(|(s, _)| *s == staff).map(|(_, d)| d))
    }

    pub async fn set_development(&self, staff: StaffId, d: &Development) -> Result<()> {
        if self.staff(staff).await?.is_none() || d.mentor.is_some_and(|m| m == staff) {
            return Err(StoreError::Invalid(format!("staff {staff}: no such member, or their own mentor")));
        }
        sqlx::query(
            "INSERT INTO staff_development (company_id, staff_id, level, mentor_id, probation_until)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (company_id, staff_id) DO UPDATE SET
             level = excluded.level, mentor_id = excluded.mentor_id, probation_until = excluded.probation_until",
        )
        .bind(self.company_id().0)
        .bind(staff.0)
        .bind(d.level.as_str())
        .bind(d.mentor.map(|m| m.0))
        .bind(d.probation_until.map(fmt_date))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The staff `mentor` mentors.
    pub async fn trainees_of(&self, mentor: StaffId) -> Result<Vec<StaffId>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT staff_id FROM staff_development WHERE company_id = $1 AND mentor_id = $2 ORDER BY staff_id",
        )
        .bind(self.company_id().0)
        .bind(mentor.0)
        .fetch_all(self.reads())
        .await?;
        Ok(rows.into_iter().map(|(s,)| StaffId(s)).collect())
    }
}
