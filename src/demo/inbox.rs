//! The WhatsApp side of the demo's chats: each customer who wrote on WhatsApp gets the
//! identity and the inbox conversation that live ingestion would have created, so the inbox
//! screen opens populated: recent chats open, a few unread, some waiting for a person.

use rusqlite::{Connection, params};

use super::calendar::DAY;
use crate::error::AppError;

/// Chats quieter than this are closed.
const OPEN_FOR: i64 = 3 * DAY;
/// A customer whose last message is this recent and unanswered counts as unread.
const UNREAD_FOR: i64 = 2 * DAY;

/// Derives `wa_contactos` and `conversaciones` from the loaded WhatsApp interactions.
pub fn derive(conn: &Connection, now: i64) -> Result<(), AppError> {
    conn.execute(
        "INSERT INTO wa_contactos (cliente_id, wa_id, wa_id_bi, nombre_perfil, ultimo_entrante_en)
         SELECT c.id, pii_seal(substr(pii_open(c.telefono), 2)),
                pii_bi('wa_id', substr(pii_open(c.telefono), 2)), pii_seal(c.nombre),
                MAX(CASE WHEN i.direccion = 'entrante' THEN i.creado_en END)
         FROM clientes c JOIN interacciones i ON i.cliente_id = c.id AND i.canal = 'whatsapp'
         WHERE c.telefono IS NOT NULL
         GROUP BY c.id
         ON CONFLICT DO NOTHING",
        [],
    )?;
    conn.execute(
        "INSERT INTO conversaciones (cliente_id, estado, no_leidos, ultimo_mensaje_en, ultimo_resumen, actualizado_en)
         SELECT w.cliente_id,
                CASE WHEN last.creado_en > ?1 - ?2 THEN 'abierta' ELSE 'cerrada' END,
                CASE WHEN last.direccion = 'entrante' AND last.creado_en > ?1 - ?3 THEN 1 ELSE 0 END,
                last.creado_en, pii_seal(substr(pii_open(last.cuerpo), 1, 200)), ?1
         FROM wa_contactos w
         JOIN interacciones last ON last.id = (
             SELECT id FROM interacciones j WHERE j.cliente_id = w.cliente_id AND j.canal = 'whatsapp'
             ORDER BY j.creado_en DESC, j.id DESC LIMIT 1)
         -- In customer order: the planner may walk a blind-index (keyed HMAC) index, whose
         -- order differs per installation, and the same seed must give the same change feed.
         ORDER BY w.cliente_id
         ON CONFLICT DO NOTHING",
        params![now, OPEN_FOR, UNREAD_FOR],
    )?;
    // One in three unread chats asked for a person: the inbox shows the handoff flag.
    conn.execute(
        "UPDATE conversaciones SET necesita_humano = 1,
            motivo_humano = pii_seal('El cliente pidió hablar con una persona')
         WHERE no_leidos > 0 AND cliente_id % 3 = 0",
        [],
    )?;
    Ok(())
}
