//! Writes a plan into a brand's database: prepared statements, one transaction, one pass in
//! time order. The per-row insert triggers are set aside and their work redone set-based
//! (`bulk`), so the full-text indexes, change feed and rollups hold what the API would have
//! left for the same records, and the audit trail holds one record for the whole load.

use chrono_tz::Tz;
use rusqlite::{Connection, Statement, params};

use super::chats;
use super::messages::{self, Out};
use super::plan::Plan;
use super::profile::CHANNELS;
use super::progress::Progress;
use super::script::script;
use crate::error::AppError;

/// Orders between two progress updates.
const ORDERS_PER_STEP: usize = 10_000;
/// Page cache while loading (KiB, negative as SQLite wants); the default is restored after.
const LOAD_CACHE_KIB: i64 = -262_144;
const ACTOR: &str = "system:demo";

/// Rows written per table.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Loaded {
    pub productos: u64,
    pub clientes: u64,
    pub pedidos: u64,
    pub pedido_items: u64,
    pub pedido_estados: u64,
    pub interacciones: u64,
}

impl Loaded {
    pub fn rows(&self) -> u64 {
        self.productos
            + self.clientes
            + self.pedidos
            + self.pedido_items
            + self.pedido_estados
            + self.interacciones
    }
}

pub fn load(conn: &mut Connection, plan: &Plan, tz: Tz) -> Result<Loaded, AppError> {
    let cache: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    let temp: i64 = conn.query_row("PRAGMA temp_store", [], |r| r.get(0))?;
    conn.pragma_update(None, "cache_size", LOAD_CACHE_KIB)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    let result = crate::db::functions::with_actor(Some(ACTOR), || load_all(conn, plan, tz));
    conn.pragma_update(None, "cache_size", cache)?;
    conn.pragma_update(None, "temp_store", temp)?;
    result
}

/// Everything in ONE transaction (see `bulk`): the brand is new or just reset, so holding
/// its write lock for the whole load keeps nobody waiting, and a load killed half-way
/// leaves the brand as it was — triggers included — for a plain re-run.
fn load_all(conn: &mut Connection, plan: &Plan, tz: Tz) -> Result<Loaded, AppError> {
    let mut loaded = Loaded::default();
    let mut phases = Phases::new(plan.profile.slug);
    let tx = conn.transaction()?;
    let mut suspended = super::bulk::suspend(&tx)?;
    let products = insert_products(&tx, plan, &mut loaded)?;
    let customers = insert_customers(&tx, plan, &mut loaded)?;
    phases.done("clientes y productos / customers and products");
    let mut progress = Progress::new(plan.profile.slug, "pedidos", plan.orders.len() as u64);
    let mut out = Out::default();
    let mut chats = plan.chats.iter().peekable();
    {
        let mut w = Writers::new(&tx)?;
        for (n, chunk) in plan.orders.chunks(ORDERS_PER_STEP).enumerate() {
            let before = loaded.rows();
            for (k, o) in chunk.iter().enumerate() {
                while let Some(chat) = chats.next_if(|c| c.at <= o.at) {
                    chats::for_chat(plan, chat, &mut out);
                    w.interactions(&mut out, &customers, chat.customer as usize, &mut loaded)?;
                }
                let s = script(plan.profile, usize::from(o.channel), o.at, plan.now, o.seed);
                let index = n * ORDERS_PER_STEP + k;
                let id = w.order(plan, o, &s, index, &customers, &products, &mut loaded)?;
                messages::for_order(plan, o, id, &s, &mut out);
                w.interactions(&mut out, &customers, o.customer as usize, &mut loaded)?;
            }
            progress.advance(chunk.len() as u64, loaded.rows() - before);
        }
        for chat in chats {
            chats::for_chat(plan, chat, &mut out);
            w.interactions(&mut out, &customers, chat.customer as usize, &mut loaded)?;
        }
    }
    progress.finish();
    phases.done("pedidos e interacciones / orders and interactions");
    // The derivations below query the loaded rows (indexes first) and write ledger rows
    // whose triggers are still set aside: the set-based restore then covers them too.
    suspended.restore_indexes(&tx)?;
    phases.done("índices / indexes");
    super::eco_series::add(&tx, plan)?;
    super::inbox::derive(&tx, plan.now)?;
    super::loyalty::seed(&tx, plan.profile.slug, plan.now)?;
    super::goio_extras::add(&tx, plan)?;
    phases.done("bandeja, fidelidad, extras / inbox, loyalty, extras");
    suspended.restore(&tx, tz, "autonomo demo")?;
    phases.done("feed, rollups, auditoría / feed, rollups, audit");
    tx.commit()?;
    phases.done("commit");
    super::eco_extras::load(conn, plan)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    phases.done("checkpoint");
    Ok(loaded)
}

/// Prints how long each phase of a brand's load took (stderr, like the progress lines).
struct Phases {
    slug: &'static str,
    last: std::time::Instant,
}

impl Phases {
    fn new(slug: &'static str) -> Phases {
        Phases {
            slug,
            last: std::time::Instant::now(),
        }
    }

    fn done(&mut self, what: &str) {
        eprintln!(
            "  {}: {what} · {:.1} s",
            self.slug,
            self.last.elapsed().as_secs_f64()
        );
        self.last = std::time::Instant::now();
    }
}

fn insert_products(
    conn: &Connection,
    plan: &Plan,
    loaded: &mut Loaded,
) -> Result<Vec<i64>, AppError> {
    let mut stmt = conn.prepare(
        "INSERT INTO productos (sku, nombre, categoria, precio, costo, stock, activo, atributos, creado_en, actualizado_en)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
    )?;
    let opened = plan.start - 30 * super::calendar::DAY;
    let mut ids = Vec::with_capacity(plan.catalog.specs.len());
    for (i, p) in plan.catalog.specs.iter().enumerate() {
        stmt.execute(params![
            p.sku,
            p.nombre,
            p.categoria,
            p.precio,
            p.costo,
            plan.stock[i],
            p.active(),
            p.atributos,
            plan.catalog.launched_at(i, opened),
        ])?;
        ids.push(conn.last_insert_rowid());
        loaded.productos += 1;
    }
    Ok(ids)
}

/// The one place customer rows are written (a future sealing of phone and e-mail belongs
/// here; `bulk` indexes `clientes_fts` from what this stored).
fn insert_customers(
    conn: &Connection,
    plan: &Plan,
    loaded: &mut Loaded,
) -> Result<Vec<i64>, AppError> {
    let mut stmt = conn.prepare(
        "INSERT INTO clientes (nombre, telefono, email, direccion, notas, etiquetas, consentimiento_marketing,
            canal_adquisicion, segmento, wa_id, pedidos_count, total_gastado, primer_pedido_en, ultimo_pedido_en,
            creado_en, actualizado_en, telefono_bi, email_bi, wa_id_bi)
         VALUES (?1, pii_seal(?2), pii_seal(?3), pii_seal(?4), pii_seal(?5), ?6, ?7, ?8, ?9, pii_seal(?10), ?11,
            ?12, ?13, ?14, ?15, ?15, pii_bi('telefono', ?2), pii_bi('email', ?3), pii_bi('wa_id', ?10))",
    )?;
    let mut ids = Vec::with_capacity(plan.customers.len());
    for c in &plan.customers {
        let phone = c.has_phone.then(|| super::people::e164(c.person.phone));
        let wa_id = (c.has_phone && c.wa).then(|| format!("51{}", c.person.phone));
        let tags = serde_json::to_string(&c.tags).map_err(AppError::internal)?;
        stmt.execute(params![
            c.person.name,
            phone,
            c.person.email,
            c.person.address,
            c.notes,
            tags,
            c.consent,
            c.acquisition,
            c.segment,
            wa_id,
            c.orders_count,
            c.total_spent,
            c.first_order_at,
            c.last_order_at,
            c.created_at,
        ])?;
        ids.push(conn.last_insert_rowid());
        loaded.clientes += 1;
    }
    Ok(ids)
}

/// The prepared inserts of one transaction.
struct Writers<'c> {
    conn: &'c Connection,
    order: Statement<'c>,
    item: Statement<'c>,
    status: Statement<'c>,
    interaction: Statement<'c>,
}

const ORDER_NOTES: &[&str] = &[
    "Cambio de S/ 100, por favor.",
    "Sin cubiertos descartables.",
    "Llamar al llegar.",
    "Es un regalo: no incluir boleta en la caja.",
    "Entregar en recepción.",
];

impl<'c> Writers<'c> {
    fn new(conn: &'c Connection) -> Result<Writers<'c>, AppError> {
        Ok(Writers {
            conn,
            order: conn.prepare(
                "INSERT INTO pedidos (cliente_id, canal, estado, subtotal, descuento, total, notas, external_id, creado_en, actualizado_en)
                 VALUES (?1, ?2, ?3, ?4, 0, ?4, pii_seal(?5), ?6, ?7, ?8)",
            )?,
            item: conn.prepare(
                "INSERT INTO pedido_items (pedido_id, producto_id, sku, nombre, cantidad, precio_unitario, total)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?,
            status: conn.prepare(
                "INSERT INTO pedido_estados (pedido_id, estado, anterior, actor, nota, creado_en) VALUES (?1, ?2, ?3, ?4, pii_seal(?5), ?6)",
            )?,
            interaction: conn.prepare(
                "INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, external_id, pedido_id, metadatos, creado_en)
                 VALUES (?1, ?2, ?3, ?4, pii_seal(?5), ?6, ?7, ?8, ?9)",
            )?,
        })
    }

    /// Inserts the order with its items and status history; returns its id.
    #[allow(clippy::too_many_arguments)]
    fn order(
        &mut self,
        plan: &Plan,
        o: &super::plan::PlannedOrder,
        s: &super::script::Script,
        index: usize,
        customers: &[i64],
        products: &[i64],
        loaded: &mut Loaded,
    ) -> Result<i64, AppError> {
        let channel = CHANNELS[usize::from(o.channel)];
        let external = (channel == "web").then(|| format!("web-{:08}", index + 1));
        let note =
            (o.seed % 100 < 6).then(|| ORDER_NOTES[(o.seed >> 8) as usize % ORDER_NOTES.len()]);
        self.order.execute(params![
            customers[o.customer as usize],
            channel,
            s.status().as_str(),
            o.subtotal,
            note,
            external,
            o.at,
            s.updated_at(),
        ])?;
        let id = self.conn.last_insert_rowid();
        loaded.pedidos += 1;
        for l in plan.order_lines(o) {
            let i = usize::from(l.product);
            let p = &plan.catalog.specs[i];
            let qty = i64::from(l.qty);
            self.item.execute(params![
                id,
                products[i],
                p.sku,
                p.nombre,
                qty,
                p.precio,
                p.precio * qty
            ])?;
            loaded.pedido_items += 1;
        }
        let mut previous = None;
        for &(status, at) in s.events() {
            let note = (status == crate::orders::Status::Cancelado)
                .then_some(s.cancel_note)
                .flatten();
            self.status.execute(params![
                id,
                status.as_str(),
                previous.map(crate::orders::Status::as_str),
                ACTOR,
                note,
                at
            ])?;
            previous = Some(status);
            loaded.pedido_estados += 1;
        }
        Ok(id)
    }

    fn interactions(
        &mut self,
        out: &mut Out,
        customers: &[i64],
        customer: usize,
        loaded: &mut Loaded,
    ) -> Result<(), AppError> {
        for r in out.rows.drain(..) {
            self.interaction.execute(params![
                customers[customer],
                r.canal,
                r.direccion,
                r.tipo,
                r.cuerpo,
                r.external_id,
                r.pedido_id,
                r.metadatos,
                r.at
            ])?;
            loaded.interacciones += 1;
        }
        Ok(())
    }
}
