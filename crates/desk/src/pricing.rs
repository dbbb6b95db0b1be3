//! Which price-list column applies (OD-10, OD-21): a rule table per
//! company, as data. A rule matches by client type, the order's volume and
//! a date range (for promotions and bonus programs); among the matching
//! rules the highest priority wins, and on a tie the bigger discount (the
//! higher column). With no match, column 1 (the list price).
//!
//! The order's volume is measured at list price (column 1), so that the
//! column chosen cannot change the volume it was chosen by.

use centrala_domain::{Money, Quantity};
use chrono::NaiveDate;

/// Price-list columns are numbered 1 to 5.
pub const COLUMNS: u8 = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRule {
    pub id: i64,
    pub name: String,
    /// Higher wins.
    pub priority: i64,
    /// Applies to this client type only; None: to every type.
    pub client_type: Option<String>,
    /// Applies when the order's volume at list price is at least this.
    pub min_volume: Option<Money>,
    /// Applies from this day (inclusive).
    pub valid_from: Option<NaiveDate>,
    /// Applies to this day (inclusive).
    pub valid_to: Option<NaiveDate>,
    /// 1 to 5.
    pub column: u8,
}

impl PriceRule {
    pub fn matches(&self, client_type: &str, volume: Money, today: NaiveDate) -> bool {
        self.client_type.as_deref().is_none_or(|t| t == client_type)
            && self.min_volume.is_none_or(|m| volume >= m)
            && self.valid_from.is_none_or(|f| today >= f)
            && self.valid_to.is_none_or(|t| today <= t)
    }

    /// Checks a rule before it is stored.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=COLUMNS).contains(&self.column) {
            return Err(format!("column {} is not between 1 and {COLUMNS}", self.column));
        }
        if let (Some(f), Some(t)) = (self.valid_from, self.valid_to) {
            if t < f {
                return Err(format!("valid_to {t} is before valid_from {f}"));
            }
        }
        if self.min_volume.is_some_and(|m| m < Money::ZERO) {
            return Err("min_volume must not be negative".into());
        }
        if self.name.trim().is_empty() {
            return Err("a rule needs a name".into());
        }
        Ok(())
    }
}

/// The column that applies, and the rule that decided it (None: no rule
/// matched, list price).
pub fn choose_column<'r>(
    rules: &'r [PriceRule],
    client_type: &str,
    volume: Money,
    today: NaiveDate,
) -> (u8, Option<&'r PriceRule>) {
    let best = rules
        .iter()
        .filter(|r| r.matches(client_type, volume, today))
        .max_by(|a, b| (a.priority, a.column, -a.id).cmp(&(b.priority, b.column, -b.id)));
    match best {
        Some(r) => (r.column, Some(r)),
        None => (1, None),
    }
}

/// The most of one product an order line may hold: 100,000 units.
pub const MAX_LINE_QUANTITY: Quantity = Quantity(100_000_000);
/// The largest order total accepted: 10,000,000.00.
pub const MAX_ORDER_TOTAL: Money = Money(1_000_000_000);

/// Why an order's amounts are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    /// Line `line` (0-based, in the order given) holds more than
    /// [`MAX_LINE_QUANTITY`], or less than nothing.
    Quantity { line: usize },
    /// The order would be worth more than [`MAX_ORDER_TOTAL`].
    Total,
}

/// An order priced as a whole: its column, the rule that gave it (none:
/// list price), and each line's product, quantity and unit price.
#[derive(Debug, Clone, PartialEq)]
pub struct PricedOrder<'r, P> {
    pub column: u8,
    pub rule: Option<&'r PriceRule>,
    pub lines: Vec<(P, Quantity, Money)>,
    /// The order's total at its column.
    pub total: Money,
}

/// The order priced as a whole: the column the rules give for this client
/// and the order's volume **at list price** (column 1), and every line
/// priced from that one column. Measuring the volume at list price means
/// the column chosen cannot change the volume it was chosen by.
/// `lines`: each product's five prices and the quantity.
pub fn price_order<'r, P: Copy>(
    rules: &'r [PriceRule],
    client_type: &str,
    lines: &[(P, [Money; 5], Quantity)],
    today: NaiveDate,
) -> Result<PricedOrder<'r, P>, AmountError> {
    if let Some(line) = lines.iter().position(|(_, _, q)| *q > MAX_LINE_QUANTITY || q.0 < 0) {
        return Err(AmountError::Quantity { line });
    }
    // Every sum is checked: an amount never saturates or wraps.
    let sum = |col: usize| {
        lines
            .iter()
            .try_fold(Money::ZERO, |t, (_, prices, q)| prices[col].checked_times(*q).and_then(|m| t.checked_add(m)))
    };
    let volume = sum(0).ok_or(AmountError::Total)?;
    let (column, rule) = choose_column(rules, client_type, volume, today);
    let idx = usize::from(column.clamp(1, 5)) - 1;
    let total = sum(idx).filter(|t| *t <= MAX_ORDER_TOTAL).ok_or(AmountError::Total)?;
    let lines = lines.iter().map(|(p, prices, q)| (*p, *q, prices[idx])).collect();
    Ok(PricedOrder { column, rule, lines, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn rule(
        id: i64,
        priority: i64,
        ty: Option<&str>,
        min: Option<i64>,
        from: Option<&str>,
        to: Option<&str>,
        column: u8,
    ) -> PriceRule {
        PriceRule {
            id,
            name: format!("rule {id}"),
            priority,
            client_type: ty.map(Into::into),
            min_volume: min.map(Money),
            valid_from: from.map(d),
            valid_to: to.map(d),
            column,
        }
    }

    #[test]
    fn the_column_as_a_table() {
        let rules = vec![
            rule(1, 10, Some("key"), None, None, None, 4),
            rule(2, 10, Some("retail"), None, None, None, 2),
            rule(3, 20, Some("retail"), Some(100_000), None, None, 3),
            rule(4, 50, None, None, Some("2026-12-01"), Some("2026-12-31"), 5), // December promotion
            rule(5, 10, Some("marketer"), None, None, None, 2),
            rule(6, 10, Some("marketer"), None, None, None, 3), // tie: the bigger discount
        ];
        let cases = [
            ("key", 0, "2026-11-27", 4, Some(1)),
            ("retail", 99_999, "2026-11-27", 2, Some(2)),
            ("retail", 100_000, "2026-11-27", 3, Some(3)), // volume exactly at the threshold
            ("retail", 5, "2026-12-01", 5, Some(4)),       // first day of the promotion
            ("retail", 5, "2026-12-31", 5, Some(4)),       // last day
            ("retail", 5, "2027-01-01", 2, Some(2)),       // the day after
            ("regional", 5, "2026-11-27", 1, None),        // nothing matches: list price
            ("marketer", 5, "2026-11-27", 3, Some(6)),
        ];
        for (ty, volume, today, column, rule_id) in cases {
            let (c, r) = choose_column(&rules, ty, Money(volume), d(today));
            assert_eq!((c, r.map(|r| r.id)), (column, rule_id), "{ty} {volume} {today}");
        }
    }

    #[test]
    fn bad_rules_are_refused() {
        assert!(rule(1, 1, None, None, None, None, 6).validate().is_err());
        assert!(rule(1, 1, None, None, None, None, 0).validate().is_err());
        assert!(rule(1, 1, None, None, Some("2026-12-02"), Some("2026-12-01"), 2).validate().is_err());
        assert!(rule(1, 1, None, Some(-1), None, None, 2).validate().is_err());
        assert!(rule(1, 1, None, None, Some("2026-12-01"), Some("2026-12-01"), 2).validate().is_ok());
    }

    #[test]
    fn an_order_is_priced_by_its_volume_at_list_price_from_one_column() {
        // Retail from 1,000.00 at list price gets column 3; below, column 2.
        let rules = vec![
            rule(2, 10, Some("retail"), None, None, None, 2),
            rule(3, 20, Some("retail"), Some(100_000), None, None, 3),
        ];
        let beer = [Money(1_000), Money(950), Money(900), Money(850), Money(800)];
        let water = [Money(200), Money(190), Money(180), Money(170), Money(160)];
        let today = d("2026-11-27");
        for (beer_qty, water_qty, column, beer_price, water_price) in [
            // 99 × 10.00 + 4 × 2.00 = 998.00 at list price: column 2.
            (99, 4, 2, 950, 190),
            // 99 × 10.00 + 5 × 2.00 = 1,000.00, at the threshold: column 3,
            // although at column 3's prices the order is worth less than that.
            (99, 5, 3, 900, 180),
            (0, 0, 2, 950, 190),
        ] {
            let lines = [("BE", beer, Quantity::units(beer_qty)), ("WA", water, Quantity::units(water_qty))];
            let PricedOrder { column: c, lines: priced, .. } = price_order(&rules, "retail", &lines, today).unwrap();
            assert_eq!(c, column, "{beer_qty} beer, {water_qty} water");
            assert_eq!(
                priced,
                [
                    ("BE", Quantity::units(beer_qty), Money(beer_price)),
                    ("WA", Quantity::units(water_qty), Money(water_price))
                ]
            );
        }
        let o = price_order(&rules, "key", &[("BE", beer, Quantity::units(500))], today).unwrap();
        assert_eq!((o.column, o.rule.map(|r| r.id)), (1, None), "no rule for the type: list price");
        assert_eq!(o.total, Money(500_000));
    }

    #[test]
    fn amounts_are_checked_never_saturated() {
        let today = d("2026-11-27");
        let cheap = [Money(100); 5];
        let dear = [Money(i64::MAX / 2); 5];
        let q = Quantity::units;
        // (lines) -> result
        let ok = price_order(&[], "retail", &[("A", cheap, MAX_LINE_QUANTITY)], today).unwrap();
        assert_eq!(ok.total, Money(10_000_000), "100,000 × 1.00");
        for (lines, want) in [
            (vec![("A", cheap, q(100_001))], AmountError::Quantity { line: 0 }),
            (vec![("A", cheap, q(1)), ("B", cheap, Quantity(-1))], AmountError::Quantity { line: 1 }),
            (vec![("A", cheap, q(1)), ("B", dear, q(3))], AmountError::Total),
            (vec![("A", dear, q(1)), ("B", dear, q(1)), ("C", dear, q(1))], AmountError::Total),
            (vec![("A", [Money(10_001); 5], q(100_000))], AmountError::Total),
        ] {
            assert_eq!(price_order(&[], "retail", &lines, today).unwrap_err(), want, "{lines:?}");
        }
        // Exactly the largest total is accepted: 100,000 × 100.00.
        let edge = price_order(&[], "retail", &[("A", [Money(10_000); 5], q(100_000))], today).unwrap();
        assert_eq!(edge.total, MAX_ORDER_TOTAL);
    }
}
