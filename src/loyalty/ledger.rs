//! The ledger's arithmetic and the order hooks. Rows are never changed: an earn is undone
//! by a `reverso` row, and expiry is computed (first in, first out) rather than written.

use rusqlite::Connection;

use super::{Movement, store};
use crate::error::{AppError, msg};
use crate::orders::{Order, Status};

const DAY_MS: i64 = 86_400_000;

/// Balance at `now`: earned lots are consumed oldest first by redemptions; what is left of
/// a lot past its `vence_en` no longer counts. Reversals of an order's earn take from that
/// order's own lot first.
pub fn balance(movements: &[Movement], now: i64) -> i64 {
    // (order id, remaining, expires at)
    let mut lots: Vec<(Option<i64>, i64, Option<i64>)> = Vec::new();
    for m in movements {
        if m.puntos > 0 {
            lots.push((m.pedido_id, m.puntos, m.vence_en));
            continue;
        }
        let mut owed = -m.puntos;
        if m.tipo == "reverso"
            && let Some(lot) = lots
                .iter_mut()
                .find(|l| l.0.is_some() && l.0 == m.pedido_id)
        {
            let take = owed.min(lot.1);
            lot.1 -= take;
            owed -= take;
        }
        for lot in lots.iter_mut() {
            if owed == 0 {
                break;
            }
            if lot.2.is_some_and(|v| v <= m.creado_en) {
                continue;
            }
            let take = owed.min(lot.1);
            lot.1 -= take;
            owed -= take;
        }
    }
    lots.iter()
        .filter(|l| l.2.is_none_or(|v| v > now))
        .map(|l| l.1)
        .sum()
}

/// Called by the orders module after every status change, inside its transaction.
pub fn on_order_status(conn: &Connection, order: &Order, now: i64) -> Result<(), AppError> {
    match order.status {
        Status::Confirmado => earn(conn, order, now),
        Status::Cancelado => reverse(conn, order, now),
        _ => Ok(()),
    }
}

fn earn(conn: &Connection, order: &Order, now: i64) -> Result<(), AppError> {
    let Some(program) = store::program(conn)? else {
        return Ok(());
    };
    let points = program.earned(order.total);
    if points == 0 || store::order_has(conn, order.id, "gana")? {
        return Ok(());
    }
    let expires = program.vigencia_dias.map(|d| now + d * DAY_MS);
    let note = format!("Pedido {}", order.id);
    store::append(
        conn,
        order.customer_id,
        "gana",
        points,
        Some(order.id),
        None,
        Some(&note),
        expires,
        now,
    )
}

/// Undoes what the order earned and gives back what was redeemed on it.
fn reverse(conn: &Connection, order: &Order, now: i64) -> Result<(), AppError> {
    let net = store::order_net(conn, order.id)?;
    if net == 0 {
        return Ok(());
    }
    let note = format!("Pedido {} cancelado", order.id);
    store::append(
        conn,
        order.customer_id,
        "reverso",
        -net,
        Some(order.id),
        None,
        Some(&note),
        None,
        now,
    )
}

/// Redeems a reward for a customer; with an order, adds the reward's discount line to it.
pub fn redeem(
    conn: &Connection,
    customer_id: i64,
    reward_id: i64,
    order_id: Option<i64>,
    now: i64,
) -> Result<Movement, AppError> {
    let reward = store::reward(conn, reward_id)?
        .filter(|r| r.activo)
        .ok_or(AppError::NotFound("recompensa"))?;
    let have = balance(&store::movements(conn, customer_id)?, now);
    if have < reward.costo {
        return Err(AppError::conflict(msg(
            format!(
                "Saldo insuficiente: tiene {have}, la recompensa cuesta {}.",
                reward.costo
            ),
            format!(
                "Not enough balance: has {have}, the reward costs {}.",
                reward.costo
            ),
        )));
    }
    if let Some(order_id) = order_id {
        let order = crate::orders::store::get(conn, order_id)?
            .filter(|o| o.customer_id == customer_id)
            .ok_or(AppError::NotFound("pedido"))?;
        if matches!(order.status, Status::Cancelado | Status::Entregado) {
            return Err(AppError::conflict(msg(
                "El pedido ya está cerrado.",
                "The order is already closed.",
            )));
        }
        let reason = format!("Recompensa: {}", reward.nombre);
        crate::promotions::store::add_discount(
            conn,
            order_id,
            "recompensa",
            &reason,
            reward.descuento,
            now,
        )?;
    }
    let note = format!("Canje: {}", reward.nombre);
    let id = store::append_returning(
        conn,
        customer_id,
        "canje",
        -reward.costo,
        order_id,
        Some(reward.id),
        Some(&note),
        now,
    )?;
    store::movements(conn, customer_id)?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| AppError::internal("ledger row vanished"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mv(tipo: &str, puntos: i64, pedido: Option<i64>, vence: Option<i64>, at: i64) -> Movement {
        Movement {
            id: at,
            tipo: tipo.into(),
            puntos,
            pedido_id: pedido,
            recompensa_id: None,
            nota: None,
            vence_en: vence,
            creado_en: at,
        }
    }

    #[test]
    fn redemptions_consume_oldest_and_expired_lots_drop() {
        let l = vec![
            mv("gana", 5, Some(1), Some(100), 1),
            mv("gana", 5, Some(2), Some(200), 2),
            mv("canje", -3, None, None, 3),
        ];
        assert_eq!(balance(&l, 50), 7);
        // The first lot (2 left) expires at 100.
        assert_eq!(balance(&l, 150), 5);
        assert_eq!(balance(&l, 250), 0);
    }

    #[test]
    fn reversal_takes_its_own_order_lot() {
        let l = vec![
            mv("gana", 1, Some(1), None, 1),
            mv("gana", 1, Some(2), Some(10), 2),
            mv("reverso", -1, Some(2), None, 3),
        ];
        assert_eq!(balance(&l, 5), 1);
        assert_eq!(balance(&l, 50), 1);
    }
}
