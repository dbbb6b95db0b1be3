//! Money and quantities as fixed-point integers: never floats.
//!
//! `Money` counts cents (two decimal places), `Quantity` thousandths (three,
//! enough for kilograms and litres). Both parse from and print as decimal
//! strings; `rust_decimal` does the parsing so that `1e3` or `12,50` are
//! refused with a reason rather than guessed at.

use rust_decimal::Decimal;
use std::{fmt, ops, str::FromStr};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{0:?} is not a decimal number (use a dot: 1234.50)")]
    NotDecimal(String),
    #[error("{0:?} has more than {1} decimal places")]
    TooPrecise(String, u32),
    #[error("{0:?} is out of range")]
    OutOfRange(String),
    #[error("{0:?} is negative")]
    Negative(String),
}

fn parse_scaled(s: &str, scale: u32) -> Result<i64, MoneyError> {
    let t = s.trim();
    let d = Decimal::from_str(t).map_err(|_| MoneyError::NotDecimal(s.to_owned()))?;
    let d = d.normalize();
    if d.scale() > scale {
        return Err(MoneyError::TooPrecise(s.to_owned(), scale));
    }
    let mut m = d;
    m.rescale(scale);
    i64::try_from(m.mantissa()).map_err(|_| MoneyError::OutOfRange(s.to_owned()))
}

/// An amount of money in the company's currency, in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn cents(self) -> i64 {
        self.0
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// Parses a non-negative amount such as `1234.5` or `1234.50`.
    pub fn parse_non_negative(s: &str) -> Result<Money, MoneyError> {
        let m: Money = s.parse()?;
        if m.0 < 0 {
            return Err(MoneyError::Negative(s.to_owned()));
        }
        Ok(m)
    }

    /// `self` × `quantity`, rounded half away from zero to the cent.
    pub fn times(self, q: Quantity) -> Money {
        let p = i128::from(self.0) * i128::from(q.0);
        let rounded = (p + p.signum() * 500) / 1000;
        Money(i64::try_from(rounded).unwrap_or(if p < 0 { i64::MIN } else { i64::MAX }))
    }

    /// `self` × `quantity` rounded as [`Money::times`], or `None` when it
    /// does not fit.
    pub fn checked_times(self, q: Quantity) -> Option<Money> {
        let p = i128::from(self.0) * i128::from(q.0);
        i64::try_from((p + p.signum() * 500) / 1000).ok().map(Money)
    }

    pub fn checked_add(self, o: Money) -> Option<Money> {
        self.0.checked_add(o.0).map(Money)
    }

    pub fn max(self, other: Money) -> Money {
        Money(self.0.max(other.0))
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_scaled(s, 2).map(Money)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_decimal())
    }
}

impl ops::Add for Money {
    type Output = Money;
    fn add(self, o: Money) -> Money {
        Money(self.0.saturating_add(o.0))
    }
}

impl ops::Sub for Money {
    type Output = Money;
    fn sub(self, o: Money) -> Money {
        Money(self.0.saturating_sub(o.0))
    }
}

impl ops::AddAssign for Money {
    fn add_assign(&mut self, o: Money) {
        *self = *self + o;
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

/// A quantity of a product in its unit (pieces, kg, l), in thousandths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Quantity(pub i64);

impl Quantity {
    pub fn units(n: i64) -> Quantity {
        Quantity(n.saturating_mul(1000))
    }
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 3).normalize()
    }
}

impl FromStr for Quantity {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_scaled(s, 3).map(Quantity)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_decimal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_decimal_amounts() {
        assert_eq!("1234.5".parse::<Money>(), Ok(Money(123450)));
        assert_eq!("1234.50".parse::<Money>(), Ok(Money(123450)));
        assert_eq!("0".parse::<Money>(), Ok(Money(0)));
        assert_eq!(" 7 ".parse::<Money>(), Ok(Money(700)));
        assert_eq!("-3.10".parse::<Money>(), Ok(Money(-310)));
        assert_eq!(Money(123450).to_string(), "1234.50");
        assert_eq!(Money(-5).to_string(), "-0.05");
    }

    #[test]
    fn refuses_what_is_not_a_plain_decimal() {
        assert!(matches!("12,50".parse::<Money>(), Err(MoneyError::NotDecimal(_))));
        assert!(matches!("abc".parse::<Money>(), Err(MoneyError::NotDecimal(_))));
        assert!(matches!("1.234".parse::<Money>(), Err(MoneyError::TooPrecise(_, 2))));
        assert!(matches!(Money::parse_non_negative("-1"), Err(MoneyError::Negative(_))));
        assert!(matches!("99999999999999999999".parse::<Money>(), Err(MoneyError::OutOfRange(_))));
    }

    #[test]
    fn price_times_quantity_rounds_to_the_cent() {
        // 1.99 × 2.5 = 4.975 → 4.98
        assert_eq!(Money(199).times("2.5".parse().unwrap_or_default()), Money(498));
        assert_eq!(Money(1000).times(Quantity::units(3)), Money(3000));
        assert_eq!("1.500".parse::<Quantity>().map(|q| q.to_string()), Ok("1.5".to_owned()));
    }
}
