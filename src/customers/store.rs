//! SQL for customers, run on a brand's own database (the file is the tenant scope).

use rusqlite::{Connection, OptionalExtension, Row, ToSql, params};

use super::{Customer, CustomerFields};
use crate::api::page::Cursor;
use crate::error::{AppError, msg};
use crate::tenants::Slug;
use crate::tenants::ids::CustomerId;

/// Phone, e-mail, address and notes are sealed at rest and opened here, only for the rows
/// returned (`crypto::sql`); phone and e-mail are found through their blind indexes.
const COLUMNS: &str = "id, nombre, pii_open(telefono), pii_open(email), pii_open(direccion), \
    pii_open(notas), etiquetas, consentimiento_marketing, canal_adquisicion, segmento, pedidos_count, total_gastado, primer_pedido_en, ultimo_pedido_en, \
    creado_en, actualizado_en";

fn from_row(row: &Row) -> rusqlite::Result<Customer> {
    let tags: String = row.get(6)?;
    Ok(Customer {
        id: row.get(0)?,
        name: row.get(1)?,
        phone: row.get(2)?,
        email: row.get(3)?,
        address: row.get(4)?,
        notes: row.get(5)?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        marketing_consent: row.get(7)?,
        channel: row.get(8)?,
        segment: row.get(9)?,
        orders_count: row.get(10)?,
        total_spent: row.get(11)?,
        first_order_at: row.get(12)?,
        last_order_at: row.get(13)?,
        created_at: row.get(14)?,
        updated_at: row.get(15)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Customer>, AppError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM clientes WHERE id = ?1"))?;
    Ok(stmt.query_row([id], from_row).optional()?)
}

pub fn find_by_phone(conn: &Connection, phone: &str) -> Result<Option<Customer>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM clientes WHERE telefono_bi = pii_bi('telefono', ?1)"
    ))?;
    Ok(stmt.query_row([phone], from_row).optional()?)
}

pub fn find_by_email(conn: &Connection, email: &str) -> Result<Option<Customer>, AppError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM clientes WHERE email_bi = pii_bi('email', ?1)"
    ))?;
    Ok(stmt.query_row([email], from_row).optional()?)
}

/// Refuses a phone or e-mail already held by another customer, naming that customer.
fn check_unique(
    conn: &Connection,
    slug: &Slug,
    fields: &CustomerFields,
    except: Option<i64>,
) -> Result<(), AppError> {
    if let Some(phone) = &fields.phone
        && let Some(other) = find_by_phone(conn, phone)?.filter(|c| Some(c.id) != except)
    {
        return Err(duplicate(slug, other.id, "telefono", "phone"));
    }
    if let Some(email) = &fields.email
        && let Some(other) = find_by_email(conn, email)?.filter(|c| Some(c.id) != except)
    {
        return Err(duplicate(slug, other.id, "email", "e-mail"));
    }
    Ok(())
}

fn duplicate(slug: &Slug, id: i64, es: &str, en: &str) -> AppError {
    let existing = CustomerId::new(slug, id).to_string();
    AppError::Conflict {
        message: msg(
            format!("Ya existe un cliente con ese {es}: {existing}."),
            format!("A customer with that {en} already exists: {existing}."),
        ),
        existing_id: Some(existing),
        allowed: None,
    }
}

pub fn insert(
    conn: &Connection,
    slug: &Slug,
    f: &CustomerFields,
    now: i64,
) -> Result<Customer, AppError> {
    let id = insert_returning_id(conn, slug, f, None, now)?;
    get(conn, id)?.ok_or_else(|| AppError::internal("customer vanished after insert"))
}

/// Inserts a customer, with the WhatsApp id they wrote from when there is one (stored with the
/// row: an update right after the insert would be a second audit row and change for nothing),
/// and returns the new id without reading the row back.
pub fn insert_returning_id(
    conn: &Connection,
    slug: &Slug,
    f: &CustomerFields,
    wa_id: Option<&str>,
    now: i64,
) -> Result<i64, AppError> {
    check_unique(conn, slug, f, None)?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO clientes (nombre, telefono, email, direccion, notas, etiquetas,
            consentimiento_marketing, canal_adquisicion, creado_en, actualizado_en,
            telefono_bi, email_bi, wa_id, wa_id_bi)
         VALUES (?1, pii_seal(?2), pii_seal(?3), pii_seal(?4), pii_seal(?5), ?6, ?7, ?8, ?9, ?9,
            pii_bi('telefono', ?2), pii_bi('email', ?3), pii_seal(?10), pii_bi('wa_id', ?10))",
    )?;
    stmt.execute(params![
        f.name,
        f.phone,
        f.email,
        f.address,
        f.notes,
        serde_json::to_string(&f.tags).map_err(AppError::internal)?,
        f.marketing_consent,
        f.channel,
        now,
        wa_id
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn update(
    conn: &Connection,
    slug: &Slug,
    id: i64,
    f: &CustomerFields,
    now: i64,
) -> Result<Customer, AppError> {
    check_unique(conn, slug, f, Some(id))?;
    let changed = conn
        .prepare_cached(
            "UPDATE clientes SET nombre = ?2, telefono = pii_seal(?3), email = pii_seal(?4),
            direccion = pii_seal(?5), notas = pii_seal(?6), etiquetas = ?7,
            consentimiento_marketing = ?8, actualizado_en = ?9,
            telefono_bi = pii_bi('telefono', ?3), email_bi = pii_bi('email', ?4)
         WHERE id = ?1",
        )?
        .execute(params![
            id,
            f.name,
            f.phone,
            f.email,
            f.address,
            f.notes,
            serde_json::to_string(&f.tags).map_err(AppError::internal)?,
            f.marketing_consent,
            now
        ])?;
    if changed == 0 {
        return Err(AppError::NotFound("cliente"));
    }
    get(conn, id)?.ok_or(AppError::NotFound("cliente"))
}

/// Deletes a customer without orders (with their interactions). Customers with orders are
/// kept for accounting: they can be anonymised instead.
pub fn delete(conn: &Connection, id: i64) -> Result<(), AppError> {
    let orders: i64 = conn.query_row(
        "SELECT COUNT(*) FROM pedidos WHERE cliente_id = ?1",
        [id],
        |r| r.get(0),
    )?;
    if orders > 0 {
        return Err(AppError::conflict(msg(
            format!(
                "El cliente tiene {orders} pedidos y se conserva por contabilidad; usa «olvidar» para anonimizarlo."
            ),
            format!(
                "The customer has {orders} orders and is kept for accounting; use `olvidar` to anonymise them."
            ),
        )));
    }
    let changed = conn.execute("DELETE FROM clientes WHERE id = ?1", [id])?;
    if changed == 0 {
        return Err(AppError::NotFound("cliente"));
    }
    Ok(())
}

/// Sort orders a customer list supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    #[default]
    NewestFirst,
    OldestFirst,
    Name,
    TopSpenders,
}

impl SortBy {
    pub fn parse(s: &str) -> Option<SortBy> {
        match s {
            "-creado_en" => Some(SortBy::NewestFirst),
            "creado_en" => Some(SortBy::OldestFirst),
            "nombre" => Some(SortBy::Name),
            "-total_gastado" => Some(SortBy::TopSpenders),
            _ => None,
        }
    }

    /// (column, descending)
    fn column(self) -> (&'static str, bool) {
        match self {
            SortBy::NewestFirst => ("creado_en", true),
            SortBy::OldestFirst => ("creado_en", false),
            SortBy::Name => ("nombre", false),
            SortBy::TopSpenders => ("total_gastado", true),
        }
    }

    fn key(self, c: &Customer) -> serde_json::Value {
        match self {
            SortBy::NewestFirst | SortBy::OldestFirst => c.created_at.into(),
            SortBy::Name => c.name.clone().into(),
            SortBy::TopSpenders => c.total_spent.into(),
        }
    }
}

/// Filters for a customer list; all optional and combined with AND.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub search: Option<String>,
    /// The brand's country, so a phone typed the national way ("987 654 321") finds the
    /// customer stored in E.164 ("+51987654321").
    pub country: Option<phonenumber::country::Id>,
    pub segment: Option<String>,
    pub tag: Option<String>,
    pub channel: Option<String>,
    pub consent: Option<bool>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
}

/// Lists customers matching `filter`, `limit` at a time after `cursor`.
pub fn list(
    conn: &Connection,
    filter: &Filter,
    sort: SortBy,
    cursor: Option<&Cursor>,
    limit: u32,
) -> Result<(Vec<Customer>, Option<Cursor>), AppError> {
    let mut clauses: Vec<String> = Vec::new();
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    let (column, desc) = sort.column();
    if let Some(text) = filter.search.as_deref() {
        clauses.push(super::search::clause(
            conn,
            text,
            filter.country,
            column == "creado_en",
            &mut args,
        )?);
    }
    if let Some(v) = &filter.segment {
        clauses.push("segmento = ?".into());
        args.push(Box::new(v.clone()));
    }
    if let Some(v) = &filter.tag {
        clauses.push("EXISTS (SELECT 1 FROM json_each(etiquetas) WHERE value = ?)".into());
        args.push(Box::new(v.trim().to_lowercase()));
    }
    if let Some(v) = &filter.channel {
        clauses.push("canal_adquisicion = ?".into());
        args.push(Box::new(v.clone()));
    }
    if let Some(v) = filter.consent {
        clauses.push("consentimiento_marketing = ?".into());
        args.push(Box::new(v));
    }
    if let Some(v) = filter.created_from {
        clauses.push("creado_en >= ?".into());
        args.push(Box::new(v));
    }
    if let Some(v) = filter.created_to {
        clauses.push("creado_en < ?".into());
        args.push(Box::new(v));
    }
    if let Some(c) = cursor {
        let op = if desc { "<" } else { ">" };
        clauses.push(format!("({column}, id) {op} (?, ?)"));
        args.push(Box::new(json_to_sql(&c.key)?));
        args.push(Box::new(c.id));
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let dir = if desc { "DESC" } else { "ASC" };
    // The page's ids first, then its rows: sealed fields are opened for the rows shown only,
    // not for every match the sort has to look at.
    let sql = format!(
        "SELECT {COLUMNS} FROM clientes WHERE id IN (
             SELECT id FROM clientes {where_sql} ORDER BY {column} {dir}, id {dir} LIMIT {})
         ORDER BY {column} {dir}, id {dir}",
        limit + 1
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let params: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
    let mut rows: Vec<Customer> = stmt
        .query_map(params.as_slice(), from_row)?
        .collect::<Result<_, _>>()?;
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|c| Cursor {
            key: sort.key(c),
            id: c.id,
        })
    } else {
        None
    };
    Ok((rows, next))
}

fn json_to_sql(v: &serde_json::Value) -> Result<rusqlite::types::Value, AppError> {
    use rusqlite::types::Value;
    match v {
        serde_json::Value::Number(n) => n.as_i64().map(Value::Integer).ok_or_else(|| {
            AppError::validation(
                "cursor",
                "invalid_cursor",
                msg("Cursor inválido.", "Invalid cursor."),
            )
        }),
        serde_json::Value::String(s) => Ok(Value::Text(s.clone())),
        _ => Err(AppError::validation(
            "cursor",
            "invalid_cursor",
            msg("Cursor inválido.", "Invalid cursor."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both plans (a first name shared by hundreds walks the date index; a rare word fetches
    /// and sorts) give exactly the newest-first pages a full sort would, cursor after cursor.
    #[test]
    fn name_search_pages_match_a_full_sort_whichever_plan_answers() {
        crate::db::test_support::in_brand_write(|c| {
            // Creation times deliberately out of id order, with ties.
            for id in 1..=600i64 {
                let name = if id % 2 == 0 { "Ana" } else { "Luis" };
                let surname = if id % 97 == 0 { "Quispe" } else { "Torres" };
                c.execute(
                    "INSERT INTO clientes (id, nombre, canal_adquisicion, creado_en, actualizado_en)
                     VALUES (?1, ?2, 'web', ?3, 0)",
                    params![id, format!("{name} {surname} {id}"), (id * 7919) % 101],
                )?;
            }
            let all: Vec<(i64, i64, String)> = c
                .prepare("SELECT id, creado_en, nombre FROM clientes")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?;
            for (text, word) in [("ana", "Ana "), ("quis", "Quispe")] {
                let mut expected: Vec<(i64, i64)> = all
                    .iter()
                    .filter(|(_, _, n)| n.contains(word))
                    .map(|(id, at, _)| (*at, *id))
                    .collect();
                expected.sort_by(|a, b| b.cmp(a));
                let filter = Filter {
                    search: Some(text.into()),
                    ..Filter::default()
                };
                let (mut got, mut cursor) = (Vec::new(), None);
                loop {
                    let (page, next) = list(c, &filter, SortBy::NewestFirst, cursor.as_ref(), 20)?;
                    got.extend(page.iter().map(|p| (p.created_at, p.id)));
                    match next {
                        Some(n) => cursor = Some(n),
                        None => break,
                    }
                }
                assert_eq!(got, expected, "{text}");
            }
            assert_eq!(all.len(), 600);
            Ok(())
        });
    }
}
