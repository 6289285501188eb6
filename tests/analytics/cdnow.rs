//! Validates the BG/NBD and Gamma-Gamma fits against the published CDNOW estimates
//! (Fader, Hardie & Lee 2005; Fader & Hardie 2013) on the 2,357-customer sample.

use autonomo::analytics::clv::{self, CustomerSummary, bgnbd, gamma_gamma};

fn cdnow() -> Vec<CustomerSummary> {
    let text = include_str!("../data/cdnow_customers_summary_with_transactions.csv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.trim().split(',').collect();
            let num = |i: usize| f[i].parse::<f64>().expect("number");
            CustomerSummary {
                customer_id: num(0) as i64,
                frequency: num(1) as u32,
                recency: num(2),
                age: num(3),
                monetary: num(4),
            }
        })
        .collect()
}

fn within(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs()
}

#[test]
fn bgnbd_fit_matches_the_paper() {
    let data = cdnow();
    assert_eq!(data.len(), 2357);
    let fit = bgnbd::fit(&data).expect("fit");
    let p = fit.params;
    println!("BG/NBD: {fit:?}");
    for (name, got, want) in [
        ("r", p.r, 0.243),
        ("alpha", p.alpha, 4.414),
        ("a", p.a, 0.793),
        ("b", p.b, 2.426),
    ] {
        assert!(
            within(got, want, 0.01),
            "{name}: got {got}, published {want}"
        );
    }
    // The paper reports a maximised log-likelihood of −9582.4.
    assert!(
        (fit.log_likelihood - -9582.4).abs() < 0.1,
        "{}",
        fit.log_likelihood
    );
    assert!(fit.converged);
}

#[test]
fn gamma_gamma_fit_matches_the_note() {
    let data = cdnow();
    let fit = gamma_gamma::fit(&data).expect("fit");
    println!("Gamma-Gamma: {fit:?}");
    // Fitted on the 946 customers with at least one repeat purchase.
    assert_eq!(fit.customers, 946);
    let g = fit.params;
    for (name, got, want) in [
        ("p", g.p, 6.25),
        ("q", g.q, 3.74),
        ("gamma", g.gamma, 15.44),
    ] {
        assert!(
            within(got, want, 0.01),
            "{name}: got {got}, published {want}"
        );
    }
    assert!(fit.converged);
}

#[test]
fn model_json_has_the_api_shape() {
    let model = clv::fit_model(&cdnow()).expect("fit");
    let json = serde_json::to_value(model).expect("json");
    for key in ["r", "alpha", "a", "b"] {
        assert!(json["bgnbd"][key].is_f64(), "{key}");
    }
    for key in ["p", "q", "gamma"] {
        assert!(json["gamma_gamma"][key].is_f64(), "{key}");
    }
}
