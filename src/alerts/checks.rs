//! What is wrong right now: each check turns one signal into zero or more alerts.

use super::Alert;
use crate::app::AppState;
use crate::config::AlertsConfig;
use crate::time::now_ms;

/// Every condition present now. `signatures_since_last` is how many webhook requests were
/// refused for their signature since the previous check.
pub async fn current(state: &AppState, signatures_since_last: u64) -> Vec<Alert> {
    let cfg = &state.config.alerts;
    let mut alerts = Vec::new();
    disk(state, cfg, &mut alerts);
    backups(state, &mut alerts);
    outboxes(state, cfg, &mut alerts).await;
    if cfg.signature_failures > 0 && signatures_since_last >= cfg.signature_failures {
        alerts.push(Alert {
            key: "webhook-firmas".into(),
            brand: None,
            es: format!(
                "El webhook de WhatsApp rechazó {signatures_since_last} solicitudes con firma \
                 inválida en {} s: ¿secreto de la app cambiado o alguien probando?",
                cfg.interval_secs
            ),
            en: format!(
                "The WhatsApp webhook refused {signatures_since_last} badly signed requests in \
                 {} s: app secret changed, or someone probing?",
                cfg.interval_secs
            ),
        });
    }
    alerts
}

fn disk(state: &AppState, cfg: &AlertsConfig, alerts: &mut Vec<Alert>) {
    let Some(d) = crate::status::disk_free(&state.config.data_dir) else {
        return;
    };
    if d.free_bytes < cfg.disk_min_free_mb << 20 {
        alerts.push(Alert {
            key: "disco".into(),
            brand: None,
            es: format!(
                "Queda poco disco: {} MiB libres de {} MiB. Al llenarse, el CRM deja de \
                 guardar cambios.",
                d.free_bytes >> 20,
                d.total_bytes >> 20
            ),
            en: format!(
                "Disk is low: {} MiB free of {} MiB. When full, the CRM stops saving changes.",
                d.free_bytes >> 20,
                d.total_bytes >> 20
            ),
        });
    }
}

fn backups(state: &AppState, alerts: &mut Vec<Alert>) {
    let Some(health) = crate::health::backup_health(state) else {
        return;
    };
    for db in health.databases {
        if !(db.alert || db.last_error.is_some()) {
            continue;
        }
        let why = db
            .last_error
            .clone()
            .unwrap_or_else(|| format!("{:.0} s de retraso / behind", db.lag_secs));
        alerts.push(Alert {
            key: format!("backup:{}", db.name),
            brand: db.name.strip_prefix("tenants/").map(str::to_string),
            es: format!("La copia a S3 de «{}» está fallando: {why}", db.name),
            en: format!("The S3 backup of `{}` is failing: {why}", db.name),
        });
    }
}

async fn outboxes(state: &AppState, cfg: &AlertsConfig, alerts: &mut Vec<Alert>) {
    let stuck_ms = i64::try_from(cfg.outbox_stuck_minutes)
        .unwrap_or(i64::MAX / 60_000)
        .saturating_mul(60_000);
    // Only brands already open: waking every brand each minute would defeat lazy opening,
    // and a brand nobody opened has nothing sending.
    for tenant in state.registry.open_tenants() {
        let brand = tenant.brand();
        if brand.archived_at.is_some() {
            continue;
        }
        let Ok((pending, _, oldest)) = tenant.db().read(crate::status::outbox_counts).await else {
            continue;
        };
        let Some(oldest) = oldest.filter(|t| now_ms() - t > stuck_ms) else {
            continue;
        };
        let minutes = (now_ms() - oldest) / 60_000;
        alerts.push(Alert {
            key: format!("salida:{}", brand.slug),
            brand: Some(brand.slug.to_string()),
            es: format!(
                "{}: {pending} mensajes salientes esperan; el más antiguo hace {minutes} min. \
                 ¿WhatsApp desconectado?",
                brand.nombre
            ),
            en: format!(
                "{}: {pending} outgoing messages waiting; the oldest for {minutes} min. \
                 WhatsApp disconnected?",
                brand.nombre
            ),
        });
    }
}
