//! The jobs screen (`/m/{slug}/trabajos`) through the real router: every per-brand job with
//! its schedule and next run in the brand's zone, "run now" recording the outcome shown on
//! the page, only for managers and owners, and only for the brand's own jobs.

use axum::http::StatusCode;

use crate::ui_support::App;

/// The `<tr data-job="NAME">…</tr>` row of `name`.
fn row<'a>(html: &'a str, name: &str) -> &'a str {
    let start = html
        .find(&format!(r#"data-job="{name}""#))
        .unwrap_or_else(|| panic!("no row for {name}: {html}"));
    let rest = &html[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

#[tokio::test]
async fn jobs_screen_lists_schedules_and_runs_a_job_now() {
    let app = App::new().await;
    let manager = app.login("manager@x.pe").await;
    let page = app.get("/m/gollos/trabajos", Some(&manager)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(r#"href="/m/gollos/trabajos""#),
        "menu link"
    );
    for job in autonomo::scheduler::catalog() {
        let shown = page.body.contains(&format!(r#"data-job="{}""#, job.name));
        assert_eq!(shown, job.per_brand, "{} on the brand's screen", job.name);
    }
    let before = row(&page.body, "seguimiento");
    assert!(
        before.contains("<code>0 *&#x2f;5 * * * *</code>"),
        "{before}"
    );
    assert!(
        before.contains("data-last>—<") && before.contains(r#"data-outcome="""#),
        "never run yet: {before}"
    );
    // The next run of a five-minute job is within five minutes, shown as dd/mm/yyyy hh:mm.
    let next = before
        .split("data-next>")
        .nth(1)
        .unwrap()
        .replace("&#x2f;", "/");
    assert!(
        next.len() > 16 && next.as_bytes()[2] == b'/' && next.as_bytes()[13] == b':',
        "{before}"
    );

    let run = app
        .post(
            "/m/gollos/trabajos/ejecutar",
            Some(&manager),
            &[("nombre", "seguimiento")],
            true,
        )
        .await;
    assert_eq!(run.status, StatusCode::SEE_OTHER, "{}", run.body);
    assert_eq!(run.location(), "/m/gollos/trabajos");
    let after = app.get("/m/gollos/trabajos", Some(&manager)).await;
    let r = row(&after.body, "seguimiento");
    assert!(
        r.contains(r#"data-outcome="ok""#) && r.contains("0 encuestas"),
        "{r}"
    );
    assert!(!r.contains("data-last>—<"), "{r}");
    // Recorded in the control database like a scheduled run; the other brand has no run.
    let runs = app
        .state
        .registry
        .control()
        .read(|c| {
            Ok((
                autonomo::scheduler::store::run_count(c, "seguimiento", "gollos")?,
                autonomo::scheduler::store::run_count(c, "seguimiento", "eco")?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(runs, (1, 0));

    // An unknown job and an install-wide one are refused; nothing runs.
    for name in ["no_existe", "reporte_duenos_diario"] {
        let bad = app
            .post(
                "/m/gollos/trabajos/ejecutar",
                Some(&manager),
                &[("nombre", name)],
                true,
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{name}: {}", bad.body);
    }
    // Without the CSRF token nothing runs.
    let forged = app
        .post(
            "/m/gollos/trabajos/ejecutar",
            Some(&manager),
            &[("nombre", "seguimiento")],
            false,
        )
        .await;
    assert_ne!(forged.status, StatusCode::SEE_OTHER);

    // Staff and analysts neither see nor run jobs; a manager of gollos cannot see eco's.
    for who in ["staff@x.pe", "analyst@x.pe"] {
        let b = app.login(who).await;
        let page = app.get("/m/gollos/trabajos", Some(&b)).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{who}");
        let menu = app.get("/m/gollos/clientes", Some(&b)).await;
        assert!(!menu.body.contains("/m/gollos/trabajos"), "{who} menu");
        let run = app
            .post(
                "/m/gollos/trabajos/ejecutar",
                Some(&b),
                &[("nombre", "seguimiento")],
                true,
            )
            .await;
        assert_eq!(run.status, StatusCode::FORBIDDEN, "{who}");
    }
    let other = app.get("/m/eco/trabajos", Some(&manager)).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let total = app
        .state
        .registry
        .control()
        .read(|c| autonomo::scheduler::store::run_count(c, "seguimiento", "gollos"))
        .await
        .unwrap();
    assert_eq!(total, 1, "refused requests ran nothing");
}
