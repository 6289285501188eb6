//! Campaign results: each recipient's status from the campaign's queue (`campana_cola`: still
//! to queue, queued, or left out with the reason), the outbox and the WhatsApp status tracking
//! (queued → sent → delivered → read, or failed with the reason), whether they replied and
//! ordered within the attribution window, and the funnel with attributed orders and revenue.

use rusqlite::{Connection, params};
use serde::Serialize;
use utoipa::ToSchema;

use super::ATTRIBUTION_DAYS;
use crate::error::AppError;

/// Statuses from least to most advanced (`fallido` stands apart). `pendiente`: frozen at the
/// launch, message not in the outbox yet (the campaign sender queues it in a later batch).
pub const STATUSES: &[&str] = &[
    "pendiente",
    "en_cola",
    "enviado",
    "entregado",
    "leido",
    "respondio",
    "pidio",
    "fallido",
];

/// One recipient's outcome.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recipient {
    pub cliente_id: i64,
    pub nombre: String,
    /// pendiente | en_cola | enviado | entregado | leido | respondio | pidio | fallido
    pub estado: String,
    /// Why it failed (WhatsApp's error, the outbox's, or why it was never queued), for `fallido`.
    pub motivo: Option<String>,
    /// When its message was put in the outbox; `null` while `pendiente` or if left out.
    pub encolado_en: Option<i64>,
    pub enviado_en: Option<i64>,
    pub respondio: bool,
    /// Orders placed within the attribution window after the send.
    pub pedidos: i64,
    pub ingresos: i64,
}

/// The delivery funnel: each step counts recipients that reached it or went further.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Funnel {
    pub destinatarios: i64,
    /// Not in the outbox yet: the campaign sender queues them batch by batch.
    pub pendientes: i64,
    /// In the outbox, not sent yet.
    pub en_cola: i64,
    pub enviados: i64,
    pub entregados: i64,
    pub leidos: i64,
    pub respondieron: i64,
    pub pidieron: i64,
    pub fallidos: i64,
    pub pedidos_atribuidos: i64,
    /// Minor units of the brand's currency.
    pub ingresos_atribuidos: i64,
}

/// Where the campaign's queue left a recipient (`campana_cola.estado`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Queue {
    Waiting,
    Queued,
    LeftOut,
}

fn derive(
    queue: Queue,
    outbox: Option<&str>,
    wa: Option<&str>,
    replied: bool,
    ordered: bool,
) -> &'static str {
    match queue {
        Queue::Waiting => return "pendiente",
        Queue::LeftOut => return "fallido",
        Queue::Queued => {}
    }
    if matches!(outbox, Some("fallido") | Some("cancelado")) || wa == Some("failed") {
        return "fallido";
    }
    // Queued and no outbox row: the 90-day clean-up only deletes messages that were sent.
    if outbox.is_some_and(|o| o != "enviado") {
        return "en_cola";
    }
    if ordered {
        "pidio"
    } else if replied {
        "respondio"
    } else {
        match wa {
            Some("read") => "leido",
            Some("delivered") => "entregado",
            _ => "enviado",
        }
    }
}

/// Every recipient of campaign `id`, by customer id.
pub fn recipients(c: &Connection, id: i64) -> Result<Vec<Recipient>, AppError> {
    let window = ATTRIBUTION_DAYS * 24 * 3600 * 1000;
    // The send time is the outbox's; for a message already pruned from the outbox (sent more
    // than 90 days ago) the time it was queued stands in. Not queued: no send time.
    let mut stmt = c.prepare_cached(
        "WITH d AS (SELECT q.cliente_id, q.estado AS cola, q.motivo, q.encolado_en, cd.outbox_id,
                           CASE WHEN q.estado = 'encolado'
                                THEN COALESCE(o.enviado_en, CASE WHEN o.id IS NULL THEN q.encolado_en END) END AS t
                    FROM campana_cola q
                    LEFT JOIN campana_destinatarios cd ON cd.campana_id = q.campana_id AND cd.cliente_id = q.cliente_id
                    LEFT JOIN outbox o ON o.id = cd.outbox_id
                    WHERE q.campana_id = ?1)
         SELECT d.cliente_id, cl.nombre, o.estado, pii_open(o.ultimo_error), d.t, s.estado,
                s.error_codigo, pii_open(s.error_detalle),
                d.t IS NOT NULL AND EXISTS (SELECT 1 FROM interacciones i
                    WHERE i.cliente_id = d.cliente_id AND i.direccion = 'entrante' AND i.canal = 'whatsapp'
                      AND i.creado_en >= d.t AND i.creado_en < d.t + ?2),
                (SELECT COUNT(*) FROM pedidos p WHERE p.cliente_id = d.cliente_id AND p.estado <> 'cancelado'
                      AND p.creado_en >= d.t AND p.creado_en < d.t + ?2),
                (SELECT COALESCE(SUM(p.total), 0) FROM pedidos p WHERE p.cliente_id = d.cliente_id
                      AND p.estado <> 'cancelado' AND p.creado_en >= d.t AND p.creado_en < d.t + ?2),
                d.cola, d.motivo, d.encolado_en
         FROM d
         JOIN clientes cl ON cl.id = d.cliente_id
         LEFT JOIN outbox o ON o.id = d.outbox_id
         LEFT JOIN wa_salientes s ON s.outbox_id = d.outbox_id
         ORDER BY d.cliente_id",
    )?;
    let rows = stmt.query_map(params![id, window], |r| {
        let outbox: Option<String> = r.get(2)?;
        let outbox_error: Option<String> = r.get(3)?;
        let wa: Option<String> = r.get(5)?;
        let code: Option<i64> = r.get(6)?;
        let detail: Option<String> = r.get(7)?;
        let replied: bool = r.get(8)?;
        let orders: i64 = r.get(9)?;
        let queue = match r.get::<_, String>(11)?.as_str() {
            "pendiente" => Queue::Waiting,
            "omitido" => Queue::LeftOut,
            _ => Queue::Queued,
        };
        let left_out: Option<String> = r.get(12)?;
        let estado = derive(queue, outbox.as_deref(), wa.as_deref(), replied, orders > 0);
        let failed = estado == "fallido";
        let motivo = failed.then(|| match (left_out, code, detail) {
            (Some(why), _, _) => why,
            (None, Some(code), Some(d)) => format!("WhatsApp {code}: {d}"),
            (None, Some(code), None) => format!("WhatsApp {code}"),
            _ => outbox_error.unwrap_or_else(|| "mensaje no encontrado / message missing".into()),
        });
        Ok(Recipient {
            cliente_id: r.get(0)?,
            nombre: r.get(1)?,
            estado: estado.to_owned(),
            motivo,
            encolado_en: r.get(13)?,
            enviado_en: r.get(4)?,
            respondio: replied && !failed,
            pedidos: if failed { 0 } else { orders },
            ingresos: if failed { 0 } else { r.get(10)? },
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The funnel over `recipients`.
pub fn funnel(recipients: &[Recipient]) -> Funnel {
    let rank = |s: &str| STATUSES.iter().position(|x| *x == s).unwrap_or(0);
    let mut f = Funnel {
        destinatarios: recipients.len() as i64,
        ..Funnel::default()
    };
    for r in recipients {
        let k = rank(&r.estado);
        if r.estado == "fallido" {
            f.fallidos += 1;
            continue;
        }
        f.pendientes += i64::from(k == 0);
        f.en_cola += i64::from(k == 1);
        f.enviados += i64::from(k >= 2);
        f.entregados += i64::from(k >= 3);
        f.leidos += i64::from(k >= 4);
        f.respondieron += i64::from(r.respondio);
        f.pidieron += i64::from(r.pedidos > 0);
        f.pedidos_atribuidos += r.pedidos;
        f.ingresos_atribuidos += r.ingresos;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_the_furthest_step_and_failure_wins() {
        let q = Queue::Queued;
        assert_eq!(
            derive(q, Some("pendiente"), Some("pendiente"), false, false),
            "en_cola"
        );
        assert_eq!(
            derive(q, Some("enviado"), Some("pendiente"), false, false),
            "enviado"
        );
        assert_eq!(
            derive(q, Some("enviado"), Some("delivered"), false, false),
            "entregado"
        );
        assert_eq!(
            derive(q, Some("enviado"), Some("read"), false, false),
            "leido"
        );
        assert_eq!(
            derive(q, Some("enviado"), Some("sent"), true, false),
            "respondio"
        );
        assert_eq!(
            derive(q, Some("enviado"), Some("read"), true, true),
            "pidio"
        );
        assert_eq!(
            derive(q, Some("enviado"), Some("failed"), false, false),
            "fallido"
        );
        assert_eq!(derive(q, Some("fallido"), None, false, false), "fallido");
        assert_eq!(
            derive(q, None, None, true, false),
            "respondio",
            "queued, then pruned after sending"
        );
    }

    #[test]
    fn the_queue_state_is_stored_not_inferred() {
        // No outbox row is not "sent" unless the queue says the message was queued.
        assert_eq!(
            derive(Queue::Waiting, None, None, false, false),
            "pendiente"
        );
        assert_eq!(derive(Queue::LeftOut, None, None, true, true), "fallido");
    }

    fn recipient(estado: &str) -> Recipient {
        Recipient {
            cliente_id: 1,
            nombre: String::new(),
            estado: estado.into(),
            motivo: None,
            encolado_en: None,
            enviado_en: None,
            respondio: false,
            pedidos: 0,
            ingresos: 0,
        }
    }

    #[test]
    fn funnel_counts_waiting_apart_from_queued() {
        let all: Vec<Recipient> = ["pendiente", "pendiente", "en_cola", "leido", "fallido"]
            .into_iter()
            .map(recipient)
            .collect();
        let f = funnel(&all);
        assert_eq!(
            (
                f.destinatarios,
                f.pendientes,
                f.en_cola,
                f.enviados,
                f.leidos,
                f.fallidos
            ),
            (5, 2, 1, 1, 1, 1)
        );
    }
}
