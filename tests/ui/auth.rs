//! Staff login, sessions, CSRF and the role matrix, through the real router.

use crate::support;

use axum::http::StatusCode;
use support::{App, PASSWORD, set_cookie_line};

#[tokio::test]
async fn pages_need_a_session_and_send_people_to_login() {
    let app = App::new().await;
    let r = app.get("/m/gollos/clientes", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login?next=/m/gollos/clientes");
    let r = app.get("/login", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Iniciar sesión"));
    let line = set_cookie_line(&r.headers, "autonomo_login").unwrap();
    assert!(
        line.contains("HttpOnly") && line.contains("SameSite=Strict"),
        "{line}"
    );
    // The API keeps answering problem+json, not redirects.
    let r = app.get("/api/marcas/gollos/clientes", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_sets_a_safe_cookie_rotates_and_logout_ends_it() {
    let app = App::new().await;
    let first = app.login("staff@x.pe").await;
    assert!(!first.csrf.is_empty(), "pages carry the CSRF token");
    let page = app.get("/m/gollos/pedidos", Some(&first)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Gollos Chicken"));

    // A second login from the same browser gets a new id; the old one is dead.
    let page = app.get("/login", None).await;
    let login_cookie = support::set_cookie(&page.headers, "autonomo_login").unwrap();
    let token = support::attr_value(&page.body, "name=\"_login\" value=\"").unwrap();
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "cookie",
            format!("autonomo_login={login_cookie}; {}", first.cookie),
        )
        .body(axum::body::Body::from(support::encode(&[
            ("email".into(), "staff@x.pe".into()),
            ("clave".into(), PASSWORD.into()),
            ("_login".into(), token),
        ])))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let line = set_cookie_line(&r.headers, "autonomo_sesion").unwrap();
    assert!(line.contains("HttpOnly"), "{line}");
    assert!(line.contains("SameSite=Lax"), "{line}");
    assert!(
        !line.contains("Secure"),
        "plain http on loopback: no Secure flag"
    );
    let second = format!(
        "autonomo_sesion={}",
        support::set_cookie(&r.headers, "autonomo_sesion").unwrap()
    );
    assert_ne!(second, first.cookie);
    let old = app.get("/m/gollos/pedidos", Some(&first)).await;
    assert_eq!(
        old.status,
        StatusCode::SEE_OTHER,
        "old session id was rotated away"
    );

    let now = app.login("staff@x.pe").await;
    let r = app.post("/logout", Some(&now), &[], true).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        set_cookie_line(&r.headers, "autonomo_sesion")
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = app.get("/m/gollos/pedidos", Some(&now)).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn wrong_password_is_refused_and_attempts_are_limited() {
    let app = App::new().await;
    let r = app
        .try_login("staff@x.pe", "wrong-password-1")
        .await
        .unwrap_err();
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Correo o contraseña incorrectos"));
    let r = app
        .try_login("nobody@x.pe", "wrong-password-1")
        .await
        .unwrap_err();
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "unknown accounts look the same"
    );
    for _ in 0..4 {
        app.try_login("staff@x.pe", "wrong-password-1")
            .await
            .unwrap_err();
    }
    // Locked now: even the right password is refused until the window passes.
    let r = app.try_login("staff@x.pe", PASSWORD).await.unwrap_err();
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key("retry-after"));
    // Another account is not locked by it.
    app.login("manager@x.pe").await;
}

#[tokio::test]
async fn login_form_without_its_token_is_refused() {
    let app = App::new().await;
    let r = app
        .post(
            "/login",
            None,
            &[
                ("email", "staff@x.pe"),
                ("clave", PASSWORD),
                ("_login", "x"),
            ],
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(support::set_cookie(&r.headers, "autonomo_sesion").is_none());
}

#[tokio::test]
async fn every_change_needs_the_csrf_token() {
    let app = App::new().await;
    let staff = app.login("staff@x.pe").await;
    let fields = [("nombre", "Ana Pérez"), ("telefono", "987654321")];
    let r = app
        .post("/m/gollos/clientes", Some(&staff), &fields, false)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("CSRF"));
    let mut forged = staff.clone();
    forged.csrf = "forged-token".into();
    let r = app
        .post("/m/gollos/clientes", Some(&forged), &fields, true)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let list = app.get("/m/gollos/clientes", Some(&staff)).await;
    assert!(!list.body.contains("Ana Pérez"), "nothing was created");
    // The same request with the token goes through.
    let r = app
        .post("/m/gollos/clientes", Some(&staff), &fields, true)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The header form (what htmx sends) works as well, also for the JSON API.
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/marcas/gollos/clientes")
        .header("content-type", "application/json")
        .header("cookie", &staff.cookie)
        .header("x-csrf-token", &staff.csrf)
        .body(axum::body::Body::from(r#"{"nombre":"Luis"}"#))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::CREATED);
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/marcas/gollos/clientes")
        .header("content-type", "application/json")
        .header("cookie", &staff.cookie)
        .body(axum::body::Body::from(r#"{"nombre":"Mario"}"#))
        .unwrap();
    assert_eq!(
        app.send(req).await.status,
        StatusCode::BAD_REQUEST,
        "cookie-authenticated API writes need the token too"
    );
}

#[tokio::test]
async fn expired_sessions_are_refused() {
    let app = App::new().await;
    let staff = app.login("staff@x.pe").await;
    app.state
        .registry
        .control()
        .write(|c| Ok(c.execute("UPDATE sesiones SET expira_en = 0", [])?))
        .await
        .unwrap();
    let r = app.get("/m/gollos/pedidos", Some(&staff)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

/// What each role may reach: (path, owner, manager, staff, analyst) expected statuses.
#[tokio::test]
async fn role_matrix() {
    let app = App::new().await;
    let who = [
        app.login("owner@x.pe").await,
        app.login("manager@x.pe").await,
        app.login("staff@x.pe").await,
        app.login("analyst@x.pe").await,
    ];
    use StatusCode as S;
    let gets: &[(&str, [S; 4])] = &[
        ("/m/gollos/pedidos", [S::OK, S::OK, S::OK, S::OK]),
        ("/m/gollos/resumen", [S::OK, S::OK, S::OK, S::OK]),
        ("/m/gollos/clientes", [S::OK, S::OK, S::OK, S::OK]),
        ("/m/gollos/productos", [S::OK, S::OK, S::OK, S::OK]),
        (
            "/m/gollos/pedidos/nuevo",
            [S::OK, S::OK, S::OK, S::FORBIDDEN],
        ),
        ("/m/gollos/cocina", [S::OK, S::OK, S::OK, S::FORBIDDEN]),
        (
            "/m/gollos/clientes/nuevo",
            [S::OK, S::OK, S::OK, S::FORBIDDEN],
        ),
        (
            "/m/gollos/ajustes",
            [S::OK, S::OK, S::FORBIDDEN, S::FORBIDDEN],
        ),
        (
            "/m/gollos/clientes/exportar.csv",
            [S::OK, S::OK, S::FORBIDDEN, S::FORBIDDEN],
        ),
        (
            "/m/gollos/productos/exportar.csv",
            [S::OK, S::OK, S::FORBIDDEN, S::FORBIDDEN],
        ),
        (
            "/m/gollos/clientes/importar",
            [S::OK, S::OK, S::FORBIDDEN, S::FORBIDDEN],
        ),
        // Another brand: only the owner reaches it; for the rest it does not exist.
        (
            "/m/eco/pedidos",
            [S::OK, S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND],
        ),
        (
            "/m/eco/clientes",
            [S::OK, S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND],
        ),
        // The API with a session cookie goes through the same check.
        ("/api/marcas/gollos/clientes", [S::OK, S::OK, S::OK, S::OK]),
        (
            "/api/marcas/eco/clientes",
            [S::OK, S::NOT_FOUND, S::NOT_FOUND, S::NOT_FOUND],
        ),
    ];
    for (path, expected) in gets {
        for (i, b) in who.iter().enumerate() {
            let r = app.get(path, Some(b)).await;
            assert_eq!(
                r.status,
                expected[i],
                "GET {path} as role #{i}: {}",
                &r.body[..r.body.len().min(300)]
            );
        }
    }
    // Writes: an analyst cannot create a customer; staff cannot change brand settings.
    let r = app
        .post(
            "/m/gollos/clientes",
            Some(&who[3]),
            &[("nombre", "X")],
            true,
        )
        .await;
    assert_eq!(r.status, S::FORBIDDEN);
    let brand = [
        ("nombre", "Hack"),
        ("moneda", "PEN"),
        ("zona_horaria", "America/Lima"),
        ("pais", "PE"),
        ("idioma", "es"),
    ];
    let r = app
        .post("/m/gollos/ajustes", Some(&who[2]), &brand, true)
        .await;
    assert_eq!(r.status, S::FORBIDDEN);
    let r = app
        .post(
            "/m/gollos/ajustes",
            Some(&who[1]),
            &[
                ("nombre", "Gollos Lima"),
                ("moneda", "PEN"),
                ("zona_horaria", "America/Lima"),
                ("pais", "PE"),
                ("idioma", "es"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, S::SEE_OTHER);
    // A manager may add staff to their brand, never an owner.
    let user = [
        ("email", "new@x.pe"),
        ("nombre", "Nueva"),
        ("rol", "staff"),
        ("clave", PASSWORD),
    ];
    let r = app
        .post("/m/gollos/ajustes/usuarios", Some(&who[1]), &user, true)
        .await;
    assert_eq!(r.status, S::SEE_OTHER, "{}", r.body);
    let owner = [
        ("email", "boss@x.pe"),
        ("rol", "owner"),
        ("clave", "una-clave-larga"),
    ];
    let r = app
        .post("/m/gollos/ajustes/usuarios", Some(&who[1]), &owner, true)
        .await;
    assert_eq!(r.status, S::FORBIDDEN);
    app.login("new@x.pe").await;
    // Navigation shows only what the role may use.
    let nav = app.get("/m/gollos/pedidos", Some(&who[3])).await.body;
    assert!(!nav.contains("/m/gollos/ajustes") && !nav.contains("/m/gollos/pedidos/nuevo"));
    let nav = app.get("/m/gollos/pedidos", Some(&who[1])).await.body;
    assert!(nav.contains("/m/gollos/ajustes"));
}

#[tokio::test]
async fn language_is_per_user() {
    let app = App::new().await;
    let staff = app.login("staff@x.pe").await;
    assert!(
        app.get("/m/gollos/clientes", Some(&staff))
            .await
            .body
            .contains("Nuevo cliente")
    );
    let r = app
        .post(
            "/idioma",
            Some(&staff),
            &[("idioma", "en"), ("volver", "/m/gollos/clientes")],
            true,
        )
        .await;
    assert_eq!(r.location(), "/m/gollos/clientes");
    let page = app.get("/m/gollos/clientes", Some(&staff)).await.body;
    assert!(page.contains("New customer") && page.contains("lang=\"en\""));
    // Another person keeps Spanish.
    let manager = app.login("manager@x.pe").await;
    assert!(
        app.get("/m/gollos/clientes", Some(&manager))
            .await
            .body
            .contains("Nuevo cliente")
    );
    // `volver` only goes to local paths.
    let r = app
        .post(
            "/idioma",
            Some(&staff),
            &[("idioma", "es"), ("volver", "//evil.example")],
            true,
        )
        .await;
    assert_eq!(r.location(), "/");
}

/// `autonomo user create|list|passwd` through the real binary, password on stdin.
#[test]
fn user_accounts_from_the_command_line() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_autonomo");
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(bin)
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    assert!(
        run(&["tenant", "create", "gollos", "--name", "Gollos"], "")
            .status
            .success()
    );
    let out = run(
        &[
            "user",
            "create",
            "--email",
            "Caja@Gollos.pe",
            "--role",
            "staff",
            "--tenant",
            "gollos",
        ],
        "una-clave-larga\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        &[
            "user",
            "create",
            "--email",
            "x@gollos.pe",
            "--role",
            "staff",
            "--tenant",
            "gollos",
        ],
        "corta\n",
    );
    assert!(!out.status.success(), "short passwords are refused");
    let out = run(
        &[
            "user",
            "create",
            "--email",
            "y@gollos.pe",
            "--role",
            "staff",
        ],
        "una-clave-larga\n",
    );
    assert!(!out.status.success(), "non-owners need a brand");
    let out = run(&["user", "list"], "");
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(list.contains("caja@gollos.pe\tstaff\tgollos"), "{list}");
    assert!(!list.contains("x@gollos.pe"));
    assert!(
        run(
            &["user", "passwd", "--email", "caja@gollos.pe"],
            "otra-clave-larga\n"
        )
        .status
        .success()
    );
}

/// The settings page tells a manager which integrations run: WhatsApp shows its number once
/// set (never a secret), backups and the mirror say they are not configured.
#[tokio::test]
async fn settings_show_the_state_of_whatsapp_backups_and_the_mirror() {
    let app = App::new().await;
    let manager = app.login("manager@x.pe").await;
    let page = app.get("/m/gollos/ajustes", Some(&manager)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("autonomo whatsapp set --tenant"),
        "WhatsApp not set up yet"
    );
    assert!(page.body.contains("[backup] en autonomo.toml"));
    assert!(page.body.contains("[mirror] postgres_url en autonomo.toml"));

    let keyring = app.state.keyring.clone();
    app.state
        .registry
        .control()
        .write(move |c| {
            autonomo::whatsapp::config::set(
                c,
                &keyring,
                &autonomo::tenants::Slug::parse("gollos").unwrap(),
                &autonomo::whatsapp::config::NumberInput {
                    phone_number_id: "118093456721984".into(),
                    waba_id: None,
                    verify_token: "token-de-verificacion".into(),
                    app_secret: "secreto-de-la-app-muy-privado".into(),
                    access_token: "EAAG-token-de-acceso-privado".into(),
                    mps: None,
                },
                autonomo::time::now_ms(),
            )
        })
        .await
        .unwrap();
    let page = app.get("/m/gollos/ajustes", Some(&manager)).await;
    assert!(page.body.contains("Conectado") && page.body.contains("118093456721984"));
    for secret in [
        "secreto-de-la-app-muy-privado",
        "EAAG-token-de-acceso-privado",
        "token-de-verificacion",
    ] {
        assert!(!page.body.contains(secret), "settings leak {secret}");
    }
}

/// Managers set the WhatsApp number, the bot and its FAQ from the UI: secrets are stored
/// (the bot and webhook read them) but never shown back, a blank secret keeps the stored one,
/// bad hours are refused, and staff cannot open the screen.
#[tokio::test]
async fn managers_configure_whatsapp_the_bot_and_its_faq_in_the_ui() {
    let app = App::new().await;
    let manager = app.login("manager@x.pe").await;
    let page = app.get("/m/gollos/ajustes/whatsapp", Some(&manager)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let save = |fields: Vec<(&'static str, &'static str)>| {
        let app = &app;
        let manager = manager.clone();
        async move {
            app.post(
                "/m/gollos/ajustes/whatsapp/numero",
                Some(&manager),
                &fields,
                true,
            )
            .await
        }
    };
    // A first save without secrets is refused: there is nothing to keep.
    let r = save(vec![("phone_number_id", "118093456721984")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = save(vec![
        ("phone_number_id", "118093456721984"),
        ("verify_token", "verifica-esto"),
        ("app_secret", "secreto-de-app-privadisimo"),
        ("access_token", "EAAG-token-privadisimo"),
        ("mps", "20"),
    ])
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Change only the throughput: the secrets stay.
    let r = save(vec![("phone_number_id", "118093456721984"), ("mps", "40")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let keyring = app.state.keyring.clone();
    let stored = app
        .state
        .registry
        .control()
        .read(move |c| {
            autonomo::whatsapp::config::by_brand(
                c,
                &keyring,
                &autonomo::tenants::Slug::parse("gollos").unwrap(),
            )
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.app_secret, "secreto-de-app-privadisimo");
    assert_eq!(stored.access_token, "EAAG-token-privadisimo");
    assert_eq!(stored.verify_token, "verifica-esto");
    assert_eq!(stored.mps, 40);
    let page = app.get("/m/gollos/ajustes/whatsapp", Some(&manager)).await;
    for secret in [
        "secreto-de-app-privadisimo",
        "EAAG-token-privadisimo",
        "verifica-esto",
    ] {
        assert!(!page.body.contains(secret), "the page shows {secret}");
    }

    // Bot settings: bad hours are refused, good ones stored.
    let r = app
        .post(
            "/m/gollos/ajustes/whatsapp/bot",
            Some(&manager),
            &[("horario", "25:00-10:00")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            "/m/gollos/ajustes/whatsapp/bot",
            Some(&manager),
            &[
                ("horario", "11:00-22:30"),
                ("fuera_de_horario", "Abrimos a las 11 am"),
                ("plantilla", "te_extranamos"),
                ("plantilla_idioma", "es"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // FAQ: add, edit, delete.
    let r = app
        .post(
            "/m/gollos/ajustes/whatsapp/faq",
            Some(&manager),
            &[
                ("pregunta", "¿Hacen delivery?"),
                ("respuesta", "Sí, en todo Lima."),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get("/m/gollos/ajustes/whatsapp", Some(&manager)).await;
    assert!(page.body.contains("Abrimos a las 11 am") && page.body.contains("te_extranamos"));
    assert!(page.body.contains("Sí, en todo Lima."));
    let id = support::attr_value(&page.body, "data-faq=\"").unwrap();
    let r = app
        .post(
            &format!("/m/gollos/ajustes/whatsapp/faq/{id}"),
            Some(&manager),
            &[
                ("pregunta", "¿Hacen delivery?"),
                ("respuesta", "Sí, en Lima y Callao."),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get("/m/gollos/ajustes/whatsapp", Some(&manager)).await;
    assert!(page.body.contains("Sí, en Lima y Callao.") && !page.body.contains("en todo Lima"));
    let r = app
        .post(
            &format!("/m/gollos/ajustes/whatsapp/faq/{id}/borrar"),
            Some(&manager),
            &[],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get("/m/gollos/ajustes/whatsapp", Some(&manager)).await;
    assert!(!page.body.contains("Lima y Callao"));

    // Staff may not configure WhatsApp.
    let staff = app.login("staff@x.pe").await;
    let r = app.get("/m/gollos/ajustes/whatsapp", Some(&staff)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
