//! Scheduled work for campaigns: the automatic campaigns (re-engagement of `en_riesgo`,
//! win-back of `perdido`, welcome for `nuevo`), each on/off per brand.

use super::audience::{self, Exclude};
use super::store::{self, NewCampaign};
use super::{AUTOMATIC, Audience};
use crate::error::AppError;
use crate::scheduler::{JobCtx, JobFuture};
use crate::time::now_ms;

/// Creates and launches one campaign per active automation whose audience is not empty.
pub fn automatic_campaigns(ctx: JobCtx) -> JobFuture {
    Box::pin(async move {
        let tenant = ctx
            .tenant
            .ok_or_else(|| AppError::internal("per-brand job without brand"))?;
        let tz = tenant.brand().tz();
        let summary = tenant
            .db()
            .write(move |c| {
                let now = now_ms();
                let mut done = Vec::new();
                for (key, segment) in AUTOMATIC {
                    let a = store::automation(c, key)?;
                    let Some(plantilla) = a.plantilla.filter(|_| a.activa) else {
                        continue;
                    };
                    let audiencia = Audience {
                        segmentos: vec![(*segment).to_owned()],
                        ..Audience::default()
                    };
                    let since = if *key == "auto_nuevo" {
                        0
                    } else {
                        now - 30 * 24 * 3600 * 1000
                    };
                    let exclude = Exclude {
                        tipo: (*key).to_owned(),
                        since,
                    };
                    if audience::count(c, &audiencia, tz, Some(&exclude))? == 0 {
                        continue;
                    }
                    let id = store::insert(
                        c,
                        &NewCampaign {
                            nombre: format!("Automática: {segment}"),
                            tipo: (*key).to_owned(),
                            audiencia,
                            plantilla,
                            idioma: a.idioma,
                            variables: vec!["nombre".into()],
                            programada_para: None,
                            creado_por: "system".into(),
                        },
                        now,
                    )?;
                    // Freezes the audience; the campaign sender queues the messages.
                    let n = store::launch(c, id, tz, now)?;
                    done.push(format!("{key}: {n}"));
                }
                Ok(done)
            })
            .await?;
        Ok(if summary.is_empty() {
            "sin campañas automáticas / no automatic campaigns".into()
        } else {
            summary.join(", ")
        })
    })
}
