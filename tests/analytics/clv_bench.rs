//! Timing of the per-brand CLV fit on 100,000 simulated customers (release build):
//! `cargo test --release --test analytics clv_bench:: -- --ignored --nocapture`.
//! Also checks that the fit recovers the parameters the data were simulated from.

use std::time::Instant;

use autonomo::analytics::clv::{self, ClvOptions, CustomerSummary, bgnbd, gamma_gamma};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Gamma(shape, scale) by Marsaglia & Tsang (2000), boosting shape < 1.
fn gamma(rng: &mut StdRng, shape: f64, scale: f64) -> f64 {
    if shape < 1.0 {
        let u: f64 = rng.r#gen::<f64>().max(f64::MIN_POSITIVE);
        return gamma(rng, shape + 1.0, scale) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        // Box-Muller normal.
        let (u1, u2): (f64, f64) = (rng.r#gen::<f64>().max(f64::MIN_POSITIVE), rng.r#gen());
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        let v = (1.0 + c * z).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = rng.r#gen();
        if u.ln() < 0.5 * z * z + d - d * v + d * v.ln() {
            return d * v * scale;
        }
    }
}

/// Simulates a brand under BG/NBD (r, α, a, b) and Gamma-Gamma (p, q, γ) spend in cents,
/// with customers acquired uniformly over three years and times on a daily grid.
fn simulate(n: usize, seed: u64) -> Vec<CustomerSummary> {
    let (r, alpha, a, b) = (0.25, 4.0, 0.8, 2.5);
    let (p, q, g) = (6.0, 4.0, 1500.0);
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let lambda = gamma(&mut rng, r, 1.0 / alpha);
            let (ga, gb) = (gamma(&mut rng, a, 1.0), gamma(&mut rng, b, 1.0));
            let drop = ga / (ga + gb);
            let nu = gamma(&mut rng, q, 1.0 / g);
            let age_days = rng.gen_range(1..=3 * 365) as f64;
            let big_t = age_days / 7.0;
            let (mut t, mut x, mut t_x, mut spend) = (0.0, 0u32, 0.0, 0.0);
            // BG/NBD: alive until the first repeat purchase; after each repeat purchase
            // the customer drops out with probability p (the x = 0 likelihood is e^−λT).
            loop {
                let u: f64 = rng.r#gen::<f64>().max(f64::MIN_POSITIVE);
                t += -u.ln() / lambda.max(1e-12);
                if t > big_t {
                    break;
                }
                x += 1;
                t_x = (t * 7.0).floor() / 7.0;
                spend += gamma(&mut rng, p, 1.0 / nu);
                if rng.r#gen::<f64>() < drop {
                    break;
                }
            }
            CustomerSummary {
                customer_id: i as i64,
                frequency: x,
                recency: t_x,
                age: big_t,
                monetary: if x > 0 { spend / f64::from(x) } else { 0.0 },
            }
        })
        .collect()
}

#[test]
#[ignore = "timing; run in release with --ignored --nocapture"]
fn fit_100k_customers_under_five_seconds() {
    let data = simulate(100_000, 42);
    let start = Instant::now();
    let bg = bgnbd::fit(&data).expect("bg/nbd");
    let bg_time = start.elapsed();
    let gg = gamma_gamma::fit(&data).expect("gamma-gamma");
    let fit_time = start.elapsed();
    let model = clv::ClvModel {
        bgnbd: bg.params,
        gamma_gamma: Some(gg.params),
    };
    let preds = clv::predict_all(&model, &data, &ClvOptions::default());
    let total = start.elapsed();
    println!(
        "BG/NBD {:?} in {bg_time:?} ({} evaluations)",
        bg.params, bg.evaluations
    );
    println!(
        "Gamma-Gamma {:?} ({} evaluations)",
        gg.params, gg.evaluations
    );
    println!(
        "100,000 customers: fit {fit_time:?}, fit + 12-month CLV for all {total:?}, {} predictions",
        preds.len()
    );
    assert!(fit_time.as_secs_f64() < 5.0, "{fit_time:?}");
    let near = |got: f64, want: f64| (got - want).abs() <= 0.10 * want;
    let p = bg.params;
    assert!(
        near(p.r, 0.25) && near(p.alpha, 4.0) && near(p.a, 0.8) && near(p.b, 2.5),
        "{p:?}"
    );
    let g = gg.params;
    assert!(
        near(g.p, 6.0) && near(g.q, 4.0) && near(g.gamma, 1500.0),
        "{g:?}"
    );
}
