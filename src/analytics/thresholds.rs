//! Changing a brand's segment thresholds ([`SegmentRules`], stored as `reglas_segmento` in
//! `analitica_estado`): the form's fields, their validation, the audited save and the full
//! recompute that follows so every customer's segment reflects the new rules at once.

use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::refresh;
use super::segments::SegmentRules;
use crate::error::{AppError, FieldError, msg};
use crate::tenants::TenantCtx;

/// The thresholds as the form (and people) write them: the VIP share as a percentage,
/// decimals with a dot or a comma.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ThresholdsForm {
    #[serde(default)]
    pub vip_porcentaje: String,
    #[serde(default)]
    pub vip_pedidos_12m: String,
    #[serde(default)]
    pub riesgo_factor: String,
    #[serde(default)]
    pub riesgo_minimo_dias: String,
    #[serde(default)]
    pub perdido_dias: String,
    #[serde(default)]
    pub nuevo_dias: String,
}

impl ThresholdsForm {
    /// The form filled with `r` (for the screen).
    pub fn from_rules(r: &SegmentRules) -> ThresholdsForm {
        let n = |x: f64| {
            let s = format!("{x:.2}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        };
        ThresholdsForm {
            vip_porcentaje: n(r.vip_top_share * 100.0),
            vip_pedidos_12m: r.vip_min_orders_12m.to_string(),
            riesgo_factor: n(r.at_risk_factor),
            riesgo_minimo_dias: n(r.at_risk_floor_days),
            perdido_dias: n(r.lost_after_days),
            nuevo_dias: n(r.new_within_days),
        }
    }

    /// Checks every field (all errors at once) and returns the rules.
    pub fn validate(&self) -> Result<SegmentRules, AppError> {
        let mut errors = Vec::new();
        let mut number = |field: &str, v: &str, min: f64, max: f64| -> f64 {
            match v.trim().replace(',', ".").parse::<f64>() {
                Ok(x) if x.is_finite() && (min..=max).contains(&x) => x,
                _ => {
                    errors.push(FieldError::new(
                        field,
                        "out_of_range",
                        msg(
                            format!("Escribe un número entre {min} y {max}."),
                            format!("Enter a number between {min} and {max}."),
                        ),
                    ));
                    min
                }
            }
        };
        let share = number("vip_porcentaje", &self.vip_porcentaje, 0.0, 100.0);
        let orders = number("vip_pedidos_12m", &self.vip_pedidos_12m, 0.0, 1000.0);
        let factor = number("riesgo_factor", &self.riesgo_factor, 1.0, 20.0);
        let floor = number("riesgo_minimo_dias", &self.riesgo_minimo_dias, 1.0, 3650.0);
        let lost = number("perdido_dias", &self.perdido_dias, 1.0, 3650.0);
        let new = number("nuevo_dias", &self.nuevo_dias, 1.0, 3650.0);
        if orders.fract() != 0.0 {
            errors.push(FieldError::new(
                "vip_pedidos_12m",
                "not_integer",
                msg("Escribe un número entero.", "Enter a whole number."),
            ));
        }
        // Otherwise nobody could ever be "at risk": they would be lost first.
        if errors.is_empty() && lost <= floor {
            errors.push(FieldError::new(
                "perdido_dias",
                "below_at_risk",
                msg(
                    "«Perdido» debe ser mayor que el mínimo de «en riesgo».",
                    "\"Lost\" must be greater than the \"at risk\" minimum.",
                ),
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(SegmentRules {
            vip_top_share: share / 100.0,
            vip_min_orders_12m: orders as u32,
            at_risk_factor: factor,
            at_risk_floor_days: floor,
            lost_after_days: lost,
            new_within_days: new,
        })
    }
}

/// Saves `rules` (audited with the before and after values, in the same transaction) and
/// recomputes every customer's segment, RFM and CLV. Returns how many segments changed.
pub async fn update(ctx: &TenantCtx, rules: SegmentRules) -> Result<usize, AppError> {
    ctx.write(move |c| {
        let before = refresh::rules(c)?;
        refresh::set_rules(c, &rules)?;
        crate::audit::record(
            c,
            "reglas_segmento",
            None,
            "actualizar",
            &json!({ "antes": before, "despues": rules }),
        )
    })
    .await?;
    let tz = ctx.brand().tz();
    let plan = ctx.read(move |c| refresh::compute(c, tz, Utc::now)).await?;
    ctx.write(move |c| refresh::apply(c, &plan)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ThresholdsForm {
        ThresholdsForm::from_rules(&SegmentRules::default())
    }

    #[test]
    fn defaults_round_trip_through_the_form() {
        assert_eq!(form().vip_porcentaje, "10");
        assert_eq!(form().validate().unwrap(), SegmentRules::default());
    }

    #[test]
    fn bad_values_are_all_reported() {
        let f = ThresholdsForm {
            vip_porcentaje: "120".into(),
            vip_pedidos_12m: "2,5".into(),
            riesgo_factor: "abc".into(),
            ..form()
        };
        let Err(AppError::Validation(errors)) = f.validate() else {
            panic!("expected validation errors");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["vip_porcentaje", "riesgo_factor", "vip_pedidos_12m"]
        );
        let f = ThresholdsForm {
            perdido_dias: "20".into(),
            ..form()
        };
        assert!(f.validate().is_err(), "lost before at risk");
        let f = ThresholdsForm {
            vip_porcentaje: "25,5".into(),
            ..form()
        };
        assert!((f.validate().unwrap().vip_top_share - 0.255).abs() < 1e-12);
    }
}
