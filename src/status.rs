//! `autonomo status`: one look at an installation — is the service answering, its brands and
//! their sizes, outbox backlog, backups, mirror and free disk — with a non-zero exit code when
//! something needs the operator, so it fits cron, monitoring and `systemctl` checks.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::config::Config;
use crate::tenants::Registry;
use crate::time::now_ms;

#[derive(Debug, Serialize)]
pub struct Report {
    pub service: Service,
    pub brands: Vec<BrandStatus>,
    pub disk: Option<Disk>,
    pub local_backup: Option<LocalBackup>,
    /// Human-readable reasons for a non-zero exit; empty when all is well.
    pub problems: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Service {
    pub url: String,
    pub running: bool,
    /// `/healthz` as the running service reports it (brands, S3 backup, mirror).
    pub health: Option<Value>,
}

#[derive(Debug, Serialize)]
pub struct BrandStatus {
    pub slug: String,
    pub archived: bool,
    /// Database plus its WAL, in bytes.
    pub size_bytes: u64,
    pub outbox_pending: i64,
    pub outbox_failed: i64,
    pub oldest_pending_age_secs: Option<i64>,
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Disk {
    pub total_bytes: u64,
    pub free_bytes: u64,
}

#[derive(Debug, Serialize)]
pub struct LocalBackup {
    pub dir: String,
    pub newest_age_secs: Option<u64>,
}

/// Gathers the report; never fails on one part, it records the problem instead.
pub async fn gather(config: &Config) -> anyhow::Result<Report> {
    let mut problems = Vec::new();
    let service = probe_service(config, &mut problems).await;
    // Looking must not create an installation where there is none.
    if !config.data_dir.join("control.db").is_file() {
        anyhow::bail!(
            "no hay instalación en / no installation in {}",
            config.data_dir.display()
        );
    }
    // Read-only, but closing a database may checkpoint: with S3 on, leave that to the server
    // (as every other command does) so its backup sees every frame.
    let observer: Option<std::sync::Arc<dyn crate::tenants::DatabaseObserver>> =
        if config.backup.s3_enabled() {
            Some(std::sync::Arc::new(crate::backup::LeaveCheckpointsToServer))
        } else {
            None
        };
    let registry = Registry::open_observed(&config.data_dir, 1, observer)?;
    // The same limits as the running server's alerts (`[alerts]`), so `status` and the alert
    // never disagree.
    let stuck_after_ms = (config.alerts.outbox_stuck_minutes as i64).saturating_mul(60_000);
    let brands = brands(&registry, stuck_after_ms, &mut problems).await;
    registry.close().await;
    let disk = disk_free(&config.data_dir);
    if let Some(d) = &disk
        && d.free_bytes < config.alerts.disk_min_free_mb << 20
    {
        problems.push(format!(
            "poco disco libre / low disk: {} MiB libres de {} MiB",
            d.free_bytes >> 20,
            d.total_bytes >> 20
        ));
    }
    let local_backup = config.backup.local_dir.as_ref().map(|dir| LocalBackup {
        dir: dir.display().to_string(),
        newest_age_secs: newest_file_age(dir),
    });
    if let Some(lb) = &local_backup {
        let limit = config
            .backup
            .local_interval
            .as_secs()
            .saturating_mul(2)
            .max(3600);
        match lb.newest_age_secs {
            // A fresh installation has had no time to make its first copy yet.
            None if installation_age_secs(&config.data_dir) > limit => problems.push(format!(
                "sin copias locales / no local backups in {}",
                lb.dir
            )),
            None => {}
            Some(age) if age > limit => problems.push(format!(
                "copia local antigua / local backup is {}h old",
                age / 3600
            )),
            Some(_) => {}
        }
    }
    Ok(Report {
        service,
        brands,
        disk,
        local_backup,
        problems,
    })
}

async fn probe_service(config: &Config, problems: &mut Vec<String>) -> Service {
    let mut addr = config.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let url = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build();
    let answer = match client {
        Ok(c) => c.get(format!("{url}/healthz")).send().await.ok(),
        Err(_) => None,
    };
    let Some(answer) = answer else {
        problems.push(format!(
            "el servicio no responde / service not answering at {url}"
        ));
        return Service {
            url,
            running: false,
            health: None,
        };
    };
    let ok = answer.status().is_success();
    let health: Option<Value> = answer.json().await.ok();
    if !ok {
        problems.push(format!(
            "servicio degradado / service degraded: {}",
            health.as_ref().map(|h| h.to_string()).unwrap_or_default()
        ));
    }
    if let Some(h) = &health {
        let mirror = h["mirror"]["status"].as_str().unwrap_or("disabled");
        if mirror == "error" || mirror == "lagging" {
            problems.push(format!("réplica Postgres / Postgres mirror: {mirror}"));
        }
    }
    Service {
        url,
        running: true,
        health,
    }
}

async fn brands(
    registry: &Registry,
    stuck_after_ms: i64,
    problems: &mut Vec<String>,
) -> Vec<BrandStatus> {
    let list = match registry.list(true).await {
        Ok(l) => l,
        Err(e) => {
            problems.push(format!("base de control / control database: {e}"));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for brand in list {
        let path = registry.tenant_path(&brand.slug);
        let mut wal = path.clone().into_os_string();
        wal.push("-wal");
        let size = file_size(&path) + file_size(Path::new(&wal));
        let mut status = BrandStatus {
            slug: brand.slug.to_string(),
            archived: brand.archived_at.is_some(),
            size_bytes: size,
            outbox_pending: 0,
            outbox_failed: 0,
            oldest_pending_age_secs: None,
            error: None,
        };
        let counts = match registry.tenant(&brand.slug).await {
            Ok(t) => t.db().read(outbox_counts).await,
            Err(e) => Err(e),
        };
        match counts {
            Ok((pending, failed, oldest)) => {
                status.outbox_pending = pending;
                status.outbox_failed = failed;
                status.oldest_pending_age_secs = oldest.map(|t| (now_ms() - t).max(0) / 1000);
                if oldest.is_some_and(|t| now_ms() - t > stuck_after_ms) {
                    problems.push(format!(
                        "{}: salida atascada / outbox stuck ({pending} pendientes)",
                        brand.slug
                    ));
                }
                if failed > 0 {
                    problems.push(format!(
                        "{}: {failed} envíos fallidos / failed sends",
                        brand.slug
                    ));
                }
            }
            Err(e) => {
                problems.push(format!("{}: {e}", brand.slug));
                status.error = Some(e.to_string());
            }
        }
        out.push(status);
    }
    out
}

pub(crate) fn outbox_counts(
    c: &rusqlite::Connection,
) -> Result<(i64, i64, Option<i64>), crate::error::AppError> {
    Ok(c.query_row(
        "SELECT COUNT(*) FILTER (WHERE estado IN ('pendiente', 'enviando')), \
                COUNT(*) FILTER (WHERE estado = 'fallido'), \
                MIN(creado_en) FILTER (WHERE estado IN ('pendiente', 'enviando')) FROM outbox",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?)
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Free and total bytes of the file system holding `dir`, from `df` (POSIX output).
pub(crate) fn disk_free(dir: &Path) -> Option<Disk> {
    let out = std::process::Command::new("df")
        .arg("-Pk")
        .arg(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let fields: Vec<&str> = text.lines().nth(1)?.split_whitespace().collect();
    let kib = |i: usize| fields.get(i)?.parse::<u64>().ok().map(|v| v * 1024);
    Some(Disk {
        total_bytes: kib(1)?,
        free_bytes: kib(3)?,
    })
}

fn installation_age_secs(data_dir: &Path) -> u64 {
    std::fs::metadata(data_dir.join("control.db"))
        .and_then(|m| m.created().or_else(|_| m.modified()))
        .ok()
        .and_then(|t| t.elapsed().ok())
        .map_or(0, |d| d.as_secs())
}

fn newest_file_age(dir: &Path) -> Option<u64> {
    let mut newest = None;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).ok()?.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if let Ok(m) = meta.modified() {
                newest = newest.max(Some(m));
            }
        }
    }
    newest?.elapsed().ok().map(|d| d.as_secs())
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1_048_576.0)
}

/// Prints the report for a person.
pub fn print(report: &Report) {
    let s = &report.service;
    match (s.running, s.health.as_ref()) {
        (true, Some(h)) => println!(
            "Servicio / service: {} en {} (versión {}, {} s en marcha)",
            h["status"].as_str().unwrap_or("?"),
            s.url,
            h["version"].as_str().unwrap_or("?"),
            h["uptime_secs"].as_u64().unwrap_or(0)
        ),
        (true, None) => println!("Servicio / service: responde en {} (sin detalle)", s.url),
        _ => println!("Servicio / service: NO responde en {}", s.url),
    }
    let total: u64 = report.brands.iter().map(|b| b.size_bytes).sum();
    println!(
        "Marcas / brands: {} ({} en disco)",
        report.brands.len(),
        mib(total)
    );
    for b in &report.brands {
        println!(
            "  {:<20} {:>10}  salida/outbox: {} pendientes, {} fallidos{}{}",
            b.slug,
            mib(b.size_bytes),
            b.outbox_pending,
            b.outbox_failed,
            if b.archived { "  (archivada)" } else { "" },
            b.error
                .as_deref()
                .map(|e| format!("  ERROR: {e}"))
                .unwrap_or_default()
        );
    }
    let health = s.health.as_ref();
    match health.map(|h| &h["backup"]) {
        Some(b) if b.is_object() => println!(
            "Copia S3 / S3 backup: {} ({} bases)",
            b["status"].as_str().unwrap_or("?"),
            b["databases"].as_array().map_or(0, Vec::len)
        ),
        Some(_) => println!("Copia S3 / S3 backup: no configurada / not configured"),
        None => println!(
            "Copia S3 / S3 backup: desconocida (servicio parado) — `autonomo backup status`"
        ),
    }
    if let Some(lb) = &report.local_backup {
        println!(
            "Copia local / local backup: {} (más reciente: {})",
            lb.dir,
            lb.newest_age_secs
                .map_or("ninguna / none".into(), |a| format!("hace {} min", a / 60))
        );
    }
    match health.map(|h| &h["mirror"]) {
        Some(m) if m.is_object() => println!(
            "Réplica Postgres / mirror: {} ({} cambios pendientes, {} s)",
            m["status"].as_str().unwrap_or("?"),
            m["lag_changes"].as_u64().unwrap_or(0),
            m["lag_secs"].as_u64().unwrap_or(0)
        ),
        _ => println!("Réplica Postgres / mirror: desconocida (servicio parado)"),
    }
    if let Some(d) = &report.disk {
        println!(
            "Disco / disk: {} libres de {}",
            mib(d.free_bytes),
            mib(d.total_bytes)
        );
    }
    if report.problems.is_empty() {
        println!("Todo bien / all good");
    } else {
        println!("Problemas / problems:");
        for p in &report.problems {
            println!("  - {p}");
        }
    }
}

/// `autonomo status [--json]`: prints the report; an error (exit code 1) when there are problems.
pub async fn command(config: Config, json: bool) -> anyhow::Result<()> {
    let report = gather(&config).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print(&report);
    }
    match report.problems.len() {
        0 => Ok(()),
        n => Err(anyhow::anyhow!("{n} problema(s) / problem(s)")),
    }
}
