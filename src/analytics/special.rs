//! Special functions the lifetime-value models need: log-gamma, Gauss' hypergeometric 2F1
//! and a stable log-sum-exp. Own code (a few dozen lines) instead of a numerics crate.

use std::f64::consts::PI;

/// Lanczos coefficients for g = 7, n = 9 (Godfrey's set, as in Numerical Recipes 3rd ed.
/// §6.1 and most libm-free implementations). Relative error is below 1e-15 for x > 0.
const LANCZOS_G: f64 = 7.0;
const LANCZOS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];

/// ln Γ(x) for x > 0 (and the reflection formula for 0 < x < 0.5 keeps small arguments
/// accurate). Returns +∞ at the poles (x ≤ 0 integers) and NaN for NaN, never panics.
pub fn ln_gamma(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.5 {
        // Γ(x)Γ(1-x) = π / sin(πx); only the magnitude matters for our (positive) uses.
        let s = (PI * x).sin().abs();
        if s == 0.0 {
            return f64::INFINITY;
        }
        return (PI / s).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut acc = LANCZOS[0];
    for (i, c) in LANCZOS.iter().enumerate().skip(1) {
        acc += c / (x + i as f64);
    }
    let t = x + LANCZOS_G + 0.5;
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + acc.ln()
}

/// ln(e^u + e^v) without overflow; −∞ operands are allowed.
pub fn log_add_exp(u: f64, v: f64) -> f64 {
    let (hi, lo) = if u >= v { (u, v) } else { (v, u) };
    if hi == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// Gauss hypergeometric ₂F₁(a, b; c; z) for 0 ≤ z < 1 by its power series
/// Σ (a)ₙ(b)ₙ / ((c)ₙ n!) zⁿ. The BG/NBD conditional expectation (Fader, Hardie & Lee 2005,
/// eq. 10) only needs z = t / (α + T + t) ∈ [0, 1), where the series converges; terms are
/// summed until they stop contributing (at most 200,000 of them, enough for z ≈ 0.9999).
/// Returns NaN when the series does not settle (c a non-positive integer, z ≥ 1).
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    if !(0.0..1.0).contains(&z) || !a.is_finite() || !b.is_finite() || !c.is_finite() {
        return f64::NAN;
    }
    let mut term = 1.0_f64;
    let mut sum = 1.0_f64;
    for n in 0..200_000u32 {
        let n = f64::from(n);
        let denom = (c + n) * (n + 1.0);
        if denom == 0.0 {
            return f64::NAN;
        }
        term *= (a + n) * (b + n) / denom * z;
        sum += term;
        if !sum.is_finite() {
            return f64::NAN;
        }
        // Once n is past |a|, |b| and |c| the terms shrink monotonically, so a negligible
        // term means the tail is negligible too.
        if term.abs() <= 1e-16 * sum.abs() && n > a.abs() + b.abs() + c.abs() {
            return sum;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn ln_gamma_matches_known_values() {
        // Γ(1) = Γ(2) = 1, Γ(5) = 24, Γ(1/2) = √π, Γ(0.1) = 9.513507698668732.
        assert!(ln_gamma(1.0).abs() < 1e-14);
        assert!(ln_gamma(2.0).abs() < 1e-14);
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-14));
        assert!(close(ln_gamma(0.5), PI.sqrt().ln(), 1e-13));
        assert!(close(ln_gamma(0.1), 9.513_507_698_668_732f64.ln(), 1e-13));
        // ln Γ(101) = ln(100!) = 363.73937555556347.
        assert!(close(ln_gamma(101.0), 363.739_375_555_563_47, 1e-14));
        assert_eq!(ln_gamma(0.0), f64::INFINITY);
    }

    #[test]
    fn log_add_exp_is_stable() {
        assert!(close(log_add_exp(0.0, 0.0), 2f64.ln(), 1e-15));
        assert!(close(
            log_add_exp(1000.0, 1000.0),
            1000.0 + 2f64.ln(),
            1e-15
        ));
        assert_eq!(log_add_exp(-5.0, f64::NEG_INFINITY), -5.0);
        assert_eq!(
            log_add_exp(f64::NEG_INFINITY, f64::NEG_INFINITY),
            f64::NEG_INFINITY
        );
    }

    #[test]
    fn hyp2f1_matches_closed_forms() {
        // ₂F₁(1, 1; 2; z) = −ln(1−z)/z.
        for z in [0.1_f64, 0.5, 0.9, 0.99] {
            let want = -(1.0 - z).ln() / z;
            assert!(close(hyp2f1(1.0, 1.0, 2.0, z), want, 1e-12), "z = {z}");
        }
        // ₂F₁(a, b; b; z) = (1−z)^−a.
        assert!(close(hyp2f1(2.5, 3.0, 3.0, 0.7), 0.3f64.powf(-2.5), 1e-12));
        assert_eq!(hyp2f1(1.0, 1.0, 2.0, 0.0), 1.0);
        assert!(hyp2f1(1.0, 1.0, 2.0, 1.0).is_nan());
        assert!(hyp2f1(1.0, 1.0, -2.0, 0.5).is_nan());
    }
}
