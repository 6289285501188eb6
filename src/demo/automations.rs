//! Demo extras for the automation screens (issue 6), every brand: survey answers in
//! `encuestas` (from the demo's own post-delivery survey messages, so the dashboard's CSAT and
//! NPS match the chats), reminders (low scores and staff call-backs), one campaign sent ten
//! days ago with every delivery status and one draft, and the survey and re-engagement
//! automations switched on, and the marketing message rate that prices campaigns. Bounded row counts, written after the bulk load with the
//! triggers on (change feed and audit as the application writes them).

use rusqlite::{Connection, params};
use serde_json::json;

use super::plan::Plan;
use crate::error::AppError;

const DAY: i64 = 24 * 3600 * 1000;
/// Survey messages of this many recent days become `encuestas` rows.
const SURVEY_DAYS: i64 = 120;
/// Recipients of the demo campaign.
const CAMPAIGN_SIZE: i64 = 150;

pub fn load(conn: &mut Connection, plan: &Plan) -> Result<(), AppError> {
    let tx = conn.transaction()?;
    // A demo loaded again over `--reset`: its earlier campaigns do not hang on customers.
    tx.execute_batch(
        "DELETE FROM outbox WHERE external_id LIKE 'wamid.demo.campana.%';
         DELETE FROM campanas WHERE creado_por = 'dueno@demo.autonomo';",
    )?;
    surveys(&tx, plan.now)?;
    reminders(&tx, plan.now)?;
    campaigns(&tx, plan.now)?;
    // Switched on as the demo is made: its past deliveries already had their survey messages
    // (or none), so a server started on demo data does not survey a week of them at once.
    tx.execute(
        "INSERT OR IGNORE INTO automatizaciones (clave, activa, plantilla, idioma, ajustes, actualizado_en, activa_desde) VALUES
            ('encuesta', 1, NULL, 'es', '{\"retraso_min\":60,\"nps\":true}', ?1, ?1),
            ('auto_en_riesgo', 1, 'te_extranamos', 'es', '{}', ?1, ?1)",
        [plan.now],
    )?;
    // WhatsApp's marketing rate for Peru (US$ 0.0703 a message ≈ S/ 0.26), so the demo
    // campaign shows a cost and an ROI; a rate the brand entered itself is kept.
    if plan.profile.moneda == "PEN" && crate::campaigns::cost::price_per_thousand(&tx)?.is_none() {
        crate::campaigns::cost::set_price_per_thousand(&tx, Some(26_000))?;
    }
    tx.commit()?;
    Ok(())
}

/// One survey per order the demo asked about: answered ones with the score of the answer
/// (CSAT) and an NPS in line with it; unanswered ones stay `enviada`.
fn surveys(c: &Connection, now: i64) -> Result<(), AppError> {
    c.execute(
        "INSERT INTO encuestas (pedido_id, cliente_id, estado, csat, nps, enviada_en, respondida_en)
         SELECT q.pedido_id, q.cliente_id, CASE WHEN a.score BETWEEN 1 AND 5 THEN 'completa' ELSE 'enviada' END,
                CASE WHEN a.score BETWEEN 1 AND 5 THEN a.score END,
                CASE a.score WHEN 5 THEN 9 + q.pedido_id % 2 WHEN 4 THEN 7 + q.pedido_id % 2
                             WHEN 3 THEN 5 + q.pedido_id % 2 WHEN 2 THEN 3 WHEN 1 THEN q.pedido_id % 2 END,
                q.en, CASE WHEN a.score BETWEEN 1 AND 5 THEN a.en END
         FROM (SELECT pedido_id, MIN(cliente_id) AS cliente_id, MIN(creado_en) AS en FROM interacciones
               WHERE creado_en >= ?1 AND tipo = 'encuesta' AND direccion = 'saliente' AND pedido_id IS NOT NULL
               GROUP BY pedido_id) q
         LEFT JOIN (SELECT pedido_id, MIN(creado_en) AS en,
                           MAX(CAST(json_extract(metadatos, '$.puntuacion') AS INTEGER)) AS score
                    FROM interacciones
                    WHERE creado_en >= ?1 AND tipo = 'encuesta' AND direccion = 'entrante' AND pedido_id IS NOT NULL
                    GROUP BY pedido_id) a ON a.pedido_id = q.pedido_id
         WHERE EXISTS (SELECT 1 FROM pedidos p WHERE p.id = q.pedido_id)
         ON CONFLICT (pedido_id) DO NOTHING",
        [now - SURVEY_DAYS * DAY],
    )?;
    Ok(())
}

/// The latest low scores as due reminders (as the survey's alert leaves them) and three
/// call-backs staff scheduled for tomorrow on the best customers.
fn reminders(c: &Connection, now: i64) -> Result<(), AppError> {
    c.execute(
        "INSERT OR IGNORE INTO recordatorios (cliente_id, texto, vence_en, origen, clave, creado_por, creado_en)
         SELECT cliente_id, pii_seal('Satisfacción baja (' || csat || '/5) — pedido #' || pedido_id || ': llamar al cliente.'),
                respondida_en, 'encuesta_baja', 'encuesta_baja:' || pedido_id, 'system', respondida_en
         FROM encuestas WHERE csat <= 2 ORDER BY respondida_en DESC LIMIT 5",
        [],
    )?;
    c.execute(
        "INSERT INTO recordatorios (cliente_id, texto, vence_en, origen, creado_por, creado_en)
         SELECT id, pii_seal('Llamar para contarle la promoción del mes'), ?1, 'manual', 'dueno@demo.autonomo', ?2
         FROM clientes ORDER BY total_gastado DESC, id LIMIT 3",
        params![now + DAY, now - DAY],
    )?;
    Ok(())
}

/// "Te extrañamos", sent ten days ago to customers at risk or lost who accept marketing, with
/// read, delivered, sent and failed messages (outbox and delivery status, as the results page
/// reads them; no timeline rows, so each demo chat still ends with its own last message);
/// and a draft for the VIPs.
fn campaigns(c: &Connection, now: i64) -> Result<(), AppError> {
    let sent_at = now - 10 * DAY;
    let members: Vec<(i64, String, String)> = {
        let mut stmt = c.prepare(
            "SELECT cl.id, pii_open(w.wa_id), cl.nombre FROM clientes cl JOIN wa_contactos w ON w.cliente_id = cl.id
             WHERE cl.consentimiento_marketing = 1 AND cl.segmento IN ('en_riesgo', 'perdido')
               AND w.wa_id IS NOT NULL AND cl.creado_en < ?1
             ORDER BY cl.id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![sent_at, CAMPAIGN_SIZE], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    if members.is_empty() {
        return Ok(());
    }
    c.execute(
        "INSERT INTO campanas (nombre, tipo, audiencia, plantilla, idioma, variables, estado, lanzada_en, destinatarios, creado_por, creado_en, actualizado_en)
         VALUES ('Te extrañamos', 'manual', '{\"segmentos\":[\"en_riesgo\",\"perdido\"]}', 'te_extranamos', 'es', '[\"nombre\"]',
                 'enviada', ?1, ?2, 'dueno@demo.autonomo', ?1, ?1)",
        params![sent_at, members.len() as i64],
    )?;
    let campaign = c.last_insert_rowid();
    for (i, (customer, wa, name)) in members.iter().enumerate() {
        let at = sent_at + i as i64 * 200;
        let first = name.split_whitespace().next().unwrap_or("");
        let body = json!({
            "request": {"messaging_product": "whatsapp", "to": wa, "type": "template",
                "template": {"name": "te_extranamos", "language": {"code": "es"},
                    "components": [{"type": "body", "parameters": [{"type": "text", "text": first}]}]}},
            "free_form": false, "summary": "Campaña «Te extrañamos» (plantilla te_extranamos)",
            "marketing": true, "campana_id": campaign,
        });
        let wamid = format!("wamid.demo.campana.{campaign}.{customer}");
        c.execute(
            "INSERT INTO outbox (servicio, destino, cuerpo, clave, estado, intentos, proximo_intento_en, external_id, cliente_id, creado_en, enviado_en)
             VALUES ('whatsapp', pii_seal(?1), pii_seal(?2), ?3, 'enviado', 1, ?4, ?5, ?6, ?4, ?4)",
            params![wa, body.to_string(), format!("campana:{campaign}:{customer}"), at, wamid, customer],
        )?;
        let outbox = c.last_insert_rowid();
        // Half read, a quarter delivered, some only sent, one in twenty failed.
        let (status, code, detail) = match i % 20 {
            0 => (
                "failed",
                Some(131049),
                Some("Per-user marketing message limit reached."),
            ),
            1..=10 => ("read", None, None),
            11..=15 => ("delivered", None, None),
            _ => ("sent", None, None),
        };
        c.execute(
            "INSERT INTO wa_salientes (outbox_id, wamid, estado, error_codigo, error_detalle, actualizado_en)
             VALUES (?1, ?2, ?3, ?4, pii_seal(?5), ?6)",
            params![outbox, wamid, status, code, detail, at + 60_000],
        )?;
        c.execute(
            "INSERT INTO campana_destinatarios (campana_id, cliente_id, outbox_id, creado_en) VALUES (?1, ?2, ?3, ?4)",
            params![campaign, customer, outbox, sent_at],
        )?;
        // Queued, as the campaign sender leaves a recipient (else it would queue it again).
        c.execute(
            "INSERT INTO campana_cola (campana_id, cliente_id, estado, creado_en, encolado_en) VALUES (?1, ?2, 'encolado', ?3, ?3)",
            params![campaign, customer, sent_at],
        )?;
    }
    c.execute(
        "INSERT INTO campanas (nombre, tipo, audiencia, plantilla, idioma, variables, estado, creado_por, creado_en, actualizado_en)
         VALUES ('Promo fin de semana', 'manual', '{\"segmentos\":[\"vip\"]}', 'promo_vip', 'es', '[\"nombre\"]',
                 'borrador', 'dueno@demo.autonomo', ?1, ?1)",
        [now - DAY],
    )?;
    Ok(())
}
