//! The period a dashboard or report covers: an inclusive range of local days in the
//! brand's zone, resolved from `desde`/`hasta` or `periodo`, and the previous period of the
//! same length for comparisons.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::error::AppError;

/// An inclusive range of local days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Period {
    pub desde: NaiveDate,
    pub hasta: NaiveDate,
}

impl Period {
    pub fn days(&self) -> u64 {
        u64::try_from((self.hasta - self.desde).num_days() + 1).unwrap_or(1)
    }

    /// The period of the same length that ends the day before this one starts.
    pub fn previous(&self) -> Period {
        let hasta = self.desde.pred_opt().unwrap_or(self.desde);
        let desde = hasta
            .checked_sub_days(Days::new(self.days() - 1))
            .unwrap_or(hasta);
        Period { desde, hasta }
    }

    /// The bounds as the rollups store days (`YYYY-MM-DD`).
    pub fn keys(&self) -> (String, String) {
        (self.desde.to_string(), self.hasta.to_string())
    }
}

/// Longest period a dashboard covers (ten years).
pub const MAX_DAYS: i64 = 3660;

/// The period asked for: `desde`/`hasta` (local dates, inclusive; either may be missing) or
/// `periodo` = `day` | `week` | `month` (today, the last 7 days, the last 30 days, ending
/// `today`); the last 30 days by default.
pub fn resolve_period(
    desde: Option<&str>,
    hasta: Option<&str>,
    periodo: Option<&str>,
    today: NaiveDate,
) -> Result<Period, AppError> {
    use crate::error::msg;
    let date = |field: &str, v: &str| {
        NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
            AppError::validation(
                field,
                "invalid_date",
                msg("Fecha inválida (AAAA-MM-DD).", "Invalid date (YYYY-MM-DD)."),
            )
        })
    };
    let span = match periodo {
        None | Some("month" | "mes") => 30,
        Some("week" | "semana") => 7,
        Some("day" | "dia" | "día") => 1,
        Some(_) => {
            return Err(AppError::validation(
                "periodo",
                "invalid_period",
                msg("Periodo: day, week o month.", "Period: day, week or month."),
            ));
        }
    };
    let hasta = hasta.map(|v| date("hasta", v)).transpose()?;
    let desde = desde.map(|v| date("desde", v)).transpose()?;
    let hasta = hasta.unwrap_or(match desde {
        Some(d) if periodo.is_some() => d.checked_add_days(Days::new(span - 1)).unwrap_or(d),
        Some(_) => today.max(desde.unwrap_or(today)),
        None => today,
    });
    let desde =
        desde.unwrap_or_else(|| hasta.checked_sub_days(Days::new(span - 1)).unwrap_or(hasta));
    let days = (hasta - desde).num_days() + 1;
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(AppError::validation(
            "hasta",
            "invalid_range",
            msg(
                format!("`desde` debe ser anterior a `hasta` y el rango de hasta {MAX_DAYS} días."),
                format!("`desde` must come before `hasta`, a range of at most {MAX_DAYS} days."),
            ),
        ));
    }
    Ok(Period { desde, hasta })
}
