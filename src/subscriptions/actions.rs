//! What staff (API, UI) and customers (WhatsApp buttons) can do to a subscription: pause,
//! resume, cancel, skip the next delivery, change the plan. One rule set for every caller.

use rusqlite::Connection;

use super::store;
use crate::error::{AppError, msg};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Pause,
    Resume,
    Cancel,
    SkipNext,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "pausar" => Some(Action::Pause),
            "reanudar" => Some(Action::Resume),
            "cancelar" => Some(Action::Cancel),
            "saltar" => Some(Action::SkipNext),
            _ => None,
        }
    }
}

fn conflict(es: &str, en: &str) -> AppError {
    AppError::conflict(msg(es, en))
}

/// Applies `action`; returns the period skipped for [`Action::SkipNext`].
pub fn apply(
    c: &Connection,
    id: i64,
    action: Action,
    tz: chrono_tz::Tz,
    now: i64,
) -> Result<Option<i64>, AppError> {
    let s = store::row(c, id)?.ok_or(AppError::NotFound("suscripcion"))?;
    let (period, ..) =
        store::plan_terms(c, s.plan)?.ok_or_else(|| AppError::internal("plan sin periodo"))?;
    match (action, s.status.as_str()) {
        (Action::Pause, "activa") => store::set_status(c, id, "pausada", None, now)?,
        (Action::Resume, "pausada") => {
            // Periods missed while paused are not delivered late: resume at the first future one.
            let mut n = s.next;
            while period.date(s.start, n, tz).is_some_and(|d| d <= now) && n < s.next + 10_000 {
                n += 1;
            }
            store::set_status(c, id, "activa", Some(n), now)?
        }
        (Action::Cancel, "activa" | "pausada") => store::set_status(c, id, "cancelada", None, now)?,
        (Action::SkipNext, "activa") => {
            for n in s.next..s.next + 120 {
                let date = period
                    .date(s.start, n, tz)
                    .ok_or_else(|| AppError::internal("fecha fuera de rango"))?;
                if date > now && !store::is_skipped(c, id, n)? {
                    return store::skip(c, id, n, date)?
                        .then_some(Some(n))
                        .ok_or_else(|| {
                            conflict("Ese pedido ya se creó.", "That order was already created.")
                        });
                }
            }
            return Err(conflict(
                "No hay entregas por saltar.",
                "No delivery left to skip.",
            ));
        }
        _ => {
            return Err(conflict(
                "La suscripción no está en un estado que lo permita.",
                "The subscription's status does not allow that.",
            ));
        }
    }
    Ok(None)
}
