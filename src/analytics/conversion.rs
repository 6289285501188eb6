//! Conversion by channel: conversations started in a period and how many of them were
//! followed by an order within 7 days.
//!
//! Rule (documented in docs/analytics.md): a **conversation starts** with an inbound
//! message or call (`interacciones` with `direccion = 'entrante'` and `tipo` `mensaje` or
//! `llamada`; survey answers, notes and status notices are not conversations) from a
//! customer who sent no inbound message or call on the same channel in the 24 hours before
//! it (the length of WhatsApp's customer-service window). It belongs to the period of its
//! local day and to the interaction's channel. It **converts** when the same customer
//! places a non-cancelled order, on any channel, at or after the start and less than
//! 7 × 24 h after it (so a conversation on the period's last day may convert after it).
//! Why not `conversaciones`: that table keeps one row per customer (the inbox state), not
//! one per conversation. The starts and whether each converted are kept in
//! `analitica_conversaciones` by triggers (tenant V25), and counted per local day and month
//! (V27), so a period reads a few summary rows per channel.

use chrono::NaiveDate;
use chrono_tz::Tz;
use rusqlite::{Connection, params};
use serde::Serialize;
use utoipa::ToSchema;

use super::period::Period;
use crate::error::AppError;

/// Silence (from the customer, on the channel) that makes the next message a new conversation.
pub const GAP_MS: i64 = 24 * 3_600_000;
/// How long after the start an order still counts as converted.
pub const WINDOW_MS: i64 = 7 * 24 * 3_600_000;

/// One channel's conversations in the period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ConversionRow {
    pub canal: String,
    /// Conversations started in the period.
    pub conversaciones: i64,
    /// Of those, the ones followed by an order within 7 days.
    pub convertidas: i64,
    /// `convertidas / conversaciones` (0-1), null without conversations.
    pub tasa: Option<f64>,
}

/// The zone the rollups were built for (the brand's), UTC when none is stored yet.
pub fn stored_tz(conn: &Connection) -> Result<Tz, AppError> {
    Ok(super::zone::stored_zone(conn)?
        .and_then(|z| z.parse::<Tz>().ok())
        .unwrap_or(chrono_tz::UTC))
}

fn midnight(d: NaiveDate, tz: Tz) -> i64 {
    crate::time::parse_instant(&d.to_string(), tz).unwrap_or_else(|| {
        d.and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .timestamp_millis()
    })
}

/// The period as unix-ms instants `[from, to)`: local midnight of `desde` to local midnight
/// after `hasta`, in the brand's zone. (The dashboard reads local days from the summaries
/// instead; the same instants wherever local midnight exists.)
pub fn bounds(conn: &Connection, p: Period) -> Result<(i64, i64), AppError> {
    let tz = stored_tz(conn)?;
    let end = p.hasta.succ_opt().unwrap_or(p.hasta);
    Ok((midnight(p.desde, tz), midnight(end, tz)))
}

/// The rule as one SQL condition on an interaction `i` (`?3` = [`GAP_MS`]), for the set-based
/// rebuild; the triggers of tenant V25 write the same condition out with the constants.
const STARTS: &str = "i.direccion = 'entrante' AND i.tipo IN ('mensaje', 'llamada')
    AND NOT EXISTS (SELECT 1 FROM interacciones j
        WHERE j.cliente_id = i.cliente_id AND j.canal = i.canal AND j.direccion = 'entrante'
          AND j.tipo IN ('mensaje', 'llamada') AND j.creado_en > i.creado_en - ?1
          AND (j.creado_en < i.creado_en OR (j.creado_en = i.creado_en AND j.id < i.id)))";

/// Refills `analitica_conversaciones` (one row per conversation start, with whether it
/// converted) from the interactions and orders; the triggers keep it afterwards.
pub fn rebuild(conn: &Connection) -> Result<(), AppError> {
    conn.execute("DELETE FROM analitica_conversaciones", [])?;
    conn.execute(
        &format!(
            "INSERT INTO analitica_conversaciones (interaccion_id, cliente_id, canal, en, convertida)
             SELECT i.id, i.cliente_id, i.canal, i.creado_en,
                 EXISTS (SELECT 1 FROM pedidos p WHERE p.cliente_id = i.cliente_id
                     AND p.estado <> 'cancelado' AND p.creado_en >= i.creado_en
                     AND p.creado_en < i.creado_en + ?2)
             FROM interacciones i WHERE {STARTS}"
        ),
        params![GAP_MS, WINDOW_MS],
    )?;
    Ok(())
}

/// Conversations and conversions per channel, most conversations first: the starts and
/// conversions per local day and month (tenant V27, kept from `analitica_conversaciones`),
/// whole months from the monthly rows and the partial ones from the daily rows.
pub fn by_channel(conn: &Connection, p: Period) -> Result<Vec<ConversionRow>, AppError> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT canal, SUM(conversaciones), SUM(convertidas) FROM {}
         GROUP BY canal ORDER BY SUM(conversaciones) DESC, canal",
        super::span::union(
            "analitica_conversion_dia",
            "analitica_conversion_mes",
            "canal, conversaciones, convertidas"
        )
    ))?;
    let keys = super::span::Span::of(p).keys();
    let rows = st.query_map(rusqlite::params_from_iter(&keys), |r| {
        let (conversaciones, convertidas): (i64, i64) = (r.get(1)?, r.get(2)?);
        Ok(ConversionRow {
            canal: r.get(0)?,
            conversaciones,
            convertidas,
            tasa: (conversaciones > 0).then(|| convertidas as f64 / conversaciones as f64),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
