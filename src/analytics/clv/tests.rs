//! Unit tests of the CLV models against values computed by hand with mpmath (30 digits)
//! from the closed forms in the papers, at the published CDNOW parameters.

use chrono::{TimeZone, Utc};

use super::*;

/// Fader, Hardie & Lee (2005), Table/§5 estimates on CDNOW.
const PAPER: BgNbdParams = BgNbdParams {
    r: 0.2426,
    alpha: 4.4136,
    a: 0.7931,
    b: 2.4259,
};
const GG: GammaGammaParams = GammaGammaParams {
    p: 6.25,
    q: 3.74,
    gamma: 15.44,
};

fn close(got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "got {got}, want {want} (±{tol})");
}

fn summary(x: u32, t_x: f64, t: f64, m: f64) -> CustomerSummary {
    CustomerSummary {
        customer_id: 7,
        frequency: x,
        recency: t_x,
        age: t,
        monetary: m,
    }
}

#[test]
fn bgnbd_log_likelihood_matches_hand_values() {
    close(
        PAPER.log_likelihood(2, 30.43, 38.86),
        -9.459_714_032_746_8,
        1e-10,
    );
    close(
        PAPER.log_likelihood(0, 0.0, 38.86),
        -0.553_819_911_289_43,
        1e-10,
    );
}

#[test]
fn bgnbd_predictions_match_the_paper() {
    // The paper's worked example: customer 1 (x=2, tₓ=30.43, T=38.86) is expected to make
    // 1.226 purchases in the next 39 weeks.
    close(
        PAPER.expected_purchases(39.0, 2, 30.43, 38.86),
        1.225_791_621_690_2,
        1e-9,
    );
    close(
        PAPER.expected_purchases(39.0, 0, 0.0, 38.86),
        0.194_782_577_482_37,
        1e-9,
    );
    close(
        PAPER.expected_purchases_new(39.0),
        1.194_923_972_627_66,
        1e-9,
    );
    close(
        PAPER.expected_purchases(39.0, 100, 50.0, 50.0),
        57.074_744_673_500_85,
        1e-8,
    );
    close(
        PAPER.expected_purchases(52.0, 0, 0.0, 0.1),
        1.423_212_011_980_62,
        1e-9,
    );
    close(
        PAPER.expected_purchases(52.0, 30, 1.0, 1.0),
        92.743_167_224_332_3,
        1e-8,
    );
    close(PAPER.p_alive(2, 30.43, 38.86), 0.726_563_942_097_96, 1e-12);
    close(PAPER.p_alive(5, 10.0, 38.86), 0.024_809_229_972_809, 1e-12);
    assert_eq!(PAPER.p_alive(0, 0.0, 38.86), 1.0);
    assert_eq!(PAPER.expected_purchases(0.0, 2, 30.43, 38.86), 0.0);
}

#[test]
fn bgnbd_is_continuous_through_a_equal_one() {
    let at = |a: f64| BgNbdParams { a, ..PAPER }.expected_purchases(39.0, 2, 30.43, 38.86);
    let (lo, mid, hi) = (at(0.999), at(1.0), at(1.001));
    assert!(mid.is_finite() && mid > 0.0);
    assert!((lo.min(hi)..=lo.max(hi)).contains(&mid), "{lo} {mid} {hi}");
}

#[test]
fn gamma_gamma_matches_hand_values() {
    close(GG.log_likelihood(2, 22.35), -3.551_316_759_731_7, 1e-10);
    close(GG.expected_spend(2, 22.35), 24.663_713_910_761_15, 1e-10);
    close(
        GG.population_mean().unwrap_or(0.0),
        35.218_978_102_189_78,
        1e-10,
    );
    close(GG.expected_spend(0, 0.0), 35.218_978_102_189_78, 1e-10);
    let heavy_tail = GammaGammaParams { q: 0.9, ..GG };
    assert_eq!(heavy_tail.population_mean(), None);
    assert_eq!(heavy_tail.expected_spend(3, 10.0), 10.0);
    assert_eq!(heavy_tail.expected_spend(0, 0.0), 0.0);
}

#[test]
fn clv_sums_monthly_increments_with_discount() {
    // Money in cents: γ = 1544, z̄ = 2235 → expected spend 2466.37; hand CLV 3854.43
    // undiscounted and 3630.42 at 1 % a month.
    let model = ClvModel {
        bgnbd: PAPER,
        gamma_gamma: Some(GammaGammaParams {
            gamma: 1544.0,
            ..GG
        }),
    };
    let c = summary(2, 30.43, 38.86, 2235.0);
    let plain = predict(&model, &c, &ClvOptions::default());
    assert_eq!(plain.expected_spend, 2466);
    assert_eq!(plain.clv, 3854);
    close(plain.expected_purchases, 1.562_795_806_603_56, 1e-8);
    close(plain.p_alive, 0.726_563_942_097_96, 1e-12);
    let opts = ClvOptions {
        monthly_discount_rate: 0.01,
        ..ClvOptions::default()
    };
    assert_eq!(predict(&model, &c, &opts).clv, 3630);
    let json = serde_json::to_value(plain).unwrap_or_default();
    assert_eq!(json["cliente_id"], 7);
    assert_eq!(json["gasto_esperado"], 2466);
}

#[test]
fn clv_never_produces_nan() {
    let model = ClvModel {
        bgnbd: PAPER,
        gamma_gamma: None,
    };
    let weird = [
        summary(0, 0.0, 0.0, 0.0),
        summary(3, f64::NAN, -1.0, f64::NAN),
        summary(1_000, 50.0, 50.0, f64::INFINITY),
    ];
    for c in &weird {
        let p = predict(&model, c, &ClvOptions::default());
        assert!(
            p.expected_purchases.is_finite() && p.p_alive.is_finite(),
            "{p:?}"
        );
        assert!((0.0..=1.0).contains(&p.p_alive));
        assert!(p.clv >= 0);
    }
    let no_gg = predict(
        &model,
        &summary(2, 30.43, 38.86, 1000.0),
        &ClvOptions::default(),
    );
    assert_eq!(no_gg.expected_spend, 1000);
}

#[test]
fn fits_refuse_degenerate_brands() {
    assert_eq!(bgnbd::fit(&[]), Err(FitError::NoData));
    let only_once = vec![summary(0, 0.0, 10.0, 0.0); 5];
    assert_eq!(bgnbd::fit(&only_once), Err(FitError::NoRepeatPurchases));
    assert_eq!(gamma_gamma::fit(&only_once), Err(FitError::NoSpend));
    let zero_spend = vec![summary(2, 5.0, 10.0, 0.0); 5];
    assert_eq!(gamma_gamma::fit(&zero_spend), Err(FitError::NoSpend));
    assert_eq!(fit_model(&[]), Err(FitError::NoData));
}

#[test]
fn fits_one_customer_without_nan() {
    let one = [summary(3, 8.0, 10.0, 1500.0)];
    let model = fit_model(&one).expect("one repeat buyer is enough for a (poor) fit");
    let p = model.bgnbd;
    assert!(
        [p.r, p.alpha, p.a, p.b]
            .iter()
            .all(|v| v.is_finite() && *v > 0.0)
    );
    let gg = model.gamma_gamma.expect("positive spend");
    assert!(
        [gg.p, gg.q, gg.gamma]
            .iter()
            .all(|v| v.is_finite() && *v > 0.0)
    );
    let pred = predict(&model, &one[0], &ClvOptions::default());
    assert!(pred.expected_purchases.is_finite() && pred.clv >= 0);
}

#[test]
fn fitted_log_likelihood_beats_the_start() {
    let data: Vec<_> = (0..60u32)
        .map(|i| {
            summary(
                i % 5,
                f64::from(i % 5) * 3.0,
                20.0 + f64::from(i % 7),
                100.0,
            )
        })
        .collect();
    let fit = bgnbd::fit(&data).expect("fit");
    let direct: f64 = data
        .iter()
        .map(|c| fit.params.log_likelihood(c.frequency, c.recency, c.age))
        .sum();
    close(fit.log_likelihood, direct, 1e-6 * direct.abs());
    let naive = BgNbdParams {
        r: 1.0,
        alpha: 1.0,
        a: 1.0,
        b: 1.0,
    };
    let at_naive: f64 = data
        .iter()
        .map(|c| naive.log_likelihood(c.frequency, c.recency, c.age))
        .sum();
    assert!(fit.log_likelihood > at_naive);
    // This toy data has its optimum on a ridge (a, b → ∞ with a/b fixed: no spread in
    // drop-out rates), so only finiteness is asked of the parameters.
    let p = fit.params;
    assert!([p.r, p.alpha, p.a, p.b].iter().all(|v| v.is_finite()));
    assert!(fit.converged && fit.evaluations < 3_000, "{fit:?}");
}

#[test]
fn summarize_merges_same_local_day_and_ignores_the_future() {
    let tz: Tz = "America/Lima".parse().unwrap_or(Tz::UTC);
    let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2024, 1, d, h, 0, 0).single();
    let Some(((d1, d2), (d3, d4))) = at(1, 15).zip(at(2, 3)).zip(at(15, 12).zip(at(29, 12))) else {
        return;
    };
    // 2 Jan 03:00 UTC is still 1 Jan in Lima: same purchase day as the first order.
    let orders = [(d1, 1000), (d2, 500), (d3, 2000), (d4, 9999)];
    let s = summarize(1, &orders, d3 + chrono::Duration::days(6), tz).expect("orders");
    assert_eq!(s.frequency, 1);
    close(s.recency, 2.0, 1e-12);
    close(s.age, 20.0 / 7.0, 1e-12);
    close(s.monetary, 2000.0, 1e-12);
    assert_eq!(
        summarize(1, &orders, d1 - chrono::Duration::days(1), tz),
        None
    );
    assert_eq!(summarize(1, &[], d1, tz), None);
}
