//! Eco Eterno's playbook demo rows: subscription plans built from the subscription products,
//! active (and a few paused or recently cancelled) subscriptions on regular customers, and an
//! opt-in impact leaderboard. Impact attributes come with the catalogue (`catalog_eco.rs`).

use rusqlite::{Connection, params};

use super::plan::Plan;
use crate::error::AppError;
use crate::subscriptions::{Period, store};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// (plan name, sku, quantity, price, period).
const PLANS: &[(&str, &str, i64, i64, Period)] = &[
    ("Caja Eco Hogar", "ECO-SUS-HOGAR", 1, 7_990, Period::Monthly),
    (
        "Recarga de detergente",
        "ECO-SUS-DET",
        1,
        5_490,
        Period::Weeks(4),
    ),
    (
        "Cepillos para la familia",
        "ECO-SUS-CEP",
        1,
        2_490,
        Period::Weeks(8),
    ),
];

pub fn load(conn: &mut Connection, plan: &Plan) -> Result<(), AppError> {
    if plan.profile.slug != "eco-eterno" {
        return Ok(());
    }
    // The demo brands are created in Lima; period dates only need to be plausible here.
    let tz = chrono_tz::America::Lima;
    let now = plan.now;
    let tx = conn.transaction()?;
    // The demo loads only into an empty (or just reset) brand: start these tables clean too.
    tx.execute_batch(
        "DELETE FROM suscripcion_periodos; DELETE FROM suscripciones;
         DELETE FROM suscripcion_planes; DELETE FROM impacto_ranking;",
    )?;
    let mut plans = Vec::new();
    for (name, sku, qty, price, period) in PLANS {
        let Some(product) = crate::products::store::get_by_sku(&tx, sku)? else {
            continue;
        };
        plans.push((
            store::insert_plan(&tx, name, &vec![(product.id, *qty)], *price, *period, now)?,
            *period,
        ));
    }
    if plans.is_empty() {
        return Ok(());
    }
    let regulars: Vec<i64> = {
        let mut stmt =
            tx.prepare("SELECT id FROM clientes ORDER BY pedidos_count DESC, id LIMIT 30")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    for (k, customer) in regulars.iter().enumerate() {
        let (plan_id, period) = plans[k % plans.len()];
        // Started 40 to 330 days ago; the next period is the first one still ahead, so the
        // job creates no backlog when the demo starts.
        let start = now - (40 + (k as i64 * 37) % 290) * DAY_MS;
        let mut next = 0;
        while period.date(start, next, tz).is_some_and(|d| d <= now) {
            next += 1;
        }
        let id = store::subscribe(&tx, plan_id, *customer, start, start)?;
        let status = match k % 10 {
            7 => "pausada",
            9 => "cancelada",
            _ => "activa",
        };
        tx.execute(
            "UPDATE suscripciones SET proximo_periodo = ?2, estado = ?3,
                cancelada_en = CASE WHEN ?3 = 'cancelada' THEN ?4 END
             WHERE id = ?1",
            params![id, next, status, now - (k as i64 % 25) * DAY_MS],
        )?;
    }
    // The leaderboard: regulars who said yes (every other one).
    for customer in regulars.iter().step_by(2) {
        crate::impact::set_ranking(&tx, *customer, true, now)?;
    }
    tx.commit()?;
    Ok(())
}
