//! The pure rule engine: given rules, order lines, the customer's segment and the local
//! time, which discounts apply and why. Takes the time as input so tests can pin a Tuesday.

use chrono::{Datelike, NaiveDateTime, Timelike};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rule {
    pub id: i64,
    pub nombre: String,
    /// `2x1` or `porcentaje`.
    pub tipo: String,
    pub porcentaje: i64,
    pub producto_id: Option<i64>,
    pub categoria: Option<String>,
    /// ISO weekdays 1 (lunes) .. 7 (domingo); empty: every day.
    pub dias: Vec<u32>,
    /// Minutes from local midnight, [desde, hasta).
    pub minuto_desde: i64,
    pub minuto_hasta: i64,
    pub segmento: Option<String>,
    pub zona_horaria: String,
    pub activo: bool,
}

/// One priced order line as the engine sees it.
#[derive(Debug, Clone)]
pub struct Line {
    pub product_id: Option<i64>,
    pub category: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Applied {
    pub promocion_id: i64,
    /// The reason shown on the ticket.
    pub motivo: String,
    /// Minor units.
    pub monto: i64,
}

impl Rule {
    pub fn active_at(&self, local: NaiveDateTime, segment: &str) -> bool {
        let minute = i64::from(local.hour() * 60 + local.minute());
        self.activo
            && (self.dias.is_empty() || self.dias.contains(&local.weekday().number_from_monday()))
            && (self.minuto_desde..self.minuto_hasta).contains(&minute)
            && self.segmento.as_deref().is_none_or(|s| s == segment)
    }

    fn targets(&self, line: &Line) -> bool {
        match (self.producto_id, self.categoria.as_deref()) {
            (Some(p), _) => line.product_id == Some(p),
            (None, Some(c)) => line.category.eq_ignore_ascii_case(c),
            (None, None) => true,
        }
    }

    fn discount(&self, line: &Line) -> i64 {
        let total = line.unit_price.saturating_mul(line.quantity);
        let off = match self.tipo.as_str() {
            "2x1" => (line.quantity / 2).saturating_mul(line.unit_price),
            _ => total.saturating_mul(self.porcentaje.clamp(0, 100)) / 100,
        };
        off.clamp(0, total)
    }

    fn reason(&self, line: &Line) -> String {
        match self.tipo.as_str() {
            "2x1" => format!(
                "{}: {} ({} gratis)",
                self.nombre,
                line.name,
                line.quantity / 2
            ),
            _ => format!("{}: {} (-{}%)", self.nombre, line.name, self.porcentaje),
        }
    }
}

/// The discounts for these lines; each line takes only its best rule.
pub fn evaluate(
    rules: &[Rule],
    lines: &[Line],
    segment: &str,
    local: NaiveDateTime,
) -> Vec<Applied> {
    let live: Vec<&Rule> = rules
        .iter()
        .filter(|r| r.active_at(local, segment))
        .collect();
    lines
        .iter()
        .filter_map(|line| {
            live.iter()
                .filter(|r| r.targets(line))
                .map(|r| (r, r.discount(line)))
                .filter(|(_, off)| *off > 0)
                .max_by_key(|(r, off)| (*off, -r.id))
                .map(|(r, off)| Applied {
                    promocion_id: r.id,
                    motivo: r.reason(line),
                    monto: off,
                })
        })
        .collect()
}

/// Parses `dias` as stored ("2" or "1,2,3").
pub fn parse_days(text: &str) -> Option<Vec<u32>> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u32>().ok().filter(|d| (1..=7).contains(d)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn tuesday_2x1() -> Rule {
        Rule {
            id: 1,
            nombre: "2x1 los martes".into(),
            tipo: "2x1".into(),
            porcentaje: 0,
            producto_id: None,
            categoria: Some("pollos".into()),
            dias: vec![2],
            minuto_desde: 12 * 60,
            minuto_hasta: 22 * 60,
            segmento: None,
            zona_horaria: "America/Lima".into(),
            activo: true,
        }
    }

    fn line(qty: i64) -> Line {
        Line {
            product_id: Some(7),
            category: "Pollos".into(),
            name: "Pollo entero".into(),
            quantity: qty,
            unit_price: 5990,
        }
    }

    fn at(day: u32, hour: u32) -> NaiveDateTime {
        // 2026-11-24 is a Tuesday.
        NaiveDate::from_ymd_opt(2026, 11, day)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
    }

    #[test]
    fn two_for_one_on_tuesday_within_hours_only() {
        let rules = [tuesday_2x1()];
        let got = evaluate(&rules, &[line(3)], "nuevo", at(24, 13));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].monto, 5990);
        assert_eq!(got[0].motivo, "2x1 los martes: Pollo entero (1 gratis)");
        assert!(evaluate(&rules, &[line(3)], "nuevo", at(25, 13)).is_empty());
        assert!(evaluate(&rules, &[line(3)], "nuevo", at(24, 23)).is_empty());
        assert!(evaluate(&rules, &[line(1)], "nuevo", at(24, 13)).is_empty());
    }

    #[test]
    fn segment_rules_only_for_that_segment_and_best_rule_wins() {
        let mut vip = tuesday_2x1();
        vip.id = 2;
        vip.tipo = "porcentaje".into();
        vip.porcentaje = 60;
        vip.segmento = Some("vip".into());
        let rules = [tuesday_2x1(), vip];
        assert_eq!(
            evaluate(&rules, &[line(2)], "vip", at(24, 13))[0].promocion_id,
            2
        );
        assert_eq!(
            evaluate(&rules, &[line(2)], "nuevo", at(24, 13))[0].promocion_id,
            1
        );
    }

    #[test]
    fn days_parse() {
        assert_eq!(parse_days("2"), Some(vec![2]));
        assert_eq!(parse_days(""), Some(vec![]));
        assert_eq!(parse_days("1, 8"), None);
    }
}
