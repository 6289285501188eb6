//! The monthly summaries of tenant V27 and the daily tables they are summed from that V27
//! adds (conversions, survey answers, delivered units and orders, customer-months by
//! previous order day): the set-based rebuild `rollups::rebuild` runs, and what they hold
//! and should hold for `rollups::stored` / `rollups::recompute` to compare. Reading a
//! period from them is `span`'s job.

use std::collections::{BTreeMap, BTreeSet};

use chrono_tz::Tz;
use rusqlite::Connection;

use super::rollups::{Snapshot, day_of, day_sql, pairs};
use crate::error::AppError;

/// The V27 triggers on derived tables (daily rollups and conversation starts): fired once
/// per row they would make a rebuild row-by-row, so the rebuild sets them aside and
/// refills their tables with [`rebuild`]. The V27 triggers on `pedidos`, `pedido_items` and
/// `encuestas` are not here: a rebuild does not write those tables.
pub const DERIVED_TRIGGERS: &[&str] = &[
    "analitica_cliente_dia_activos_ai",
    "analitica_cliente_dia_activos_ai_despues",
    "analitica_cliente_dia_activos_ad",
    "analitica_cliente_dia_activos_ad_despues",
    "analitica_conversaciones_dia_ai",
    "analitica_conversaciones_dia_ad",
    "analitica_conversaciones_dia_au",
    "analitica_dia_mes_ai",
    "analitica_dia_mes_au",
    "analitica_dia_mes_am",
    "analitica_dia_mes_ad",
    "analitica_nuevos_dia_mes_ai",
    "analitica_nuevos_dia_mes_au",
    "analitica_nuevos_dia_mes_am",
    "analitica_nuevos_dia_mes_ad",
    "analitica_producto_dia_mes_ai",
    "analitica_producto_dia_mes_au",
    "analitica_producto_dia_mes_am",
    "analitica_producto_dia_mes_ad",
    "analitica_activos_mes_dia_mes_ai",
    "analitica_activos_mes_dia_mes_au",
    "analitica_activos_mes_dia_mes_am",
    "analitica_activos_mes_dia_mes_ad",
    "analitica_conversion_dia_mes_ai",
    "analitica_conversion_dia_mes_au",
    "analitica_conversion_dia_mes_am",
    "analitica_conversion_dia_mes_ad",
    "analitica_satisfaccion_dia_mes_ai",
    "analitica_satisfaccion_dia_mes_au",
    "analitica_satisfaccion_dia_mes_am",
    "analitica_satisfaccion_dia_mes_ad",
    "analitica_impacto_dia_mes_ai",
    "analitica_impacto_dia_mes_au",
    "analitica_impacto_dia_mes_am",
    "analitica_impacto_dia_mes_ad",
    "analitica_entregados_dia_mes_ai",
    "analitica_entregados_dia_mes_au",
    "analitica_entregados_dia_mes_am",
    "analitica_entregados_dia_mes_ad",
];

/// Empties and refills the V27 tables from the daily rollups (already rebuilt), the
/// conversation starts, the surveys and the delivered orders. The same statements fill
/// them in the migration.
pub fn rebuild(conn: &Connection) -> Result<(), AppError> {
    let en = day_sql("en");
    let answered = day_sql("respondida_en");
    let ordered = day_sql("p.creado_en");
    conn.execute_batch(&format!(
        "DELETE FROM analitica_activos_mes_dia;
         DELETE FROM analitica_conversion_dia;
         DELETE FROM analitica_satisfaccion_dia;
         DELETE FROM analitica_impacto_dia;
         DELETE FROM analitica_entregados_dia;
         DELETE FROM analitica_mes;
         DELETE FROM analitica_nuevos_mes;
         DELETE FROM analitica_producto_mes;
         DELETE FROM analitica_activos_mes;
         DELETE FROM analitica_conversion_mes;
         DELETE FROM analitica_satisfaccion_mes;
         DELETE FROM analitica_impacto_mes;
         DELETE FROM analitica_entregados_mes;
         INSERT INTO analitica_activos_mes_dia (mes, anterior, clientes)
         SELECT substr(dia, 1, 7), COALESCE(anterior, ''), COUNT(*) FROM analitica_cliente_dia
         WHERE anterior IS NULL OR substr(anterior, 1, 7) < substr(dia, 1, 7)
         GROUP BY substr(dia, 1, 7), COALESCE(anterior, '');
         INSERT INTO analitica_conversion_dia (dia, canal, conversaciones, convertidas)
         SELECT dia, canal, COUNT(*), SUM(convertida)
         FROM (SELECT {en} AS dia, canal, convertida FROM analitica_conversaciones)
         GROUP BY dia, canal;
         INSERT INTO analitica_satisfaccion_dia
             (dia, csat_suma, csat_respuestas, promotores, pasivos, detractores)
         SELECT dia, COALESCE(SUM(csat), 0), COUNT(csat), COALESCE(SUM(nps >= 9), 0),
                COALESCE(SUM(nps BETWEEN 7 AND 8), 0), COALESCE(SUM(nps <= 6), 0)
         FROM (SELECT {answered} AS dia, csat, nps FROM encuestas
               WHERE respondida_en IS NOT NULL AND (csat IS NOT NULL OR nps IS NOT NULL))
         GROUP BY dia;
         INSERT INTO analitica_impacto_dia (dia, producto_id, unidades)
         SELECT dia, producto_id, SUM(cantidad)
         FROM (SELECT {ordered} AS dia, i.producto_id, i.cantidad
               FROM pedido_items i JOIN pedidos p ON p.id = i.pedido_id
               WHERE p.estado = 'entregado' AND i.producto_id IS NOT NULL)
         GROUP BY dia, producto_id;
         INSERT INTO analitica_entregados_dia (dia, pedidos)
         SELECT dia, COUNT(*)
         FROM (SELECT {ordered} AS dia FROM pedidos p WHERE p.estado = 'entregado'
               AND EXISTS (SELECT 1 FROM pedido_items i WHERE i.pedido_id = p.id))
         GROUP BY dia;
         INSERT INTO analitica_mes (mes, canal, pedidos, ingresos, cancelados)
         SELECT substr(dia, 1, 7), canal, SUM(pedidos), SUM(ingresos), SUM(cancelados)
         FROM analitica_dia GROUP BY substr(dia, 1, 7), canal;
         INSERT INTO analitica_nuevos_mes (mes, clientes)
         SELECT substr(dia, 1, 7), SUM(clientes) FROM analitica_nuevos_dia GROUP BY substr(dia, 1, 7);
         INSERT INTO analitica_producto_mes (mes, sku, unidades, ingresos)
         SELECT substr(dia, 1, 7), sku, SUM(unidades), SUM(ingresos)
         FROM analitica_producto_dia GROUP BY substr(dia, 1, 7), sku;
         INSERT INTO analitica_activos_mes (mes, anterior, clientes)
         SELECT mes, substr(anterior, 1, 7), SUM(clientes) FROM analitica_activos_mes_dia
         GROUP BY mes, substr(anterior, 1, 7);
         INSERT INTO analitica_conversion_mes (mes, canal, conversaciones, convertidas)
         SELECT substr(dia, 1, 7), canal, SUM(conversaciones), SUM(convertidas)
         FROM analitica_conversion_dia GROUP BY substr(dia, 1, 7), canal;
         INSERT INTO analitica_satisfaccion_mes
             (mes, csat_suma, csat_respuestas, promotores, pasivos, detractores)
         SELECT substr(dia, 1, 7), SUM(csat_suma), SUM(csat_respuestas), SUM(promotores),
                SUM(pasivos), SUM(detractores)
         FROM analitica_satisfaccion_dia GROUP BY substr(dia, 1, 7);
         INSERT INTO analitica_impacto_mes (mes, producto_id, unidades)
         SELECT substr(dia, 1, 7), producto_id, SUM(unidades)
         FROM analitica_impacto_dia GROUP BY substr(dia, 1, 7), producto_id;
         INSERT INTO analitica_entregados_mes (mes, pedidos)
         SELECT substr(dia, 1, 7), SUM(pedidos) FROM analitica_entregados_dia
         GROUP BY substr(dia, 1, 7);"
    ))?;
    Ok(())
}

/// Survey answers of a day or month: CSAT sum and count, promoters, passives, detractors.
pub type Answers = [i64; 5];

/// The V27 tables' content, comparable with `==`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summaries {
    /// (month, channel) → (orders, revenue, cancelled)
    pub months: BTreeMap<(String, String), (i64, i64, i64)>,
    /// month → new customers
    pub new_months: BTreeMap<String, i64>,
    /// (month, sku) → (units, revenue)
    pub product_months: BTreeMap<(String, String), (i64, i64)>,
    /// (month, previous order day or '') → customer-months
    pub active_month_days: BTreeMap<(String, String), i64>,
    /// (month, month of the previous order day or '') → customer-months
    pub active_months: BTreeMap<(String, String), i64>,
    /// (day, channel) → (conversations started, converted)
    pub conversion_days: BTreeMap<(String, String), (i64, i64)>,
    pub conversion_months: BTreeMap<(String, String), (i64, i64)>,
    pub satisfaction_days: BTreeMap<String, Answers>,
    pub satisfaction_months: BTreeMap<String, Answers>,
    /// (day, product id) → units delivered
    pub impact_days: BTreeMap<(String, i64), i64>,
    pub impact_months: BTreeMap<(String, i64), i64>,
    /// day → delivered orders with at least one line
    pub delivered_days: BTreeMap<String, i64>,
    pub delivered_months: BTreeMap<String, i64>,
}

/// What the V27 tables hold now.
pub fn stored(conn: &Connection) -> Result<Summaries, AppError> {
    let answers = |r: &rusqlite::Row| -> rusqlite::Result<(String, Answers)> {
        Ok((
            r.get(0)?,
            [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?],
        ))
    };
    Ok(Summaries {
        months: pairs(
            conn,
            "SELECT mes, canal, pedidos, ingresos, cancelados FROM analitica_mes",
            |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?, r.get(4)?))),
        )?,
        new_months: pairs(
            conn,
            "SELECT mes, clientes FROM analitica_nuevos_mes",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?,
        product_months: pairs(
            conn,
            "SELECT mes, sku, unidades, ingresos FROM analitica_producto_mes",
            |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))),
        )?,
        active_month_days: pairs(
            conn,
            "SELECT mes, anterior, clientes FROM analitica_activos_mes_dia",
            |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)),
        )?,
        active_months: pairs(
            conn,
            "SELECT mes, anterior, clientes FROM analitica_activos_mes",
            |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)),
        )?,
        conversion_days: pairs(
            conn,
            "SELECT dia, canal, conversaciones, convertidas FROM analitica_conversion_dia",
            |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))),
        )?,
        conversion_months: pairs(
            conn,
            "SELECT mes, canal, conversaciones, convertidas FROM analitica_conversion_mes",
            |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))),
        )?,
        satisfaction_days: pairs(
            conn,
            "SELECT dia, csat_suma, csat_respuestas, promotores, pasivos, detractores
             FROM analitica_satisfaccion_dia",
            answers,
        )?,
        satisfaction_months: pairs(
            conn,
            "SELECT mes, csat_suma, csat_respuestas, promotores, pasivos, detractores
             FROM analitica_satisfaccion_mes",
            answers,
        )?,
        impact_days: pairs(
            conn,
            "SELECT dia, producto_id, unidades FROM analitica_impacto_dia",
            |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)),
        )?,
        impact_months: pairs(
            conn,
            "SELECT mes, producto_id, unidades FROM analitica_impacto_mes",
            |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)),
        )?,
        delivered_days: pairs(
            conn,
            "SELECT dia, pedidos FROM analitica_entregados_dia",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?,
        delivered_months: pairs(
            conn,
            "SELECT mes, pedidos FROM analitica_entregados_mes",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?,
    })
}

fn month(day: &str) -> String {
    day.get(..7).unwrap_or(day).to_string()
}

/// Sums a per-day map (keyed by day, or by (day, k)) into months with `add`.
fn by_month<K: Clone, V: Copy + Default, M: Ord>(
    days: &BTreeMap<K, V>,
    key: impl Fn(&K) -> M,
    add: impl Fn(&mut V, V),
) -> BTreeMap<M, V> {
    let mut out: BTreeMap<M, V> = BTreeMap::new();
    for (k, v) in days {
        add(out.entry(key(k)).or_default(), *v);
    }
    out
}

/// The V27 tables recomputed in Rust: from the daily rollups as `recompute` derived them
/// from the orders (`days`), from the conversation starts as it re-derived them, and from
/// the surveys and delivered orders read here, days bucketed with chrono-tz.
pub fn recompute(conn: &Connection, tz: Tz, days: &Snapshot) -> Result<Summaries, AppError> {
    let mut s = Summaries {
        months: by_month(
            &days.days,
            |(d, ch)| (month(d), ch.clone()),
            |a, b| *a = (a.0 + b.0, a.1 + b.1, a.2 + b.2),
        ),
        new_months: by_month(&days.new_customers, |d| month(d), |a, b| *a += b),
        product_months: by_month(
            &days.products,
            |(d, sku)| (month(d), sku.clone()),
            |a, b| *a = (a.0 + b.0, a.1 + b.1),
        ),
        ..Summaries::default()
    };
    // Each customer's first day in each month, under the customer's previous order day.
    let mut last: Option<(i64, String)> = None;
    for (customer, day) in days.customer_days.keys() {
        let previous = last
            .as_ref()
            .filter(|(c, _)| c == customer)
            .map(|(_, d)| d.clone());
        if previous.as_deref().map(month) != Some(month(day)) {
            *s.active_month_days
                .entry((month(day), previous.unwrap_or_default()))
                .or_default() += 1;
        }
        last = Some((*customer, day.clone()));
    }
    s.active_months = by_month(
        &s.active_month_days,
        |(m, prev)| (m.clone(), month(prev)),
        |a, b| *a += b,
    );
    for (_, channel, at, converted) in days.conversations.values() {
        let e = s
            .conversion_days
            .entry((day_of(*at, tz), channel.clone()))
            .or_default();
        e.0 += 1;
        e.1 += i64::from(*converted);
    }
    s.conversion_months = by_month(
        &s.conversion_days,
        |(d, ch)| (month(d), ch.clone()),
        |a, b| *a = (a.0 + b.0, a.1 + b.1),
    );
    let mut st = conn.prepare(
        "SELECT respondida_en, csat, nps FROM encuestas WHERE respondida_en IS NOT NULL",
    )?;
    let surveys = st.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Option<i64>>(1)?,
            r.get::<_, Option<i64>>(2)?,
        ))
    })?;
    for survey in surveys {
        let (at, csat, nps) = survey?;
        if csat.is_none() && nps.is_none() {
            continue;
        }
        let e = s.satisfaction_days.entry(day_of(at, tz)).or_default();
        if let Some(c) = csat {
            e[0] += c;
            e[1] += 1;
        }
        match nps {
            Some(9..) => e[2] += 1,
            Some(7 | 8) => e[3] += 1,
            Some(_) => e[4] += 1,
            None => {}
        }
    }
    s.satisfaction_months = by_month(
        &s.satisfaction_days,
        |d| month(d),
        |a, b| {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        },
    );
    delivered(conn, tz, &mut s)?;
    Ok(s)
}

/// Units per product and orders per day of the delivered orders, in Rust.
fn delivered(conn: &Connection, tz: Tz, s: &mut Summaries) -> Result<(), AppError> {
    let mut st = conn.prepare(
        "SELECT p.id, p.creado_en, i.producto_id, i.cantidad
         FROM pedidos p JOIN pedido_items i ON i.pedido_id = p.id WHERE p.estado = 'entregado'",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, Option<i64>>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    let mut orders: BTreeSet<(i64, String)> = BTreeSet::new();
    for row in rows {
        let (order, at, product, qty) = row?;
        let day = day_of(at, tz);
        if let Some(product) = product {
            *s.impact_days.entry((day.clone(), product)).or_default() += qty;
        }
        orders.insert((order, day));
    }
    for (_, day) in orders {
        *s.delivered_days.entry(day).or_default() += 1;
    }
    s.impact_months = by_month(&s.impact_days, |(d, p)| (month(d), *p), |a, b| *a += b);
    s.delivered_months = by_month(&s.delivered_days, |d| month(d), |a, b| *a += b);
    Ok(())
}
