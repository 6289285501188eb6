//! Goio demo extras (issue 7): warranties for delivered orders of products with
//! `garantia_meses`, a low-stock threshold on accessories, customers waiting for sold-out
//! products (restock alerts) and a few support tickets, so those screens show data.

use rusqlite::{Connection, params};

use super::plan::Plan;
use crate::error::AppError;

/// Adds the extras when the plan is Goio's; other brands are left alone.
pub fn add(conn: &Connection, plan: &Plan) -> Result<(), AppError> {
    if plan.profile.slug != "goio" {
        return Ok(());
    }
    // Same rule as the `garantias_al_entregar` trigger (tenant V14), for delivered orders
    // the loader wrote directly.
    conn.execute(
        "INSERT INTO garantias (cliente_id, pedido_id, pedido_item_id, producto_id, nombre, meses, inicio_en, vence_en)
         SELECT o.cliente_id, o.id, i.id, i.producto_id, i.nombre,
                CAST(json_extract(p.atributos, '$.garantia_meses') AS INTEGER), o.actualizado_en,
                CAST(strftime('%s', o.actualizado_en / 1000, 'unixepoch',
                     '+' || CAST(json_extract(p.atributos, '$.garantia_meses') AS INTEGER) || ' months') AS INTEGER) * 1000
                    + o.actualizado_en % 1000
         FROM pedidos o JOIN pedido_items i ON i.pedido_id = o.id JOIN productos p ON p.id = i.producto_id
         WHERE o.estado = 'entregado' AND CAST(json_extract(p.atributos, '$.garantia_meses') AS INTEGER) > 0
         ON CONFLICT (pedido_item_id) DO NOTHING",
        [],
    )?;
    conn.execute(
        "UPDATE productos SET atributos = json_set(atributos, '$.stock_minimo', 5)
         WHERE categoria = 'Accesorios' AND stock IS NOT NULL",
        [],
    )?;
    // Up to three customers with WhatsApp wait for each sold-out product.
    conn.execute(
        "INSERT INTO avisos_reposicion (cliente_id, producto_id, origen, creado_en)
         SELECT c.cliente_id, p.id, CASE WHEN (c.cliente_id + p.id) % 2 = 0 THEN 'whatsapp' ELSE 'personal' END, ?1
         FROM productos p
         JOIN (SELECT cliente_id FROM wa_contactos WHERE cliente_id IS NOT NULL ORDER BY cliente_id LIMIT 3) c
         WHERE p.stock = 0 AND p.activo = 1
         ON CONFLICT DO NOTHING",
        [plan.now],
    )?;
    // Support tickets on the most recent warranties.
    let recent: Vec<(i64, i64, i64, String)> = conn
        .prepare("SELECT id, cliente_id, pedido_id, nombre FROM garantias ORDER BY inicio_en DESC LIMIT 6")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let kinds = [
        ("No carga", "alta", "abierto"),
        ("La batería dura poco", "media", "en_proceso"),
        ("Pantalla con rayas", "alta", "abierto"),
        ("Consulta de configuración", "baja", "resuelto"),
    ];
    for (n, (warranty, customer, order, name)) in recent.into_iter().enumerate() {
        let (subject, priority, status) = kinds[n % kinds.len()];
        conn.execute(
            "INSERT INTO tickets_soporte (cliente_id, pedido_id, garantia_id, asunto, prioridad, estado, origen, creado_en, actualizado_en)
             VALUES (?1, ?2, ?3, pii_seal(?4), ?5, ?6, 'whatsapp', ?7, ?7)",
            params![customer, order, warranty, format!("{subject}: {name}"), priority, status, plan.now - (n as i64 + 1) * 3_600_000],
        )?;
    }
    Ok(())
}
