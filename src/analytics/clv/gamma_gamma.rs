//! Gamma-Gamma spend model (Fader & Hardie 2013, "The Gamma-Gamma model of monetary
//! value"; Colombo & Jiang 1999): per-transaction spend zᵢ ~ Gamma(p, ν), ν ~ Gamma(q, γ).
//! Fitted on customers with at least one repeat purchase and a positive mean spend.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::{CustomerSummary, FitError};
use crate::analytics::optimize::minimize;
use crate::analytics::special::{digamma, ln_gamma};

/// Fitted Gamma-Gamma parameters. JSON: `{"p", "q", "gamma"}` (γ is in the money unit of
/// the input: minor units in Autónomo, dollars for the CDNOW test).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaParams {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

/// A fit with its diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GammaGammaFit {
    pub params: GammaGammaParams,
    pub log_likelihood: f64,
    /// Customers used (x > 0 and mean spend > 0).
    pub customers: usize,
    pub evaluations: usize,
    pub converged: bool,
}

impl GammaGammaParams {
    /// Log-density of a mean spend z̄ over x transactions (Fader & Hardie 2013, eq. 3):
    /// f(z̄ | p, q, γ; x) = Γ(px+q)/(Γ(px)Γ(q)) · γ^q · z̄^(px−1) · x^(px) / (γ + x z̄)^(px+q).
    pub fn log_likelihood(&self, x: u32, mean_spend: f64) -> f64 {
        let xf = f64::from(x);
        let Self { p, q, gamma } = *self;
        ln_gamma(p * xf + q) - ln_gamma(p * xf) - ln_gamma(q)
            + q * gamma.ln()
            + (p * xf - 1.0) * mean_spend.ln()
            + p * xf * xf.ln()
            - (p * xf + q) * (gamma + xf * mean_spend).ln()
    }

    /// Population mean spend per transaction, E[Z] = pγ/(q−1) (finite only for q > 1).
    pub fn population_mean(&self) -> Option<f64> {
        let m = self.p * self.gamma / (self.q - 1.0);
        (self.q > 1.0 && m.is_finite()).then_some(m)
    }

    /// Expected spend per transaction given x transactions of mean z̄ (eq. 5): the
    /// credibility-weighted blend (q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · z̄, i.e.
    /// p(γ + x z̄)/(px+q−1). With q ≤ 1 the prior mean is infinite, so the customer's own
    /// mean (or 0 for x = 0) is returned instead of a meaningless number. Never NaN.
    pub fn expected_spend(&self, x: u32, mean_spend: f64) -> f64 {
        let xf = f64::from(x);
        let z = if mean_spend.is_finite() {
            mean_spend.max(0.0)
        } else {
            0.0
        };
        let v = if self.q > 1.0 {
            self.p * (self.gamma + xf * z) / (self.p * xf + self.q - 1.0)
        } else if x > 0 {
            z
        } else {
            0.0
        };
        if v.is_finite() { v } else { z }
    }
}

/// Data reduced for speed: identical (x, z̄) merged with weights; Γ terms per distinct x.
struct Prepared {
    /// Distinct x with (weight, Σ weight·ln z̄).
    per_x: Vec<(f64, f64, f64)>,
    /// (x, z̄, weight).
    rows: Vec<(f64, f64, f64)>,
    total: f64,
}

fn prepare(data: &[CustomerSummary]) -> Prepared {
    let mut counts: HashMap<(u32, u64), f64> = HashMap::new();
    for c in data {
        if c.frequency > 0 && c.monetary.is_finite() && c.monetary > 0.0 {
            *counts
                .entry((c.frequency, c.monetary.to_bits()))
                .or_default() += 1.0;
        }
    }
    let mut keys: Vec<_> = counts.into_iter().collect();
    keys.sort_by_key(|k| k.0);
    let mut per_x: BTreeMap<u32, (f64, f64)> = BTreeMap::new();
    let mut rows = Vec::with_capacity(keys.len());
    let mut total = 0.0;
    for ((x, bits), w) in keys {
        let z = f64::from_bits(bits);
        let e = per_x.entry(x).or_default();
        e.0 += w;
        e.1 += w * z.ln();
        rows.push((f64::from(x), z, w));
        total += w;
    }
    Prepared {
        per_x: per_x
            .into_iter()
            .map(|(x, (w, s))| (f64::from(x), w, s))
            .collect(),
        rows,
        total,
    }
}

impl Prepared {
    fn log_likelihood(&self, g: &GammaGammaParams) -> f64 {
        let GammaGammaParams { p, q, gamma } = *g;
        let base = -ln_gamma(q) + q * gamma.ln();
        let mut sum = 0.0;
        for &(x, w, sum_ln_z) in &self.per_x {
            let px = p * x;
            sum +=
                w * (base + ln_gamma(px + q) - ln_gamma(px) + px * x.ln()) + (px - 1.0) * sum_ln_z;
        }
        for &(x, z, w) in &self.rows {
            sum -= w * (p * x + q) * (gamma + x * z).ln();
        }
        sum
    }
}

impl Prepared {
    /// −(mean log-likelihood) at log-parameters `v`, with its gradient in `grad`. Per
    /// customer, with L = ln(γ + x z̄):
    /// ∂p = x (ψ(px+q) − ψ(px) + ln x + ln z̄ − L), ∂q = ψ(px+q) − ψ(q) + ln γ − L,
    /// ∂γ = q/γ − (px+q)/(γ + x z̄); times the parameter itself for the log scale.
    fn objective(&self, v: &[f64], grad: &mut [f64]) -> f64 {
        if v.iter().any(|l| l.abs() > 30.0) {
            return f64::INFINITY;
        }
        let GammaGammaParams { p, q, gamma } = from_log(v);
        let (base, psi_q, ln_g) = (-ln_gamma(q) + q * gamma.ln(), digamma(q), gamma.ln());
        let (mut ll, mut gp, mut gq, mut gg) = (0.0, 0.0, 0.0, 0.0);
        for &(x, w, sum_ln_z) in &self.per_x {
            let px = p * x;
            let psi_pxq = digamma(px + q);
            ll +=
                w * (base + ln_gamma(px + q) - ln_gamma(px) + px * x.ln()) + (px - 1.0) * sum_ln_z;
            gp += w * x * (psi_pxq - digamma(px) + x.ln()) + x * sum_ln_z;
            gq += w * (psi_pxq - psi_q + ln_g);
            gg += w * q / gamma;
        }
        for &(x, z, w) in &self.rows {
            let (l, inv) = ((gamma + x * z).ln(), 1.0 / (gamma + x * z));
            ll -= w * (p * x + q) * l;
            gp -= w * x * l;
            gq -= w * l;
            gg -= w * (p * x + q) * inv;
        }
        let scale = -1.0 / self.total;
        grad[0] = scale * p * gp;
        grad[1] = scale * q * gq;
        grad[2] = scale * gamma * gg;
        scale * ll
    }
}

fn from_log(v: &[f64]) -> GammaGammaParams {
    GammaGammaParams {
        p: v[0].exp(),
        q: v[1].exp(),
        gamma: v[2].exp(),
    }
}

/// Maximum-likelihood fit of (p, q, γ) by Nelder-Mead on log-parameters, using customers
/// with frequency > 0 and a positive, finite mean spend (Fader & Hardie fit only repeat
/// buyers, whose z̄ excludes the first purchase).
pub fn fit(data: &[CustomerSummary]) -> Result<GammaGammaFit, FitError> {
    let prep = prepare(data);
    if prep.rows.is_empty() {
        return Err(FitError::NoSpend);
    }
    let mean_z = prep.rows.iter().map(|r| r.2 * r.1).sum::<f64>() / prep.total;
    // Start at p = 1, q = 2, γ = mean spend: a prior whose mean pγ/(q−1) is the sample mean.
    let start = [0.0, 2f64.ln(), mean_z.ln()];
    let m = minimize(|v, g| prep.objective(v, g), &start);
    let params = from_log(&m.x);
    Ok(GammaGammaFit {
        params,
        log_likelihood: prep.log_likelihood(&params),
        customers: prep.total as usize,
        evaluations: m.evaluations,
        converged: m.converged,
    })
}

#[cfg(test)]
mod gradient_tests {
    use super::*;

    /// The analytic gradient equals central differences of the objective, and the
    /// objective equals the per-customer likelihood.
    #[test]
    fn the_gradient_matches_finite_differences() {
        let data: Vec<CustomerSummary> = [(1, 12.5), (2, 40.0), (5, 8.25), (1, 300.0), (12, 21.0)]
            .iter()
            .map(|&(x, m)| CustomerSummary {
                customer_id: 0,
                frequency: x,
                recency: 1.0,
                age: 2.0,
                monetary: m,
            })
            .collect();
        let prep = prepare(&data);
        for point in [
            [6.25f64.ln(), 3.74f64.ln(), 15.44f64.ln()],
            [0.1, 1.5, 7.0],
            [2.0, 12.0, 20.0],
        ] {
            let mut grad = [0.0; 3];
            let value = prep.objective(&point, &mut grad);
            let by_rows: f64 = data
                .iter()
                .map(|c| from_log(&point).log_likelihood(c.frequency, c.monetary))
                .sum::<f64>();
            assert!(
                (value + by_rows / data.len() as f64).abs() < 1e-9 * (1.0 + value.abs()),
                "{value}"
            );
            crate::analytics::optimize::assert_gradient(
                |v, g| prep.objective(v, g),
                &point,
                1e-4,
                1e-5,
            );
        }
    }
}
