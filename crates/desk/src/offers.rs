//! What the operator must offer (OD-7, OD-8): new products, management's
//! special positions, the client type's traditional products, what the
//! client usually buys but did not order this time, and what other clients
//! buy together with this order's lines. Deterministic and explained.

use centrala_domain::{Money, ProductId};
use std::collections::{HashMap, HashSet};

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
    /// The unit it is sold in (case, bottle, kg, …).
    pub unit: String,
    pub is_new: bool,
    pub is_special: bool,
    pub in_stock: bool,
    /// Price-list columns 1 to 5.
    pub prices: [Money; 5],
}

/// Everything the recommendation needs to know.
#[derive(Debug, Clone, Default)]
pub struct RecoInput<'a> {
    /// Facts of every product named below, sorted by id.
    pub products: &'a [ProductFacts],
    /// New products, best first (by sku).
    pub new: &'a [ProductId],
    /// Management's special positions, best first (by sku).
    pub special: &'a [ProductId],
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
    /// The values the explanation names, by name (`type`; `n` and `of`;
    /// `with` and `n`), for a page to word it in its reader's language.
    pub params: Vec<(&'static str, String)>,
}

type Params = Vec<(&'static str, String)>;
/// One reason's candidates: each product with its words and their values.
type Candidates = Vec<(ProductId, String, Params)>;

/// Recommendations, best first, at most `limit`: taken round by round, one
/// of each reason per round, so that the operator always has new, special
/// and traditional items to point out. Only in-stock products not already
/// in the order; each product once, under its best reason.
pub fn recommend(input: &RecoInput<'_>, limit: usize) -> Vec<Recommendation> {
    let by_id = |id: ProductId| input.products.binary_search_by_key(&id, |p| p.id).ok().map(|i| &input.products[i]);
    let name = |id: ProductId| by_id(id).map_or_else(|| format!("product {id}"), |p| p.name.clone());
    let eligible = |id: &ProductId| !input.in_order.contains(id) && by_id(*id).is_some_and(|p| p.in_stock);

    // Each reason's candidates, ranked within the reason.
    let mut lists: Vec<(Reason, Candidates)> = Vec::new();
    let flagged = |ids: &[ProductId], words: &str| -> Candidates {
        ids.iter().filter(|id| eligible(id)).map(|id| (*id, words.to_owned(), vec![])).collect()
    };
    lists.push((Reason::New, flagged(input.new, "new in the assortment")));
    lists.push((Reason::Special, flagged(input.special, "a special position named by commercial management")));
    lists.push((
        Reason::Traditional,
        input
            .traditional
            .iter()
            .filter(|id| eligible(id))
            .map(|id| {
                let words = format!("traditional for {} clients", input.client_type);
                (*id, words, vec![("type", input.client_type.to_owned())])
            })
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
                    vec![("n", n.to_string()), ("of", input.recent_orders.to_string())],
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
            .map(|(id, n, with)| {
                let words = format!("bought together with {} in {n} orders", name(*with));
                (*id, words, vec![("with", name(*with)), ("n", n.to_string())])
            })
            .collect(),
    ));

    let reasons_of = |id: ProductId| -> Vec<Reason> {
        lists.iter().filter(|(_, l)| l.iter().any(|(p, _, _)| *p == id)).map(|(r, _)| *r).collect()
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
            while let Some((id, words, params)) = list.get(cursors[i]) {
                cursors[i] += 1;
                if taken.insert(*id) {
                    let also = reasons_of(*id).into_iter().filter(|r| r != reason).collect();
                    out.push(Recommendation {
                        product: *id,
                        reason: *reason,
                        also,
                        explanation: words.clone(),
                        params: params.clone(),
                    });
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

/// A company's assortment as recommendations see it: loaded once, kept
/// for a while, asked many times. Lookups cost O(log n) or O(1), so a
/// recommendation does not grow with the assortment.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    products: Vec<ProductFacts>,
    new: Vec<ProductId>,
    special: Vec<ProductId>,
    traditional: HashMap<String, Vec<ProductId>>,
    pairs: HashMap<ProductId, Vec<(ProductId, u32)>>,
}

impl Catalog {
    /// `products` in any order; `traditional` as (client type, product);
    /// `pairs` as (product, bought with, in how many orders), strongest
    /// first per product.
    pub fn new(
        mut products: Vec<ProductFacts>,
        traditional: Vec<(String, ProductId)>,
        pairs: Vec<(ProductId, ProductId, u32)>,
    ) -> Catalog {
        let mut by_sku: Vec<&ProductFacts> = products.iter().filter(|p| p.in_stock).collect();
        by_sku.sort_by(|a, b| a.sku.cmp(&b.sku));
        let new = by_sku.iter().filter(|p| p.is_new).map(|p| p.id).collect();
        let special = by_sku.iter().filter(|p| p.is_special).map(|p| p.id).collect();
        products.sort_by_key(|p| p.id);
        let mut trad: HashMap<String, Vec<ProductId>> = HashMap::new();
        for (t, p) in traditional {
            trad.entry(t).or_default().push(p);
        }
        let mut by_product: HashMap<ProductId, Vec<(ProductId, u32)>> = HashMap::new();
        for (p, other, n) in pairs {
            by_product.entry(p).or_default().push((other, n));
        }
        Catalog { products, new, special, traditional: trad, pairs: by_product }
    }

    pub fn facts(&self, id: ProductId) -> Option<&ProductFacts> {
        self.products.binary_search_by_key(&id, |p| p.id).ok().map(|i| &self.products[i])
    }

    pub fn len(&self) -> usize {
        self.products.len()
    }

    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }

    /// Recommendations for an order of a client of `client_type` with
    /// `in_order` lines, given its usual products over `recent_orders`.
    pub fn recommend(
        &self,
        client_type: &str,
        usual: &[(ProductId, u32)],
        recent_orders: u32,
        in_order: &[ProductId],
        limit: usize,
    ) -> Vec<Recommendation> {
        // Enough flagged candidates to fill the list even if some are ordered.
        let take = limit + in_order.len();
        let new = &self.new[..self.new.len().min(take)];
        let special = &self.special[..self.special.len().min(take)];
        let traditional = self.traditional.get(client_type).map_or(&[][..], |v| v.as_slice());
        let mut complementary: Vec<(ProductId, u32, ProductId)> = in_order
            .iter()
            .flat_map(|p| self.pairs.get(p).into_iter().flatten().map(move |(o, n)| (*o, *n, *p)))
            .collect();
        complementary.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        complementary.truncate(4 * limit.max(10));
        let mut ids: Vec<ProductId> = new.iter().chain(special).chain(traditional).copied().collect();
        ids.extend(usual.iter().map(|(p, _)| *p));
        ids.extend(complementary.iter().flat_map(|(p, _, w)| [*p, *w]));
        ids.sort();
        ids.dedup();
        let products: Vec<ProductFacts> = ids.iter().filter_map(|id| self.facts(*id).cloned()).collect();
        let input = RecoInput {
            products: &products,
            new,
            special,
            traditional,
            client_type,
            usual,
            recent_orders,
            complementary: &complementary,
            in_order,
        };
        recommend(&input, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: i64, is_new: bool, is_special: bool, in_stock: bool) -> ProductFacts {
        ProductFacts {
            id: ProductId(id),
            sku: format!("S{id}"),
            name: format!("P{id}"),
            unit: "case".into(),
            is_new,
            is_special,
            in_stock,
            prices: [Money(100); 5],
        }
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
        let new = ids(&[1, 2, 7]);
        let special = ids(&[3, 7]);
        let input = RecoInput {
            products: &products,
            new: &new,
            special: &special,
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

        // The same through a catalog.
        let catalog = Catalog::new(
            products.clone(),
            traditional.iter().map(|p| ("retail".to_owned(), *p)).collect(),
            comp.iter().map(|(o, n, p)| (*p, *o, *n)).collect(),
        );
        let via = catalog.recommend("retail", &usual, 6, &in_order, 10);
        assert_eq!(via, got);
        assert!(catalog
            .recommend("key", &[], 0, &[], 10)
            .iter()
            .all(|r| matches!(r.reason, Reason::New | Reason::Special)));
    }
}
