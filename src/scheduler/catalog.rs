//! The jobs this binary runs. Domains provide the job functions; this list says when.

use super::{JobCtx, JobFuture, JobSpec};
use crate::error::AppError;

/// Every scheduled job.
pub fn catalog() -> Vec<JobSpec> {
    vec![
        JobSpec {
            name: "optimizar_bd",
            description: "PRAGMA optimize on each brand database (keeps query plans good)",
            cron: "0 30 4 * * *",
            per_brand: true,
            run: optimize_database,
            pending: None,
        },
        JobSpec {
            name: "limpiar_outbox",
            description: "Delete delivered outbox messages older than 90 days",
            cron: "0 45 4 * * *",
            per_brand: true,
            run: prune_outbox,
            pending: None,
        },
        JobSpec {
            name: "recalcular_segmentos",
            description: "Recompute segments, RFM and CLV of every customer (nightly)",
            cron: "0 15 3 * * *",
            per_brand: true,
            run: recompute_analytics,
            pending: None,
        },
        JobSpec {
            name: "campanas_automaticas",
            description: "Automatic campaigns: re-engagement (en_riesgo), win-back (perdido), welcome (nuevo)",
            cron: "0 0 10 * * *",
            per_brand: true,
            run: crate::campaigns::jobs::automatic_campaigns,
            pending: None,
        },
        JobSpec {
            name: "seguimiento",
            description: "Satisfaction surveys after delivery and automatic follow-up reminders",
            cron: "0 */5 * * * *",
            per_brand: true,
            run: crate::surveys::jobs::follow_up,
            pending: None,
        },
        JobSpec {
            name: "reporte_diario",
            description: "Daily report by e-mail and Telegram (yesterday's KPIs)",
            cron: "0 0 7 * * *",
            per_brand: true,
            run: crate::reports::daily_job,
            pending: None,
        },
        JobSpec {
            name: "reporte_semanal",
            description: "Weekly report by e-mail and Telegram (the last seven days), Mondays",
            cron: "0 0 7 * * Mon",
            per_brand: true,
            run: crate::reports::weekly_job,
            pending: None,
        },
        JobSpec {
            name: "suscripciones",
            description: "Subscriptions: create the orders due today and notify the next ones (skip/pause buttons)",
            cron: "0 0 * * * *",
            per_brand: true,
            run: crate::subscriptions::jobs::job,
            pending: None,
        },
        JobSpec {
            name: "avisos_reposicion",
            description: "Restock alerts: one WhatsApp message to each customer waiting for a product back in stock",
            cron: "0 * * * * *",
            per_brand: true,
            run: crate::restock::job,
            pending: Some(crate::restock::PENDING),
        },
        JobSpec {
            name: "garantias_por_vencer",
            description: "Warranty reminders: one WhatsApp message 30 days before a warranty expires",
            cron: "0 0 10 * * *",
            per_brand: true,
            run: crate::warranties::job,
            pending: None,
        },
        JobSpec {
            name: "series_educativas",
            description: "Education series: enrol opted-in customers and send each one the next step that is due",
            cron: "0 */15 * * * *",
            per_brand: true,
            run: crate::education::job::job,
            pending: None,
        },
        JobSpec {
            name: "reporte_duenos_diario",
            description: "Owners' combined daily report of every brand (12:00 UTC, 07:00 in Lima)",
            cron: "0 0 12 * * *",
            per_brand: false,
            run: crate::reports::combined::daily_job,
            pending: None,
        },
        JobSpec {
            name: "reporte_duenos_semanal",
            description: "Owners' combined weekly report of every brand, Mondays (12:00 UTC)",
            cron: "0 0 12 * * Mon",
            per_brand: false,
            run: crate::reports::combined::weekly_job,
            pending: None,
        },
    ]
}

fn optimize_database(ctx: JobCtx) -> JobFuture {
    Box::pin(async move {
        let tenant = ctx
            .tenant
            .ok_or_else(|| AppError::internal("per-brand job without brand"))?;
        tenant
            .db()
            .maintain(|c| {
                c.execute_batch("PRAGMA optimize")?;
                Ok(())
            })
            .await?;
        Ok("PRAGMA optimize".into())
    })
}

fn prune_outbox(ctx: JobCtx) -> JobFuture {
    Box::pin(async move {
        let tenant = ctx
            .tenant
            .ok_or_else(|| AppError::internal("per-brand job without brand"))?;
        let cutoff = crate::time::now_ms() - 90 * 24 * 3600 * 1000;
        let deleted = tenant
            .db()
            .write_as("system:job:prune_outbox", move |c| {
                Ok(c.execute(
                    "DELETE FROM outbox WHERE estado = 'enviado' AND enviado_en < ?1",
                    [cutoff],
                )?)
            })
            .await?;
        Ok(format!("{deleted} mensajes borrados / messages deleted"))
    })
}

fn recompute_analytics(ctx: JobCtx) -> JobFuture {
    Box::pin(async move {
        let tenant = ctx
            .tenant
            .ok_or_else(|| AppError::internal("per-brand job without brand"))?;
        crate::analytics::jobs::recompute(&tenant, chrono::Utc::now).await
    })
}
