//! The stock screens through the real router with logged-in staff: the low-stock list,
//! a product's ledger, receiving goods (which marks the waiting restock requests ready for
//! the same dispatch the API path feeds), adjusting with a reason, the threshold, adding a
//! customer to the waiting list, the role checks and one bad input per form.

use autonomo::tenants::Slug;
use axum::http::StatusCode;
use rusqlite::params;

use crate::ui_support::App;

const SLUG: &str = "gollos";

async fn tenant(app: &App) -> std::sync::Arc<autonomo::tenants::Tenant> {
    app.state
        .registry
        .tenant(&Slug::parse(SLUG).unwrap())
        .await
        .unwrap()
}

/// Two tracked products (one sold out) and Ana, who writes on WhatsApp (window open).
async fn seed(app: &App) -> (i64, i64, i64) {
    let now = autonomo::time::now_ms();
    tenant(app)
        .await
        .db()
        .write(move |c| {
            c.execute(
                "INSERT INTO productos (sku, nombre, categoria, precio, stock, creado_en, actualizado_en)
                 VALUES ('AUD-PRO', 'Audífonos Goio Pro', 'Audio', 19990, 0, ?1, ?1)",
                [now],
            )?;
            let audio = c.last_insert_rowid();
            c.execute(
                "INSERT INTO productos (sku, nombre, categoria, precio, stock, creado_en, actualizado_en)
                 VALUES ('CABLE', 'Cable USB-C', 'Accesorios', 2990, 50, ?1, ?1)",
                [now],
            )?;
            let cable = c.last_insert_rowid();
            c.execute(
                "INSERT INTO clientes (nombre, telefono, telefono_bi, canal_adquisicion, creado_en, actualizado_en)
                 VALUES ('Ana Torres', pii_seal('+51911000001'), pii_bi('telefono', '+51911000001'), 'whatsapp', ?1, ?1)",
                [now],
            )?;
            let ana = c.last_insert_rowid();
            c.execute(
                "INSERT INTO wa_contactos (cliente_id, wa_id, ultimo_entrante_en) VALUES (?1, '51911000001', ?2)",
                params![ana, now],
            )?;
            Ok((audio, cable, ana))
        })
        .await
        .unwrap()
}

async fn query<T: Send + 'static>(
    app: &App,
    sql: &'static str,
    f: impl FnOnce(&rusqlite::Row) -> rusqlite::Result<T> + Send + 'static,
) -> T {
    tenant(app)
        .await
        .db()
        .read(move |c| Ok(c.query_row(sql, [], f)?))
        .await
        .unwrap()
}

async fn stock_of(app: &App, id: i64) -> i64 {
    tenant(app)
        .await
        .db()
        .read(move |c| {
            Ok(
                c.query_row("SELECT stock FROM productos WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?,
            )
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn stock_screens_receive_adjust_threshold_and_waiting_list() {
    let app = App::new().await;
    let (audio, cable, ana) = seed(&app).await;
    let staff = app.login("staff@x.pe").await;
    let manager = app.login("manager@x.pe").await;
    let base = format!("/m/{SLUG}/stock/{audio}");

    // Everyone in the brand sees the screen and its nav link; staff cannot move stock.
    let list = app.get(&format!("/m/{SLUG}/stock"), Some(&staff)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains(&format!("href=\"/m/{SLUG}/stock\"")));
    assert!(list.body.contains("Audífonos Goio Pro") && list.body.contains("Cable USB-C"));
    let page = app.get(&base, Some(&staff)).await;
    assert!(!page.body.contains("/recibir"), "staff get no stock forms");
    let denied = app
        .post(
            &format!("{base}/recibir"),
            Some(&staff),
            &[("cantidad", "5")],
            true,
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(stock_of(&app, audio).await, 0);

    // Staff put Ana on the waiting list from the customer search.
    let found = app.get(&format!("{base}?q=Ana"), Some(&staff)).await;
    assert!(
        found.body.contains(&format!("data-match=\"{ana}\"")),
        "{}",
        found.body
    );
    let by_phone = app
        .get(&format!("{base}?q=911+000+001"), Some(&staff))
        .await;
    assert!(
        by_phone.body.contains(&format!("data-match=\"{ana}\"")),
        "{}",
        by_phone.body
    );
    let added = app
        .post(
            &format!("{base}/avisos"),
            Some(&staff),
            &[("cliente_id", &ana.to_string())],
            true,
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    // A product in stock has no waiting list: the form says so and nothing is added.
    let refused = app
        .post(
            &format!("/m/{SLUG}/stock/{cable}/avisos"),
            Some(&staff),
            &[("cliente_id", &ana.to_string())],
            true,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("data-form-error=\"avisos\"")
            && refused.body.contains("no está agotado"),
        "{}",
        refused.body
    );
    let waiting = app.get(&base, Some(&staff)).await;
    assert!(
        waiting.body.contains("data-estado=\"esperando\"") && waiting.body.contains("Ana Torres"),
        "{}",
        waiting.body
    );

    // No CSRF token, no receipt.
    let forged = app
        .post(
            &format!("{base}/recibir"),
            Some(&manager),
            &[("cantidad", "5")],
            false,
        )
        .await;
    assert_ne!(forged.status, StatusCode::SEE_OTHER);
    assert_eq!(stock_of(&app, audio).await, 0);

    // A bad receipt shows its error on the form and changes nothing.
    let bad = app
        .post(
            &format!("{base}/recibir"),
            Some(&manager),
            &[("cantidad", "0")],
            true,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("data-form-error=\"recibir\"")
            && bad.body.contains("Cantidad recibida: un número entero"),
        "{}",
        bad.body
    );
    assert_eq!(stock_of(&app, audio).await, 0);

    // Receiving 0 -> 5 marks Ana's request ready, as an API stock change does...
    let got = app
        .post(
            &format!("{base}/recibir"),
            Some(&manager),
            &[("cantidad", "5"), ("nota", "Factura F001-123")],
            true,
        )
        .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    assert_eq!(stock_of(&app, audio).await, 5);
    let state: String = query(&app, "SELECT estado FROM avisos_reposicion", |r| r.get(0)).await;
    assert_eq!(state, "listo");
    // ...and the restock job's dispatch sends her one message.
    let sent = tenant(&app)
        .await
        .db()
        .write_as("system:job:avisos_reposicion", |c| {
            autonomo::restock::dispatch(c, autonomo::time::now_ms())
        })
        .await
        .unwrap();
    assert_eq!(sent.sent, 1);
    let queued: i64 = query(
        &app,
        "SELECT COUNT(*) FROM outbox WHERE clave LIKE 'restock:%'",
        |r| r.get(0),
    )
    .await;
    assert_eq!(queued, 1);

    // A bad adjustment (no reason) changes nothing; a counted quantity with a reason does.
    let bad = app
        .post(
            &format!("{base}/ajustar"),
            Some(&manager),
            &[("modo", "contado"), ("cantidad", "3"), ("motivo", " ")],
            true,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("Escriba el motivo del ajuste."),
        "{}",
        bad.body
    );
    assert_eq!(stock_of(&app, audio).await, 5);
    let ok = app
        .post(
            &format!("{base}/ajustar"),
            Some(&manager),
            &[
                ("modo", "contado"),
                ("cantidad", "3"),
                ("motivo", "Conteo mensual"),
            ],
            true,
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let ok = app
        .post(
            &format!("{base}/ajustar"),
            Some(&manager),
            &[
                ("modo", "diferencia"),
                ("cantidad", "+1"),
                ("motivo", "Devuelto por proveedor"),
            ],
            true,
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(stock_of(&app, audio).await, 4);

    // The threshold: a bad one is refused, a good one puts the product first, highlighted.
    let bad = app
        .post(
            &format!("{base}/minimo"),
            Some(&manager),
            &[("stock_minimo", "-1")],
            true,
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("data-form-error=\"minimo\""),
        "{}",
        bad.body
    );
    let ok = app
        .post(
            &format!("{base}/minimo"),
            Some(&manager),
            &[("stock_minimo", "2")],
            true,
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let ok = app
        .post(
            &format!("/m/{SLUG}/stock/{cable}/minimo"),
            Some(&manager),
            &[("stock_minimo", "60")],
            true,
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    // The cable (50 of 60) is low and comes first although it sorts after the headphones.
    let list = app.get(&format!("/m/{SLUG}/stock"), Some(&staff)).await;
    let rows: Vec<&str> = list.body.split("data-stock-row=").skip(1).collect();
    assert!(
        rows[0].starts_with(&format!("\"{cable}\" data-low")),
        "{:.200}",
        rows[0]
    );
    let second = &rows[1][..rows[1].find('>').unwrap()];
    assert!(
        second.starts_with(&format!("\"{audio}\"")) && !second.contains("data-low"),
        "{second}"
    );
    assert!(list.body.contains("data-low-count=\"1\""));

    // The ledger shows every movement with its note, and Ana as notified.
    let page = app.get(&base, Some(&staff)).await;
    for expected in [
        "data-tipo=\"ingreso\"",
        "Factura F001-123",
        "Conteo mensual",
        "Devuelto por proveedor",
        "data-estado=\"enviado\"",
        "Avisado",
    ] {
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
    }
    assert_eq!(page.body.matches("data-tipo=\"ajuste\"").count(), 2);
    let all = app
        .get(&format!("/m/{SLUG}/stock/avisos"), Some(&staff))
        .await;
    assert!(all.body.contains("Ana Torres") && all.body.contains("data-estado=\"enviado\""));

    // The change made through the screen is in the audit trail, by the manager.
    let actor: String = query(
        &app,
        "SELECT actor FROM auditoria WHERE tabla = 'productos' AND accion = 'update' ORDER BY id DESC LIMIT 1",
        |r| r.get(0),
    )
    .await;
    assert!(actor.starts_with("user:"), "{actor}");
    let notes: i64 = query(
        &app,
        "SELECT COUNT(*) FROM auditoria WHERE tabla = 'movimientos_stock' AND accion = 'nota' AND actor LIKE 'user:%'",
        |r| r.get(0),
    )
    .await;
    assert_eq!(notes, 3);
}

/// The counter order screen shows, on each product's tile, what customers also bought with
/// it (two live orders together at least; a cancelled order does not count).
#[tokio::test]
async fn counter_screen_shows_what_is_bought_together() {
    let app = App::new().await;
    let (audio, cable, ana) = seed(&app).await;
    tenant(&app)
        .await
        .db()
        .write(move |c| {
            c.execute(
                "INSERT INTO productos (sku, nombre, categoria, precio, stock, creado_en, actualizado_en)
                 VALUES ('FUNDA', 'Funda rígida', 'Accesorios', 990, NULL, 1, 1)",
                [],
            )?;
            let funda = c.last_insert_rowid();
            // Audio + cable twice; audio + funda twice, but one of those cancelled.
            for (n, (estado, other)) in [
                ("entregado", cable),
                ("entregado", cable),
                ("entregado", funda),
                ("cancelado", funda),
            ]
            .into_iter()
            .enumerate()
            {
                c.execute(
                    "INSERT INTO pedidos (cliente_id, canal, estado, subtotal, total, creado_en, actualizado_en)
                     VALUES (?1, 'presencial', ?2, 0, 0, ?3, ?3)",
                    params![ana, estado, n as i64 + 1],
                )?;
                let order = c.last_insert_rowid();
                for p in [audio, other] {
                    c.execute(
                        "INSERT INTO pedido_items (pedido_id, producto_id, sku, nombre, cantidad, precio_unitario, total)
                         VALUES (?1, ?2, 'x', 'x', 1, 1, 1)",
                        params![order, p],
                    )?;
                }
            }
            Ok(())
        })
        .await
        .unwrap();
    let staff = app.login("staff@x.pe").await;
    let page = app
        .get(&format!("/m/{SLUG}/pedidos/nuevo"), Some(&staff))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let tile = |id: i64| {
        let start = page
            .body
            .find(&format!("data-product=\"{id}\""))
            .unwrap_or_else(|| panic!("no tile for {id}: {}", page.body));
        let end = page.body[start..]
            .find("class=\"stepper\"")
            .map_or(page.body.len(), |e| start + e);
        page.body[start..end].to_string()
    };
    let audio_tile = tile(audio);
    assert!(
        audio_tile.contains("También llevan: Cable USB-C"),
        "{audio_tile}"
    );
    assert!(
        !audio_tile.contains("Funda"),
        "one live order together is below the minimum: {audio_tile}"
    );
    assert!(
        tile(cable).contains("También llevan: Audífonos Goio Pro"),
        "{}",
        tile(cable)
    );
}
