//! Every mirrored domain, not only customers and orders: the three demo brands written by the
//! real binary (`autonomo demo`: loyalty, promotions, subscriptions, impact, warranties,
//! tickets, restock requests), plus campaigns and their sends, automation switches, surveys,
//! reminders, discount lines, subscription periods, stock movements and segment history
//! written through the domain libraries. Exported, compared row by row with SQLite (personal
//! fields pseudonymised), changed (updates, deletes, an erasure), synced, compared again.

use crate::support;

use std::path::Path;

use autonomo::mirror::{self, Event, MirrorStatus, Settings, StepReport};
use autonomo::tenants::Registry;
use support::*;

const BRANDS: &[&str] = &["gollos", "goio", "eco-eterno"];
/// 2026-01-15T00:00:00Z, the end of the demo window.
const END: i64 = 1_768_435_200_000;

pub(crate) async fn sync(registry: &Registry, s: &Settings) -> Vec<StepReport> {
    let mut client = mirror::connect(&s.postgres_url).await.unwrap();
    mirror::migrate(&mut client).await.unwrap();
    let status = MirrorStatus::new(&s.site, 300);
    let report = |_: Event| {};
    mirror::sync_all(registry, s, &mut client, &status, true, &report)
        .await
        .unwrap()
}

async fn check(pg: &Pg, registry: &Registry, dir: &Path, site: &str, key: Option<&[u8]>) {
    let client = pg.client().await;
    for marca in BRANDS {
        let moneda = registry
            .tenant(&slug(marca))
            .await
            .unwrap()
            .brand()
            .moneda
            .clone();
        let conn = open_brand(dir, marca);
        let exponent = mirror::currency_exponent(&moneda);
        assert_mirrored(&client, &conn, site, marca, exponent, key).await;
    }
}

pub(crate) fn settings(dir: &Path, pg: &Pg, site: &str, personal: bool) -> Settings {
    let mut config = autonomo::config::Config {
        data_dir: dir.to_path_buf(),
        ..Default::default()
    };
    config.mirror.site = site.into();
    config.mirror.include_personal_data = personal;
    Settings::from_config(&config, Some(pg.url.clone())).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_domain_table_is_mirrored_row_by_row_and_changes_converge() {
    let pg = Pg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_autonomo"))
        .args(["--data-dir", dir.path().to_str().unwrap(), "demo"])
        .args([
            "--customers",
            "60",
            "--orders",
            "400",
            "--end",
            "2026-01-15",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let registry = Registry::open(dir.path(), 2).unwrap();
    let mut tickets = Vec::new();
    for marca in BRANDS {
        tickets.push(extras(&registry, marca).await);
    }

    // Pseudonymised by default.
    let s = settings(dir.path(), &pg, "central", false);
    let first = sync(&registry, &s).await;
    assert!(first.iter().all(|r| r.full_copy), "{first:?}");
    let key = read_key(dir.path());
    check(&pg, &registry, dir.path(), "central", Some(&key)).await;
    let client = pg.client().await;
    // Nothing is compared vacuously: every mirrored table holds rows of some brand.
    for t in mirror::tables::TABLES {
        let n: i64 = client
            .query_one(&format!("SELECT count(*) FROM autonomo.{}", t.name), &[])
            .await
            .unwrap()
            .get(0);
        assert!(
            n > 0,
            "autonomo.{} is empty: the test does not exercise it",
            t.name
        );
    }
    let leaked: i64 = client
        .query_one(
            "SELECT (SELECT count(*) FROM autonomo.tickets_soporte WHERE asunto LIKE '%frío%' OR detalle LIKE '%Av.%')
                  + (SELECT count(*) FROM autonomo.encuestas WHERE comentario LIKE '%tarde%')
                  + (SELECT count(*) FROM autonomo.recordatorios WHERE texto LIKE 'Llamar%')
                  + (SELECT count(*) FROM autonomo.fidelidad_movimientos WHERE nota LIKE '%cumpleaños%')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(leaked, 0, "personal text reached the mirror");
    let pseudonym = expected_pseudonym(&key, "El pollo llegó frío");
    let found: i64 = client
        .query_one(
            "SELECT count(*) FROM autonomo.tickets_soporte WHERE asunto = $1",
            &[&pseudonym],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(found, 3, "one pseudonymised ticket per brand");

    // The views over the new tables agree with the tables they summarise.
    let views = client
        .query_one(
            "SELECT
               (SELECT count(*) FROM autonomo.v_campanas_resultados v
                 WHERE v.site = 'central' AND v.enviados = (SELECT count(*) FROM autonomo.campana_destinatarios d
                                                             WHERE d.campana_clave = v.campana_clave)),
               (SELECT count(*) FROM autonomo.campanas WHERE site = 'central'),
               (SELECT count(*) FROM autonomo.v_campanas_resultados v JOIN autonomo.campanas c ON c.clave = v.campana_clave
                 WHERE v.site = 'central' AND c.nombre = 'Enero' AND v.enviados > 1),
               (SELECT count(*) FROM autonomo.v_satisfaccion v JOIN (
                    SELECT e.site, e.marca, date_trunc('month', e.enviada_en AT TIME ZONE m.zona_horaria)::date AS mes,
                           sum(CASE WHEN e.nps >= 9 THEN 1 WHEN e.nps <= 6 THEN -1 ELSE 0 END) AS neto,
                           count(e.nps) AS n, sum(e.csat) AS csat, count(e.csat) AS n_csat
                    FROM autonomo.encuestas e JOIN autonomo.marcas m ON m.site = e.site AND m.marca = e.marca
                    GROUP BY 1, 2, 3) x ON x.site = v.site AND x.marca = v.marca AND x.mes = v.mes
                 WHERE v.site = 'central' AND v.respuestas_nps = x.n AND x.n > 0
                   AND v.nps = round(100.0 * x.neto / x.n, 1)
                   AND v.csat_promedio = round(x.csat::numeric / x.n_csat, 2)),
               (SELECT count(*) FROM autonomo.v_clv c JOIN autonomo.v_rfm r ON r.cliente_clave = c.cliente_clave
                 WHERE c.ingresos = r.monto AND c.pedidos = r.frecuencia
                   AND c.clv_12m = round(12 * c.ingresos / c.meses_activo, 2)),
               (SELECT count(*) FROM autonomo.v_rfm)",
            &[],
        )
        .await
        .unwrap();
    let v: Vec<i64> = (0..6).map(|i| views.get(i)).collect();
    assert_eq!(v[0], v[1], "v_campanas_resultados.enviados: {v:?}");
    assert_eq!(v[2], 3, "one launched campaign per brand: {v:?}");
    assert!(
        v[3] >= 3,
        "NPS and CSAT per brand and month, answered surveys in every brand: {v:?}"
    );
    assert!(v[4] == v[5] && v[5] > 0, "v_clv agrees with v_rfm: {v:?}");

    // Updates, deletes and an erasure, then only the feed travels.
    for (marca, ticket) in BRANDS.iter().zip(&tickets) {
        changes(&registry, marca, *ticket).await;
    }
    let steps = sync(&registry, &s).await;
    assert!(steps.iter().all(|r| !r.full_copy), "{steps:?}");
    assert!(steps.iter().all(|r| r.deleted > 0), "{steps:?}");
    check(&pg, &registry, dir.path(), "central", Some(&key)).await;
    for (marca, (_, ticket)) in BRANDS.iter().zip(&tickets) {
        let erased: i64 = client
            .query_one(
                "SELECT count(*) FROM autonomo.tickets_soporte t JOIN autonomo.clientes c ON c.clave = t.cliente_clave
                 WHERE t.site = 'central' AND t.marca = $1 AND t.id = $2 AND t.asunto = '' AND t.detalle = ''
                   AND t.estado = 'en_proceso' AND c.nombre = 'Cliente olvidado'",
                &[marca, ticket],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            erased, 1,
            "{marca}: the erased ticket text reached the mirror"
        );
    }
    // A replay writes nothing.
    let again = sync(&registry, &s).await;
    assert!(
        again.iter().all(|r| r.upserted + r.deleted == 0),
        "{again:?}"
    );

    // include_personal_data: another site of the same database gets the real text.
    let open = settings(dir.path(), &pg, "abierto", true);
    sync(&registry, &open).await;
    check(&pg, &registry, dir.path(), "abierto", None).await;
    // The audit triggers tenant V17 added keep every brand's hash chain intact.
    let audited: i64 = open_brand(dir.path(), "goio")
        .query_row(
            "SELECT count(DISTINCT tabla) FROM auditoria WHERE tabla IN
               ('campanas', 'campana_destinatarios', 'automatizaciones', 'encuestas', 'recordatorios',
                'fidelidad_movimientos', 'suscripciones', 'suscripcion_periodos', 'tickets_soporte')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 9);
    registry.close().await;
    let verify = std::process::Command::new(env!("CARGO_BIN_EXE_autonomo"))
        .args([
            "--data-dir",
            dir.path().to_str().unwrap(),
            "audit",
            "verify",
        ])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

/// (customer, ticket) written per brand through the domain libraries.
type Ticket = (i64, i64);

/// What the demo leaves out, through the domain libraries (and a survey answer by SQL: the
/// answer path is the WhatsApp webhook, tested in tests/automations).
async fn extras(registry: &Registry, marca: &str) -> Ticket {
    let tenant = registry.tenant(&slug(marca)).await.unwrap();
    let tz = tenant.brand().tz();
    let s = slug(marca);
    tenant
        .db()
        .write(move |conn| {
            use autonomo::campaigns::{audience::Audience, store as campaigns};
            use autonomo::{customers, loyalty, products, promotions, reminders, subscriptions, surveys, warranties};
            let now = END + 3_600_000;
            let ids: Vec<i64> = conn
                .prepare("SELECT DISTINCT cliente_id FROM pedidos ORDER BY cliente_id LIMIT 4")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            // A new order, where a redeemed reward becomes a discount line.
            let product: i64 = conn.query_row(
                "SELECT min(id) FROM productos WHERE activo = 1",
                [],
                |r| r.get(0),
            )?;
            let items = [autonomo::orders::ItemInput {
                producto_id: Some(autonomo::tenants::ids::ProductId::new(&s, product)),
                sku: None,
                cantidad: 1,
            }];
            let new = autonomo::orders::store::NewOrder {
                customer_id: ids[0],
                channel: "web",
                items: &items,
                notes: None,
                external_id: None,
                actor: "test",
                confirm: false,
            };
            let (order, buyer) = (autonomo::orders::store::create(conn, &new, now)?.id, ids[0]);
            // A customer without orders, who receives the campaign and is deleted later.
            let mut f = customer(900, "extra");
            f.marketing_consent = true;
            let spare = customers::store::insert(conn, &s, &f, now)?.id;

            for (clave, ajustes) in [
                ("encuesta", serde_json::json!({"retraso_min": 0, "nps": true})),
                ("auto_en_riesgo", serde_json::json!({})),
            ] {
                let a = campaigns::Automation {
                    clave: clave.into(),
                    activa: true,
                    plantilla: Some("volvemos".into()),
                    idioma: "es".into(),
                    ajustes,
                    activa_desde: None,
                };
                // Switched off and on again before the demo's last week (the demo switches
                // them on as it is made), so that week's deliveries get surveys below.
                let before_last_week = END - 8 * 24 * 3_600_000;
                let off = campaigns::Automation { activa: false, ..a.clone() };
                campaigns::set_automation(conn, &off, before_last_week)?;
                campaigns::set_automation(conn, &a, before_last_week)?;
            }
            let campaign = |nombre: &str| campaigns::NewCampaign {
                nombre: nombre.into(),
                tipo: "manual".into(),
                audiencia: Audience::default(),
                plantilla: "promo_enero".into(),
                idioma: "es".into(),
                variables: vec!["nombre".into()],
                programada_para: None,
                creado_por: "user:1".into(),
            };
            let launched = campaigns::insert(conn, &campaign("Enero"), now)?;
            let stored = campaigns::launch(conn, launched, tz, now)?;
            // The campaign sender's batches, run here in the same write.
            let mut sent = 0;
            while let n @ 1.. = autonomo::campaigns::batch::queue(conn, launched, 20, now, 500)? {
                sent += n as i64;
            }
            assert!(sent > 1 && sent == stored, "{sent} of {stored}");
            campaigns::insert(conn, &campaign("Borrador"), now)?;

            // Surveys for the orders delivered in the last week of the demo, one answered.
            let delivered: i64 = conn.query_row(
                "SELECT max(creado_en) FROM pedido_estados WHERE estado = 'entregado'",
                [],
                |r| r.get(0),
            )?;
            let surveyed = surveys::send_due(conn, delivered + 60_000)?;
            assert!(surveyed > 0);
            conn.execute(
                "UPDATE encuestas SET estado = 'completa', csat = 2, nps = 9, respondida_en = ?1,
                    comentario = 'Llegó tarde pero rico'
                 WHERE pedido_id = (SELECT min(pedido_id) FROM encuestas)",
                [now],
            )?;

            let reminder = reminders::NewReminder {
                customer: ids[1],
                text: "Llamar para confirmar la dirección",
                due: now + 86_400_000,
                origin: "manual",
                key: None,
                by: "user:1",
            };
            reminders::insert(conn, &reminder, now)?;
            let spare_reminder = reminders::NewReminder {
                customer: spare,
                ..reminder
            };
            reminders::insert(conn, &spare_reminder, now)?;

            // Loyalty: a program and a reward where the demo has none, points, a redemption
            // that puts a discount line on an order.
            if loyalty::store::program(conn)?.is_none() {
                conn.execute(
                    "INSERT INTO fidelidad_programa (id, tipo, monto_por_punto, pedido_minimo, actualizado_en)
                     VALUES (1, 'puntos', 100, 0, ?1)",
                    [now],
                )?;
            }
            let reward = loyalty::store::create_reward(
                conn,
                &loyalty::RewardInput {
                    nombre: "Descuento".into(),
                    costo: 5,
                    descuento: 500,
                },
                now,
            )?;
            loyalty::store::append(conn, buyer, "ajuste", 50, None, None, Some("Regalo de cumpleaños"), None, now)?;
            loyalty::ledger::redeem(conn, buyer, reward.id, Some(order), now)?;

            let rule = promotions::engine::Rule {
                id: 0,
                nombre: "Martes 2x1".into(),
                tipo: "2x1".into(),
                porcentaje: 0,
                producto_id: Some(product),
                categoria: None,
                dias: vec![2],
                minuto_desde: 0,
                minuto_hasta: 1440,
                segmento: None,
                zona_horaria: "America/Lima".into(),
                activo: true,
            };
            let rule = promotions::store::insert_rule(conn, &rule, now)?;
            // Only for customers who already bought the product twice (mirror V6).
            let history = promotions::store::History {
                sku: conn.query_row("SELECT sku FROM productos WHERE id = ?1", [product], |r| r.get(0))?,
                veces: 2,
            };
            promotions::store::set_history(conn, rule.id, &history)?;

            // Stock: tracked, moved (a movement), out, a restock request, back in.
            let p = products::store::get(conn, product)?.unwrap();
            let mut input = products::ProductInput {
                sku: p.sku.clone(),
                nombre: p.name.clone(),
                categoria: p.category.clone(),
                precio: p.price,
                costo: p.cost,
                stock: Some(10),
                activo: true,
                atributos: p.attributes.clone(),
            };
            products::store::update(conn, &s, product, &input, now)?;
            input.stock = Some(0);
            products::store::update(conn, &s, product, &input, now + 1)?;
            autonomo::restock::request(conn, ids[2], product, "personal", now + 2)?;
            input.stock = Some(4);
            products::store::update(conn, &s, product, &input, now + 3)?;

            // Subscriptions: a plan, a subscription, a skipped period.
            let plan = subscriptions::store::insert_plan(
                conn,
                "Caja semanal",
                &vec![(product, 2)],
                3990,
                subscriptions::Period::Weeks(1),
                now,
            )?;
            let sub = subscriptions::store::subscribe(conn, plan, ids[3], now, now)?;
            subscriptions::store::skip(conn, sub, 1, now + 7 * 86_400_000)?;
            subscriptions::store::skip(conn, sub, 2, now + 14 * 86_400_000)?;

            // Segment history from the analytics refresh.
            autonomo::analytics::refresh::incremental(
                conn,
                tz,
                chrono::DateTime::from_timestamp_millis(now).unwrap(),
            )?;

            let ticket = warranties::tickets::create(
                conn,
                ids[0],
                &warranties::tickets::TicketInput {
                    asunto: "El pollo llegó frío".into(),
                    detalle: "Vivo en Av. Arequipa 100, dpto 3".into(),
                    prioridad: Some("alta".into()),
                    pedido_id: None,
                    garantia_id: None,
                },
                None,
                "personal",
                now,
            )?;
            Ok((ids[0], ticket.id))
        })
        .await
        .unwrap()
}

/// Updates and deletes across the new tables, and the erasure of the ticket's customer.
async fn changes(registry: &Registry, marca: &str, (customer, ticket): Ticket) {
    let tenant = registry.tenant(&slug(marca)).await.unwrap();
    let gollos = marca == "gollos";
    tenant
        .db()
        .write(move |conn| {
            use autonomo::campaigns::store as campaigns;
            use autonomo::{customers, reminders, subscriptions, warranties};
            let now = END + 7_200_000;
            let patch = warranties::tickets::TicketPatch {
                estado: Some("en_proceso".into()),
                prioridad: None,
            };
            warranties::tickets::update(conn, customer, ticket, &patch, now)?;
            // A whole-table re-copy (text key).
            let mut a = campaigns::automation(conn, "auto_en_riesgo")?;
            a.activa = false;
            campaigns::set_automation(conn, &a, now)?;
            // A draft cancelled.
            let draft: i64 = conn.query_row("SELECT max(id) FROM campanas", [], |r| r.get(0))?;
            campaigns::cancel(conn, draft, now)?;
            // A subscription paused, moved to another plan, one period un-skipped by hand
            // (a group re-copy that loses a row).
            let sub: i64 = conn.query_row("SELECT max(id) FROM suscripciones", [], |r| r.get(0))?;
            subscriptions::store::set_status(conn, sub, "pausada", None, now)?;
            let plan: i64 =
                conn.query_row("SELECT min(id) FROM suscripcion_planes", [], |r| r.get(0))?;
            subscriptions::store::set_plan(conn, sub, plan, now)?;
            conn.execute(
                "DELETE FROM suscripcion_periodos WHERE suscripcion_id = ?1 AND periodo = 2",
                [sub],
            )?;
            // A purchase-history condition raised, then (gollos only) removed.
            let rule: i64 = conn.query_row(
                "SELECT max(promocion_id) FROM promocion_historial",
                [],
                |r| r.get(0),
            )?;
            let mut history = autonomo::promotions::store::history(conn, rule)?.unwrap();
            history.veces = 3;
            autonomo::promotions::store::set_history(conn, rule, &history)?;
            if gollos {
                autonomo::promotions::store::clear_history(conn, rule)?;
            }
            let reminder: i64 =
                conn.query_row("SELECT min(id) FROM recordatorios", [], |r| r.get(0))?;
            assert!(reminders::done(conn, reminder, now)?);
            // The customer without orders goes, with their campaign send, reminder, consent
            // and segment history.
            let spare: i64 = conn.query_row(
                "SELECT id FROM clientes WHERE nombre LIKE 'Cliente extra %'",
                [],
                |r| r.get(0),
            )?;
            let sends: i64 = conn.query_row(
                "SELECT count(*) FROM campana_destinatarios WHERE cliente_id = ?1",
                [spare],
                |r| r.get(0),
            )?;
            assert_eq!(sends, 1);
            conn.execute("DELETE FROM outbox WHERE cliente_id = ?1", [spare])?;
            customers::store::delete(conn, spare)?;
            // GDPR erasure of the ticket's customer: ticket text, survey comments, reminders.
            assert!(customers::privacy::forget(conn, customer)?);
            Ok(())
        })
        .await
        .unwrap();
}
