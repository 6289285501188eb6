//! The dashboard's charts by name, from a [`Dashboard`]: the one place that turns figures
//! into pictures, so the dashboard page, its PNG export, the e-mail reports and Telegram
//! show the same charts. Each returns SVG markup ([`super::charts`]); [`super::png`] makes
//! it an image.

use super::charts::{self, Series};
use super::metrics::{ChannelRow, Dashboard, DayRow, ProductRow};

/// A chart of the dashboard; its [`Chart::name`] is the file name of the PNG export and the
/// key the dashboard template uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// Revenue per day.
    Revenue,
    /// Orders and new customers per day.
    Orders,
    Channels,
    Products,
    Segments,
    Cohorts,
    Rfm,
    Clv,
}

impl Chart {
    pub const ALL: [Chart; 8] = [
        Chart::Revenue,
        Chart::Orders,
        Chart::Channels,
        Chart::Products,
        Chart::Segments,
        Chart::Cohorts,
        Chart::Rfm,
        Chart::Clv,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Chart::Revenue => "ingresos",
            Chart::Orders => "pedidos",
            Chart::Channels => "canales",
            Chart::Products => "productos",
            Chart::Segments => "segmentos",
            Chart::Cohorts => "cohortes",
            Chart::Rfm => "rfm",
            Chart::Clv => "clv",
        }
    }

    pub fn parse(name: &str) -> Option<Chart> {
        Chart::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The chart's title, as drawn in it.
    pub fn title(self) -> &'static str {
        match self {
            Chart::Revenue => "Ingresos por día",
            Chart::Orders => "Pedidos y clientes nuevos por día",
            Chart::Channels => "Ingresos por canal",
            Chart::Products => "Productos más vendidos",
            Chart::Segments => "Clientes por segmento",
            Chart::Cohorts => "Retención por cohorte (mes del primer pedido)",
            Chart::Rfm => "RFM: recencia (filas) × frecuencia (columnas)",
            Chart::Clv => "Valor de vida previsto a 12 meses",
        }
    }
}

/// Money axis labels in the brand's currency.
fn money(currency: &str) -> impl Fn(f64) -> String + '_ {
    move |v: f64| crate::web::decimal(v.round() as i64, currency)
}

fn count(v: f64) -> String {
    format!("{v:.0}")
}

fn day_labels(serie: &[DayRow]) -> Vec<String> {
    serie
        .iter()
        .map(|r| r.dia.get(5..).unwrap_or(&r.dia).to_string())
        .collect()
}

/// Revenue per day of `serie`.
pub fn revenue(serie: &[DayRow], currency: &str) -> String {
    charts::line(
        Chart::Revenue.title(),
        &day_labels(serie),
        &[Series {
            name: "Ingresos".into(),
            values: serie.iter().map(|r| r.ingresos as f64).collect(),
        }],
        &money(currency),
    )
}

/// Orders and new customers per day of `serie`.
pub fn orders(serie: &[DayRow]) -> String {
    charts::line(
        Chart::Orders.title(),
        &day_labels(serie),
        &[
            Series {
                name: "Pedidos".into(),
                values: serie.iter().map(|r| r.pedidos as f64).collect(),
            },
            Series {
                name: "Clientes nuevos".into(),
                values: serie.iter().map(|r| r.clientes_nuevos as f64).collect(),
            },
        ],
        &count,
    )
}

pub fn channels(rows: &[ChannelRow], currency: &str) -> String {
    charts::bars(
        Chart::Channels.title(),
        &rows
            .iter()
            .map(|c| (c.canal.clone(), c.ingresos as f64))
            .collect::<Vec<_>>(),
        &money(currency),
    )
}

pub fn products(rows: &[ProductRow], currency: &str) -> String {
    charts::bars(
        Chart::Products.title(),
        &rows
            .iter()
            .map(|p| (p.nombre.clone(), p.ingresos as f64))
            .collect::<Vec<_>>(),
        &money(currency),
    )
}

fn segments(d: &Dashboard) -> String {
    charts::donut(
        Chart::Segments.title(),
        &d.segmentos
            .iter()
            .map(|s| (s.nombre.to_string(), s.clientes as f64))
            .collect::<Vec<_>>(),
    )
}

/// The last 12 cohorts, 12 months each at most.
fn cohorts(d: &Dashboard) -> String {
    let recent: Vec<_> = d.cohortes.cohorts.iter().rev().take(12).rev().collect();
    let width = d
        .cohortes
        .cohorts
        .iter()
        .map(|c| c.retention.len())
        .max()
        .unwrap_or(0)
        .min(12);
    let rows: Vec<String> = recent
        .iter()
        .map(|row| format!("{} ({})", row.month, row.customers))
        .collect();
    let cells: Vec<Vec<Option<f64>>> = recent
        .iter()
        .map(|row| row.retention.iter().take(width).map(|v| Some(*v)).collect())
        .collect();
    let text: Vec<Vec<String>> = recent
        .iter()
        .map(|row| {
            row.retention
                .iter()
                .take(width)
                .map(|v| format!("{:.0}%", v * 100.0))
                .collect()
        })
        .collect();
    charts::heatmap(
        Chart::Cohorts.title(),
        &rows,
        &(0..width).map(|k| format!("+{k}")).collect::<Vec<_>>(),
        &cells,
        &text,
    )
}

/// Recency 5 (best) on top, frequency 1 → 5 left to right, shaded by count.
fn rfm(d: &Dashboard) -> String {
    let max = d
        .rfm_grilla
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    charts::heatmap(
        Chart::Rfm.title(),
        &(1..=5).rev().map(|r| format!("R{r}")).collect::<Vec<_>>(),
        &(1..=5).map(|f| format!("F{f}")).collect::<Vec<_>>(),
        &d.rfm_grilla
            .iter()
            .rev()
            .map(|row| row.iter().map(|n| Some(*n as f64 / max)).collect())
            .collect::<Vec<_>>(),
        &d.rfm_grilla
            .iter()
            .rev()
            .map(|row| row.iter().map(|n| n.to_string()).collect())
            .collect::<Vec<_>>(),
    )
}

fn clv(d: &Dashboard, currency: &str) -> String {
    let m = money(currency);
    charts::bars(
        Chart::Clv.title(),
        &d.clv
            .iter()
            .map(|b| {
                let label = match b.hasta {
                    Some(h) => format!("{}–{}", m(b.desde as f64), m(h as f64)),
                    None => format!("≥ {}", m(b.desde as f64)),
                };
                (label, b.clientes as f64)
            })
            .collect::<Vec<_>>(),
        &count,
    )
}

/// One chart of the dashboard `d`, money in `currency`, as SVG.
pub fn draw(chart: Chart, d: &Dashboard, currency: &str) -> String {
    match chart {
        Chart::Revenue => revenue(&d.serie, currency),
        Chart::Orders => orders(&d.serie),
        Chart::Channels => channels(&d.canales, currency),
        Chart::Products => products(&d.productos_top, currency),
        Chart::Segments => segments(d),
        Chart::Cohorts => cohorts(d),
        Chart::Rfm => rfm(d),
        Chart::Clv => clv(d, currency),
    }
}

/// Every chart for the dashboard template, keyed by [`Chart::name`] (the same keys as the
/// page's `charts` context), as markup safe to embed.
pub fn template_context(d: &Dashboard, currency: &str) -> minijinja::Value {
    Chart::ALL
        .into_iter()
        .map(|c| {
            (
                c.name(),
                minijinja::Value::from_safe_string(draw(c, d, currency)),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_none() {
        for c in Chart::ALL {
            assert_eq!(Chart::parse(c.name()), Some(c));
        }
        assert_eq!(Chart::parse("pastel"), None);
        assert_eq!(Chart::parse("ingresos.png"), None);
    }
}
