//! Who wrote: a WhatsApp sender matched to a customer by BSUID, then `wa_id`, then the phone
//! variants of the `wa_id` (Mexico 521, Argentina 549, Brazil's ninth digit); a new sender
//! becomes a customer with channel `whatsapp`; a changed number re-keys the customer.
//!
//! The ids are stored sealed (tenant V20); every lookup is one equality on a keyed blind index
//! (`pii_bi('bsuid' | 'wa_id', ?)`, see `crypto::sealing`), which the unique/partial indexes on
//! `*_bi` columns turn into an index seek.

use rusqlite::{Connection, OptionalExtension, params};

use super::payload::{Contact, Message, SystemNotice};
use super::phone::lookup_candidates;
use crate::customers::{self, CustomerFields};
use crate::error::AppError;
use crate::tenants::Slug;

/// The sender's ids as received (empty strings are absent).
pub struct Sender<'a> {
    pub bsuid: Option<&'a str>,
    pub wa_id: Option<&'a str>,
    pub name: Option<&'a str>,
    pub username: Option<&'a str>,
}

impl<'a> Sender<'a> {
    pub fn of(message: &'a Message, contact: Option<&'a Contact>) -> Sender<'a> {
        let non_empty = |s: &'a str| (!s.trim().is_empty()).then_some(s);
        Sender {
            bsuid: message
                .from_user_id
                .as_deref()
                .or_else(|| contact.and_then(|c| c.user_id.as_deref()))
                .and_then(non_empty),
            wa_id: non_empty(&message.from),
            name: contact
                .and_then(|c| c.profile.name.as_deref())
                .and_then(non_empty),
            username: contact
                .and_then(|c| c.profile.username.as_deref())
                .and_then(non_empty),
        }
    }

    /// Where replies go: the `wa_id` exactly as received, else the BSUID.
    pub fn destination(&self) -> Option<String> {
        self.wa_id.or(self.bsuid).map(str::to_owned)
    }
}

fn one(conn: &Connection, sql: &str, value: &str) -> Result<Option<i64>, AppError> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([value], |r| r.get(0))
        .optional()?)
}

/// The existing customer for this sender, if any.
pub fn find(conn: &Connection, sender: &Sender) -> Result<Option<i64>, AppError> {
    if let Some(b) = sender.bsuid
        && let Some(id) = one(
            conn,
            "SELECT cliente_id FROM wa_contactos WHERE bsuid_bi = pii_bi('bsuid', ?1)",
            b,
        )?
    {
        return Ok(Some(id));
    }
    let Some(wa_id) = sender.wa_id else {
        return Ok(None);
    };
    if let Some(id) = one(
        conn,
        "SELECT cliente_id FROM wa_contactos WHERE wa_id_bi = pii_bi('wa_id', ?1)",
        wa_id,
    )? {
        return Ok(Some(id));
    }
    if let Some(id) = one(
        conn,
        "SELECT id FROM clientes WHERE wa_id_bi = pii_bi('wa_id', ?1)",
        wa_id,
    )? {
        return Ok(Some(id));
    }
    for phone in lookup_candidates(wa_id) {
        if let Some(c) = customers::store::find_by_phone(conn, &phone)? {
            return Ok(Some(c.id));
        }
    }
    Ok(None)
}

/// Finds or creates the customer of a message sent at `sent_at_ms`, records the sender's ids
/// on it and moves their 24-hour window forward to that time (never back).
pub fn resolve(
    conn: &Connection,
    slug: &Slug,
    sender: &Sender,
    sent_at_ms: i64,
    now: i64,
) -> Result<i64, AppError> {
    let id = match find(conn, sender)? {
        // Most messages come from a sender stored exactly so: then storing the ids again
        // would change no value, yet it would seal them again and rewrite the contact row.
        Some(id) if already_remembered(conn, id, sender)? => {
            touch_window(conn, id, sent_at_ms)?;
            return Ok(id);
        }
        Some(id) => id,
        None => {
            let phone = sender
                .wa_id
                .and_then(|w| lookup_candidates(w).into_iter().next());
            let name = sender
                .name
                .or(sender.username)
                .map(str::to_owned)
                .or_else(|| phone.clone())
                .unwrap_or_else(|| "Cliente de WhatsApp".to_owned());
            let fields = CustomerFields {
                name: name.chars().take(200).collect(),
                phone,
                email: None,
                address: None,
                notes: None,
                tags: Vec::new(),
                marketing_consent: false,
                channel: "whatsapp".to_owned(),
            };
            customers::store::insert_returning_id(conn, slug, &fields, sender.wa_id, now)?
        }
    };
    remember(conn, id, sender, sent_at_ms)?;
    Ok(id)
}

/// Stores the sender's ids on the contact row, and the window with them: a separate update
/// of the row just written would make SQLite journal its page once more for that statement
/// alone, then walk the job's whole in-memory sub-journal to drop that copy (≈ 10 % of the
/// writer's time in the webhook drain, docs/benchmarks.md session 15).
fn remember(conn: &Connection, id: i64, sender: &Sender, sent_at_ms: i64) -> Result<(), AppError> {
    // Another customer holding the same id loses it: the newest message is the truth.
    if let Some(b) = sender.bsuid {
        conn.prepare_cached(
            "UPDATE wa_contactos SET bsuid = NULL, bsuid_bi = NULL
             WHERE bsuid_bi = pii_bi('bsuid', ?1) AND cliente_id != ?2",
        )?
        .execute(params![b, id])?;
    }
    if let Some(w) = sender.wa_id {
        conn.prepare_cached(
            "UPDATE wa_contactos SET wa_id = NULL, wa_id_bi = NULL
             WHERE wa_id_bi = pii_bi('wa_id', ?1) AND cliente_id != ?2",
        )?
        .execute(params![w, id])?;
    }
    // An id already stored (same blind index) is not re-sealed: each message would otherwise
    // rewrite the row with a fresh nonce for nothing.
    conn.prepare_cached(
        "INSERT INTO wa_contactos (cliente_id, bsuid, bsuid_bi, wa_id, wa_id_bi, nombre_perfil, username,
            ultimo_entrante_en)
         VALUES (?1, pii_seal(?2), pii_bi('bsuid', ?2), pii_seal(?3), pii_bi('wa_id', ?3), pii_seal(?4), pii_seal(?5), ?6)
         ON CONFLICT (cliente_id) DO UPDATE SET
            ultimo_entrante_en = MAX(COALESCE(ultimo_entrante_en, 0), excluded.ultimo_entrante_en),
            bsuid = CASE WHEN excluded.bsuid_bi IS NULL OR excluded.bsuid_bi IS bsuid_bi THEN bsuid ELSE excluded.bsuid END,
            bsuid_bi = COALESCE(excluded.bsuid_bi, bsuid_bi),
            wa_id = CASE WHEN excluded.wa_id_bi IS NULL OR excluded.wa_id_bi IS wa_id_bi THEN wa_id ELSE excluded.wa_id END,
            wa_id_bi = COALESCE(excluded.wa_id_bi, wa_id_bi),
            nombre_perfil = CASE WHEN ?4 IS NULL OR ?4 IS pii_open(nombre_perfil) THEN nombre_perfil ELSE excluded.nombre_perfil END,
            username = CASE WHEN ?5 IS NULL OR ?5 IS pii_open(username) THEN username ELSE excluded.username END",
    )?
    .execute(params![id, sender.bsuid, sender.wa_id, sender.name, sender.username, sent_at_ms])?;
    if let Some(w) = sender.wa_id {
        conn.prepare_cached(
            "UPDATE clientes SET wa_id = pii_seal(?2), wa_id_bi = pii_bi('wa_id', ?2)
             WHERE id = ?1 AND wa_id_bi IS NOT pii_bi('wa_id', ?2)",
        )?
        .execute(params![id, w])?;
    }
    Ok(())
}

/// Whether the customer's contact row already holds every id and name of `sender`, no other
/// contact holds its ids, and the customer row has its `wa_id`.
fn already_remembered(conn: &Connection, id: i64, sender: &Sender) -> Result<bool, AppError> {
    let same: Option<bool> = conn
        .prepare_cached(
            "SELECT (?2 IS NULL OR (c.bsuid_bi IS pii_bi('bsuid', ?2) AND NOT EXISTS
                       (SELECT 1 FROM wa_contactos o WHERE o.bsuid_bi = pii_bi('bsuid', ?2)
                        AND o.cliente_id != ?1)))
                AND (?3 IS NULL OR (c.wa_id_bi IS pii_bi('wa_id', ?3) AND NOT EXISTS
                       (SELECT 1 FROM wa_contactos o WHERE o.wa_id_bi = pii_bi('wa_id', ?3)
                        AND o.cliente_id != ?1)
                     AND (SELECT wa_id_bi FROM clientes WHERE id = ?1) IS pii_bi('wa_id', ?3)))
                AND (?4 IS NULL OR ?4 IS pii_open(c.nombre_perfil))
                AND (?5 IS NULL OR ?5 IS pii_open(c.username))
             FROM wa_contactos c WHERE c.cliente_id = ?1",
        )?
        .query_row(
            params![id, sender.bsuid, sender.wa_id, sender.name, sender.username],
            |r| r.get(0),
        )
        .optional()?;
    Ok(same == Some(true))
}

/// Moves the 24-hour window forward to the user's message time (never back).
fn touch_window(conn: &Connection, id: i64, sent_at_ms: i64) -> Result<(), AppError> {
    conn.prepare_cached(
        "UPDATE wa_contactos SET ultimo_entrante_en = MAX(COALESCE(ultimo_entrante_en, 0), ?2) WHERE cliente_id = ?1",
    )?
    .execute(params![id, sent_at_ms])?;
    Ok(())
}

/// `user_changed_number`: the customer of the old id is re-keyed to the new `wa_id` (and phone,
/// when no other customer has it); the old BSUID is dropped since Meta issues a new one.
pub fn changed_number(
    conn: &Connection,
    old: &Sender,
    notice: &SystemNotice,
) -> Result<Option<i64>, AppError> {
    let Some(new_wa) = notice.wa_id.as_deref().filter(|w| !w.is_empty()) else {
        return Ok(None);
    };
    let Some(id) = find(conn, old)? else {
        return Ok(None);
    };
    let new_bsuid = notice.user_id.as_deref().filter(|u| !u.is_empty());
    conn.prepare_cached(
        "UPDATE wa_contactos SET wa_id = NULL, wa_id_bi = NULL
         WHERE wa_id_bi = pii_bi('wa_id', ?1) AND cliente_id != ?2",
    )?
    .execute(params![new_wa, id])?;
    conn.prepare_cached(
        "UPDATE wa_contactos SET wa_id = pii_seal(?2), wa_id_bi = pii_bi('wa_id', ?2),
            bsuid = pii_seal(?3), bsuid_bi = pii_bi('bsuid', ?3) WHERE cliente_id = ?1",
    )?
    .execute(params![id, new_wa, new_bsuid])?;
    conn.prepare_cached(
        "UPDATE clientes SET wa_id = pii_seal(?2), wa_id_bi = pii_bi('wa_id', ?2) WHERE id = ?1",
    )?
    .execute(params![id, new_wa])?;
    if let Some(phone) = lookup_candidates(new_wa).into_iter().next()
        && customers::store::find_by_phone(conn, &phone)?.is_none()
    {
        conn.prepare_cached(
            "UPDATE clientes SET telefono = pii_seal(?2), telefono_bi = pii_bi('telefono', ?2) WHERE id = ?1",
        )?
            .execute(params![id, phone])?;
    }
    Ok(Some(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::in_brand_write;

    fn sender<'a>(wa_id: &'a str, name: &'a str) -> Sender<'a> {
        Sender {
            bsuid: None,
            wa_id: Some(wa_id),
            name: Some(name),
            username: None,
        }
    }

    /// `expr` over the customer's contact row.
    fn contact<T: rusqlite::types::FromSql>(
        c: &Connection,
        id: i64,
        expr: &str,
    ) -> Result<T, AppError> {
        let sql = format!("SELECT {expr} FROM wa_contactos WHERE cliente_id = ?1");
        Ok(c.query_row(&sql, [id], |r| r.get(0))?)
    }

    #[test]
    fn a_known_sender_is_left_as_stored_and_changes_still_land() {
        let slug = Slug::parse("t").unwrap();
        let (same, renamed, moved) = in_brand_write(move |c| {
            let ana = resolve(c, &slug, &sender("51911111111", "Ana"), 1_000, 1)?;
            let sealed = |c: &Connection| contact::<String>(c, ana, "wa_id || nombre_perfil");
            let window = |c: &Connection| contact::<i64>(c, ana, "ultimo_entrante_en");
            assert_eq!(window(c)?, 1_000, "a new sender's window opens");
            let before = sealed(c)?;
            assert!(already_remembered(c, ana, &sender("51911111111", "Ana"))?);
            assert_eq!(
                resolve(c, &slug, &sender("51911111111", "Ana"), 2_000, 2)?,
                ana
            );
            let same = sealed(c)? == before;
            assert_eq!(window(c)?, 2_000, "a known sender's window moves on");
            // A new profile name is not "already remembered": it is stored.
            assert!(!already_remembered(
                c,
                ana,
                &sender("51911111111", "Ana María")
            )?);
            // A late delivery of an older message stores the name but moves no window back.
            resolve(c, &slug, &sender("51911111111", "Ana María"), 1_500, 3)?;
            assert_eq!(window(c)?, 2_000);
            let renamed: String = contact(c, ana, "pii_open(nombre_perfil)")?;
            // Another customer that receives Ana's wa_id takes it from her.
            let other = resolve(c, &slug, &sender("51922222222", "Beto"), 4_000, 4)?;
            remember(c, other, &sender("51911111111", "Beto"), 4_000)?;
            let moved: i64 = c.query_row(
                "SELECT COUNT(*) FROM wa_contactos WHERE wa_id_bi = pii_bi('wa_id', '51911111111')
                 AND cliente_id = ?1",
                [ana],
                |r| r.get(0),
            )?;
            Ok((same, renamed, moved))
        });
        assert!(same, "an unchanged sender's row was rewritten");
        assert_eq!(renamed, "Ana María");
        assert_eq!(moved, 0);
    }
}
