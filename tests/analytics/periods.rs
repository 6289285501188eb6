//! Periods read from the monthly summaries (tenant V27, `analytics::span`): for periods that
//! start and end inside months, across month and daylight-saving boundaries in Madrid, every
//! figure the dashboard sums — totals with distinct active customers, channels, products,
//! conversion by channel, satisfaction, environmental impact — equals the day-by-day
//! computation the dashboard ran before V27 (copied below), after random inserts, deliveries,
//! cancellations, survey answers and moves.

use autonomo::analytics::metrics::{self, Period, Totals};
use autonomo::analytics::span::Span;
use autonomo::analytics::{conversion, impact_totals, jobs, rollups, satisfaction};
use chrono::{Datelike, Days, NaiveDate};
use rusqlite::{Connection, OptionalExtension, params};

use super::rollups::{Rng, add_customer, add_product, brand, ms, order, random_ops_over};

/// One random change to deliveries and surveys: an order delivered or taken back, a line
/// moved to another order or losing its product, a survey answered (CSAT and/or NPS, or
/// neither), re-answered later, or deleted.
pub fn delivery_or_survey_op(c: &Connection, rng: &mut Rng, at: i64) {
    let pick = |c: &Connection, sql: &str, rng: &mut Rng| -> Option<(i64, i64)> {
        let rows: Vec<(i64, i64)> = c
            .prepare(sql)
            .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .unwrap_or_default();
        rows.get(rng.below(rows.len() as u64) as usize).copied()
    };
    let Some((order, customer)) = pick(c, "SELECT id, cliente_id FROM pedidos", rng) else {
        return;
    };
    let score = |rng: &mut Rng, n: u64| (rng.below(4) > 0).then(|| rng.below(n) as i64);
    match rng.below(10) {
        0..=2 => {
            c.execute(
                "UPDATE pedidos SET estado = 'entregado' WHERE id = ?1 AND estado <> 'cancelado'",
                [order],
            )
            .expect("deliver");
        }
        3 => {
            c.execute(
                "UPDATE pedidos SET estado = 'confirmado' WHERE id = ?1 AND estado = 'entregado'",
                [order],
            )
            .expect("undeliver");
        }
        4 => {
            if let Some((line, _)) = pick(c, "SELECT id, pedido_id FROM pedido_items", rng) {
                let change = if rng.below(2) == 0 {
                    "UPDATE pedido_items SET pedido_id = ?2 WHERE id = ?1"
                } else {
                    "UPDATE pedido_items SET producto_id = NULL WHERE id = ?1 AND ?2 > 0"
                };
                c.execute(change, params![line, order]).expect("move line");
            }
        }
        5..=7 => {
            let (csat, nps) = (score(rng, 5).map(|s| s + 1), score(rng, 11));
            let answered = (rng.below(6) > 0).then_some(at);
            c.execute(
                "INSERT INTO encuestas (pedido_id, cliente_id, estado, csat, nps, enviada_en, respondida_en)
                 VALUES (?1, ?2, 'completa', ?3, ?4, ?5, ?6)
                 ON CONFLICT (pedido_id) DO UPDATE SET csat = excluded.csat, nps = excluded.nps,
                     respondida_en = excluded.respondida_en",
                params![order, customer, csat, nps, at - 3_600_000, answered],
            )
            .expect("survey");
        }
        8 => {
            c.execute(
                "UPDATE encuestas SET nps = ?2, respondida_en = ?3 WHERE pedido_id = ?1",
                params![order, score(rng, 11), at],
            )
            .expect("answer later");
        }
        _ => {
            c.execute("DELETE FROM encuestas WHERE pedido_id = ?1", [order])
                .expect("delete survey");
        }
    }
}

/// The dashboard's totals as computed before V27: one range of daily rows.
fn totals_by_day(c: &Connection, p: Period) -> Totals {
    let (from, to) = p.keys();
    let (pedidos, ingresos, cancelados): (i64, i64, i64) = c
        .query_row(
            "SELECT COALESCE(SUM(pedidos), 0), COALESCE(SUM(ingresos), 0), COALESCE(SUM(cancelados), 0)
             FROM analitica_dia WHERE dia BETWEEN ?1 AND ?2",
            params![from, to],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("totals");
    let one = |sql: &str| -> i64 {
        c.query_row(sql, params![from, to], |r| r.get(0))
            .expect("count")
    };
    Totals {
        pedidos,
        ingresos,
        ticket_promedio: if pedidos > 0 { ingresos / pedidos } else { 0 },
        cancelados,
        clientes_nuevos: one(
            "SELECT COALESCE(SUM(clientes), 0) FROM analitica_nuevos_dia WHERE dia BETWEEN ?1 AND ?2",
        ),
        clientes_activos: one(
            "SELECT COUNT(DISTINCT cliente_id) FROM analitica_cliente_dia WHERE dia BETWEEN ?1 AND ?2",
        ),
    }
}

type Rows = Vec<(String, i64, i64, i64)>;

fn rows(c: &Connection, sql: &str, args: impl rusqlite::Params) -> Rows {
    c.prepare(sql)
        .and_then(|mut s| {
            s.query_map(args, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect()
        })
        .expect("rows")
}

/// Channels, products, conversion (by instants), satisfaction (by instants) and impact (from
/// the orders), as computed before V27.
fn sections_by_day(c: &Connection, p: Period) -> (Rows, Rows, Rows, Rows, Rows) {
    let (from, to) = p.keys();
    let channels = rows(
        c,
        "SELECT canal, SUM(pedidos), SUM(ingresos), SUM(cancelados) FROM analitica_dia
         WHERE dia BETWEEN ?1 AND ?2 GROUP BY canal ORDER BY SUM(ingresos) DESC, canal",
        params![from, to],
    );
    let products = rows(
        c,
        "SELECT sku, SUM(unidades), SUM(ingresos), 0 FROM analitica_producto_dia
         WHERE dia BETWEEN ?1 AND ?2 GROUP BY sku ORDER BY SUM(ingresos) DESC, sku",
        params![from, to],
    );
    let (f, t) = conversion::bounds(c, p).expect("bounds");
    let conv = rows(
        c,
        "SELECT canal, COUNT(*), SUM(convertida), 0 FROM analitica_conversaciones
         WHERE en >= ?1 AND en < ?2 GROUP BY canal ORDER BY COUNT(*) DESC, canal",
        params![f, t],
    );
    let sat = rows(
        c,
        "SELECT COALESCE(SUM(csat), 0) || '/' || COUNT(csat), COALESCE(SUM(nps >= 9), 0),
                COALESCE(SUM(nps BETWEEN 7 AND 8), 0), COALESCE(SUM(nps <= 6), 0)
         FROM encuestas WHERE respondida_en >= ?1 AND respondida_en < ?2",
        params![f, t],
    );
    let impact = rows(
        c,
        "SELECT printf('%.3f/%.3f', COALESCE(SUM(i.cantidad * COALESCE(json_extract(pr.atributos, '$.co2_kg'), 0)), 0.0),
                COALESCE(SUM(i.cantidad * COALESCE(json_extract(pr.atributos, '$.plastico_g'), 0)), 0.0)),
                COUNT(DISTINCT p.id), 0, 0
         FROM pedidos p JOIN pedido_items i ON i.pedido_id = p.id
         LEFT JOIN productos pr ON pr.id = i.producto_id
         WHERE p.estado = 'entregado' AND p.creado_en >= ?1 AND p.creado_en < ?2",
        params![f, t],
    );
    (channels, products, conv, sat, impact)
}

/// The same sections from the code under test, in the same shapes.
fn sections(c: &Connection, p: Period) -> (Rows, Rows, Rows, Rows, Rows) {
    let channels = metrics::channels(c, p)
        .expect("channels")
        .into_iter()
        .map(|r| (r.canal, r.pedidos, r.ingresos, r.cancelados))
        .collect();
    let products = metrics::products(c, p, None)
        .expect("products")
        .into_iter()
        .map(|r| (r.sku, r.unidades, r.ingresos, 0))
        .collect();
    let conv = conversion::by_channel(c, p)
        .expect("conversion")
        .into_iter()
        .map(|r| (r.canal, r.conversaciones, r.convertidas, 0))
        .collect();
    let s = satisfaction::of_period(c, p).expect("satisfaction");
    let csat_sum = s
        .csat_promedio
        .map_or(0.0, |m| m * s.csat_respuestas as f64);
    let sat = vec![(
        format!("{}/{}", csat_sum.round() as i64, s.csat_respuestas),
        s.promotores,
        s.pasivos,
        s.detractores,
    )];
    let impact = impact_totals::totals(c, p)
        .expect("impact")
        .map(|i| {
            vec![(
                format!("{:.3}/{:.3}", i.periodo.co2_kg, i.periodo.plastico_g),
                i.periodo.pedidos,
                0,
                0,
            )]
        })
        .unwrap_or_default();
    (channels, products, conv, sat, impact)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[tokio::test]
async fn partial_month_periods_equal_the_day_by_day_computation() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_registry, tenant) = brand(dir.path(), "meses", "Europe/Madrid").await;
    jobs::ensure_zone(&tenant).await.expect("zone");
    tenant
        .db()
        .write(|c| {
            for (sku, price) in [("A", 1000), ("B", 250), ("C", 4990)] {
                add_product(c, sku, price);
            }
            c.execute(
                "UPDATE productos SET atributos = '{\"co2_kg\": 0.25, \"plastico_g\": 12}' WHERE sku IN ('A', 'C')",
                [],
            )?;
            let customers: Vec<i64> = (0..60).map(|n| add_customer(c, n)).collect();
            // Midnight at month ends in Madrid (UTC+1 in winter, +2 from 31 March): the
            // last minute of a month and the first of the next.
            for (i, at) in [
                ms(2024, 1, 31, 22, 59),
                ms(2024, 1, 31, 23, 0),
                ms(2024, 3, 31, 21, 59),
                ms(2024, 3, 31, 22, 0),
                ms(2024, 4, 30, 21, 59),
                ms(2024, 4, 30, 22, 0),
            ]
            .into_iter()
            .enumerate()
            {
                let customer = customers[i % 3];
                let o = order(c, customer, "web", &[("A", 1)], at);
                c.execute("UPDATE pedidos SET estado = 'entregado' WHERE id = ?1", [o])?;
                c.execute(
                    "INSERT INTO encuestas (pedido_id, cliente_id, estado, csat, nps, enviada_en, respondida_en)
                     VALUES (?1, ?2, 'completa', 4, 9, ?3, ?3)",
                    params![o, customer, at],
                )?;
                c.execute(
                    "INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, creado_en)
                     VALUES (?1, 'whatsapp', 'entrante', 'mensaje', 'hola', ?2)",
                    params![customers[5 + i], at],
                )?;
            }
            // Five months of random writes, mid-January to mid-June.
            let mut rng = Rng(0x51_7CC1_B727_220A);
            random_ops_over(c, &mut rng, &customers, 1000, ms(2024, 1, 12, 0, 0), 24 * 150);
            Ok(())
        })
        .await
        .expect("data");
    let tz = tenant.brand().tz();
    let (stored, fresh, mismatches, checked) = tenant
        .db()
        .read(move |c| {
            let mut mismatches = Vec::new();
            let mut checked = 0;
            let mut actives = std::collections::BTreeSet::new();
            let first = date(2023, 12, 20);
            let mut periods = Vec::new();
            for start in 0..200u64 {
                let a = first.checked_add_days(Days::new(start)).expect("day");
                for len in [
                    1u64, 2, 7, 28, 29, 30, 31, 32, 45, 60, 61, 62, 90, 100, 121, 190,
                ] {
                    let b = a.checked_add_days(Days::new(len - 1)).expect("day");
                    periods.push(Period { desde: a, hasta: b });
                }
                // Whole months and runs of whole months starting here.
                if a.day() == 1 {
                    for months in 1..=6u32 {
                        let next = a
                            .checked_add_months(chrono::Months::new(months))
                            .expect("m");
                        let b = next.pred_opt().expect("day");
                        periods.push(Period { desde: a, hasta: b });
                    }
                }
            }
            for p in periods {
                let new = (metrics::totals(c, p)?, sections(c, p));
                let old = (totals_by_day(c, p), sections_by_day(c, p));
                checked += 1;
                actives.insert(new.0.clientes_activos);
                if new != old && mismatches.len() < 5 {
                    mismatches.push(format!("{p:?}:\n  new {new:?}\n  old {old:?}"));
                }
            }
            Ok((
                rollups::stored(c)?,
                rollups::recompute(c, tz)?,
                mismatches,
                (checked, actives),
            ))
        })
        .await
        .expect("periods");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    let (checked, actives) = checked;
    assert!(checked > 3000, "{checked}");
    // Active customers vary with the period (not every customer in every period).
    assert!(
        actives.len() > 30 && actives.last() < Some(&60),
        "{actives:?}"
    );
    assert_eq!(stored, fresh, "summaries equal a recomputation");
    let m = &fresh.monthly;
    // The data reach every kind of row the periods read.
    assert!(
        m.months.len() >= 12 && m.satisfaction_months.len() >= 5,
        "{m:?}"
    );
    assert!(
        m.impact_months.len() >= 8 && m.delivered_months.len() >= 5,
        "{m:?}"
    );
    assert!(
        m.active_month_days
            .keys()
            .any(|(month, prev)| !prev.is_empty() && !prev.starts_with(month.as_str())),
        "customers return in later months"
    );
    assert!(m.conversion_months.values().any(|v| v.1 > 0 && v.1 < v.0));
    let survey_no_score: Option<i64> = tenant
        .db()
        .read(|c| {
            Ok(c.query_row(
                "SELECT pedido_id FROM encuestas WHERE respondida_en IS NOT NULL AND csat IS NULL AND nps IS NULL",
                [],
                |r| r.get(0),
            )
            .optional()?)
        })
        .await
        .expect("survey");
    assert!(
        survey_no_score.is_some(),
        "an answered survey without a score is in the data"
    );
}

fn span(a: NaiveDate, b: NaiveDate) -> Span {
    Span::of(Period { desde: a, hasta: b })
}

/// How `Span` cuts periods: whole months, partial ends, no whole month, leap February.
#[test]
fn a_period_is_cut_at_month_boundaries() {
    let d = date;
    // Whole months only.
    let s = span(d(2024, 1, 1), d(2024, 3, 31));
    assert_eq!(
        (s.head, s.months, s.tail),
        (None, Some((d(2024, 1, 1), d(2024, 3, 1))), None)
    );
    // Both ends partial, February of a leap year whole.
    let s = span(d(2024, 1, 15), d(2024, 3, 10));
    assert_eq!(s.head, Some((d(2024, 1, 15), d(2024, 1, 31))));
    assert_eq!(s.months, Some((d(2024, 2, 1), d(2024, 2, 1))));
    assert_eq!(s.tail, Some((d(2024, 3, 1), d(2024, 3, 10))));
    assert_eq!(
        s.keys(),
        [
            "2024-01-15",
            "2024-01-31",
            "2024-03-01",
            "2024-03-10",
            "2024-02",
            "2024-02"
        ]
        .map(String::from)
    );
    // No whole month: one day range, even across a month boundary.
    let s = span(d(2024, 1, 15), d(2024, 2, 28));
    assert_eq!(
        (s.head, s.months),
        (Some((d(2024, 1, 15), d(2024, 2, 28))), None)
    );
    let s = span(d(2024, 2, 29), d(2024, 2, 29));
    assert_eq!(
        (s.head, s.months, s.tail),
        (Some((d(2024, 2, 29), d(2024, 2, 29))), None, None)
    );
    // A month ending on its last day is whole; a year across New Year.
    let s = span(d(2023, 12, 2), d(2024, 12, 1));
    assert_eq!(s.head, Some((d(2023, 12, 2), d(2023, 12, 31))));
    assert_eq!(s.months, Some((d(2024, 1, 1), d(2024, 11, 1))));
    assert_eq!(s.tail, Some((d(2024, 12, 1), d(2024, 12, 1))));
    assert_eq!(
        span(d(2024, 2, 1), d(2024, 2, 29)).months,
        Some((d(2024, 2, 1), d(2024, 2, 1)))
    );
}
