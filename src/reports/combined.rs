//! The owners' combined report: every active brand's KPIs side by side, for the same kind of
//! period (each brand's day or week in its own zone), sent to the installation's owner-level
//! recipients (control table `reporte_destinatarios_duenos`). Money is never added across
//! currencies: totals are per currency, and only counts (orders, new customers, cancelled)
//! are summed over every brand.

use std::collections::BTreeMap;

use rusqlite::{Connection, params};

use super::deliver::{self, Outgoing, Picture};
use super::kpis::{self, Kpis, Period};
use super::render::esc;
use super::{Channels, Recipient};
use crate::analytics::charts;
use crate::error::AppError;
use crate::tenants::{Brand, Registry};
use crate::web::money;

pub fn add_recipient(c: &Connection, canal: &str, destino: &str, now: i64) -> Result<(), AppError> {
    c.prepare_cached(
        "INSERT INTO reporte_destinatarios_duenos (canal, destino, creado_en) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    )?
    .execute(params![canal, destino, now])?;
    Ok(())
}

pub fn remove_recipient(c: &Connection, canal: &str, destino: &str) -> Result<bool, AppError> {
    Ok(c.prepare_cached(
        "DELETE FROM reporte_destinatarios_duenos WHERE canal = ?1 AND destino = ?2",
    )?
    .execute(params![canal, destino])?
        > 0)
}

pub fn recipients(c: &Connection) -> Result<Vec<Recipient>, AppError> {
    let mut stmt = c.prepare_cached(
        "SELECT canal, destino FROM reporte_destinatarios_duenos ORDER BY canal, destino",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Recipient {
            canal: r.get(0)?,
            destino: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One brand's line of the combined report.
pub struct Line {
    pub brand: Brand,
    /// The local days covered, as shown (`2026-11-24` or `2026-11-18 – 2026-11-24`).
    pub range: String,
    pub kpis: Kpis,
}

fn day(ms: i64, brand: &Brand) -> String {
    crate::time::format_in(ms, brand.tz())
        .chars()
        .take(10)
        .collect()
}

/// Sums of the lines in one currency: (orders, revenue, new customers, cancelled, brands).
fn per_currency(lines: &[Line]) -> BTreeMap<String, (i64, i64, i64, i64, usize)> {
    let mut totals: BTreeMap<String, (i64, i64, i64, i64, usize)> = BTreeMap::new();
    for l in lines {
        let t = totals.entry(l.brand.moneda.clone()).or_default();
        t.0 += l.kpis.pedidos;
        t.1 += l.kpis.ingresos;
        t.2 += l.kpis.clientes_nuevos;
        t.3 += l.kpis.cancelados;
        t.4 += 1;
    }
    totals
}

fn ticket(revenue: i64, orders: i64) -> i64 {
    if orders > 0 { revenue / orders } else { 0 }
}

/// The combined report's text, HTML, Telegram summary, per-currency charts and CSV.
pub fn render(period: Period, lines: &[Line]) -> Result<Outgoing, AppError> {
    let mut ranges: Vec<&str> = lines.iter().map(|l| l.range.as_str()).collect();
    ranges.dedup();
    let subject = format!(
        "Reporte {} — todas las marcas — {}",
        period.label(),
        ranges.join(" / ")
    );
    let mut text = format!("{subject}\n\n");
    let mut html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><h1>{}</h1>\
         <table cellpadding=\"4\"><tr><th align=\"left\">Marca</th><th>Moneda</th><th>Pedidos</th>\
         <th>Ingresos</th><th>Ticket promedio</th><th>Clientes nuevos</th><th>Cancelados</th></tr>",
        esc(&subject)
    );
    let mut tg = format!("<b>{}</b>\n", esc(&subject));
    for l in lines {
        let (k, cur) = (&l.kpis, l.brand.moneda.as_str());
        text.push_str(&format!(
            "{} ({cur}): pedidos {} · ingresos {} · ticket promedio {} · clientes nuevos {} · cancelados {}\n",
            l.brand.nombre,
            k.pedidos,
            money(k.ingresos, cur),
            money(k.ticket_promedio, cur),
            k.clientes_nuevos,
            k.cancelados
        ));
        html.push_str(&format!(
            "<tr><th align=\"left\">{}</th><td>{cur}</td><td align=\"right\">{}</td><td align=\"right\">{}</td>\
             <td align=\"right\">{}</td><td align=\"right\">{}</td><td align=\"right\">{}</td></tr>",
            esc(&l.brand.nombre),
            k.pedidos,
            esc(&money(k.ingresos, cur)),
            esc(&money(k.ticket_promedio, cur)),
            k.clientes_nuevos,
            k.cancelados
        ));
        tg.push_str(&format!(
            "\n<b>{}</b> ({cur})\nPedidos: <b>{}</b> · Ingresos: <b>{}</b>\nClientes nuevos: {} · Cancelados: {}\n",
            esc(&l.brand.nombre),
            k.pedidos,
            esc(&money(k.ingresos, cur)),
            k.clientes_nuevos,
            k.cancelados
        ));
    }
    let totals = per_currency(lines);
    text.push_str("\nTotales por moneda:\n");
    tg.push_str("\n<b>Totales por moneda</b>\n");
    for (cur, (orders, revenue, new, cancelled, brands)) in &totals {
        let m = |v: i64| money(v, cur);
        let brands = if *brands == 1 {
            "1 marca".to_owned()
        } else {
            format!("{brands} marcas")
        };
        text.push_str(&format!(
            "{cur} ({brands}): pedidos {orders} · ingresos {} · ticket promedio {} · clientes nuevos {new} · cancelados {cancelled}\n",
            m(*revenue),
            m(ticket(*revenue, *orders))
        ));
        html.push_str(&format!(
            "<tr><th align=\"left\">Total {cur} ({brands})</th><td>{cur}</td><td align=\"right\">{orders}</td>\
             <td align=\"right\"><b>{}</b></td><td align=\"right\">{}</td><td align=\"right\">{new}</td><td align=\"right\">{cancelled}</td></tr>",
            esc(&m(*revenue)),
            esc(&m(ticket(*revenue, *orders)))
        ));
        tg.push_str(&format!(
            "{cur}: <b>{}</b> en {orders} pedidos ({brands})\n",
            esc(&m(*revenue))
        ));
    }
    let all = |f: fn(&Kpis) -> i64| lines.iter().map(|l| f(&l.kpis)).sum::<i64>();
    let (orders, new, cancelled) = (
        all(|k| k.pedidos),
        all(|k| k.clientes_nuevos),
        all(|k| k.cancelados),
    );
    text.push_str(&format!(
        "Todas las marcas: pedidos {orders} · clientes nuevos {new} · cancelados {cancelled} (los ingresos no se suman entre monedas)\n"
    ));
    html.push_str(&format!(
        "<tr><th align=\"left\">Todas las marcas</th><td></td><td align=\"right\">{orders}</td><td>—</td><td>—</td>\
         <td align=\"right\">{new}</td><td align=\"right\">{cancelled}</td></tr></table>"
    ));
    tg.push_str(&format!(
        "Todas: {orders} pedidos · {new} clientes nuevos · {cancelled} cancelados\n"
    ));
    let mut pictures = Vec::new();
    for cur in totals.keys() {
        let items: Vec<(String, f64)> = lines
            .iter()
            .filter(|l| &l.brand.moneda == cur)
            .map(|l| (l.brand.nombre.clone(), l.kpis.ingresos as f64))
            .collect();
        let title = format!("Ingresos por marca ({cur})");
        let svg = charts::bars(&title, &items, &|v| {
            crate::web::decimal(v.round() as i64, cur)
        });
        pictures.push(Picture {
            name: format!("ingresos-{}", cur.to_ascii_lowercase()),
            title,
            png: crate::analytics::png::render(&svg)?,
        });
    }
    if !pictures.is_empty() {
        text.push_str("\n(Los gráficos van en la versión HTML de este correo.)\n");
        html.push_str(&super::render::images_html(&pictures));
    }
    html.push_str("<p style=\"color:#666\">Autónomo</p></body></html>");
    Ok(Outgoing {
        subject,
        text,
        html,
        telegram: tg,
        pictures,
        csv: Some((format!("marcas-{}.csv", period.label()), csv(lines)?)),
    })
}

/// One row per brand; money in minor units of the row's `moneda`. Written like every other
/// CSV export (BOM for spreadsheets, formula-looking cells neutralised).
fn csv(lines: &[Line]) -> Result<Vec<u8>, AppError> {
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            let k = &l.kpis;
            vec![
                l.brand.slug.to_string(),
                l.brand.nombre.clone(),
                l.brand.moneda.clone(),
                l.range.clone(),
                k.pedidos.to_string(),
                k.ingresos.to_string(),
                k.ticket_promedio.to_string(),
                k.clientes_nuevos.to_string(),
                k.cancelados.to_string(),
            ]
        })
        .collect();
    crate::web::csvkit::write(
        &[
            "marca",
            "nombre",
            "moneda",
            "periodo",
            "pedidos",
            "ingresos",
            "ticket_promedio",
            "clientes_nuevos",
            "cancelados",
        ],
        &rows,
    )
}

/// Computes every active brand's KPIs and sends the combined report to the owner-level
/// recipients. A brand whose figures cannot be read is left out and reported as a failure.
pub async fn send_all(
    registry: &Registry,
    channels: &Channels,
    period: Period,
    now: i64,
) -> Result<String, AppError> {
    let to_whom = registry.control().read(recipients).await?;
    if to_whom.is_empty() {
        return Ok("sin destinatarios / no recipients".into());
    }
    let (mut lines, mut errors) = (Vec::new(), Vec::new());
    for brand in registry.list(false).await? {
        let (from, to) = period.range(brand.tz(), now);
        let figures = match registry.tenant(&brand.slug).await {
            Ok(t) => t.db().read(move |c| kpis::compute(c, from, to)).await,
            Err(e) => Err(e),
        };
        match figures {
            Ok(k) => {
                let range = match period {
                    Period::Daily => day(from, &brand),
                    Period::Weekly => format!("{} – {}", day(from, &brand), day(to - 1, &brand)),
                };
                lines.push(Line {
                    brand,
                    range,
                    kpis: k,
                });
            }
            Err(e) => errors.push(format!("{}: {e}", brand.slug)),
        }
    }
    let out = tokio::task::spawn_blocking(move || render(period, &lines))
        .await
        .map_err(|e| AppError::internal(format!("report task: {e}")))??;
    let (sent, mut failures) = deliver::deliver(channels, &to_whom, &out).await;
    errors.append(&mut failures);
    super::outcome(period, sent, errors)
}

fn job(ctx: crate::scheduler::JobCtx, period: Period) -> crate::scheduler::JobFuture {
    Box::pin(async move {
        let channels = Channels::from_config(&ctx.notify)?;
        send_all(&ctx.registry, &channels, period, crate::time::now_ms()).await
    })
}

pub fn daily_job(ctx: crate::scheduler::JobCtx) -> crate::scheduler::JobFuture {
    job(ctx, Period::Daily)
}

pub fn weekly_job(ctx: crate::scheduler::JobCtx) -> crate::scheduler::JobFuture {
    job(ctx, Period::Weekly)
}
