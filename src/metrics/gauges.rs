//! Gauges read at scrape time: every open database's writer (queue depth, batches and writes,
//! whose ratio is the average group-commit size), each open brand's outbox and WhatsApp
//! backlog, and the scheduler's job runs. Brands not open yet are not opened by a scrape.

use std::fmt::Write as _;

use crate::db::Database;
use crate::error::AppError;
use crate::tenants::Registry;

struct Brand {
    slug: String,
    writer: crate::db::WriterStats,
    reads: u64,
    outbox_pending: i64,
    outbox_failed: i64,
    whatsapp_pending: i64,
}

async fn brand_counts(db: &Database) -> Result<(i64, i64, i64), AppError> {
    db.read(|c| {
        let outbox = c.query_row(
            "SELECT COUNT(*) FILTER (WHERE estado IN ('pendiente', 'enviando')), \
                    COUNT(*) FILTER (WHERE estado = 'fallido') FROM outbox",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )?;
        let pending = c.query_row(
            "SELECT COUNT(*) FROM wa_eventos WHERE procesado_en IS NULL",
            [],
            |r| r.get::<_, i64>(0),
        )?;
        Ok((outbox.0, outbox.1, pending))
    })
    .await
}

fn gauge(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Writers, outbox, WhatsApp backlog and job runs in Prometheus text format.
pub async fn render_gauges(registry: &Registry) -> String {
    let mut brands = Vec::new();
    for t in registry.open_tenants() {
        let (outbox_pending, outbox_failed, whatsapp_pending) =
            brand_counts(t.db()).await.unwrap_or((-1, -1, -1));
        brands.push(Brand {
            slug: t.slug().to_string(),
            writer: t.db().writer_stats(),
            reads: t.db().reads(),
            outbox_pending,
            outbox_failed,
            whatsapp_pending,
        });
    }
    brands.sort_by(|a, b| a.slug.cmp(&b.slug));
    let control = registry.control();
    let mut dbs = vec![(
        "control".to_owned(),
        control.writer_stats(),
        control.reads(),
    )];
    dbs.extend(
        brands
            .iter()
            .map(|b| (format!("tenants/{}", b.slug), b.writer, b.reads)),
    );
    let mut out = String::new();
    gauge(
        &mut out,
        "autonomo_brands_open",
        "gauge",
        "Brand databases open in this process.",
    );
    let _ = writeln!(out, "autonomo_brands_open {}", brands.len());
    gauge(
        &mut out,
        "autonomo_db_write_queue",
        "gauge",
        "Writes waiting for the writer thread.",
    );
    for (db, s, _) in &dbs {
        let _ = writeln!(out, "autonomo_db_write_queue{{db=\"{db}\"}} {}", s.queued);
    }
    gauge(
        &mut out,
        "autonomo_db_write_batches_total",
        "counter",
        "Group commits (one transaction each).",
    );
    for (db, s, _) in &dbs {
        let _ = writeln!(
            out,
            "autonomo_db_write_batches_total{{db=\"{db}\"}} {}",
            s.batches
        );
    }
    gauge(
        &mut out,
        "autonomo_db_writes_total",
        "counter",
        "Writes committed; writes/batches is the average batch size.",
    );
    for (db, s, _) in &dbs {
        let _ = writeln!(out, "autonomo_db_writes_total{{db=\"{db}\"}} {}", s.writes);
    }
    gauge(
        &mut out,
        "autonomo_db_reads_total",
        "counter",
        "Reads run on a blocking thread (answers kept while the file is unchanged are not counted).",
    );
    for (db, _, reads) in &dbs {
        let _ = writeln!(out, "autonomo_db_reads_total{{db=\"{db}\"}} {reads}");
    }
    gauge(
        &mut out,
        "autonomo_outbox_pending",
        "gauge",
        "Outbound messages waiting or being sent.",
    );
    for b in &brands {
        let _ = writeln!(
            out,
            "autonomo_outbox_pending{{marca=\"{}\"}} {}",
            b.slug, b.outbox_pending
        );
    }
    gauge(
        &mut out,
        "autonomo_outbox_failed",
        "gauge",
        "Outbound messages that gave up.",
    );
    for b in &brands {
        let _ = writeln!(
            out,
            "autonomo_outbox_failed{{marca=\"{}\"}} {}",
            b.slug, b.outbox_failed
        );
    }
    gauge(
        &mut out,
        "autonomo_whatsapp_events_pending",
        "gauge",
        "Stored webhook events not yet processed.",
    );
    for b in &brands {
        let _ = writeln!(
            out,
            "autonomo_whatsapp_events_pending{{marca=\"{}\"}} {}",
            b.slug, b.whatsapp_pending
        );
    }
    out.push_str(&job_runs(registry).await);
    out
}

async fn job_runs(registry: &Registry) -> String {
    let rows = registry
        .control()
        .read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT nombre, COALESCE(resultado, 'en_curso'), COUNT(*), MAX(inicio) \
                 FROM job_runs GROUP BY 1, 2 ORDER BY 1, 2",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
        .unwrap_or_default();
    let mut out = String::new();
    gauge(
        &mut out,
        "autonomo_job_runs_total",
        "counter",
        "Scheduled job runs by outcome.",
    );
    for (job, result, n, _) in &rows {
        let _ = writeln!(
            out,
            "autonomo_job_runs_total{{job=\"{job}\",result=\"{result}\"}} {n}"
        );
    }
    gauge(
        &mut out,
        "autonomo_job_last_run_timestamp_seconds",
        "gauge",
        "Start of the latest run, by outcome.",
    );
    for (job, result, _, last) in &rows {
        let _ = writeln!(
            out,
            "autonomo_job_last_run_timestamp_seconds{{job=\"{job}\",result=\"{result}\"}} {}",
            *last / 1000
        );
    }
    out
}
