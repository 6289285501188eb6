//! The inbox screen through the real router: lists and filters, reading a thread clears its
//! unread count, replies go to the outbox once (inside the 24-hour window) or as the brand's
//! template (outside it), assignment and closing, roles and hostile names.

use crate::support;

use axum::http::StatusCode;
use rusqlite::params;
use support::App;

const HOUR_MS: i64 = 3600 * 1000;

fn now_ms() -> i64 {
    autonomo::time::now_ms()
}

/// A WhatsApp customer who wrote `text` `ago_ms` ago; returns the customer id.
async fn customer_wrote(
    app: &App,
    slug: &str,
    name: &str,
    wa_id: &str,
    text: &str,
    ago_ms: i64,
) -> i64 {
    let tenant = app
        .state
        .registry
        .tenant(&autonomo::tenants::Slug::parse(slug).unwrap())
        .await
        .unwrap();
    let (name, wa_id, text) = (name.to_owned(), wa_id.to_owned(), text.to_owned());
    tenant
        .db()
        .write(move |c| {
            let at = now_ms() - ago_ms;
            c.execute(
                "INSERT INTO clientes (nombre, telefono, canal_adquisicion, creado_en, actualizado_en)
                 VALUES (?1, ?2, 'whatsapp', ?3, ?3)",
                params![name, format!("+{wa_id}"), at],
            )?;
            let id = c.last_insert_rowid();
            c.execute(
                "INSERT INTO wa_contactos (cliente_id, wa_id, nombre_perfil, ultimo_entrante_en) VALUES (?1, ?2, ?3, ?4)",
                params![id, wa_id, name, at],
            )?;
            autonomo::interactions::store::insert(
                c,
                &autonomo::interactions::NewInteraction {
                    customer_id: id,
                    channel: "whatsapp".into(),
                    direction: "entrante".into(),
                    kind: "mensaje".into(),
                    body: text.clone(),
                    external_id: Some(format!("wamid.{id}")),
                    order_id: None,
                    metadata: serde_json::json!({}),
                    at,
                },
            )?;
            autonomo::conversations::store::touch_incoming(c, id, &text, at)?;
            Ok(id)
        })
        .await
        .unwrap()
}

async fn sql_i64(app: &App, sql: &str) -> i64 {
    let tenant = app
        .state
        .registry
        .tenant(&autonomo::tenants::Slug::parse("gollos").unwrap())
        .await
        .unwrap();
    let sql = sql.to_owned();
    tenant
        .db()
        .read(move |c| Ok(c.query_row(&sql, [], |r| r.get::<_, i64>(0))?))
        .await
        .unwrap()
}

#[tokio::test]
async fn staff_read_filter_answer_assign_and_close_conversations() {
    let app = App::new().await;
    let ana = customer_wrote(
        &app,
        "gollos",
        "Ana Torres",
        "51987654321",
        "Hola, ¿tienen delivery?",
        5 * 60 * 1000,
    )
    .await;
    let beto = customer_wrote(
        &app,
        "gollos",
        "Beto Ruiz",
        "51911122233",
        "gracias",
        48 * HOUR_MS,
    )
    .await;
    let tenant = app
        .state
        .registry
        .tenant(&autonomo::tenants::Slug::parse("gollos").unwrap())
        .await
        .unwrap();
    tenant
        .db()
        .write(move |c| {
            autonomo::conversations::store::flag_human(c, ana, "pidió una persona", now_ms())?;
            Ok(())
        })
        .await
        .unwrap();

    let staff = app.login("staff@x.pe").await;
    let page = app.get("/m/gollos/bandeja", Some(&staff)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Ana Torres") && page.body.contains("Beto Ruiz"));
    assert!(
        page.body.contains("data-waiting>1<"),
        "needs-human count badge"
    );
    assert!(
        page.body.contains("data-inbox-badge"),
        "every page polls the nav badge"
    );
    let badge = app.get("/m/gollos/bandeja/insignia", Some(&staff)).await;
    assert_eq!(badge.status, StatusCode::OK);
    assert!(badge.body.contains(">1<"), "{}", badge.body);

    let humano = app
        .get("/m/gollos/bandeja?filtro=humano", Some(&staff))
        .await;
    assert!(humano.body.contains("Ana Torres"));
    assert!(
        !humano.body.contains("Beto Ruiz"),
        "Beto does not need a person"
    );

    // Opening the thread shows the message and reads it.
    assert_eq!(
        sql_i64(
            &app,
            &format!("SELECT no_leidos FROM conversaciones WHERE cliente_id = {ana}")
        )
        .await,
        1
    );
    let thread = app
        .get(&format!("/m/gollos/bandeja/{ana}"), Some(&staff))
        .await;
    assert_eq!(thread.status, StatusCode::OK, "{}", thread.body);
    assert!(thread.body.contains("Hola, ¿tienen delivery?"));
    assert!(
        thread.body.contains("data-reply"),
        "window open: free-text reply box"
    );
    assert!(
        !thread.body.contains("data-loyalty-balance"),
        "no program, no balance"
    );
    // With a stamps program, the customer's balance is part of the context.
    tenant
        .db()
        .write(move |c| {
            c.execute_batch(&format!(
                "INSERT INTO fidelidad_programa (id, tipo, actualizado_en) VALUES (1, 'sellos', 1);
                 INSERT INTO fidelidad_movimientos (cliente_id, tipo, puntos, creado_en) VALUES ({ana}, 'gana', 7, 1);"
            ))?;
            Ok(())
        })
        .await
        .unwrap();
    let with_stamps = app
        .get(&format!("/m/gollos/bandeja/{ana}"), Some(&staff))
        .await;
    let balance = with_stamps
        .body
        .split("data-loyalty-balance")
        .nth(1)
        .unwrap_or("");
    assert!(
        balance.contains("Sellos") && balance.contains(">7<"),
        "{balance}"
    );
    assert_eq!(
        sql_i64(
            &app,
            &format!("SELECT no_leidos FROM conversaciones WHERE cliente_id = {ana}")
        )
        .await,
        0
    );

    // A reply is queued once, even when the form is submitted twice.
    for _ in 0..2 {
        let r = app
            .post(
                &format!("/m/gollos/bandeja/{ana}/responder"),
                Some(&staff),
                &[("texto", "Sí, hasta las 11 pm"), ("envio", "n-1")],
                true,
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    assert_eq!(
        sql_i64(&app, &format!("SELECT COUNT(*) FROM outbox WHERE cliente_id = {ana} AND pii_open(cuerpo) LIKE '%hasta las 11 pm%'")).await,
        1
    );
    let thread = app
        .get(&format!("/m/gollos/bandeja/{ana}"), Some(&staff))
        .await;
    assert!(
        thread.body.contains("Sí, hasta las 11 pm"),
        "the reply shows in the thread"
    );
    assert!(
        thread.body.contains("st-pendiente"),
        "the reply's delivery state is shown (queued)"
    );

    // Outside the 24-hour window free text is refused and nothing is queued.
    let refused = app
        .post(
            &format!("/m/gollos/bandeja/{beto}/responder"),
            Some(&staff),
            &[("texto", "¿Sigues ahí?")],
            true,
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(
        sql_i64(
            &app,
            &format!("SELECT COUNT(*) FROM outbox WHERE cliente_id = {beto}")
        )
        .await,
        0
    );
    let closed = app
        .get(&format!("/m/gollos/bandeja/{beto}"), Some(&staff))
        .await;
    assert!(closed.body.contains("data-window-closed"));
    assert!(!closed.body.contains("data-reply"));
    // Without a template configured the template send is refused too.
    let no_tpl = app
        .post(
            &format!("/m/gollos/bandeja/{beto}/responder"),
            Some(&staff),
            &[("plantilla", "1")],
            true,
        )
        .await;
    assert_eq!(no_tpl.status, StatusCode::CONFLICT);
    tenant
        .db()
        .write(|c| {
            c.execute("INSERT INTO wa_ajustes (clave, valor) VALUES ('plantilla', 'te_extranamos'), ('plantilla_idioma', 'es')", [])?;
            Ok(())
        })
        .await
        .unwrap();
    let closed = app
        .get(&format!("/m/gollos/bandeja/{beto}"), Some(&staff))
        .await;
    assert!(
        closed.body.contains("te_extranamos"),
        "the template is offered"
    );
    let tpl = app
        .post(
            &format!("/m/gollos/bandeja/{beto}/responder"),
            Some(&staff),
            &[("plantilla", "1"), ("envio", "t-1")],
            true,
        )
        .await;
    assert_eq!(tpl.status, StatusCode::SEE_OTHER, "{}", tpl.body);
    assert_eq!(
        sql_i64(&app, &format!("SELECT COUNT(*) FROM outbox WHERE cliente_id = {beto} AND pii_open(cuerpo) LIKE '%\"template\"%te_extranamos%'")).await,
        1
    );

    // Assign to me: "mine" lists it. Close: it leaves the needs-a-person list.
    let r = app
        .post(
            &format!("/m/gollos/bandeja/{ana}/accion"),
            Some(&staff),
            &[("accion", "asignarme")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mine = app.get("/m/gollos/bandeja?filtro=mias", Some(&staff)).await;
    assert!(mine.body.contains("Ana Torres") && !mine.body.contains("Beto Ruiz"));
    let r = app
        .post(
            &format!("/m/gollos/bandeja/{ana}/accion"),
            Some(&staff),
            &[("accion", "cerrar")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        sql_i64(&app, &format!("SELECT estado = 'cerrada' AND necesita_humano = 0 FROM conversaciones WHERE cliente_id = {ana}")).await,
        1
    );
    let humano = app
        .get("/m/gollos/bandeja?filtro=humano", Some(&staff))
        .await;
    assert!(!humano.body.contains("Ana Torres"));
    let badge = app.get("/m/gollos/bandeja/insignia", Some(&staff)).await;
    assert!(
        !badge.body.contains("nav-count"),
        "nobody waits: {}",
        badge.body
    );
    let bad = app
        .post(
            &format!("/m/gollos/bandeja/{ana}/accion"),
            Some(&staff),
            &[("accion", "borrar_todo")],
            true,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Without the CSRF token nothing is sent.
    let forged = app
        .post(
            &format!("/m/gollos/bandeja/{ana}/responder"),
            Some(&staff),
            &[("texto", "forjado")],
            false,
        )
        .await;
    assert_ne!(forged.status, StatusCode::SEE_OTHER);
    assert_eq!(
        sql_i64(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE pii_open(cuerpo) LIKE '%forjado%'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn analysts_and_other_brands_cannot_read_the_inbox_and_names_are_escaped() {
    let app = App::new().await;
    let evil = customer_wrote(
        &app,
        "gollos",
        "<script>alert(1)</script>",
        "51900000001",
        "<img src=x onerror=alert(2)>",
        60_000,
    )
    .await;
    let eco = customer_wrote(
        &app,
        "eco",
        "Cliente Eco",
        "51900000002",
        "hola eco",
        60_000,
    )
    .await;

    let analyst = app.login("analyst@x.pe").await;
    let r = app.get("/m/gollos/bandeja", Some(&analyst)).await;
    assert!(
        r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND,
        "analyst got {}",
        r.status
    );

    let staff = app.login("staff@x.pe").await;
    let page = app
        .get(&format!("/m/gollos/bandeja/{evil}"), Some(&staff))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<script>alert(1)</script>"));
    assert!(!page.body.contains("<img src=x"));
    assert!(
        page.body.contains("&lt;script&gt;alert(1)"),
        "the name is shown, escaped"
    );

    // gollos staff cannot reach eco's inbox, by brand or by guessing an id.
    let other = app.get("/m/eco/bandeja", Some(&staff)).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let guess = app
        .get(&format!("/m/gollos/bandeja/{}", eco + 1000), Some(&staff))
        .await;
    assert_eq!(guess.status, StatusCode::NOT_FOUND);
    let r = app
        .post(
            &format!("/m/eco/bandeja/{eco}/responder"),
            Some(&staff),
            &[("texto", "hola")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
