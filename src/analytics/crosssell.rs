//! Cross-selling: which products are bought together, from order baskets, with the
//! association-rule measures of Agrawal et al. (1993): support, confidence and lift.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

/// Limits of the pair count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairOptions {
    /// Keep only pairs bought together in at least this many baskets (noise filter).
    pub min_together: u32,
    /// Baskets with more distinct products than this are left out of the pair counts
    /// (they still count in N and in each product's count): a 200-item wholesale order
    /// would add 20,000 pairs that say nothing about what customers combine.
    pub max_basket_items: usize,
}

impl Default for PairOptions {
    fn default() -> Self {
        Self {
            min_together: 2,
            max_basket_items: 50,
        }
    }
}

/// Two products bought together (`product_a < product_b`). JSON: `producto_a`,
/// `producto_b`, `pedidos_juntos` (baskets with both), `soporte` = together / N,
/// `confianza_a_b` = P(b | a), `confianza_b_a` = P(a | b), `lift` = P(a ∧ b) / (P(a)·P(b))
/// (> 1: bought together more often than chance).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProductPair {
    #[serde(rename = "producto_a")]
    pub product_a: i64,
    #[serde(rename = "producto_b")]
    pub product_b: i64,
    #[serde(rename = "pedidos_juntos")]
    pub together: u32,
    #[serde(rename = "soporte")]
    pub support: f64,
    #[serde(rename = "confianza_a_b")]
    pub confidence_a_to_b: f64,
    #[serde(rename = "confianza_b_a")]
    pub confidence_b_to_a: f64,
    pub lift: f64,
}

/// Pairs from baskets (the product ids of each order; repeats within a basket count once),
/// sorted by lift, then baskets together, then ids — all descending except the ids.
pub fn product_pairs<B: AsRef<[i64]>>(baskets: &[B], opts: &PairOptions) -> Vec<ProductPair> {
    let mut n = 0u32;
    let mut single: HashMap<i64, u32> = HashMap::new();
    let mut pairs: HashMap<(i64, i64), u32> = HashMap::new();
    for basket in baskets {
        let items: Vec<i64> = basket
            .as_ref()
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if items.is_empty() {
            continue;
        }
        n += 1;
        for &p in &items {
            *single.entry(p).or_default() += 1;
        }
        if items.len() > opts.max_basket_items {
            continue;
        }
        for (i, &a) in items.iter().enumerate() {
            for &b in &items[i + 1..] {
                *pairs.entry((a, b)).or_default() += 1;
            }
        }
    }
    let total = f64::from(n.max(1));
    let count = |p: i64| f64::from(single.get(&p).copied().unwrap_or(1).max(1));
    let mut out: Vec<ProductPair> = pairs
        .into_iter()
        .filter(|(_, together)| *together >= opts.min_together.max(1))
        .map(|((a, b), together)| {
            let t = f64::from(together);
            ProductPair {
                product_a: a,
                product_b: b,
                together,
                support: t / total,
                confidence_a_to_b: t / count(a),
                confidence_b_to_a: t / count(b),
                lift: t * total / (count(a) * count(b)),
            }
        })
        .collect();
    out.sort_by(|x, y| {
        y.lift
            .total_cmp(&x.lift)
            .then(y.together.cmp(&x.together))
            .then((x.product_a, x.product_b).cmp(&(y.product_a, y.product_b)))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baskets() -> Vec<Vec<i64>> {
        vec![
            vec![1, 2, 3],
            vec![1, 2],
            vec![1, 3],
            vec![2, 3],
            vec![1, 2, 2], // repeated item counts once
            vec![4],
            vec![], // empty basket: ignored entirely
        ]
    }

    #[test]
    fn measures_by_hand() {
        // N = 6; product counts 1:4, 2:4, 3:3; together (1,2):3, (1,3):2, (2,3):2.
        let pairs = product_pairs(&baskets(), &PairOptions::default());
        let got: Vec<(i64, i64, u32)> = pairs
            .iter()
            .map(|p| (p.product_a, p.product_b, p.together))
            .collect();
        assert_eq!(got, [(1, 2, 3), (1, 3, 2), (2, 3, 2)]);
        let ab = pairs[0];
        assert_eq!(ab.support, 0.5);
        assert_eq!(ab.confidence_a_to_b, 0.75);
        assert_eq!(ab.confidence_b_to_a, 0.75);
        assert_eq!(ab.lift, 1.125); // 3·6 / (4·4)
        let ac = pairs[1];
        assert!((ac.support - 1.0 / 3.0).abs() < 1e-15);
        assert_eq!(ac.confidence_a_to_b, 0.5); // 2/4
        assert!((ac.confidence_b_to_a - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(ac.lift, 1.0); // 2·6 / (4·3)
        let json = serde_json::to_value(ab).unwrap_or_default();
        assert_eq!(json["pedidos_juntos"], 3);
        assert_eq!(json["confianza_a_b"], 0.75);
    }

    #[test]
    fn options_filter_pairs() {
        let strict = PairOptions {
            min_together: 3,
            ..PairOptions::default()
        };
        assert_eq!(product_pairs(&baskets(), &strict).len(), 1);
        let small = PairOptions {
            max_basket_items: 2,
            min_together: 1,
        };
        // The 3-item basket no longer counts for pairs: (1,2):2, (1,3):1, (2,3):1.
        let pairs = product_pairs(&baskets(), &small);
        assert_eq!(pairs.iter().map(|p| p.together).sum::<u32>(), 4);
        assert!(product_pairs::<Vec<i64>>(&[], &PairOptions::default()).is_empty());
        assert!(product_pairs(&[vec![7]], &PairOptions::default()).is_empty());
    }
}
