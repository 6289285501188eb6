//! The dashboard's charts as PNG downloads through the real router: every chart name gives
//! a PNG that decodes, at twice the chart's SVG size and not blank; an unknown name is a 404;
//! staff may not export (as with the CSV) and another brand's account is refused.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Utc;
use tower::ServiceExt;

use autonomo::analytics::dashboard_charts::{self, Chart};
use autonomo::analytics::metrics;

use super::rollups::{add_customer, add_product, order};
use super::ui_support::{App, Browser};

/// The raw response (the shared helper decodes bodies as text).
async fn fetch(app: &App, path: &str, who: &Browser) -> (StatusCode, String, Vec<u8>) {
    let req = Request::builder()
        .method(Method::GET)
        .uri(path)
        .header(header::COOKIE, &who.cookie)
        .body(Body::empty())
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let kind = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = axum::body::to_bytes(resp.into_body(), 16 * 1024 * 1024)
        .await
        .unwrap();
    (status, kind, bytes.to_vec())
}

/// (width, height, share of pixels that are not white), decoded with the `png` crate.
fn decode(bytes: &[u8]) -> (u32, u32, f64) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).expect("one frame");
    let px = &buf[..info.buffer_size()];
    let step = info.color_type.samples();
    let total = px.len() / step;
    let ink = px
        .chunks(step)
        .filter(|p| p.iter().take(3).any(|c| *c < 250))
        .count();
    (info.width, info.height, ink as f64 / total as f64)
}

#[tokio::test]
async fn dashboard_charts_download_as_png() {
    let app = App::new().await;
    let slug = autonomo::tenants::Slug::parse("gollos").unwrap();
    let tenant = app.state.registry.tenant(&slug).await.unwrap();
    let now = Utc::now().timestamp_millis();
    tenant
        .db()
        .write(move |c| {
            add_product(c, "POLLO", 2500);
            add_product(c, "INCA", 900);
            let a = add_customer(c, 1);
            let b = add_customer(c, 2);
            order(c, a, "whatsapp", &[("POLLO", 2)], now - 3_600_000);
            order(c, b, "web", &[("POLLO", 1), ("INCA", 2)], now - 86_400_000);
            Ok(())
        })
        .await
        .unwrap();
    // The nightly pass fills segments, RFM and CLV, so those charts have something to show.
    autonomo::analytics::jobs::recompute(&tenant, Utc::now)
        .await
        .unwrap();

    let owner = app.login("owner@x.pe").await;
    // (name, SVG width × height at the dashboard's figures) — PNGs are drawn at 2×.
    for (name, size) in [
        ("ingresos", Some((1280, 480))),
        ("pedidos", Some((1280, 480))),
        ("canales", None),
        ("productos", None),
        ("cohortes", None),
        ("rfm", None),
        ("segmentos", Some((840, 400))),
        ("clv", None),
    ] {
        let (status, kind, body) = fetch(
            &app,
            &format!("/m/gollos/metricas/grafico/{name}.png?periodo=week"),
            &owner,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(kind, "image/png", "{name}");
        let (w, h, ink) = decode(&body);
        if let Some(size) = size {
            assert_eq!((w, h), size, "{name}");
        }
        assert!(w >= 200 && h >= 40, "{name}: {w}×{h}");
        // CLV needs enough history to fit the model; two customers give an empty histogram.
        if name != "clv" {
            assert!(ink > 0.005 && ink < 0.9, "{name}: not blank ({ink})");
        }
    }
    // A bars chart is 22 units per bar + 8 high: two channels sold, at 2×.
    let (_, _, body) = fetch(
        &app,
        "/m/gollos/metricas/grafico/canales.png?periodo=week",
        &owner,
    )
    .await;
    assert_eq!(decode(&body).1, 2 * (22 * 2 + 8));
    // Same period parsing as the dashboard: a bad date is refused, a range works.
    let (status, _, _) = fetch(
        &app,
        "/m/gollos/metricas/grafico/ingresos.png?desde=2024-13-01",
        &owner,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, body) = fetch(
        &app,
        "/m/gollos/metricas/grafico/ingresos.png?desde=2024-05-01&hasta=2024-05-31",
        &owner,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(decode(&body).0, 1280);

    for bad in ["pastel.png", "ingresos", "ingresos.svg", "..png"] {
        let (status, _, _) =
            fetch(&app, &format!("/m/gollos/metricas/grafico/{bad}"), &owner).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }

    // One piece of code: every chart the PNG export draws is, byte for byte, the SVG the
    // dashboard page shows for the same period.
    let page = app
        .get("/m/gollos/metricas?periodo=week", Some(&owner))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let today = Utc::now()
        .with_timezone(&chrono_tz::America::Lima)
        .date_naive();
    let p = metrics::resolve_period(None, None, Some("week"), today).unwrap();
    let d = tenant
        .db()
        .read(move |c| metrics::dashboard(c, p))
        .await
        .unwrap();
    for chart in Chart::ALL {
        let svg = dashboard_charts::draw(chart, &d, "PEN");
        assert!(
            page.body.contains(&svg),
            "{} differs from the page",
            chart.name()
        );
        // And the page links its download, for the same period.
        let link = format!(
            "/m/gollos/metricas/grafico/{}.png?desde={}&amp;hasta={}",
            chart.name(),
            p.desde,
            p.hasta
        );
        assert!(page.body.contains(&link), "no link {link}");
    }

    let analyst = app.login("analyst@x.pe").await;
    let (status, kind, _) = fetch(&app, "/m/gollos/metricas/grafico/rfm.png", &analyst).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "image/png"));
    // The analyst belongs to gollos only: eco's charts are not theirs to see.
    let (status, kind, _) = fetch(&app, "/m/eco/metricas/grafico/rfm.png", &analyst).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_ne!(kind, "image/png");
    let staff = app.login("staff@x.pe").await;
    let (status, _, _) = fetch(&app, "/m/gollos/metricas/grafico/ingresos.png", &staff).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "same rule as the CSV export");
    let page = app.get("/m/gollos/metricas", Some(&staff)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("data-png"),
        "staff see no download they cannot use"
    );
}
