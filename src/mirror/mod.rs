//! The Postgres mirror: every brand of this appliance (the `site`) copied into the
//! `autonomo` schema of a PostgreSQL database for NocoDB, Metabase and the central office.
//!
//! The CRM never waits for it. The mirror reads each brand's change feed (`changes`, filled
//! by triggers) through the brand's read pool, from a per-(site, brand) cursor kept in
//! Postgres and moved in the same transaction as the rows it covers ([`sync`]). Personal
//! fields are pseudonymised unless `include_personal_data = true` ([`pseudo`]). Which tables
//! and columns are copied is a list ([`tables`]); the Postgres schema is refinery SQL under
//! `migrations/mirror/`. See docs/mirror.md.

pub mod commands;
mod not_mirrored;
mod pg;
mod pseudo;
mod status;
mod sync;
pub mod tables;
mod tables_domains;
mod values;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use pg::{connect, create_readonly_role, migrate, redact};
pub use pseudo::{KEY_FILE, PREFIX, Pseudonymizer, pseudonym};
pub use status::{BrandLag, MirrorHealth, MirrorStatus};
pub use sync::{Progress, StepReport, sync_brand};
pub use values::{currency_exponent, decimal};
pub use worker::{Event, run_continuously, sync_all};

use crate::config::Config;
use crate::error::AppError;
use crate::tenants::Registry;

/// Everything a sync needs to know, resolved from the configuration.
#[derive(Clone)]
pub struct Settings {
    pub postgres_url: String,
    pub site: String,
    pub pseudo: Pseudonymizer,
    /// Pause between passes of the continuous sync.
    pub interval: Duration,
}

impl Settings {
    /// From `[mirror]` in the configuration; `url` (the `--postgres` flag) wins over it.
    pub fn from_config(config: &Config, url: Option<String>) -> anyhow::Result<Settings> {
        let Some(postgres_url) = url.or_else(|| config.mirror.postgres_url.clone()) else {
            anyhow::bail!(
                "falta la URL de Postgres: --postgres, [mirror] postgres_url o AUTONOMO_MIRROR_POSTGRES_URL / \
                 missing the Postgres URL: --postgres, [mirror] postgres_url or AUTONOMO_MIRROR_POSTGRES_URL"
            );
        };
        std::fs::create_dir_all(&config.data_dir)?;
        let pseudo = if config.mirror.include_personal_data {
            Pseudonymizer::passthrough()
        } else {
            Pseudonymizer::load_or_create(&config.data_dir)?
        };
        Ok(Settings {
            postgres_url,
            site: config.mirror.site.clone(),
            pseudo,
            interval: Duration::from_millis(config.mirror.interval_ms),
        })
    }
}

/// The status handle for `AppState`: disabled unless a Postgres URL is configured.
pub fn status_for(config: &Config) -> MirrorStatus {
    match &config.mirror.postgres_url {
        Some(_) => MirrorStatus::new(&config.mirror.site, config.mirror.alert_lag_secs),
        None => MirrorStatus::disabled(),
    }
}

/// The continuous sync started by `autonomo serve`.
pub struct MirrorTask {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

impl MirrorTask {
    /// Starts the sync when `[mirror] postgres_url` is set.
    pub fn spawn(
        config: &Config,
        registry: Arc<Registry>,
        status: Arc<MirrorStatus>,
    ) -> anyhow::Result<Option<MirrorTask>> {
        if config.mirror.postgres_url.is_none() {
            return Ok(None);
        }
        let settings = Settings::from_config(config, None)?;
        tracing::info!(site = %settings.site, postgres = %redact(&settings.postgres_url),
            "espejo Postgres activo / Postgres mirror on");
        let (stop, shutdown) = watch::channel(false);
        let report: Arc<dyn Fn(Event) + Send + Sync> = Arc::new(|e: Event| match e {
            Event::Progress(p) if p.done == p.total || p.done % 10_000 == 0 => {
                tracing::info!(marca = %p.marca, tabla = p.tabla, hechas = p.done, total = p.total,
                    "copia completa / full copy");
            }
            Event::Progress(_) => {}
            Event::Step(s) => {
                tracing::debug!(marca = %s.marca, hasta = s.to, filas = s.upserted + s.deleted,
                "espejo al día / mirror up to date")
            }
        });
        let handle = tokio::spawn(run_continuously(
            registry, settings, status, shutdown, report,
        ));
        Ok(Some(MirrorTask { stop, handle }))
    }

    /// Stops the loop; a step in flight is rolled back in Postgres and redone next time.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(10), self.handle).await;
    }
}

/// Propagates a customer's erasure (GDPR) to the mirror. Call it inside the same write that
/// overwrote the customer's data: it puts the customer and every row that may hold their
/// personal data (interactions, orders, order lines, status history) back in the change
/// feed, so the next sync copies the overwritten values, also where no trigger fires (the
/// status history has no update trigger). The newer tables with personal free text (survey
/// comments, reminders, support tickets, loyalty notes) are queued too. Returns how many rows
/// were queued.
pub fn erase_customer(conn: &rusqlite::Connection, customer_id: i64) -> Result<usize, AppError> {
    Ok(conn.execute(
        "INSERT INTO changes (tabla, fila_id, op)
         SELECT 'clientes', id, 'update' FROM clientes WHERE id = ?1
         UNION ALL SELECT 'interacciones', id, 'update' FROM interacciones WHERE cliente_id = ?1
         UNION ALL SELECT 'pedidos', id, 'update' FROM pedidos WHERE cliente_id = ?1
         UNION ALL SELECT 'pedido_items', i.id, 'update' FROM pedido_items i
                   JOIN pedidos p ON p.id = i.pedido_id WHERE p.cliente_id = ?1
         UNION ALL SELECT 'pedido_estados', e.id, 'update' FROM pedido_estados e
                   JOIN pedidos p ON p.id = e.pedido_id WHERE p.cliente_id = ?1
         UNION ALL SELECT 'encuestas', pedido_id, 'update' FROM encuestas WHERE cliente_id = ?1
         UNION ALL SELECT 'recordatorios', id, 'update' FROM recordatorios WHERE cliente_id = ?1
         UNION ALL SELECT 'tickets_soporte', id, 'update' FROM tickets_soporte WHERE cliente_id = ?1
         UNION ALL SELECT 'fidelidad_movimientos', id, 'update' FROM fidelidad_movimientos
                   WHERE cliente_id = ?1",
        [customer_id],
    )?)
}
