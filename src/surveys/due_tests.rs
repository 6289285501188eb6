//! Which delivered orders get a survey, and that finding them reads only the window's
//! deliveries: the job runs on the brand's writer every 5 minutes, and a walk over every
//! delivered order held every other write of a 1M-order brand for seconds.

use rusqlite::{Connection, params};

use super::{DUE_SQL, send_due};
use crate::campaigns::store::{Automation, automation, set_automation};
use crate::customers::{self, CustomerFields};
use crate::db::test_support::{in_brand_write, with_brand};
use crate::error::AppError;
use crate::tenants::Slug;

const MIN: i64 = 60_000;
const NOW: i64 = 1_795_000_000_000;

fn customer(c: &Connection) -> i64 {
    let fields = CustomerFields {
        name: "Rosa Quispe".into(),
        phone: Some("+51987654321".into()),
        email: None,
        address: None,
        notes: None,
        tags: Vec::new(),
        marketing_consent: false,
        channel: "whatsapp".into(),
    };
    let slug = Slug::parse("gollos").unwrap();
    customers::store::insert(c, &slug, &fields, NOW - 30 * 24 * 60 * MIN)
        .unwrap()
        .id
}

/// Switches surveys on or off at `at`, with a 60-minute delay, as the settings screen does.
fn switch_surveys(c: &Connection, on: bool, at: i64) -> Result<(), AppError> {
    let a = Automation {
        clave: "encuesta".into(),
        activa: on,
        plantilla: None,
        idioma: "es".into(),
        ajustes: serde_json::json!({"retraso_min": 60, "nps": true}),
        activa_desde: None,
    };
    set_automation(c, &a, at)
}

/// Runs the job at [`NOW`]: the surveyed orders, then the count it returned.
fn send_and_list(c: &Connection) -> Result<Vec<i64>, AppError> {
    let sent = send_due(c, NOW)?;
    let mut surveyed: Vec<i64> = c
        .prepare("SELECT pedido_id FROM encuestas ORDER BY pedido_id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    surveyed.push(sent);
    Ok(surveyed)
}

/// An order now in `estado`, delivered at each of `deliveries` (ms before [`NOW`]).
fn order(c: &Connection, customer: i64, estado: &str, deliveries: &[i64]) -> i64 {
    let created = NOW - 20 * 24 * 60 * MIN;
    c.execute(
        "INSERT INTO pedidos (cliente_id, canal, estado, subtotal, descuento, total, creado_en, actualizado_en)
         VALUES (?1, 'web', ?2, 1000, 0, 1000, ?3, ?3)",
        params![customer, estado, created],
    )
    .unwrap();
    let id = c.last_insert_rowid();
    for ago in deliveries {
        c.execute(
            "INSERT INTO pedido_estados (pedido_id, estado, actor, creado_en)
             VALUES (?1, 'entregado', 'test', ?2)",
            params![id, NOW - ago],
        )
        .unwrap();
    }
    id
}

#[test]
fn a_survey_goes_to_orders_whose_latest_delivery_is_past_the_delay_and_within_a_week() {
    let (surveyed, expected) = in_brand_write(|c| {
        switch_surveys(c, true, NOW - 30 * 24 * 60 * MIN)?;
        let who = customer(c);
        let day = 24 * 60 * MIN;
        let due = order(c, who, "entregado", &[120 * MIN]);
        let delivered_again = order(c, who, "entregado", &[10 * day, 3 * day]);
        let too_old = order(c, who, "entregado", &[8 * day]);
        let too_recent = order(c, who, "entregado", &[10 * MIN]);
        // Delivered in the window, then delivered again a few minutes ago: not yet.
        let redelivered_now = order(c, who, "entregado", &[3 * 60 * MIN, 5 * MIN]);
        let cancelled = order(c, who, "cancelado", &[120 * MIN]);
        let _ = (too_old, too_recent, redelivered_now, cancelled);
        let surveyed = send_and_list(c)?;
        Ok((surveyed, vec![due, delivered_again, 2]))
    });
    assert_eq!(
        surveyed, expected,
        "surveyed orders, then the count returned"
    );
}

#[test]
fn due_surveys_are_found_from_the_weeks_deliveries_not_from_every_order() {
    with_brand(|db| async move {
        let steps: Vec<String> = db
            .read(|c| {
                let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {DUE_SQL}"))?;
                let rows = stmt.query_map(params![NOW, NOW - MIN], |r| r.get::<_, String>(3))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
            .unwrap();
        assert!(
            steps
                .iter()
                .any(|s| s.contains("INDEX pedido_estados_entregado")),
            "{steps:?}"
        );
        assert!(
            steps
                .iter()
                .any(|s| s.starts_with("SEARCH p USING INTEGER PRIMARY KEY")),
            "orders are reached by id from the deliveries: {steps:?}"
        );
        // `SCAN d` walks the window's deliveries, already read through the index.
        assert!(
            !steps
                .iter()
                .any(|s| (s.starts_with("SCAN") && s != "SCAN d")
                    || s.contains("INDEX pedidos_estado")),
            "{steps:?}"
        );
    });
}

#[test]
fn switching_surveys_on_surveys_deliveries_from_then_on_not_the_past_week() {
    let day = 24 * 60 * MIN;
    let (surveyed, expected) = in_brand_write(move |c| {
        let who = customer(c);
        let before = order(c, who, "entregado", &[3 * day]);
        let after = order(c, who, "entregado", &[day]);
        // Switched on two days ago: the delivery of three days ago predates it.
        switch_surveys(c, true, NOW - 2 * day)?;
        let surveyed = send_and_list(c)?;
        let _ = before;
        Ok((surveyed, vec![after, 1]))
    });
    assert_eq!(surveyed, expected, "surveyed orders, then the count");
}

#[test]
fn only_switching_on_moves_the_time_surveys_count_from() {
    fn since(c: &Connection) -> Result<Option<i64>, AppError> {
        Ok(automation(c, "encuesta")?.activa_desde)
    }
    let seen = in_brand_write(|c| {
        let mut seen = vec![since(c)?];
        switch_surveys(c, true, NOW - 10 * MIN)?;
        seen.push(since(c)?);
        // Saved again while on (another delay, say): still counts from the first switch.
        switch_surveys(c, true, NOW - 5 * MIN)?;
        seen.push(since(c)?);
        switch_surveys(c, false, NOW - 2 * MIN)?;
        seen.push(since(c)?);
        // Off, then on again: deliveries while it was off are not surveyed later.
        switch_surveys(c, true, NOW)?;
        seen.push(since(c)?);
        // What a client sends in `activa_desde` is ignored.
        let mut a = automation(c, "encuesta")?;
        a.activa_desde = Some(0);
        set_automation(c, &a, NOW + MIN)?;
        seen.push(since(c)?);
        Ok(seen)
    });
    assert_eq!(
        seen,
        vec![
            None,
            Some(NOW - 10 * MIN),
            Some(NOW - 10 * MIN),
            None,
            Some(NOW),
            Some(NOW)
        ]
    );
}
