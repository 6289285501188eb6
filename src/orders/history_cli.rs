//! `autonomo import pedidos --tenant SLUG FILE.csv`: the order-history import from the
//! command line, in batches with progress on stderr and one report line per row on stdout.

use std::path::PathBuf;

use clap::Subcommand;

use super::history::{self, RowReport};
use crate::tenants::{Registry, Slug};

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import past orders from a CSV file (idempotent on external_id).
    Pedidos {
        /// Brand slug.
        #[arg(long, value_name = "SLUG")]
        tenant: String,
        /// CSV with a header row: external_id, telefono or email, fecha, total [, nombre,
        /// canal, estado, items].
        file: PathBuf,
        /// Print the report as JSON lines instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Rows per write transaction.
const BATCH: usize = 500;

/// Runs the import; fails (exit 1) when some row could not be imported.
pub async fn run(registry: &Registry, cmd: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Pedidos { tenant, file, json } = cmd;
    let slug = Slug::parse(&tenant)?;
    let tenant = registry.tenant(&slug).await?;
    let bytes = std::fs::read(&file)
        .map_err(|e| anyhow::anyhow!("no se pudo leer / cannot read {}: {e}", file.display()))?;
    let parsed = std::sync::Arc::new(history::read(&bytes)?);
    let total = parsed.rows.len();
    let mut counts = [0usize; 3];
    let mut done = 0;
    while done < total {
        let end = (done + BATCH).min(total);
        let (p, s, b) = (parsed.clone(), slug.clone(), tenant.brand());
        let now = crate::time::now_ms();
        let reports: Vec<RowReport> = tenant
            .db()
            .write(move |c| history::import(c, &s, &b, &p, &p.rows[done..end], now))
            .await?;
        for r in &reports {
            let k = match r.estado {
                "creado" => 0,
                "duplicado" => 1,
                _ => 2,
            };
            counts[k] += 1;
            if json {
                println!("{}", serde_json::to_string(r)?);
            } else {
                let detail = if r.detalle_es.is_empty() {
                    String::new()
                } else {
                    format!(": {} / {}", r.detalle_es, r.detalle_en)
                };
                println!(
                    "línea/line {} [{}] {}{detail}",
                    r.linea, r.external_id, r.estado
                );
            }
        }
        done = end;
        eprintln!("{done}/{total} filas / rows");
    }
    // The segment updater follows the change feed; rollups were kept by the triggers.
    eprintln!(
        "creados / created: {}, duplicados / duplicates: {}, errores / errors: {}",
        counts[0], counts[1], counts[2]
    );
    if counts[2] > 0 {
        anyhow::bail!("{} filas con errores / rows with errors", counts[2]);
    }
    Ok(())
}
