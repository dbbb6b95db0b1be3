//! The debt gate (OD-5, OD-6, OD-9): overdue receivables and debt above the
//! credit limit block a client's orders.

use centrala_domain::Money;
use chrono::NaiveDate;

/// An invoice of the client's, from accounting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receivable {
    pub invoice: String,
    pub issued: NaiveDate,
    pub due: NaiveDate,
    pub amount: Money,
    pub paid: Money,
}

impl Receivable {
    pub fn open(&self) -> Money {
        (self.amount - self.paid).max(Money::ZERO)
    }
    /// Past due and unpaid as of `today`: an invoice due today is not yet
    /// overdue.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.due < today && self.open() > Money::ZERO
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockReason {
    Overdue,
    OverLimit,
    OverdueAndOverLimit,
}

impl BlockReason {
    pub fn as_str(self) -> &'static str {
        match self {
            BlockReason::Overdue => "overdue",
            BlockReason::OverLimit => "over_limit",
            BlockReason::OverdueAndOverLimit => "overdue_and_over_limit",
        }
    }
}

/// What the card shows of a client's debt as of one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebtStatus {
    /// Everything invoiced and not yet paid.
    pub open: Money,
    /// The part of `open` that is past due.
    pub overdue: Money,
    /// How far `open` exceeds the credit limit (0 when within it).
    pub over_limit: Money,
    /// How much more the client may owe within its limit.
    pub headroom: Money,
    pub block: Option<BlockReason>,
}

impl DebtStatus {
    pub fn blocked(&self) -> bool {
        self.block.is_some()
    }

    /// The reason in words for the operator, who must tell the client (OD-5).
    pub fn explain(&self) -> Option<String> {
        self.block.map(|b| match b {
            BlockReason::Overdue => format!("{} is overdue", self.overdue),
            BlockReason::OverLimit => format!("debt is {} over the credit limit", self.over_limit),
            BlockReason::OverdueAndOverLimit => {
                format!("{} is overdue and debt is {} over the credit limit", self.overdue, self.over_limit)
            }
        })
    }
}

/// The debt gate. Reaching the limit exactly does not block; exceeding it
/// by a cent does.
pub fn debt_status(receivables: &[Receivable], credit_limit: Money, today: NaiveDate) -> DebtStatus {
    let open: Money = receivables.iter().map(Receivable::open).sum();
    let overdue: Money = receivables.iter().filter(|r| r.is_overdue(today)).map(Receivable::open).sum();
    let over_limit = (open - credit_limit).max(Money::ZERO);
    let headroom = (credit_limit - open).max(Money::ZERO);
    let block = match (overdue > Money::ZERO, over_limit > Money::ZERO) {
        (false, false) => None,
        (true, false) => Some(BlockReason::Overdue),
        (false, true) => Some(BlockReason::OverLimit),
        (true, true) => Some(BlockReason::OverdueAndOverLimit),
    };
    DebtStatus { open, overdue, over_limit, headroom, block }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn inv(due: &str, amount: i64, paid: i64) -> Receivable {
        Receivable {
            invoice: "F".into(),
            issued: d("2026-01-01"),
            due: d(due),
            amount: Money(amount),
            paid: Money(paid),
        }
    }

    /// (receivables, limit, today) → (open, overdue, over_limit, headroom, block)
    #[test]
    fn the_debt_gate_as_a_table() {
        let today = "2026-11-27";
        let cases: Vec<(Vec<Receivable>, i64, (i64, i64, i64, i64, Option<BlockReason>))> = vec![
            (vec![], 1000, (0, 0, 0, 1000, None)),
            // Paid in full, long overdue: nothing open, nothing blocks.
            (vec![inv("2026-01-31", 500, 500)], 1000, (0, 0, 0, 1000, None)),
            // Due today is not overdue yet; due yesterday is.
            (vec![inv("2026-11-27", 300, 0)], 1000, (300, 0, 0, 700, None)),
            (vec![inv("2026-11-26", 300, 100)], 1000, (200, 200, 0, 800, Some(BlockReason::Overdue))),
            // The limit exactly reached does not block; a cent more does.
            (vec![inv("2026-12-31", 1000, 0)], 1000, (1000, 0, 0, 0, None)),
            (vec![inv("2026-12-31", 1001, 0)], 1000, (1001, 0, 1, 0, Some(BlockReason::OverLimit))),
            (
                vec![inv("2026-10-01", 700, 0), inv("2026-12-31", 800, 0)],
                1000,
                (1500, 700, 500, 0, Some(BlockReason::OverdueAndOverLimit)),
            ),
            // A zero limit: any open invoice is over it.
            (vec![inv("2026-12-31", 1, 0)], 0, (1, 0, 1, 0, Some(BlockReason::OverLimit))),
            // Overpaid invoices never count negative.
            (vec![inv("2026-12-31", 100, 150), inv("2026-12-31", 100, 0)], 1000, (100, 0, 0, 900, None)),
        ];
        for (i, (recv, limit, (open, overdue, over, headroom, block))) in cases.into_iter().enumerate() {
            let s = debt_status(&recv, Money(limit), d(today));
            assert_eq!(
                (s.open, s.overdue, s.over_limit, s.headroom, s.block),
                (Money(open), Money(overdue), Money(over), Money(headroom), block),
                "case {i}"
            );
            assert_eq!(s.blocked(), block.is_some());
        }
    }

    #[test]
    fn the_reason_is_told_in_words() {
        let s = debt_status(&[inv("2026-10-01", 70000, 0)], Money(50000), d("2026-11-27"));
        assert_eq!(s.explain().as_deref(), Some("700.00 is overdue and debt is 200.00 over the credit limit"));
    }
}
