//! The dashboard's conversion by channel, satisfaction and environmental impact, each
//! checked against values computed by hand on a small fixed dataset in Lima (UTC−5), with
//! a local-day boundary, a cancelled order, outbound/survey interactions that are not
//! conversations, and a brand with no impact attributes (block hidden).

use autonomo::analytics::jobs;
use autonomo::analytics::metrics::{self, Period};
use autonomo::analytics::report::{self, Kind};
use chrono::NaiveDate;
use rusqlite::{Connection, params};

use super::rollups::{add_customer, add_product, brand, ms, order};

/// Local time in Lima (no daylight saving: always UTC−5).
fn lima(mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    ms(2026, mo, d, h, mi) + 5 * 3_600_000
}

fn say(c: &Connection, customer: i64, canal: &str, dir: &str, tipo: &str, at: i64) {
    c.execute(
        "INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, creado_en)
         VALUES (?1, ?2, ?3, ?4, pii_seal('hola'), ?5)",
        params![customer, canal, dir, tipo, at],
    )
    .expect("interaction");
}

fn survey(c: &Connection, order: i64, customer: i64, csat: Option<i64>, nps: Option<i64>, at: i64) {
    c.execute(
        "INSERT INTO encuestas (pedido_id, cliente_id, estado, csat, nps, enviada_en, respondida_en)
         VALUES (?1, ?2, 'completa', ?3, ?4, ?5, ?5)",
        params![order, customer, csat, nps, at],
    )
    .expect("survey");
}

fn deliver(c: &Connection, order: i64) {
    c.execute(
        "UPDATE pedidos SET estado = 'entregado' WHERE id = ?1",
        [order],
    )
    .expect("deliver");
}

fn period() -> Period {
    Period {
        desde: NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"),
        hasta: NaiveDate::from_ymd_opt(2026, 3, 7).expect("date"),
    }
}

#[tokio::test]
async fn conversion_satisfaction_and_impact_by_hand() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_r, tenant) = brand(dir.path(), "lima", "America/Lima").await;
    jobs::ensure_zone(&tenant).await.expect("zone");
    let p = period();
    let before = tenant
        .db()
        .write(move |c| {
            add_product(c, "POLLO", 1000);
            add_product(c, "BOLSA", 200);
            let [a, b, cc, d] = [1, 2, 3, 4].map(|n| add_customer(c, n));
            // A: a conversation on 2 March, a follow-up 5 h later (same conversation), a
            // new one on 4 March (40 h of silence); an order on 5 March converts both.
            say(c, a, "whatsapp", "entrante", "mensaje", lima(3, 2, 10, 0));
            say(c, a, "whatsapp", "entrante", "mensaje", lima(3, 2, 15, 0));
            say(c, a, "whatsapp", "saliente", "mensaje", lima(3, 2, 15, 1));
            say(c, a, "whatsapp", "entrante", "mensaje", lima(3, 4, 12, 0));
            let oa = order(
                c,
                a,
                "web",
                &[("BOLSA", 2), ("POLLO", 1)],
                lima(3, 5, 12, 0),
            );
            // B: a conversation on 3 March; a cancelled order the next day and a real one
            // 8 days later: not converted.
            say(c, b, "whatsapp", "entrante", "mensaje", lima(3, 3, 9, 0));
            let ob_cancelled = order(c, b, "whatsapp", &[("BOLSA", 10)], lima(3, 4, 9, 0));
            c.execute(
                "UPDATE pedidos SET estado = 'cancelado' WHERE id = ?1",
                [ob_cancelled],
            )?;
            let ob_late = order(c, b, "whatsapp", &[("POLLO", 1)], lima(3, 11, 9, 30));
            // C: a call on 6 March and a web message at 23:30 on 7 March (04:30 UTC on
            // the 8th: still the period's last local day); the order on 9 March converts both.
            say(c, cc, "telefono", "entrante", "llamada", lima(3, 6, 18, 0));
            say(c, cc, "web", "entrante", "mensaje", lima(3, 7, 23, 30));
            let oc = order(c, cc, "web", &[("BOLSA", 1)], lima(3, 9, 10, 0));
            // D: 23:30 on 28 February in Lima (1 March in UTC): previous period. Outbound
            // messages, notes and survey answers are no conversations.
            say(c, d, "web", "entrante", "mensaje", lima(2, 28, 23, 30));
            say(c, d, "web", "saliente", "mensaje", lima(3, 3, 10, 0));
            say(c, d, "whatsapp", "entrante", "encuesta", lima(3, 3, 11, 0));
            say(c, d, "whatsapp", "interna", "nota", lima(3, 3, 12, 0));
            // B's January order, delivered: only in the all-time impact.
            let ob_old = order(c, b, "presencial", &[("BOLSA", 4)], lima(1, 10, 12, 0));
            for o in [oa, oc, ob_old] {
                deliver(c, o);
            }
            // Surveys: three answered in the period, two in the previous one (the last at
            // 23:30 on 28 February local).
            survey(c, oa, a, Some(5), Some(10), lima(3, 3, 10, 0));
            survey(c, ob_cancelled, b, Some(3), Some(6), lima(3, 6, 10, 0));
            survey(c, oc, cc, Some(4), Some(8), lima(3, 7, 23, 0));
            survey(c, ob_late, b, Some(2), Some(3), lima(2, 27, 10, 0));
            survey(c, ob_old, b, Some(4), None, lima(2, 28, 23, 30));
            metrics::dashboard(c, p)
        })
        .await
        .expect("seed");
    assert_eq!(before.impacto, None, "no impact attributes: block hidden");

    let d = tenant
        .db()
        .write(move |c| {
            c.execute(
                "UPDATE productos SET atributos = '{\"co2_kg\": 0.5, \"plastico_g\": 20}' WHERE sku = 'BOLSA'",
                [],
            )?;
            metrics::dashboard(c, p)
        })
        .await
        .expect("dashboard");

    // Conversion: whatsapp 3 started (A twice, B), 2 converted; telefono 1/1; web 1/1
    // (C's late-night message; D's is in February locally).
    let conv: Vec<(&str, i64, i64)> = d
        .conversion
        .iter()
        .map(|r| (r.canal.as_str(), r.conversaciones, r.convertidas))
        .collect();
    assert_eq!(
        conv,
        [("whatsapp", 3, 2), ("telefono", 1, 1), ("web", 1, 1)]
    );
    assert!((d.conversion[0].tasa.expect("rate") - 2.0 / 3.0).abs() < 1e-12);

    // Satisfaction: CSAT (5+3+4)/3 = 4; NPS one promoter (10), one passive (8), one
    // detractor (6) = 0. Before: CSAT (2+4)/2 = 3; NPS one detractor = −100.
    let s = d.satisfaccion;
    assert_eq!(s.actual.csat_respuestas, 3);
    assert_eq!(s.actual.csat_promedio, Some(4.0));
    assert_eq!(s.actual.nps_respuestas, 3);
    assert_eq!(
        (s.actual.promotores, s.actual.pasivos, s.actual.detractores),
        (1, 1, 1)
    );
    assert_eq!(s.actual.nps, Some(0.0));
    assert_eq!(s.anterior.csat_promedio, Some(3.0));
    assert_eq!(s.anterior.csat_respuestas, 2);
    assert_eq!(s.anterior.nps, Some(-100.0));
    assert_eq!(s.anterior.nps_respuestas, 1);
    assert_eq!(s.csat_diferencia, Some(1.0));
    assert_eq!(s.nps_diferencia, Some(100.0));

    // Impact: delivered orders only. Period: A's 2 bags (1 kg CO₂, 40 g plastic). All
    // time: + C's bag + B's 4 January bags = 7 bags = 3.5 kg, 140 g, 3 orders. B's
    // cancelled 10 bags count nowhere.
    let i = d.impacto.expect("impact block");
    assert_eq!(
        (i.periodo.co2_kg, i.periodo.plastico_g, i.periodo.pedidos),
        (1.0, 40.0, 1)
    );
    assert_eq!(
        (
            i.historico.co2_kg,
            i.historico.plastico_g,
            i.historico.pedidos
        ),
        (3.5, 140.0, 3)
    );

    // The reportes table (and its CSV) carry the same conversion figures.
    let csv = tenant
        .db()
        .read(move |c| report::build(c, Kind::Conversion, p)?.to_csv())
        .await
        .expect("csv");
    let csv = String::from_utf8(csv).expect("utf8");
    assert!(
        csv.contains("canal,conversaciones,convertidas,tasa\n"),
        "{csv}"
    );
    assert!(csv.contains("whatsapp,3,2,0.666"), "{csv}");
    assert!(csv.contains("telefono,1,1,1.0"), "{csv}");
}
