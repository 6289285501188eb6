//! The follow-up job: sends the satisfaction surveys that are due and runs the reminder rules.

use crate::error::AppError;
use crate::scheduler::{JobCtx, JobFuture};
use crate::time::now_ms;

pub fn follow_up(ctx: JobCtx) -> JobFuture {
    Box::pin(async move {
        let tenant = ctx
            .tenant
            .ok_or_else(|| AppError::internal("per-brand job without brand"))?;
        let (surveys, reminders) = tenant
            .db()
            .write(|c| {
                let now = now_ms();
                Ok((
                    super::send_due(c, now)?,
                    crate::reminders::run_rules(c, now)?,
                ))
            })
            .await?;
        Ok(format!(
            "{surveys} encuestas, {reminders} recordatorios / surveys, reminders"
        ))
    })
}
