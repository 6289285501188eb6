//! Request rate limits and HSTS through the real server: a token past its minute gets a
//! `429` problem with `Retry-After` while other tokens go on; a client IP (as forwarded by
//! the local proxy) likewise; the WhatsApp webhook is never throttled; HSTS only over HTTPS.

use reqwest::Method;

use crate::support::TestEnv;

const SLUG: &str = "limites";

#[tokio::test]
async fn tokens_and_client_ips_are_limited_separately_and_webhooks_never() {
    let env = TestEnv::new();
    env.create_brand(SLUG, "Límites", "PE", "America/Lima", "PEN");
    let (a, b) = (env.token(Some(SLUG), "read"), env.token(Some(SLUG), "read"));
    let server = env.start_with(&[
        ("AUTONOMO_LIMITS_PER_TOKEN_PER_MINUTE", "20"),
        ("AUTONOMO_LIMITS_PER_IP_PER_MINUTE", "10"),
    ]);
    let path = format!("/api/marcas/{SLUG}/clientes");

    // Token A spends its minute; the 21st request waits. Token B is unaffected. Requests
    // straight from this machine are not counted per IP (20 > 10 went through).
    let api_a = server.api(Some(&a));
    for i in 0..20 {
        let r = api_a.get(&path).await;
        assert_eq!(r.status, 200, "request {i}: {}", r.text);
    }
    let over = api_a.get(&path).await;
    let p = over.problem(429, "rate-limited");
    let wait: u64 = over.header("retry-after").parse().expect("Retry-After");
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    assert!(
        p["detail"].as_str().unwrap().contains(&wait.to_string()),
        "{p}"
    );
    server.api(Some(&b)).get(&path).await.ok(200);

    // A remote client behind the local proxy: counted by its forwarded address.
    let api_b = server.api(Some(&b));
    let from = |ip: &'static str| [("x-forwarded-for", ip)];
    for i in 0..10 {
        let r = api_b
            .with_headers(Method::GET, &path, &from("203.0.113.7"), None)
            .await;
        assert_eq!(r.status, 200, "request {i} from 203.0.113.7: {}", r.text);
    }
    api_b
        .with_headers(Method::GET, &path, &from("203.0.113.7"), None)
        .await
        .problem(429, "rate-limited");
    api_b
        .with_headers(Method::GET, &path, &from("203.0.113.8"), None)
        .await
        .ok(200);

    // The webhook from that same throttled address is still heard (and judged on its
    // signature, which this one lacks).
    let hook = server
        .api(None)
        .with_headers(
            Method::POST,
            "/api/webhooks/whatsapp",
            &from("203.0.113.7"),
            Some(&serde_json::json!({"object": "whatsapp_business_account", "entry": []})),
        )
        .await;
    assert_ne!(hook.status, 429, "the webhook was throttled: {}", hook.text);
}

#[tokio::test]
async fn hsts_is_sent_only_to_browsers_that_came_over_https() {
    let env = TestEnv::new();
    let server = env.start();
    let api = server.api(None);
    let plain = api.get("/login").await;
    assert_eq!(plain.header("strict-transport-security"), "");
    let tls = api
        .with_headers(
            Method::GET,
            "/login",
            &[("x-forwarded-proto", "https")],
            None,
        )
        .await;
    assert_eq!(
        tls.header("strict-transport-security"),
        "max-age=31536000; includeSubDomains"
    );
}
