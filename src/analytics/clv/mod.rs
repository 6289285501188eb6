//! Customer lifetime value: per-customer purchase summaries, the BG/NBD purchase model and
//! the Gamma-Gamma spend model fitted per brand, and the 12-month predictive CLV.
//!
//! Time is in weeks (as in Fader, Hardie & Lee 2005); money in integer minor units on input
//! and output, f64 inside the models.

pub mod bgnbd;
pub mod gamma_gamma;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub use bgnbd::{BgNbdFit, BgNbdParams};
pub use gamma_gamma::{GammaGammaFit, GammaGammaParams};

/// Average weeks in a month (365.25 / 12 / 7), the step of the monthly CLV sum.
pub const WEEKS_PER_MONTH: f64 = 365.25 / 12.0 / 7.0;

/// The model inputs for one customer, in the notation of the papers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomerSummary {
    pub customer_id: i64,
    /// x: repeat purchases (distinct purchase days after the first one).
    pub frequency: u32,
    /// tₓ: weeks from the first to the last purchase (0 when x = 0).
    pub recency: f64,
    /// T: weeks from the first purchase to the end of the calibration period.
    pub age: f64,
    /// z̄: mean spend of the repeat purchases, minor units (0 when x = 0). As in the
    /// Gamma-Gamma paper and `lifetimes`, the first purchase is left out.
    pub monetary: f64,
}

/// Why a model could not be fitted for a brand; the API shows it instead of parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FitError {
    #[error("no customers with purchases to fit on")]
    NoData,
    #[error("no customer has bought more than once yet")]
    NoRepeatPurchases,
    #[error("no repeat buyer with a positive spend")]
    NoSpend,
}

/// Builds a customer's summary from their orders (time, amount in minor units) as of
/// `as_of`. Orders after `as_of` are ignored; orders on the same local day (in `tz`, the
/// brand's zone) count as one purchase with the amounts added, the convention of the
/// CDNOW data and `lifetimes`. Returns `None` when no order is on or before `as_of`.
pub fn summarize(
    customer_id: i64,
    orders: &[(DateTime<Utc>, i64)],
    as_of: DateTime<Utc>,
    tz: Tz,
) -> Option<CustomerSummary> {
    let local = |t: &DateTime<Utc>| t.with_timezone(&tz).date_naive();
    let mut days: Vec<(NaiveDate, i64)> = orders
        .iter()
        .filter(|(t, _)| *t <= as_of)
        .map(|(t, amount)| (local(t), *amount))
        .collect();
    days.sort_unstable();
    let mut merged: Vec<(NaiveDate, i64)> = Vec::with_capacity(days.len());
    for (d, amount) in days {
        match merged.last_mut() {
            Some(last) if last.0 == d => last.1 = last.1.saturating_add(amount),
            _ => merged.push((d, amount)),
        }
    }
    let first = merged.first()?.0;
    let last = merged.last()?.0;
    let weeks = |d: NaiveDate| (d - first).num_days() as f64 / 7.0;
    let repeats = &merged[1..];
    let monetary = if repeats.is_empty() {
        0.0
    } else {
        repeats.iter().map(|(_, a)| *a as f64).sum::<f64>() / repeats.len() as f64
    };
    Some(CustomerSummary {
        customer_id,
        frequency: u32::try_from(repeats.len()).unwrap_or(u32::MAX),
        recency: weeks(last),
        age: weeks(local(&as_of)),
        monetary,
    })
}

/// The fitted models of a brand. JSON: `{"bgnbd": {"r","alpha","a","b"},
/// "gamma_gamma": {"p","q","gamma"} | null}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClvModel {
    pub bgnbd: BgNbdParams,
    /// `None` when no repeat buyer has a positive spend; predictions then use the
    /// customer's own mean spend.
    pub gamma_gamma: Option<GammaGammaParams>,
}

/// Fits both models on a brand's summaries.
pub fn fit_model(data: &[CustomerSummary]) -> Result<ClvModel, FitError> {
    let bgnbd = bgnbd::fit(data)?.params;
    let gamma_gamma = gamma_gamma::fit(data).ok().map(|f| f.params);
    Ok(ClvModel { bgnbd, gamma_gamma })
}

/// How the CLV is summed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClvOptions {
    /// Horizon in months (default 12).
    pub months: u32,
    /// Discount rate per month (0.0 = undiscounted; 0.01 ≈ 12.7 % a year).
    pub monthly_discount_rate: f64,
}

impl Default for ClvOptions {
    fn default() -> Self {
        Self {
            months: 12,
            monthly_discount_rate: 0.0,
        }
    }
}

/// Predictions for one customer. JSON field names are Spanish for the UI:
/// `cliente_id`, `compras_esperadas` (expected purchases in the horizon), `prob_activo`
/// (P(alive), 0–1), `gasto_esperado` (expected spend per purchase, minor units) and `clv`
/// (expected value over the horizon, minor units).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CustomerClv {
    #[serde(rename = "cliente_id")]
    pub customer_id: i64,
    #[serde(rename = "compras_esperadas")]
    pub expected_purchases: f64,
    #[serde(rename = "prob_activo")]
    pub p_alive: f64,
    #[serde(rename = "gasto_esperado")]
    pub expected_spend: i64,
    pub clv: i64,
}

/// Predicts one customer. CLV = Σ_{m=1..months} spend · (E[Y(m·w)] − E[Y((m−1)·w)]) /
/// (1+d)^m with w = [`WEEKS_PER_MONTH`] and E[Y] from eq. (10) of the BG/NBD paper — the
/// discrete discounted sum used by Fader & Hardie and by `lifetimes`. Never NaN.
pub fn predict(model: &ClvModel, c: &CustomerSummary, opts: &ClvOptions) -> CustomerClv {
    let (x, t_x, t) = history(c);
    let curve = PurchaseCurve::new(&model.bgnbd, x, t_x, t, opts.months);
    curve.value(model, c, opts)
}

/// Predicts every customer of a brand, in input order. Customers with the same history
/// (x, tₓ, T) — every one-time buyer of the same day, for a start — share their expected
/// purchases and P(alive), which are computed once (twelve ₂F₁ series each); only the
/// spend differs.
pub fn predict_all(
    model: &ClvModel,
    customers: &[CustomerSummary],
    opts: &ClvOptions,
) -> Vec<CustomerClv> {
    let mut curves: HashMap<(u32, u64, u64), PurchaseCurve> = HashMap::new();
    customers
        .iter()
        .map(|c| {
            let (x, t_x, t) = history(c);
            curves
                .entry((x, t_x.to_bits(), t.to_bits()))
                .or_insert_with(|| PurchaseCurve::new(&model.bgnbd, x, t_x, t, opts.months))
                .value(model, c, opts)
        })
        .collect()
}

fn history(c: &CustomerSummary) -> (u32, f64, f64) {
    (c.frequency, c.recency.max(0.0), c.age.max(0.0))
}

/// A history's expected purchases by the end of each month of the horizon (never
/// decreasing) and its P(alive).
struct PurchaseCurve {
    cumulative: Vec<f64>,
    p_alive: f64,
}

impl PurchaseCurve {
    fn new(bg: &BgNbdParams, x: u32, t_x: f64, t: f64, months: u32) -> Self {
        let mut previous = 0.0f64;
        let cumulative = (1..=months)
            .map(|m| {
                let e = bg.expected_purchases(f64::from(m) * WEEKS_PER_MONTH, x, t_x, t);
                previous = e.max(previous);
                previous
            })
            .collect();
        Self {
            cumulative,
            p_alive: bg.p_alive(x, t_x, t),
        }
    }

    fn value(&self, model: &ClvModel, c: &CustomerSummary, opts: &ClvOptions) -> CustomerClv {
        let spend = match &model.gamma_gamma {
            Some(gg) => gg.expected_spend(c.frequency, c.monetary),
            None if c.monetary.is_finite() => c.monetary.max(0.0),
            None => 0.0,
        };
        let d = if opts.monthly_discount_rate.is_finite() {
            opts.monthly_discount_rate.max(0.0)
        } else {
            0.0
        };
        let mut value = 0.0;
        let mut previous = 0.0;
        for (m, &e) in (1..=opts.months).zip(&self.cumulative) {
            value += spend * (e - previous) / (1.0 + d).powf(f64::from(m));
            previous = e;
        }
        let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
        CustomerClv {
            customer_id: c.customer_id,
            expected_purchases: finite(previous),
            p_alive: finite(self.p_alive),
            expected_spend: finite(spend).round() as i64,
            clv: finite(value).round() as i64,
        }
    }
}
