//! The support screen through the real router: open a ticket on a customer linked to their
//! order and warranty, see it in the list with its status and priority, filter, change its
//! status, see it in the customer's inbox thread while open, refusals that change nothing
//! (another customer's order, bad priority, no CSRF), and a user of another brand refused.

use axum::http::StatusCode;
use rusqlite::params;

use crate::support::App;

/// Two customers with a WhatsApp chat; the first has a delivered order with a warranty.
/// Returns (first customer, their order, their warranty, second customer).
async fn seed(app: &App) -> (i64, i64, i64, i64) {
    let t = app
        .state
        .registry
        .tenant(&autonomo::tenants::Slug::parse("eco").unwrap())
        .await
        .unwrap();
    t.db()
        .write(|c| {
            let now = autonomo::time::now_ms();
            let mut ids = Vec::new();
            for (name, wa) in [("Diego Paredes", "51987000501"), ("Elena Soto", "51987000502")] {
                c.execute(
                    "INSERT INTO clientes (nombre, telefono, canal_adquisicion, creado_en, actualizado_en)
                     VALUES (?1, ?2, 'whatsapp', ?3, ?3)",
                    params![name, format!("+{wa}"), now],
                )?;
                let id = c.last_insert_rowid();
                c.execute(
                    "INSERT INTO wa_contactos (cliente_id, wa_id, nombre_perfil, ultimo_entrante_en) VALUES (?1, ?2, ?3, ?4)",
                    params![id, wa, name, now],
                )?;
                autonomo::conversations::store::touch_incoming(c, id, "hola", now)?;
                ids.push(id);
            }
            c.execute(
                "INSERT INTO pedidos (cliente_id, canal, estado, subtotal, descuento, total, creado_en, actualizado_en)
                 VALUES (?1, 'web', 'entregado', 129900, 0, 129900, ?2, ?2)",
                params![ids[0], now],
            )?;
            let order = c.last_insert_rowid();
            c.execute(
                "INSERT INTO pedido_items (pedido_id, sku, nombre, cantidad, precio_unitario, total)
                 VALUES (?1, 'AUD-1', 'Audífonos', 1, 129900, 129900)",
                [order],
            )?;
            let item = c.last_insert_rowid();
            c.execute(
                "INSERT INTO garantias (cliente_id, pedido_id, pedido_item_id, nombre, meses, inicio_en, vence_en)
                 VALUES (?1, ?2, ?3, 'Audífonos', 12, ?4, ?4 + 31536000000)
                 ON CONFLICT (pedido_item_id) DO NOTHING",
                params![ids[0], order, item, now],
            )?;
            let warranty: i64 = c.query_row(
                "SELECT id FROM garantias WHERE pedido_item_id = ?1",
                [item],
                |r| r.get(0),
            )?;
            Ok((ids[0], order, warranty, ids[1]))
        })
        .await
        .unwrap()
}

fn row(body: &str, id: i64) -> &str {
    body.split(&format!("data-ticket=\"{id}\""))
        .nth(1)
        .and_then(|s| s.split("</tr>").next())
        .unwrap_or_else(|| panic!("ticket {id} not listed"))
}

#[tokio::test]
async fn tickets_are_opened_listed_filtered_updated_and_shown_in_the_inbox() {
    let app = App::new().await;
    let (diego, order, warranty, elena) = seed(&app).await;
    let owner = app.login("owner@x.pe").await;

    let empty = app.get("/m/eco/soporte", Some(&owner)).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("href=\"/m/eco/soporte\""), "nav link");
    assert!(empty.body.contains("No hay tickets."));

    let (d, o, w) = (diego.to_string(), order.to_string(), warranty.to_string());
    let made = app
        .post(
            "/m/eco/soporte",
            Some(&owner),
            &[
                ("cliente", &format!("cli_eco_{d}")),
                ("asunto", "Audífonos no cargan"),
                ("detalle", "El lado izquierdo no enciende"),
                ("prioridad", "alta"),
                ("pedido", &o),
                ("garantia", &w),
            ],
            true,
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let e = elena.to_string();
    let other = app
        .post(
            "/m/eco/soporte",
            Some(&owner),
            &[
                ("cliente", &e),
                ("asunto", "Consulta de factura"),
                ("prioridad", "baja"),
            ],
            true,
        )
        .await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);

    // Refusals change nothing: Diego's order on Elena's ticket, a bad priority, no CSRF.
    for (fields, csrf) in [
        (
            vec![
                ("cliente", e.as_str()),
                ("asunto", "x"),
                ("pedido", o.as_str()),
            ],
            true,
        ),
        (
            vec![
                ("cliente", e.as_str()),
                ("asunto", "x"),
                ("prioridad", "urgente"),
            ],
            true,
        ),
        (
            vec![("cliente", e.as_str()), ("asunto", "x"), ("pedido", "abc")],
            true,
        ),
        (vec![("cliente", e.as_str()), ("asunto", "x")], false),
    ] {
        let r = app
            .post("/m/eco/soporte", Some(&owner), &fields, csrf)
            .await;
        assert_ne!(r.status, StatusCode::SEE_OTHER, "{fields:?}");
    }

    let list = app.get("/m/eco/soporte", Some(&owner)).await;
    assert_eq!(
        list.body.matches("data-ticket=").count(),
        2,
        "only the two good tickets"
    );
    let first = row(&list.body, 1);
    assert!(first.contains("Diego Paredes") && first.contains("Audífonos no cargan"));
    assert!(first.contains("Alta"), "{first}");
    assert!(
        first.contains(&format!("/m/eco/pedidos/{order}")),
        "linked order"
    );
    assert!(first.contains(&format!("#{warranty}")), "linked warranty");
    assert!(first.contains("value=\"abierto\" selected"), "status shown");
    // Urgent first.
    assert!(list.body.find("data-ticket=\"1\"") < list.body.find("data-ticket=\"2\""));

    let high = app.get("/m/eco/soporte?prioridad=alta", Some(&owner)).await;
    assert!(
        high.body.contains("Audífonos no cargan") && !high.body.contains("Consulta de factura")
    );
    let bad = app.get("/m/eco/soporte?estado=perdido", Some(&owner)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Open in Diego's inbox thread, gone once resolved.
    let thread = app
        .get(&format!("/m/eco/bandeja/{diego}"), Some(&owner))
        .await;
    assert_eq!(thread.status, StatusCode::OK);
    assert!(
        thread.body.contains("data-thread-tickets") && thread.body.contains("Audífonos no cargan")
    );
    let elena_thread = app
        .get(&format!("/m/eco/bandeja/{elena}"), Some(&owner))
        .await;
    assert!(!elena_thread.body.contains("Audífonos no cargan"));

    let changed = app
        .post(
            "/m/eco/soporte/1/estado",
            Some(&owner),
            &[("estado", "resuelto")],
            true,
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    let refused = app
        .post(
            "/m/eco/soporte/1/estado",
            Some(&owner),
            &[("estado", "olvidado")],
            true,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let list = app
        .get("/m/eco/soporte?estado=resuelto", Some(&owner))
        .await;
    assert!(row(&list.body, 1).contains("value=\"resuelto\" selected"));
    assert!(
        !list.body.contains("data-ticket=\"2\""),
        "filtered by status"
    );
    let thread = app
        .get(&format!("/m/eco/bandeja/{diego}"), Some(&owner))
        .await;
    assert!(
        !thread.body.contains("data-thread-tickets"),
        "resolved tickets leave the thread"
    );

    let manager = app.login("manager@x.pe").await;
    assert_ne!(
        app.get("/m/eco/soporte", Some(&manager)).await.status,
        StatusCode::OK
    );
}
