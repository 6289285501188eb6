//! Compact minimisers used to fit the lifetime-value models by maximum likelihood on
//! log-parameters, so every parameter stays positive: BFGS for objectives with an analytic
//! gradient (a few dozen evaluations), and Nelder-Mead (derivative-free, hundreds of
//! evaluations) as its fallback.

/// Result of a minimisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    /// Best point found.
    pub x: Vec<f64>,
    /// Objective value at `x`.
    pub value: f64,
    /// Objective evaluations spent (over all restarts).
    pub evaluations: usize,
    /// Whether the simplex shrank below the tolerances before the budget ran out.
    pub converged: bool,
}

/// Minimises `f` from `start` with the Nelder-Mead simplex (Lagarias et al. 1998 variant,
/// standard coefficients 1, 2, ½, ½), restarting from the best vertex until a restart
/// brings no improvement — a collapsed simplex is the classic failure mode of the method.
/// Non-finite objective values are treated as +∞ (worse than anything), so a caller can
/// return NaN/∞ outside the feasible region.
pub fn nelder_mead<F: FnMut(&[f64]) -> f64>(mut f: F, start: &[f64], max_evals: usize) -> Minimum {
    let mut eval = |x: &[f64]| {
        let v = f(x);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut best = start.to_vec();
    let mut best_val = eval(&best);
    let mut used = 1;
    let mut converged = false;
    for _restart in 0..8 {
        let (x, v, n, conv) = run(&mut eval, &best, max_evals.saturating_sub(used));
        used += n;
        converged = conv;
        let improved = v < best_val - 1e-10 * (1.0 + best_val.abs());
        if v <= best_val {
            best = x;
            best_val = v;
        }
        if !improved || used >= max_evals {
            break;
        }
    }
    Minimum {
        x: best,
        value: best_val,
        evaluations: used,
        converged,
    }
}

/// One Nelder-Mead run; returns (best point, value, evaluations, converged).
fn run<F: FnMut(&[f64]) -> f64>(
    f: &mut F,
    start: &[f64],
    budget: usize,
) -> (Vec<f64>, f64, usize, bool) {
    let n = start.len();
    let mut evals = 0;
    // Initial simplex: the start plus one step of 0.5 along each axis (on log-parameters
    // that is a factor e^0.5 ≈ 1.65, a sensible scale for positive model parameters).
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    for i in 0..=n {
        let mut p = start.to_vec();
        if i > 0 {
            p[i - 1] += 0.5;
        }
        let v = f(&p);
        evals += 1;
        simplex.push((p, v));
    }
    let mut converged = false;
    while evals < budget {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (lo, hi) = (simplex[0].1, simplex[n].1);
        let spread = simplex
            .iter()
            .flat_map(|(p, _)| p.iter().zip(&simplex[0].0).map(|(a, b)| (a - b).abs()))
            .fold(0.0, f64::max);
        // Stop when the simplex is tiny, or when its values agree to ~11 digits even if it
        // is still long: on a likelihood ridge running to infinity (e.g. a, b → ∞ in
        // BG/NBD) the points would otherwise crawl along the ridge until the budget ends.
        // The restart in `nelder_mead` re-checks that a flat simplex really is a minimum.
        if spread <= 1e-8 || (hi - lo).abs() <= 1e-11 * (1.0 + lo.abs()) {
            converged = true;
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|(p, _)| p[j]).sum::<f64>() / n as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            centroid
                .iter()
                .zip(&simplex[n].0)
                .map(|(c, w)| c + t * (c - w))
                .collect()
        };
        let xr = along(1.0);
        let fr = f(&xr);
        evals += 1;
        if fr < simplex[0].1 {
            let xe = along(2.0);
            let fe = f(&xe);
            evals += 1;
            simplex[n] = if fe < fr { (xe, fe) } else { (xr, fr) };
            continue;
        }
        if fr < simplex[n - 1].1 {
            simplex[n] = (xr, fr);
            continue;
        }
        // Contraction: outside if the reflection beat the worst vertex, inside otherwise.
        let (xc, fc) = if fr < simplex[n].1 {
            let xc = along(0.5);
            let fc = f(&xc);
            (xc, fc)
        } else {
            let xc = along(-0.5);
            let fc = f(&xc);
            (xc, fc)
        };
        evals += 1;
        if fc < fr.min(simplex[n].1) {
            simplex[n] = (xc, fc);
            continue;
        }
        // Shrink everything towards the best vertex.
        let best = simplex[0].0.clone();
        for (p, v) in simplex.iter_mut().skip(1) {
            for (pj, bj) in p.iter_mut().zip(&best) {
                *pj = bj + 0.5 * (*pj - bj);
            }
            *v = f(p);
            evals += 1;
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (x, v) = simplex.swap_remove(0);
    (x, v, evals, converged)
}

/// Minimises `f` from `start` by BFGS (Nocedal & Wright, algorithm 6.1) with a backtracking
/// Armijo line search. `f(x, grad)` returns the value and writes the gradient. Stops when
/// the gradient's largest component is below `1e-7 · (1 + |f|)` (the rounding floor of a
/// likelihood summed over 100k customers is ≈ 1e-8; a parameter is then known to ≈ 1e-6
/// relative, far inside the 1 % the models are checked to) or a step no longer
/// changes the value (relative 1e-15: a flat ridge, where the likelihood has no interior
/// maximum); `converged` is false when the budget of evaluations ran out or no descent
/// step could be found, and the caller should then fall back to [`nelder_mead`]. Non-finite
/// values count as +∞, so the line search backs away from them.
pub fn bfgs<F: FnMut(&[f64], &mut [f64]) -> f64>(
    mut f: F,
    start: &[f64],
    max_evals: usize,
) -> Minimum {
    let n = start.len();
    let mut eval = |x: &[f64], g: &mut [f64]| {
        let v = f(x, g);
        if v.is_finite() && g.iter().all(|d| d.is_finite()) {
            v
        } else {
            f64::INFINITY
        }
    };
    let mut x = start.to_vec();
    let mut g = vec![0.0; n];
    let mut value = eval(&x, &mut g);
    let mut evals = 1;
    // Inverse Hessian approximation, row-major; starts as the identity.
    let mut h: Vec<f64> = (0..n * n)
        .map(|k| if k % (n + 1) == 0 { 1.0 } else { 0.0 })
        .collect();
    let mut converged = false;
    let (mut x_new, mut g_new) = (vec![0.0; n], vec![0.0; n]);
    while value.is_finite() && evals < max_evals {
        if g.iter().fold(0.0f64, |m, d| m.max(d.abs())) <= 1e-7 * (1.0 + value.abs()) {
            converged = true;
            break;
        }
        let mut dir: Vec<f64> = (0..n)
            .map(|i| -(0..n).map(|j| h[i * n + j] * g[j]).sum::<f64>())
            .collect();
        let mut slope: f64 = dir.iter().zip(&g).map(|(d, gi)| d * gi).sum();
        if slope >= 0.0 || !slope.is_finite() {
            // Not a descent direction (a poor approximation): restart from steepest descent.
            h.iter_mut()
                .enumerate()
                .for_each(|(k, v)| *v = if k % (n + 1) == 0 { 1.0 } else { 0.0 });
            dir = g.iter().map(|d| -d).collect();
            slope = -g.iter().map(|d| d * d).sum::<f64>();
        }
        // Steps in log-parameters beyond a factor e² at once only overshoot.
        let longest = dir.iter().fold(0.0f64, |m, d| m.max(d.abs()));
        let mut step = if longest > 2.0 { 2.0 / longest } else { 1.0 };
        let mut accepted = None;
        while evals < max_evals && step > 1e-12 {
            for i in 0..n {
                x_new[i] = x[i] + step * dir[i];
            }
            let v = eval(&x_new, &mut g_new);
            evals += 1;
            if v <= value + 1e-4 * step * slope {
                accepted = Some(v);
                break;
            }
            step *= 0.5;
        }
        let Some(v) = accepted else {
            break;
        };
        let flat = (value - v).abs() <= 1e-15 * (1.0 + value.abs());
        // BFGS update of the inverse Hessian with s = x_new − x, y = g_new − g.
        let s: Vec<f64> = (0..n).map(|i| x_new[i] - x[i]).collect();
        let y: Vec<f64> = (0..n).map(|i| g_new[i] - g[i]).collect();
        let sy: f64 = s.iter().zip(&y).map(|(a, b)| a * b).sum();
        if sy
            > 1e-12
                * s.iter().map(|a| a * a).sum::<f64>().sqrt()
                * y.iter().map(|b| b * b).sum::<f64>().sqrt()
        {
            let rho = 1.0 / sy;
            let hy: Vec<f64> = (0..n)
                .map(|i| (0..n).map(|j| h[i * n + j] * y[j]).sum())
                .collect();
            let yhy: f64 = y.iter().zip(&hy).map(|(a, b)| a * b).sum();
            for i in 0..n {
                for j in 0..n {
                    h[i * n + j] +=
                        (1.0 + rho * yhy) * rho * s[i] * s[j] - rho * (hy[i] * s[j] + s[i] * hy[j]);
                }
            }
        }
        x.copy_from_slice(&x_new);
        g.copy_from_slice(&g_new);
        value = v;
        if flat {
            converged = true;
            break;
        }
    }
    Minimum {
        x,
        value,
        evaluations: evals,
        converged,
    }
}

/// Minimises a likelihood objective with an analytic gradient: BFGS from `start`, then,
/// should it not converge (a ridge, rounding), Nelder-Mead from where it stopped. The
/// evaluations of both are counted.
pub fn minimize<F: FnMut(&[f64], &mut [f64]) -> f64>(mut f: F, start: &[f64]) -> Minimum {
    let mut m = bfgs(&mut f, start, 400);
    if !m.converged {
        let mut scratch = vec![0.0; start.len()];
        let polish = nelder_mead(|v| f(v, &mut scratch), &m.x, 3_000);
        let spent = m.evaluations + polish.evaluations;
        if polish.value <= m.value {
            m = polish;
        }
        m.evaluations = spent;
    }
    m
}

/// Asserts that `f`'s analytic gradient at `point` equals central differences with step
/// `h`, within `tol · (1 + |difference quotient|)` per component.
#[cfg(test)]
pub(crate) fn assert_gradient(
    mut f: impl FnMut(&[f64], &mut [f64]) -> f64,
    point: &[f64],
    h: f64,
    tol: f64,
) {
    let mut grad = vec![0.0; point.len()];
    f(point, &mut grad);
    let mut scratch = vec![0.0; point.len()];
    for i in 0..point.len() {
        let (mut up, mut down) = (point.to_vec(), point.to_vec());
        up[i] += h;
        down[i] -= h;
        let numeric = (f(&up, &mut scratch) - f(&down, &mut scratch)) / (2.0 * h);
        assert!(
            (grad[i] - numeric).abs() < tol * (1.0 + numeric.abs()),
            "parameter {i} at {point:?}: {} vs {numeric}",
            grad[i]
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_rosenbrock_minimum() {
        let rosen = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let m = nelder_mead(rosen, &[-1.2, 1.0], 10_000);
        assert!(m.converged);
        assert!(
            (m.x[0] - 1.0).abs() < 1e-5 && (m.x[1] - 1.0).abs() < 1e-5,
            "{m:?}"
        );
    }

    #[test]
    fn bfgs_finds_the_rosenbrock_minimum_in_few_evaluations() {
        let rosen = |x: &[f64], g: &mut [f64]| {
            g[0] = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]);
            g[1] = 200.0 * (x[1] - x[0] * x[0]);
            (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
        };
        let m = bfgs(rosen, &[-1.2, 1.0], 1_000);
        assert!(m.converged, "{m:?}");
        assert!(
            (m.x[0] - 1.0).abs() < 1e-6 && (m.x[1] - 1.0).abs() < 1e-6,
            "{m:?}"
        );
        // Nelder-Mead needs hundreds of evaluations for the same problem.
        assert!(m.evaluations < 150, "{}", m.evaluations);
    }

    #[test]
    fn bfgs_backs_away_from_infeasible_points_and_respects_the_budget() {
        // (x−2)² with NaN from 2.5 on: the first full step from 1.2 lands on 2.8 (NaN) and
        // the halved one on the minimum.
        let mut seen_nan = false;
        let f = |x: &[f64], g: &mut [f64]| {
            g[0] = 2.0 * (x[0] - 2.0);
            if x[0] < 2.5 {
                (x[0] - 2.0).powi(2)
            } else {
                seen_nan = true;
                f64::NAN
            }
        };
        let m = bfgs(f, &[1.2], 100);
        assert!(m.converged && (m.x[0] - 2.0).abs() < 1e-6, "{m:?}");
        assert!(seen_nan);
        let m = bfgs(
            |x: &[f64], g: &mut [f64]| {
                g[0] = 2.0 * x[0];
                g[1] = 2.0 * x[1];
                x[0] * x[0] + x[1] * x[1]
            },
            &[5.0, 5.0],
            1,
        );
        assert!(m.evaluations <= 1 && !m.converged, "{m:?}");
    }

    #[test]
    fn treats_nan_as_infeasible() {
        // Minimum of (x-2)² restricted to x < 3 via NaN outside.
        let f = |x: &[f64]| {
            if x[0] < 3.0 {
                (x[0] - 2.0).powi(2)
            } else {
                f64::NAN
            }
        };
        let m = nelder_mead(f, &[0.0], 1_000);
        assert!((m.x[0] - 2.0).abs() < 1e-6);
        assert!(m.value.is_finite());
    }

    #[test]
    fn respects_the_budget() {
        let m = nelder_mead(|x: &[f64]| x[0] * x[0] + x[1] * x[1], &[5.0, 5.0], 10);
        assert!(m.evaluations <= 14, "{}", m.evaluations);
    }
}
