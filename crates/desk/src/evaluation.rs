//! Evaluation of operators (OD-26, CC-13): a company's scorecards
//! (criteria with weights and a top mark), a call's score on one, operator
//! levels and trainees, and an operator's figures against the department's
//! targets. Pure.

use std::collections::BTreeMap;

/// One thing a call is scored on: "greeted in the company's name", 0 to
/// `max`, counting `weight` of the whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    pub code: String,
    pub name: String,
    pub weight: u32,
    pub max: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scorecard {
    pub code: String,
    pub name: String,
    pub criteria: Vec<Criterion>,
}

/// Why a scorecard or a score is refused; each names what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluationError {
    #[error("a scorecard needs 1 to {MAX_CRITERIA} criteria, not {0}")]
    CriteriaCount(usize),
    #[error("criterion code {0:?}: 1–32 of a–z, 0–9, _ and -")]
    BadCode(String),
    #[error("criterion {0:?} appears twice")]
    Twice(String),
    #[error("criterion {code:?}: {what} must be 1 to {limit}")]
    OutOfBounds { code: String, what: &'static str, limit: u32 },
    #[error("criterion {0:?} has no name")]
    Unnamed(String),
    #[error("no criterion {0:?} on this scorecard")]
    Unknown(String),
    #[error("criterion {0:?} is not scored")]
    Missing(String),
    #[error("criterion {code:?} is scored {value}; it goes from 0 to {max}")]
    Range { code: String, value: u32, max: u32 },
}

pub const MAX_CRITERIA: usize = 20;
const MAX_WEIGHT: u32 = 100;
const MAX_MARK: u32 = 10;

/// Whether `code` may name a criterion or a scorecard.
pub fn valid_code(code: &str) -> bool {
    (1..=32).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl Scorecard {
    /// Checks the criteria: 1 to 20, codes well formed and unique, named,
    /// weights 1–100, top marks 1–10.
    pub fn check(&self) -> Result<(), EvaluationError> {
        if self.criteria.is_empty() || self.criteria.len() > MAX_CRITERIA {
            return Err(EvaluationError::CriteriaCount(self.criteria.len()));
        }
        for (i, c) in self.criteria.iter().enumerate() {
            if !valid_code(&c.code) {
                return Err(EvaluationError::BadCode(c.code.clone()));
            }
            if self.criteria[..i].iter().any(|o| o.code == c.code) {
                return Err(EvaluationError::Twice(c.code.clone()));
            }
            if c.name.trim().is_empty() {
                return Err(EvaluationError::Unnamed(c.code.clone()));
            }
            if !(1..=MAX_WEIGHT).contains(&c.weight) {
                return Err(EvaluationError::OutOfBounds { code: c.code.clone(), what: "weight", limit: MAX_WEIGHT });
            }
            if !(1..=MAX_MARK).contains(&c.max) {
                return Err(EvaluationError::OutOfBounds { code: c.code.clone(), what: "max", limit: MAX_MARK });
            }
        }
        Ok(())
    }

    /// The score of `marks` on this card, in per mille of the best (each
    /// criterion's mark ÷ its top mark, weighted): every criterion scored
    /// once, within its range, none unknown.
    pub fn score(&self, marks: &BTreeMap<String, u32>) -> Result<u32, EvaluationError> {
        if let Some(unknown) = marks.keys().find(|k| !self.criteria.iter().any(|c| &c.code == *k)) {
            return Err(EvaluationError::Unknown(unknown.clone()));
        }
        let (mut got, mut total) = (0u64, 0u64);
        for c in &self.criteria {
            let v = *marks.get(&c.code).ok_or_else(|| EvaluationError::Missing(c.code.clone()))?;
            if v > c.max {
                return Err(EvaluationError::Range { code: c.code.clone(), value: v, max: c.max });
            }
            // Weighted over a common denominator: exact in integers.
            got += u64::from(c.weight) * u64::from(v) * 1000 / u64::from(c.max);
            total += u64::from(c.weight);
        }
        Ok(u32::try_from(got.checked_div(total).unwrap_or(0)).unwrap_or(1000))
    }
}

/// An operator's level (CC-13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trainee,
    Consultant,
    Specialist,
    LeadSpecialist,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Trainee, Level::Consultant, Level::Specialist, Level::LeadSpecialist];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trainee => "trainee",
            Level::Consultant => "consultant",
            Level::Specialist => "specialist",
            Level::LeadSpecialist => "lead_specialist",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// The department's targets an operator is measured against; each one
/// optional (not set: not judged).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Targets {
    /// Share answered within the threshold (0–1).
    pub service_level: Option<f64>,
    /// Average handle time, at most (seconds).
    pub aht_seconds: Option<u32>,
    /// Order calls that ended in an order (0–1).
    pub conversion: Option<f64>,
    /// Recommended items accepted of those offered (0–1).
    pub attach_rate: Option<f64>,
    /// Average evaluation score, per cent (0–100).
    pub quality: Option<f64>,
}

impl Targets {
    /// What is out of range, if anything.
    pub fn check(&self) -> Result<(), String> {
        for (name, v) in
            [("service_level", self.service_level), ("conversion", self.conversion), ("attach_rate", self.attach_rate)]
        {
            if v.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
                return Err(format!("{name} is a share from 0 to 1"));
            }
        }
        if self.quality.is_some_and(|v| !(0.0..=100.0).contains(&v)) {
            return Err("quality is a per cent from 0 to 100".into());
        }
        if self.aht_seconds.is_some_and(|v| v == 0 || v > 7200) {
            return Err("aht_seconds must be 1 to 7200".into());
        }
        Ok(())
    }
}

/// How one figure stands against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// No target set, or no figure yet.
    Unjudged,
    Met,
    Missed,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Unjudged => "unjudged",
            Standing::Met => "met",
            Standing::Missed => "missed",
        }
    }
}

/// At least the target (a share or a score), met.
pub fn at_least(actual: Option<f64>, target: Option<f64>) -> Standing {
    match (actual, target) {
        (Some(a), Some(t)) if a >= t => Standing::Met,
        (Some(_), Some(_)) => Standing::Missed,
        _ => Standing::Unjudged,
    }
}

/// At most the target (a handle time), met.
pub fn at_most(actual: Option<f64>, target: Option<f64>) -> Standing {
    match (actual, target) {
        (Some(a), Some(t)) if a <= t => Standing::Met,
        (Some(_), Some(_)) => Standing::Missed,
        _ => Standing::Unjudged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> Scorecard {
        let c = |code: &str, weight, max| Criterion { code: code.into(), name: code.to_uppercase(), weight, max };
        Scorecard {
            code: "calls".into(),
            name: "Calls".into(),
            criteria: vec![c("greeting", 1, 1), c("offers", 2, 5), c("tone", 1, 10)],
        }
    }

    fn marks(m: &[(&str, u32)]) -> BTreeMap<String, u32> {
        m.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn a_score_weighs_each_criterion_against_its_top_mark() {
        let c = card();
        assert_eq!(c.check(), Ok(()));
        // (1·1/1 + 2·3/5 + 1·5/10) / 4 = (1 + 1.2 + 0.5) / 4 = 0.675
        assert_eq!(c.score(&marks(&[("greeting", 1), ("offers", 3), ("tone", 5)])), Ok(675));
        assert_eq!(c.score(&marks(&[("greeting", 1), ("offers", 5), ("tone", 10)])), Ok(1000));
        assert_eq!(c.score(&marks(&[("greeting", 0), ("offers", 0), ("tone", 0)])), Ok(0));
    }

    #[test]
    fn a_score_outside_a_criterions_range_or_missing_or_unknown_is_refused() {
        let c = card();
        assert_eq!(
            c.score(&marks(&[("greeting", 1), ("offers", 6), ("tone", 5)])),
            Err(EvaluationError::Range { code: "offers".into(), value: 6, max: 5 })
        );
        assert_eq!(c.score(&marks(&[("greeting", 1), ("offers", 3)])), Err(EvaluationError::Missing("tone".into())));
        assert_eq!(
            c.score(&marks(&[("greeting", 1), ("offers", 3), ("tone", 5), ("smile", 1)])),
            Err(EvaluationError::Unknown("smile".into()))
        );
    }

    #[test]
    fn a_scorecard_is_checked() {
        let mut c = card();
        c.criteria[1].code = "greeting".into();
        assert_eq!(c.check(), Err(EvaluationError::Twice("greeting".into())));
        let mut c = card();
        c.criteria[0].weight = 0;
        assert!(matches!(c.check(), Err(EvaluationError::OutOfBounds { what: "weight", .. })));
        let mut c = card();
        c.criteria[2].max = 11;
        assert!(matches!(c.check(), Err(EvaluationError::OutOfBounds { what: "max", .. })));
        let mut c = card();
        c.criteria[0].code = "Greeting!".into();
        assert_eq!(c.check(), Err(EvaluationError::BadCode("Greeting!".into())));
        let mut c = card();
        c.criteria.clear();
        assert_eq!(c.check(), Err(EvaluationError::CriteriaCount(0)));
        let mut c = card();
        c.criteria[0].name = " ".into();
        assert_eq!(c.check(), Err(EvaluationError::Unnamed("greeting".into())));
    }

    #[test]
    fn figures_stand_against_their_targets() {
        assert_eq!(at_least(Some(0.8), Some(0.8)), Standing::Met);
        assert_eq!(at_least(Some(0.79), Some(0.8)), Standing::Missed);
        assert_eq!(at_least(None, Some(0.8)), Standing::Unjudged);
        assert_eq!(at_least(Some(0.9), None), Standing::Unjudged);
        assert_eq!(at_most(Some(240.0), Some(240.0)), Standing::Met);
        assert_eq!(at_most(Some(241.0), Some(240.0)), Standing::Missed);
        let t = Targets { service_level: Some(1.2), ..Targets::default() };
        assert!(t.check().unwrap_err().contains("service_level"));
        assert_eq!(Targets { aht_seconds: Some(240), quality: Some(85.0), ..Targets::default() }.check(), Ok(()));
        assert_eq!(Level::parse("lead_specialist"), Some(Level::LeadSpecialist));
    }
}
