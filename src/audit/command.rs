//! `autonomo audit verify [--tenant SLUG]`: walks the control trail and each brand's hash chain (non-zero
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
    let mut broken = 0;
    if tenant.is_none() {
        // The installation's own trail: brands, tokens, staff, logins, erasures.
        let v = registry.control().read(super::verify).await?;
        broken += report("control", &v);
    }
    let slugs = match tenant {
        Some(t) => vec![Slug::parse(&t)?],
        None => registry
            .list(true)
            .await?
            .into_iter()
            .map(|b| b.slug)
            .collect(),
    };
    for slug in slugs {
        let t = registry.tenant(&slug).await?;
        let v = t.db().read(super::verify).await?;
        broken += report(slug.as_str(), &v);
    }
    if broken > 0 {
        anyhow::bail!("{broken} cadena(s) de auditoría rota(s) / broken audit chain(s)");
    }
    Ok(())
}

/// Prints one chain's verdict; 1 when it is broken.
fn report(name: &str, v: &super::Verification) -> usize {
    match &v.broken {
        None => {
            println!(
                "{name}: ok — {} registros / records, head {}",
                v.rows, v.head
            );
            0
        }
        Some((id, why)) => {
            println!("{name}: ROTA / BROKEN at #{id} — {why}");
            1
        }
    }
}
