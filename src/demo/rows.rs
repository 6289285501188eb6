//! The bulk of a demo load — orders with their items and status histories, and the
//! interactions around them — on two threads: one generates the rows (status scripts,
//! message texts, sealing of the personal fields) while the other, the brand's writer,
//! inserts the previous batch. Batches cross a bounded channel, so memory stays flat.
//!
//! Ids are given explicitly: the generator numbers each table's rows from the next free id,
//! in the order the single-threaded loader used to insert them, so the data is the same for
//! the same seed. Rows go in through multi-row `INSERT … VALUES (…), (…)` statements.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use rusqlite::{Connection, Statement, ToSql};

use super::chats;
use super::inbox::Inbox;
use super::load::{ACTOR, Loaded};
use super::loyalty::Stamps;
use super::messages::{self, Out};
use super::plan::{Plan, PlannedOrder};
use super::profile::CHANNELS;
use super::progress::Progress;
use super::script::{Script, script};
use crate::crypto::Keyring;
use crate::error::AppError;

/// Orders per batch handed from the generating thread to the writing one.
const BATCH: usize = 2_000;
/// Batches generated ahead of the writer (bounds the memory the pipeline holds).
const AHEAD: usize = 3;
/// Rows per multi-row `INSERT`.
const ROWS_PER_INSERT: usize = 64;

const ORDER_NOTES: &[&str] = &[
    "Cambio de S/ 100, por favor.",
    "Sin cubiertos descartables.",
    "Llamar al llegar.",
    "Es un regalo: no incluir boleta en la caja.",
    "Entregar en recepción.",
];

struct OrderRow {
    id: i64,
    customer: i64,
    channel: &'static str,
    status: &'static str,
    subtotal: i64,
    /// Sealed.
    note: Option<String>,
    external: Option<String>,
    at: i64,
    updated: i64,
}

struct ItemRow {
    id: i64,
    order: i64,
    product: i64,
    sku: &'static str,
    name: &'static str,
    qty: i64,
    price: i64,
}

struct StatusRow {
    id: i64,
    order: i64,
    status: &'static str,
    previous: Option<&'static str>,
    /// Sealed.
    note: Option<String>,
    at: i64,
}

/// A loyalty stamp earned by an order (`fidelidad_movimientos`, tipo `gana`).
struct StampRow {
    id: i64,
    customer: i64,
    order: i64,
    /// Sealed.
    note: String,
    expires: i64,
    at: i64,
}

struct InteractionRow {
    id: i64,
    customer: i64,
    /// Body sealed.
    row: messages::Row,
}

#[derive(Default)]
struct Batch {
    /// Planned orders this batch covers (for the progress line).
    planned: u64,
    orders: Vec<OrderRow>,
    items: Vec<ItemRow>,
    statuses: Vec<StatusRow>,
    interactions: Vec<InteractionRow>,
    stamps: Vec<StampRow>,
}

impl Batch {
    fn rows(&self) -> u64 {
        (self.orders.len() + self.items.len() + self.statuses.len() + self.interactions.len())
            as u64
    }
}

/// The next free id of each table the generator numbers.
#[derive(Clone, Copy)]
struct Next {
    order: i64,
    item: i64,
    status: i64,
    interaction: i64,
    stamp: i64,
}

fn next_id(conn: &Connection, table: &str) -> Result<i64, AppError> {
    Ok(conn.query_row(
        &format!("SELECT coalesce(max(id), 0) + 1 FROM {table}"),
        [],
        |r| r.get(0),
    )?)
}

/// Writes the plan's orders, items, status histories, interactions and loyalty stamps;
/// `customers` and `products` map plan indexes to the ids already written. Returns the
/// WhatsApp threads seen, for the inbox.
pub fn load(
    conn: &Connection,
    plan: &Plan,
    customers: &[i64],
    products: &[i64],
    loaded: &mut Loaded,
) -> Result<Inbox, AppError> {
    let next = Next {
        order: next_id(conn, "pedidos")?,
        item: next_id(conn, "pedido_items")?,
        status: next_id(conn, "pedido_estados")?,
        interaction: next_id(conn, "interacciones")?,
        stamp: next_id(conn, "fidelidad_movimientos")?,
    };
    // The key `pii_seal` would use on this connection.
    let ring = Keyring::for_connection(conn)?;
    let mut progress = Progress::new(plan.profile.slug, "pedidos", plan.orders.len() as u64);
    let mut inserts = Inserts::new(conn)?;
    let written = std::thread::scope(|scope| {
        let (send, receive) = sync_channel(AHEAD);
        let generator = scope.spawn(|| {
            Generator {
                plan,
                ring: &ring,
                customers,
                products,
                next,
                out: Out::default(),
                stamps: Stamps::of(plan.profile.slug, plan.now),
                inbox: Inbox::new(plan.customers.len()),
            }
            .run(send)
        });
        let written = write_all(&mut inserts, receive, &mut progress, loaded);
        // A failed write dropped the receiver: the generator stops at its next send.
        let generated = generator.join();
        match (written, generated) {
            (Err(e), _) => Err(e),
            (Ok(()), Ok(inbox)) => Ok(inbox),
            (Ok(()), Err(_)) => Err(AppError::internal("demo row generator panicked")),
        }
    });
    progress.finish();
    written
}

fn write_all(
    inserts: &mut Inserts<'_>,
    receive: Receiver<Batch>,
    progress: &mut Progress,
    loaded: &mut Loaded,
) -> Result<(), AppError> {
    for batch in receive {
        inserts.write(&batch)?;
        loaded.pedidos += batch.orders.len() as u64;
        loaded.pedido_items += batch.items.len() as u64;
        loaded.pedido_estados += batch.statuses.len() as u64;
        loaded.interacciones += batch.interactions.len() as u64;
        progress.advance(batch.planned, batch.rows());
    }
    Ok(())
}

/// Builds the batches in time order, exactly as the single-threaded loader wrote rows.
struct Generator<'a> {
    plan: &'a Plan,
    ring: &'a Keyring,
    customers: &'a [i64],
    products: &'a [i64],
    next: Next,
    out: Out,
    stamps: Option<Stamps>,
    /// The WhatsApp threads, followed as their messages are generated.
    inbox: Inbox,
}

impl Generator<'_> {
    /// Sends the batches; returns the WhatsApp threads (also when the writer gave up).
    fn run(mut self, send: SyncSender<Batch>) -> Inbox {
        let plan = self.plan;
        let mut chats = plan.chats.iter().peekable();
        for (n, chunk) in plan.orders.chunks(BATCH).enumerate() {
            let mut b = Batch {
                planned: chunk.len() as u64,
                orders: Vec::with_capacity(chunk.len()),
                items: Vec::with_capacity(chunk.len() * 2),
                statuses: Vec::with_capacity(chunk.len() * 6),
                interactions: Vec::with_capacity(chunk.len() * 3),
                stamps: Vec::with_capacity(chunk.len()),
            };
            for (k, o) in chunk.iter().enumerate() {
                while let Some(chat) = chats.next_if(|c| c.at <= o.at) {
                    chats::for_chat(plan, chat, &mut self.out);
                    self.interactions(&mut b, chat.customer as usize);
                }
                let s = script(plan.profile, usize::from(o.channel), o.at, plan.now, o.seed);
                let id = self.order(&mut b, o, &s, n * BATCH + k);
                messages::for_order(plan, o, id, &s, &mut self.out);
                self.interactions(&mut b, o.customer as usize);
            }
            if send.send(b).is_err() {
                return self.inbox;
            }
        }
        let mut b = Batch::default();
        for chat in chats {
            chats::for_chat(plan, chat, &mut self.out);
            self.interactions(&mut b, chat.customer as usize);
        }
        let _ = send.send(b);
        self.inbox
    }

    fn seal(&self, plain: &str) -> String {
        // As `pii_seal`: '' stays ''.
        if plain.is_empty() {
            String::new()
        } else {
            self.ring.seal(plain)
        }
    }

    /// Adds the order with its items and status history; returns its id.
    fn order(&mut self, b: &mut Batch, o: &PlannedOrder, s: &Script, index: usize) -> i64 {
        let plan = self.plan;
        let id = self.next.order;
        self.next.order += 1;
        let channel = CHANNELS[usize::from(o.channel)];
        let note =
            (o.seed % 100 < 6).then(|| ORDER_NOTES[(o.seed >> 8) as usize % ORDER_NOTES.len()]);
        b.orders.push(OrderRow {
            id,
            customer: self.customers[o.customer as usize],
            channel,
            status: s.status().as_str(),
            subtotal: o.subtotal,
            note: note.map(|n| self.seal(n)),
            external: (channel == "web").then(|| format!("web-{:08}", index + 1)),
            at: o.at,
            updated: s.updated_at(),
        });
        for l in plan.order_lines(o) {
            let i = usize::from(l.product);
            let p = &plan.catalog.specs[i];
            b.items.push(ItemRow {
                id: self.next.item,
                order: id,
                product: self.products[i],
                sku: p.sku,
                name: p.nombre,
                qty: i64::from(l.qty),
                price: p.precio,
            });
            self.next.item += 1;
        }
        let mut previous = None;
        for &(status, at) in s.events() {
            let note = (status == crate::orders::Status::Cancelado)
                .then_some(s.cancel_note)
                .flatten();
            b.statuses.push(StatusRow {
                id: self.next.status,
                order: id,
                status: status.as_str(),
                previous: previous.map(crate::orders::Status::as_str),
                note: note.map(|n| self.seal(n)),
                at,
            });
            self.next.status += 1;
            previous = Some(status);
        }
        let expires = self
            .stamps
            .and_then(|st| st.earned(o.at, o.subtotal, s.status().as_str()));
        if let Some(expires) = expires {
            b.stamps.push(StampRow {
                id: self.next.stamp,
                customer: self.customers[o.customer as usize],
                order: id,
                note: self.seal(&Stamps::note(id)),
                expires,
                at: o.at,
            });
            self.next.stamp += 1;
        }
        id
    }

    fn interactions(&mut self, b: &mut Batch, customer: usize) {
        let id = self.customers[customer];
        let mut rows = std::mem::take(&mut self.out.rows);
        for mut row in rows.drain(..) {
            if row.canal == "whatsapp" {
                let (id, r) = (self.next.interaction, &row);
                self.inbox.see(customer, id, r.at, r.direccion, &r.cuerpo);
            }
            row.cuerpo = self.seal(&row.cuerpo);
            b.interactions.push(InteractionRow {
                id: self.next.interaction,
                customer: id,
                row,
            });
            self.next.interaction += 1;
        }
        // Keep the buffer's capacity for the next order.
        self.out.rows = rows;
    }
}

/// A multi-row `INSERT` of `ROWS_PER_INSERT` rows and its one-row twin for the remainder.
struct Multi<'c> {
    many: Statement<'c>,
    one: Statement<'c>,
    columns: usize,
}

impl<'c> Multi<'c> {
    /// `head` is `INSERT INTO t (…) VALUES`, `row` one parenthesised row of `?`.
    fn new(conn: &'c Connection, head: &str, row: &str) -> Result<Multi<'c>, AppError> {
        let rows = vec![row; ROWS_PER_INSERT].join(", ");
        Ok(Multi {
            many: conn.prepare(&format!("{head} {rows}"))?,
            one: conn.prepare(&format!("{head} {row}"))?,
            columns: row.matches('?').count(),
        })
    }

    /// Inserts `rows`, `bind` giving each row's values in column order.
    fn insert<R>(
        &mut self,
        rows: &[R],
        bind: impl Fn(&R, &mut dyn FnMut(&dyn ToSql) -> rusqlite::Result<()>) -> rusqlite::Result<()>,
    ) -> Result<(), AppError> {
        let mut chunks = rows.chunks_exact(ROWS_PER_INSERT);
        for chunk in &mut chunks {
            let mut at = 0;
            for r in chunk {
                bind(r, &mut |v| {
                    at += 1;
                    self.many.raw_bind_parameter(at, v)
                })?;
            }
            debug_assert_eq!(at, self.columns * ROWS_PER_INSERT);
            self.many.raw_execute()?;
        }
        for r in chunks.remainder() {
            let mut at = 0;
            bind(r, &mut |v| {
                at += 1;
                self.one.raw_bind_parameter(at, v)
            })?;
            self.one.raw_execute()?;
        }
        Ok(())
    }
}

/// The prepared inserts of the load.
struct Inserts<'c> {
    orders: Multi<'c>,
    items: Multi<'c>,
    statuses: Multi<'c>,
    interactions: Multi<'c>,
    stamps: Multi<'c>,
}

impl<'c> Inserts<'c> {
    fn new(conn: &'c Connection) -> Result<Inserts<'c>, AppError> {
        Ok(Inserts {
            orders: Multi::new(
                conn,
                "INSERT INTO pedidos (id, cliente_id, canal, estado, subtotal, descuento, total, notas,
                    external_id, creado_en, actualizado_en) VALUES",
                "(?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)",
            )?,
            items: Multi::new(
                conn,
                "INSERT INTO pedido_items (id, pedido_id, producto_id, sku, nombre, cantidad,
                    precio_unitario, total) VALUES",
                "(?, ?, ?, ?, ?, ?, ?, ?)",
            )?,
            statuses: Multi::new(
                conn,
                "INSERT INTO pedido_estados (id, pedido_id, estado, anterior, actor, nota, creado_en) VALUES",
                &format!("(?, ?, ?, ?, '{ACTOR}', ?, ?)"),
            )?,
            interactions: Multi::new(
                conn,
                "INSERT INTO interacciones (id, cliente_id, canal, direccion, tipo, cuerpo, external_id,
                    pedido_id, metadatos, creado_en) VALUES",
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )?,
            stamps: Multi::new(
                conn,
                "INSERT INTO fidelidad_movimientos (id, cliente_id, tipo, puntos, pedido_id, nota, vence_en,
                    creado_en) VALUES",
                "(?, ?, 'gana', 1, ?, ?, ?, ?)",
            )?,
        })
    }

    /// Parents first: an interaction may name an order of the same batch.
    fn write(&mut self, b: &Batch) -> Result<(), AppError> {
        self.orders.insert(&b.orders, |o, v| {
            v(&o.id)?;
            v(&o.customer)?;
            v(&o.channel)?;
            v(&o.status)?;
            v(&o.subtotal)?;
            v(&o.subtotal)?;
            v(&o.note)?;
            v(&o.external)?;
            v(&o.at)?;
            v(&o.updated)
        })?;
        self.items.insert(&b.items, |i, v| {
            v(&i.id)?;
            v(&i.order)?;
            v(&i.product)?;
            v(&i.sku)?;
            v(&i.name)?;
            v(&i.qty)?;
            v(&i.price)?;
            v(&(i.price * i.qty))
        })?;
        self.statuses.insert(&b.statuses, |s, v| {
            v(&s.id)?;
            v(&s.order)?;
            v(&s.status)?;
            v(&s.previous)?;
            v(&s.note)?;
            v(&s.at)
        })?;
        self.interactions.insert(&b.interactions, |i, v| {
            let r = &i.row;
            v(&i.id)?;
            v(&i.customer)?;
            v(&r.canal)?;
            v(&r.direccion)?;
            v(&r.tipo)?;
            v(&r.cuerpo)?;
            v(&r.external_id)?;
            v(&r.pedido_id)?;
            v(&r.metadatos)?;
            v(&r.at)
        })?;
        self.stamps.insert(&b.stamps, |st, v| {
            v(&st.id)?;
            v(&st.customer)?;
            v(&st.order)?;
            v(&st.note)?;
            v(&st.expires)?;
            v(&st.at)
        })
    }
}
