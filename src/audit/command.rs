//! `autonomo audit verify [--tenant SLUG]`: walks each brand's hash chain and fails (non-zero
//! exit) naming the first broken row.

use clap::Subcommand;

use crate::tenants::{Registry, Slug};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check that no audit record was edited, deleted or reordered.
    Verify {
        /// Only this brand (default: every brand, archived included).
        #[arg(long, value_name = "SLUG")]
        tenant: Option<String>,
    },
}

pub async fn run(registry: &Registry, cmd: AuditCommand) -> anyhow::Result<()> {
    let AuditCommand::Verify { tenant } = cmd;
    let slugs = match tenant {
        Some(t) => vec![Slug::parse(&t)?],
        None => registry
            .list(true)
            .await?
            .into_iter()
            .map(|b| b.slug)
            .collect(),
    };
    let mut broken = 0;
    for slug in slugs {
        let t = registry.tenant(&slug).await?;
        let v = t.db().read(super::verify).await?;
        match v.broken {
            None => println!(
                "{slug}: ok — {} registros / records, head {}",
                v.rows, v.head
            ),
            Some((id, why)) => {
                broken += 1;
                println!("{slug}: ROTA / BROKEN at #{id} — {why}");
            }
        }
    }
    if broken > 0 {
        anyhow::bail!("{broken} cadena(s) de auditoría rota(s) / broken audit chain(s)");
    }
    Ok(())
}
