//! The balance on the customer page and the counter's customer lookup, and the promotion's
//! reason on the ticket (in-process router, logged-in staff).

use autonomo::loyalty::{Program, store as loyalty};
use autonomo::orders::ItemInput;
use autonomo::orders::store::{self as orders, NewOrder};
use autonomo::promotions::{Rule, store as promotions};
use autonomo::time::now_ms;
use rusqlite::params;

use crate::ui_support::App;

#[tokio::test]
async fn balance_on_customer_page_and_counter_and_reason_on_ticket() {
    let app = App::new().await;
    let tenant = app
        .state
        .registry
        .tenant(&autonomo::tenants::Slug::parse("gollos").unwrap())
        .await
        .unwrap();
    let (customer, order, open) = tenant
        .db()
        .write(|c| {
            let now = now_ms();
            c.execute(
                "INSERT INTO productos (sku, nombre, categoria, precio, creado_en, actualizado_en)
                 VALUES ('POLLO-1', 'Pollo a la brasa', 'pollos', 5990, ?1, ?1)",
                [now],
            )?;
            c.execute(
                "INSERT INTO clientes (nombre, telefono, telefono_bi, canal_adquisicion, creado_en, actualizado_en)
                 VALUES ('Rosa Quispe', pii_seal('+51987654321'), pii_bi('telefono', '+51987654321'),
                         'presencial', ?1, ?1)",
                params![now],
            )?;
            let customer = c.last_insert_rowid();
            loyalty::set_program(
                c,
                &Program {
                    tipo: "sellos".into(),
                    monto_por_punto: 100,
                    pedido_minimo: 0,
                    vigencia_dias: Some(365),
                    activo: true,
                },
                now,
            )?;
            promotions::insert_rule(
                c,
                &Rule {
                    id: 0,
                    nombre: "2x1 de la casa".into(),
                    tipo: "2x1".into(),
                    porcentaje: 0,
                    producto_id: None,
                    categoria: Some("pollos".into()),
                    dias: vec![],
                    minuto_desde: 0,
                    minuto_hasta: 1440,
                    segmento: None,
                    zona_horaria: "America/Lima".into(),
                    activo: true,
                },
                now,
            )?;
            let items = [ItemInput {
                producto_id: None,
                sku: Some("POLLO-1".into()),
                cantidad: 2,
            }];
            let reward = loyalty::create_reward(
                c,
                &autonomo::loyalty::RewardInput {
                    nombre: "Chicha gratis".into(),
                    costo: 1,
                    descuento: 700,
                },
                now,
            )?;
            assert_eq!(reward.costo, 1);
            let mut new = NewOrder {
                customer_id: customer,
                channel: "presencial",
                items: &items,
                notes: None,
                external_id: None,
                actor: "test",
                confirm: true,
            };
            let order = orders::create(c, &new, now)?.id;
            new.confirm = false;
            let open = orders::create(c, &new, now)?.id;
            Ok((customer, order, open))
        })
        .await
        .unwrap();
    let staff = app.login("staff@x.pe").await;
    let page = app
        .get(&format!("/m/gollos/clientes/{customer}"), Some(&staff))
        .await;
    assert!(page.status.is_success(), "{}", page.body);
    let stat = page
        .body
        .split("data-loyalty-balance")
        .nth(1)
        .expect("balance shown");
    assert!(
        stat.contains("Sellos") && stat.contains(">1<"),
        "{stat:.200}"
    );

    let lookup = app
        .get("/m/gollos/pedidos/cliente?cliente=987654321", Some(&staff))
        .await;
    assert!(lookup.body.contains("1 Sellos"), "{}", lookup.body);

    let ticket = app
        .get(&format!("/m/gollos/pedidos/{order}"), Some(&staff))
        .await;
    assert!(
        ticket
            .body
            .contains("2x1 de la casa: Pollo a la brasa (1 gratis)"),
        "{}",
        ticket.body
    );

    // Redeeming at the counter: the ticket's panel offers the reward; the post adds it.
    assert!(
        ticket
            .body
            .contains(&format!("/m/gollos/pedidos/{order}/fidelidad"))
    );
    let panel = app
        .get(&format!("/m/gollos/pedidos/{open}/fidelidad"), Some(&staff))
        .await;
    assert!(
        panel.body.contains("Canjear: Chicha gratis (1)"),
        "{}",
        panel.body
    );
    let r = app
        .post(
            &format!("/m/gollos/pedidos/{open}/canje"),
            Some(&staff),
            &[("recompensa_id", "1")],
            true,
        )
        .await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let ticket = app
        .get(&format!("/m/gollos/pedidos/{open}"), Some(&staff))
        .await;
    assert!(
        ticket.body.contains("Recompensa: Chicha gratis"),
        "{}",
        ticket.body
    );
    let panel = app
        .get(&format!("/m/gollos/pedidos/{open}/fidelidad"), Some(&staff))
        .await;
    assert!(!panel.body.contains("Canjear:"), "{}", panel.body);
}
