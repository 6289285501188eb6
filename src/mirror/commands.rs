//! `autonomo mirror init | sync | status`: the command-line side of the mirror.

use std::io::Write;
use std::sync::Arc;

use super::{Event, MirrorStatus, Settings, pg, run_continuously, sync_all};
use crate::config::Config;
use crate::tenants::Registry;

/// Creates or upgrades the schema, and optionally the read-only role for BI tools.
pub async fn init(
    config: &Config,
    url: Option<String>,
    readonly_role: Option<String>,
    readonly_password: Option<String>,
) -> anyhow::Result<()> {
    let settings = Settings::from_config(config, url)?;
    let mut client = pg::connect(&settings.postgres_url).await?;
    pg::migrate(&mut client).await?;
    println!(
        "Esquema `autonomo` listo en / schema `autonomo` ready at {}",
        pg::redact(&settings.postgres_url)
    );
    if let Some(role) = readonly_role {
        let generated =
            pg::create_readonly_role(&client, &role, readonly_password.as_deref()).await?;
        println!("Rol de solo lectura / read-only role: {role}");
        if let Some(password) = generated {
            println!("Contraseña (se muestra una vez) / password (shown once): {password}");
        }
    }
    Ok(())
}

/// Brings the mirror up to date and exits, or keeps it so with `follow` until Ctrl-C.
pub async fn sync(config: &Config, url: Option<String>, follow: bool) -> anyhow::Result<()> {
    let settings = Settings::from_config(config, url)?;
    let registry = Arc::new(Registry::open(&config.data_dir, 2)?);
    let status = Arc::new(MirrorStatus::new(
        &settings.site,
        config.mirror.alert_lag_secs,
    ));
    let report: Arc<dyn Fn(Event) + Send + Sync> = Arc::new(print_event);
    let result = if follow {
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            let _ = stop.send(true);
        });
        eprintln!(
            "Siguiendo cambios (Ctrl-C para salir) / following changes (Ctrl-C to stop): site {}",
            settings.site
        );
        run_continuously(registry.clone(), settings, status, shutdown, report).await;
        Ok(())
    } else {
        let once = async {
            let mut client = pg::connect(&settings.postgres_url).await?;
            pg::migrate(&mut client).await?;
            let steps =
                sync_all(&registry, &settings, &mut client, &status, true, &*report).await?;
            println!(
                "Espejo al día / mirror up to date: site {}, {} marca(s)",
                settings.site,
                steps.len()
            );
            anyhow::Ok(())
        };
        once.await
    };
    registry.close().await;
    result
}

fn print_event(e: Event) {
    let mut err = std::io::stderr().lock();
    let _ = match e {
        Event::Progress(p) if p.done == p.total || p.done % 5_000 == 0 => writeln!(
            err,
            "  {} · {}: {}/{} ({}%)",
            p.marca,
            p.tabla,
            p.done,
            p.total,
            (p.done * 100).checked_div(p.total).unwrap_or(100)
        ),
        Event::Progress(_) => Ok(()),
        Event::Step(s) if s.full_copy => writeln!(
            err,
            "{}: copia completa hasta el cambio {} / full copy up to change {} ({} filas / rows)",
            s.marca, s.to, s.to, s.upserted
        ),
        Event::Step(s) if s.upserted + s.deleted > 0 => writeln!(
            err,
            "{}: cambios {}..{} aplicados / applied ({} actualizadas / upserted, {} borradas / deleted)",
            s.marca,
            s.from.unwrap_or(0) + 1,
            s.to,
            s.upserted,
            s.deleted
        ),
        Event::Step(_) => Ok(()),
    };
}

/// Prints, per brand, where the mirror stands against the local feed.
pub async fn status(config: &Config, url: Option<String>, json: bool) -> anyhow::Result<()> {
    let settings = Settings::from_config(config, url)?;
    let registry = Registry::open(&config.data_dir, 1)?;
    let status = MirrorStatus::new(&settings.site, config.mirror.alert_lag_secs);
    let outcome = async {
        let client = pg::connect(&settings.postgres_url).await?;
        let rows = client
            .query(
                "SELECT marca, seq FROM autonomo.sincronizacion WHERE site = $1",
                &[&settings.site],
            )
            .await?;
        let cursors: std::collections::HashMap<String, Option<i64>> =
            rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        for brand in registry.list(true).await? {
            let tenant = registry.tenant(&brand.slug).await?;
            let cursor = cursors.get(brand.slug.as_str()).copied().flatten();
            let (head, oldest) = super::worker::pending(&tenant, cursor).await?;
            status.record_brand(brand.slug.as_str(), cursor, head, oldest);
        }
        status.record_success();
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = &outcome {
        status.record_error(e);
    }
    let health = status.snapshot();
    if json {
        println!("{}", serde_json::to_string_pretty(&health)?);
    } else {
        println!("site {} · {}", settings.site, health.status);
        println!("marca\tcursor\thead\tlag_cambios\tlag_seg");
        for b in &health.brands {
            let cursor = b.cursor.map_or("-".to_string(), |c| c.to_string());
            println!(
                "{}\t{cursor}\t{}\t{}\t{}",
                b.marca, b.head, b.lag_changes, b.lag_secs
            );
        }
        if let Some(e) = &health.last_error {
            println!("error: {e}");
        }
    }
    registry.close().await;
    outcome
}
