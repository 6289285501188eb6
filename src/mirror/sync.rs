//! One sync step for one brand: a single SQLite read snapshot streamed into a single Postgres
//! transaction that also moves the brand's cursor.
//!
//! The step reads every change after the cursor that is visible in its snapshot and, for each
//! changed row, the row as it is in that same snapshot (gone → DELETE). So after each commit
//! the mirror equals the brand at one point of its feed, foreign keys included, and a crash
//! of either side at any moment leaves the old cursor with the old rows: nothing is lost and
//! nothing applied twice. Without a cursor (first sync), or when the feed no longer reaches
//! back to it, the step is a full copy of the brand instead.

use std::sync::{Arc, LazyLock};

use rusqlite::{Connection, ToSql};
use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio_postgres::Client;

use super::pseudo::Pseudonymizer;
use super::tables::{Column, Feed, TABLES, Table};
use super::values::{convert, currency_exponent};
use crate::db::Database;
use crate::error::AppError;
use crate::tenants::Brand;

/// Rows per Postgres statement: one JSON parameter, so size is the only limit.
const CHUNK_ROWS: usize = 500;

/// Where a full copy stands, for progress output.
#[derive(Debug, Clone)]
pub struct Progress {
    pub marca: String,
    pub tabla: &'static str,
    pub done: u64,
    pub total: u64,
}

/// What one step did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StepReport {
    pub marca: String,
    pub full_copy: bool,
    pub from: Option<i64>,
    pub to: i64,
    pub upserted: u64,
    pub deleted: u64,
}

enum Msg {
    Start {
        head: i64,
        full: bool,
        totals: Vec<u64>,
    },
    Rows {
        table: usize,
        rows: Vec<Value>,
    },
    /// Rows (or, for [`Feed::Group`], groups) whose feed column is one of `ids`.
    Deleted {
        table: usize,
        ids: Vec<i64>,
    },
    /// Every row of a [`Feed::Whole`] table, copied again right after.
    Cleared {
        table: usize,
    },
}

static UPSERTS: LazyLock<Vec<String>> = LazyLock::new(|| TABLES.iter().map(upsert_sql).collect());

/// Brings `brand` in the mirror up to the latest change its database shows.
pub async fn sync_brand(
    client: &mut Client,
    db: &Arc<Database>,
    brand: &Brand,
    site: &str,
    pseudo: &Pseudonymizer,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> anyhow::Result<StepReport> {
    let marca = brand.slug.as_str();
    let tx = client.transaction().await?;
    upsert_brand(&tx, site, brand).await?;
    tx.execute(
        "INSERT INTO autonomo.sincronizacion (site, marca) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[&site, &marca],
    )
    .await?;
    // The row lock also keeps two syncers of the same site and brand from interleaving.
    let cursor: Option<i64> = tx
        .query_one(
            "SELECT seq FROM autonomo.sincronizacion WHERE site = $1 AND marca = $2 FOR UPDATE",
            &[&site, &marca],
        )
        .await?
        .get(0);

    let (sender, mut receiver) = mpsc::channel(4);
    let exponent = currency_exponent(&brand.moneda);
    let reader_pseudo = pseudo.clone();
    let reader_db = db.clone();
    let reader = tokio::spawn(async move {
        reader_db
            .read(move |conn| read_snapshot(conn, cursor, exponent, &reader_pseudo, &sender))
            .await
    });

    let Some(Msg::Start { head, full, totals }) = receiver.recv().await else {
        reader.await??;
        anyhow::bail!("la lectura de SQLite terminó sin datos / the SQLite read ended early");
    };
    if full {
        for t in TABLES.iter().rev() {
            tx.execute(
                &format!(
                    "DELETE FROM autonomo.{} WHERE site = $1 AND marca = $2",
                    t.name
                ),
                &[&site, &marca],
            )
            .await?;
        }
    }
    let moneda = brand.moneda.as_str();
    let mut done = vec![0u64; TABLES.len()];
    let (mut upserted, mut deleted) = (0u64, 0u64);
    while let Some(msg) = receiver.recv().await {
        match msg {
            Msg::Rows { table, rows } => {
                let n = rows.len() as u64;
                let json = Value::Array(rows).to_string();
                let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                    vec![&site, &marca];
                if TABLES[table].has_money() {
                    params.push(&moneda);
                }
                params.push(&json);
                tx.execute(UPSERTS[table].as_str(), &params).await?;
                upserted += n;
                done[table] += n;
                if full {
                    progress(Progress {
                        marca: marca.to_string(),
                        tabla: TABLES[table].name,
                        done: done[table],
                        total: totals.get(table).copied().unwrap_or(0),
                    });
                }
            }
            Msg::Deleted { table, ids } => {
                let t = &TABLES[table];
                let column = t.pg_name(t.feed_column().unwrap_or_default());
                deleted += tx
                    .execute(
                        &format!(
                            "DELETE FROM autonomo.{} WHERE site = $1 AND marca = $2 AND \"{column}\" = ANY($3)",
                            t.name
                        ),
                        &[&site, &marca, &ids],
                    )
                    .await?;
            }
            Msg::Cleared { table } => {
                deleted += tx
                    .execute(
                        &format!(
                            "DELETE FROM autonomo.{} WHERE site = $1 AND marca = $2",
                            TABLES[table].name
                        ),
                        &[&site, &marca],
                    )
                    .await?;
            }
            Msg::Start { .. } => anyhow::bail!("snapshot started twice"),
        }
    }
    reader.await??;
    let applied = (upserted + deleted) as i64;
    tx.execute(
        "UPDATE autonomo.sincronizacion SET seq = $3, sincronizado_en = now(),
            cambios_aplicados = cambios_aplicados + $4,
            copia_completa_en = CASE WHEN $5 THEN now() ELSE copia_completa_en END
         WHERE site = $1 AND marca = $2",
        &[&site, &marca, &head, &applied, &full],
    )
    .await?;
    tx.commit().await?;
    Ok(StepReport {
        marca: marca.to_string(),
        full_copy: full,
        from: cursor,
        to: head,
        upserted,
        deleted,
    })
}

async fn upsert_brand(
    tx: &tokio_postgres::Transaction<'_>,
    site: &str,
    b: &Brand,
) -> anyhow::Result<()> {
    tx.execute(
        "INSERT INTO autonomo.marcas AS m (site, marca, nombre, moneda, zona_horaria, pais, idioma, archivada_en, creado_en)
         VALUES ($1, $2, $3, $4, $5, $6, $7,
                 timestamptz 'epoch' + $8::int8 * interval '1 millisecond',
                 timestamptz 'epoch' + $9::int8 * interval '1 millisecond')
         ON CONFLICT (site, marca) DO UPDATE SET nombre = EXCLUDED.nombre, moneda = EXCLUDED.moneda,
             zona_horaria = EXCLUDED.zona_horaria, pais = EXCLUDED.pais, idioma = EXCLUDED.idioma,
             archivada_en = EXCLUDED.archivada_en, creado_en = EXCLUDED.creado_en
         WHERE (m.nombre, m.moneda, m.zona_horaria, m.pais, m.idioma, m.archivada_en, m.creado_en)
               IS DISTINCT FROM (EXCLUDED.nombre, EXCLUDED.moneda, EXCLUDED.zona_horaria, EXCLUDED.pais,
                                 EXCLUDED.idioma, EXCLUDED.archivada_en, EXCLUDED.creado_en)",
        &[
            &site,
            &b.slug.as_str(),
            &b.nombre,
            &b.moneda,
            &b.zona_horaria,
            &b.pais,
            &b.idioma,
            &b.archived_at,
            &b.created_at,
        ],
    )
    .await?;
    Ok(())
}

/// `INSERT … SELECT … FROM jsonb_to_recordset($n) … ON CONFLICT DO UPDATE` for a table; rows
/// that did not change are left alone so replays cost no writes.
fn upsert_sql(t: &Table) -> String {
    let quoted = |c: &Column| format!("\"{}\"", c.pg);
    let names: Vec<String> = t.columns.iter().map(quoted).collect();
    let is_key = |c: &Column| t.key.contains(&c.name);
    let (money_col, money_val, json_param) = if t.has_money() {
        (", moneda", ", $3::text", "$4")
    } else {
        ("", "", "$3")
    };
    let select: Vec<String> = t
        .columns
        .iter()
        .map(|c| format!("r.\"{}\"", c.name))
        .collect();
    let record: Vec<String> = t
        .columns
        .iter()
        .map(|c| format!("\"{}\" {}", c.name, c.kind.pg_type()))
        .collect();
    let mut updated: Vec<String> = t
        .columns
        .iter()
        .filter(|c| !is_key(c))
        .map(quoted)
        .collect();
    let conflict: Vec<String> = t
        .key
        .iter()
        .map(|k| format!("\"{}\"", t.pg_name(k)))
        .collect();
    if t.has_money() {
        updated.push("moneda".into());
    }
    let set: Vec<String> = updated
        .iter()
        .map(|n| format!("{n} = EXCLUDED.{n}"))
        .collect();
    let old: Vec<String> = updated.iter().map(|n| format!("t.{n}")).collect();
    let new: Vec<String> = updated.iter().map(|n| format!("EXCLUDED.{n}")).collect();
    format!(
        "INSERT INTO autonomo.{table} AS t (site, marca{money_col}, {cols})
         SELECT $1::text, $2::text{money_val}, {select}
         FROM jsonb_to_recordset({json_param}::text::jsonb) AS r({record})
         ON CONFLICT (site, marca, {conflict}) DO UPDATE SET {set}
         WHERE ({old}) IS DISTINCT FROM ({new})",
        table = t.name,
        cols = names.join(", "),
        conflict = conflict.join(", "),
        select = select.join(", "),
        record = record.join(", "),
        set = set.join(", "),
        old = old.join(", "),
        new = new.join(", "),
    )
}

/// Runs on a pooled read-only connection: one snapshot, streamed to the Postgres side.
fn read_snapshot(
    conn: &Connection,
    cursor: Option<i64>,
    exponent: u32,
    pseudo: &Pseudonymizer,
    out: &mpsc::Sender<Msg>,
) -> Result<(), AppError> {
    let send = |m: Msg| {
        out.blocking_send(m)
            .map_err(|_| AppError::internal("mirror step cancelled"))
    };
    let snapshot = conn.unchecked_transaction()?;
    let (head, first) = feed_bounds(&snapshot)?;
    let incremental = cursor.filter(|&c| c <= head && c + 1 >= first);
    let Some(from) = incremental else {
        let mut totals = Vec::new();
        for t in TABLES {
            let n: i64 =
                snapshot.query_row(&format!("SELECT count(*) FROM {}", t.name), [], |r| {
                    r.get(0)
                })?;
            totals.push(n as u64);
        }
        send(Msg::Start {
            head,
            full: true,
            totals,
        })?;
        for (i, t) in TABLES.iter().enumerate() {
            let sql = format!(
                "SELECT {} FROM {} ORDER BY {}",
                column_list(t),
                t.name,
                t.key.join(", ")
            );
            stream_rows(&snapshot, i, &sql, &[], exponent, pseudo, &send)?;
        }
        return Ok(());
    };
    send(Msg::Start {
        head,
        full: false,
        totals: Vec::new(),
    })?;
    if from == head {
        return Ok(());
    }
    for (i, t) in TABLES.iter().enumerate() {
        let params: [&dyn ToSql; 3] = [&t.name, &from, &head];
        let changed = "SELECT fila_id FROM changes WHERE tabla = ?1 AND seq > ?2 AND seq <= ?3";
        let Some(column) = t.feed_column() else {
            // A handful of rows keyed by text: any change copies the table again.
            let touched: bool =
                snapshot.query_row(&format!("SELECT EXISTS ({changed})"), params, |r| r.get(0))?;
            if touched {
                send(Msg::Cleared { table: i })?;
                let sql = format!(
                    "SELECT {} FROM {} ORDER BY {}",
                    column_list(t),
                    t.name,
                    t.key.join(", ")
                );
                stream_rows(&snapshot, i, &sql, &[], exponent, pseudo, &send)?;
            }
            continue;
        };
        if t.feed == Feed::Group {
            // The group's rows go and come back: rows that left the group are dropped too.
            let ids: Vec<i64> = snapshot
                .prepare(
                    "SELECT DISTINCT fila_id FROM changes
                     WHERE tabla = ?1 AND seq > ?2 AND seq <= ?3 ORDER BY fila_id",
                )?
                .query_map(params, |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for group in ids.chunks(10 * CHUNK_ROWS) {
                send(Msg::Deleted {
                    table: i,
                    ids: group.to_vec(),
                })?;
            }
        }
        let sql = format!(
            "SELECT {} FROM {} WHERE {column} IN ({changed}) ORDER BY {}",
            column_list(t),
            t.name,
            t.key.join(", ")
        );
        stream_rows(&snapshot, i, &sql, &params, exponent, pseudo, &send)?;
        if t.feed == Feed::Group {
            continue;
        }
        let mut stmt = snapshot.prepare(&format!(
            "SELECT DISTINCT fila_id FROM changes WHERE tabla = ?1 AND seq > ?2 AND seq <= ?3
               AND fila_id NOT IN (SELECT {column} FROM {}) ORDER BY fila_id",
            t.name
        ))?;
        let gone = stmt.query_map(params, |r| r.get::<_, i64>(0))?;
        let mut ids = Vec::new();
        for id in gone {
            ids.push(id?);
            if ids.len() == 10 * CHUNK_ROWS {
                send(Msg::Deleted {
                    table: i,
                    ids: std::mem::take(&mut ids),
                })?;
            }
        }
        if !ids.is_empty() {
            send(Msg::Deleted { table: i, ids })?;
        }
    }
    Ok(())
}

/// The last sequence number of the feed and the first one still kept.
fn feed_bounds(conn: &Connection) -> Result<(i64, i64), AppError> {
    let (max, min, counter): (Option<i64>, Option<i64>, Option<i64>) = conn.query_row(
        "SELECT (SELECT max(seq) FROM changes), (SELECT min(seq) FROM changes),
                (SELECT seq FROM sqlite_sequence WHERE name = 'changes')",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let head = max.unwrap_or(0).max(counter.unwrap_or(0));
    Ok((head, min.unwrap_or(head + 1)))
}

/// The SELECT list of a mirrored table. Sealed personal fields are opened here (`pii_open`,
/// see `crypto::sql`), before pseudonymisation: the mirror never sees ciphertext.
fn column_list(t: &Table) -> String {
    let names: Vec<String> = t
        .columns
        .iter()
        .map(|c| {
            if c.personal {
                format!("pii_open(\"{}\")", c.name)
            } else {
                format!("\"{}\"", c.name)
            }
        })
        .collect();
    names.join(", ")
}

fn stream_rows(
    conn: &Connection,
    table: usize,
    sql: &str,
    params: &[&dyn ToSql],
    exponent: u32,
    pseudo: &Pseudonymizer,
    send: &dyn Fn(Msg) -> Result<(), AppError>,
) -> Result<(), AppError> {
    let t = &TABLES[table];
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query(params)?;
    let mut chunk = Vec::with_capacity(CHUNK_ROWS);
    while let Some(row) = rows.next()? {
        let mut obj = Map::with_capacity(t.columns.len());
        for (i, col) in t.columns.iter().enumerate() {
            let value = convert(col, row.get_ref(i)?, exponent, pseudo)
                .map_err(|e| AppError::internal(format!("{}.{}: {e}", t.name, col.name)))?;
            obj.insert(col.name.to_string(), value);
        }
        chunk.push(Value::Object(obj));
        if chunk.len() == CHUNK_ROWS {
            send(Msg::Rows {
                table,
                rows: std::mem::take(&mut chunk),
            })?;
        }
    }
    if !chunk.is_empty() {
        send(Msg::Rows { table, rows: chunk })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsert_statement_names_every_column() {
        let sql = upsert_sql(super::super::tables::find("pedidos").unwrap());
        assert!(sql.contains("\"total\" numeric"), "{sql}");
        assert!(sql.contains("moneda = EXCLUDED.moneda"), "{sql}");
        assert!(sql.contains("$4::text::jsonb"), "{sql}");
    }
}
