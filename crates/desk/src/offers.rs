//! What the operator must offer (OD-7, OD-8): new products, management's
//! special positions, the client type's traditional products, what the
//! client usually buys but did not order this time, and what other clients
//! buy together with this order's lines. Deterministic and explained.

use centrala_domain::ProductId;
use std::collections::HashSet;

/// Offers an order needs before it may be confirmed (OD-7: "three or four
/// more items").
pub const MIN_OFFERS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    New,
    Special,
    Traditional,
    Usual,
    Complementary,
}

impl Reason {
    /// Best first: the order the reasons are taken in, round by round.
    pub const ALL: [Reason; 5] =
        [Reason::New, Reason::Special, Reason::Traditional, Reason::Usual, Reason::Complementary];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::New => "new",
            Reason::Special => "special",
            Reason::Traditional => "traditional",
            Reason::Usual => "usual",
            Reason::Complementary => "complementary",
        }
    }
}

/// A product as recommendations see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductFacts {
    pub id: ProductId,
    pub sku: String,
    pub name: String,
    pub is_new: bool,
    pub is_special: bool,
    pub in_stock: bool,
}

/// Everything the recommendation needs to know.
#[derive(Debug, Clone, Default)]
pub struct RecoInput<'a> {
    /// The company's assortment, in a stable order (by sku).
    pub products: &'a [ProductFacts],
    /// Traditional products of the client's type.
    pub traditional: &'a [ProductId],
    pub client_type: &'a str,
    /// How many of the client's recent orders held each product.
    pub usual: &'a [(ProductId, u32)],
    /// The client's recent orders considered for `usual`.
    pub recent_orders: u32,
    /// Products bought together with one of this order's lines: the
    /// product, in how many orders, and with which line's product.
    pub complementary: &'a [(ProductId, u32, ProductId)],
    /// Products already in the order.
    pub in_order: &'a [ProductId],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommendation {
    pub product: ProductId,
    pub reason: Reason,
    /// The other reasons that also apply.
    pub also: Vec<Reason>,
    pub explanation: String,
}

/// Recommendations, best first, at most `limit`: taken round by round, one
/// of each reason per round, so that the operator always has new, special
/// and traditional items to point out. Only in-stock products not already
/// in the order; each product once, under its best reason.
pub fn recommend(input: &RecoInput<'_>, limit: usize) -> Vec<Recommendation> {
    let by_id = |id: ProductId| input.products.iter().find(|p| p.id == id);
    let name = |id: ProductId| by_id(id).map_or_else(|| format!("product {id}"), |p| p.name.clone());
    let eligible = |id: &ProductId| !input.in_order.contains(id) && by_id(*id).is_some_and(|p| p.in_stock);

    // Each reason's candidates, ranked within the reason.
    let mut lists: Vec<(Reason, Vec<(ProductId, String)>)> = Vec::new();
    let flagged = |f: fn(&ProductFacts) -> bool, words: &str| -> Vec<(ProductId, String)> {
        input.products.iter().filter(|p| f(p) && eligible(&p.id)).map(|p| (p.id, words.to_owned())).collect()
    };
    lists.push((Reason::New, flagged(|p| p.is_new, "new in the assortment")));
    lists.push((Reason::Special, flagged(|p| p.is_special, "a special position named by commercial management")));
    lists.push((
        Reason::Traditional,
        input
            .traditional
            .iter()
            .filter(|id| eligible(id))
            .map(|id| (*id, format!("traditional for {} clients", input.client_type)))
            .collect(),
    ));
    let mut usual: Vec<&(ProductId, u32)> = input.usual.iter().filter(|(id, n)| *n >= 2 && eligible(id)).collect();
    usual.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    lists.push((
        Reason::Usual,
        usual
            .into_iter()
            .map(|(id, n)| {
                (
                    *id,
                    format!("the client bought it in {n} of its last {} orders, not in this one", input.recent_orders),
                )
            })
            .collect(),
    ));
    let mut comp: Vec<&(ProductId, u32, ProductId)> =
        input.complementary.iter().filter(|(id, _, _)| eligible(id)).collect();
    comp.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    lists.push((
        Reason::Complementary,
        comp.into_iter()
            .map(|(id, n, with)| (*id, format!("bought together with {} in {n} orders", name(*with))))
            .collect(),
    ));

    let reasons_of = |id: ProductId| -> Vec<Reason> {
        lists.iter().filter(|(_, l)| l.iter().any(|(p, _)| *p == id)).map(|(r, _)| *r).collect()
    };
    let mut out: Vec<Recommendation> = Vec::new();
    let mut taken: HashSet<ProductId> = HashSet::new();
    let mut cursors = [0usize; 5];
    loop {
        let mut progressed = false;
        for (i, (reason, list)) in lists.iter().enumerate() {
            if out.len() >= limit {
                return out;
            }
            while let Some((id, words)) = list.get(cursors[i]) {
                cursors[i] += 1;
                if taken.insert(*id) {
                    let also = reasons_of(*id).into_iter().filter(|r| r != reason).collect();
                    out.push(Recommendation { product: *id, reason: *reason, also, explanation: words.clone() });
                    progressed = true;
                    break;
                }
            }
        }
        if !progressed {
            return out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: i64, is_new: bool, is_special: bool, in_stock: bool) -> ProductFacts {
        ProductFacts { id: ProductId(id), sku: format!("S{id}"), name: format!("P{id}"), is_new, is_special, in_stock }
    }

    #[test]
    fn one_of_each_reason_per_round_best_first() {
        let products = vec![
            p(1, true, false, true),
            p(2, true, false, false), // out of stock: never
            p(3, false, true, true),
            p(4, false, false, true),
            p(5, false, false, true),
            p(6, false, false, true),
            p(7, true, true, true),
            p(8, false, false, true),
        ];
        let ids = |v: &[i64]| v.iter().map(|i| ProductId(*i)).collect::<Vec<_>>();
        let traditional = ids(&[4, 5, 1]);
        let usual = vec![(ProductId(6), 5), (ProductId(8), 1), (ProductId(5), 3)];
        let comp = vec![(ProductId(8), 12, ProductId(4)), (ProductId(6), 30, ProductId(4))];
        let in_order = ids(&[4]);
        let input = RecoInput {
            products: &products,
            traditional: &traditional,
            client_type: "retail",
            usual: &usual,
            recent_orders: 6,
            complementary: &comp,
            in_order: &in_order,
        };
        let got = recommend(&input, 10);
        let brief: Vec<(i64, &str)> = got.iter().map(|r| (r.product.0, r.reason.as_str())).collect();
        assert_eq!(
            brief,
            vec![(1, "new"), (3, "special"), (5, "traditional"), (6, "usual"), (8, "complementary"), (7, "new"),]
        );
        assert_eq!(got[0].also, vec![Reason::Traditional]);
        assert_eq!(got[3].explanation, "the client bought it in 5 of its last 6 orders, not in this one");
        assert_eq!(got[4].explanation, "bought together with P4 in 12 orders");
        assert!(got.iter().all(|r| r.product != ProductId(4) && r.product != ProductId(2)));
        // Deterministic, and the limit holds.
        assert_eq!(recommend(&input, 10), got);
        assert_eq!(recommend(&input, 3).len(), 3);
    }
}
