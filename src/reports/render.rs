//! A report as text: the e-mail's plain-text and HTML parts (showing the charts by `cid:`)
//! and the Telegram HTML message.

use super::deliver::Picture;
use super::kpis::{CampaignLine, Kpis, Period};
use crate::tenants::Brand;
use crate::web::money;

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub telegram: String,
}

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn day(ms: i64, brand: &Brand) -> String {
    crate::time::format_in(ms, brand.tz())
        .chars()
        .take(10)
        .collect()
}

/// The charts as `<img>` tags referring to the mail's inline parts, at their SVG size (the
/// PNGs are drawn at twice that, for sharp screens).
pub(crate) fn images_html(pictures: &[Picture]) -> String {
    let mut html = String::new();
    for p in pictures {
        let (w, h) = png_size(&p.png);
        html.push_str(&format!(
            "<p><img src=\"cid:{}\" alt=\"{}\" width=\"{}\" height=\"{}\" style=\"max-width:100%;height:auto\"></p>",
            esc(&p.content_id()),
            esc(&p.title),
            w / 2,
            h / 2
        ));
    }
    html
}

/// Width and height from a PNG's IHDR (bytes 16..24); 0 × 0 if it is not one.
fn png_size(png: &[u8]) -> (u32, u32) {
    let be = |r: std::ops::Range<usize>| {
        png.get(r)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
            .unwrap_or(0)
    };
    (be(16..20), be(20..24))
}

/// One campaign's results, with its cost and ROI when the brand has entered its rate.
fn campaign_line(c: &CampaignLine, m: &dyn Fn(i64) -> String) -> String {
    let mut line = format!(
        "{}: {} destinatarios, {} entregados, {} pedidos, {}",
        c.nombre,
        c.destinatarios,
        c.entregados,
        c.pedidos,
        m(c.ingresos)
    );
    if let Some(r) = &c.retorno {
        line.push_str(&format!(", costo {}", m(r.costo)));
        if let Some(roi) = r.roi {
            line.push_str(&format!(", ROI {:.1} %", 100.0 * roi));
        }
    }
    line
}

pub fn render(brand: &Brand, period: Period, k: &Kpis, pictures: &[Picture]) -> Rendered {
    let m = |v: i64| money(v, &brand.moneda);
    let range = match period {
        Period::Daily => day(k.desde, brand),
        // `hasta` is exclusive: the last day shown is the day before.
        Period::Weekly => format!("{} – {}", day(k.desde, brand), day(k.hasta - 1, brand)),
    };
    let subject = format!("Reporte {} — {} — {range}", period.label(), brand.nombre);
    let lines = [
        ("Pedidos", k.pedidos.to_string()),
        ("Ingresos", m(k.ingresos)),
        ("Ticket promedio", m(k.ticket_promedio)),
        ("Clientes nuevos", k.clientes_nuevos.to_string()),
        ("Cancelados", k.cancelados.to_string()),
    ];
    let mut text = format!("{subject}\n\n");
    let mut html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><h1>{}</h1><table>",
        esc(&subject)
    );
    let mut tg = format!("<b>{}</b>\n\n", esc(&subject));
    for (label, value) in &lines {
        text.push_str(&format!("{label}: {value}\n"));
        html.push_str(&format!(
            "<tr><th align=\"left\">{label}</th><td>{}</td></tr>",
            esc(value)
        ));
        tg.push_str(&format!("{label}: <b>{}</b>\n", esc(value)));
    }
    html.push_str("</table>");
    if !k.top_productos.is_empty() {
        text.push_str("\nProductos más vendidos:\n");
        html.push_str("<h2>Productos más vendidos</h2><ol>");
        tg.push_str("\n<b>Productos más vendidos</b>\n");
        for (i, p) in k.top_productos.iter().enumerate() {
            let line = format!("{} × {} — {}", p.cantidad, p.nombre, m(p.ingresos));
            text.push_str(&format!("{}. {line}\n", i + 1));
            html.push_str(&format!("<li>{}</li>", esc(&line)));
            tg.push_str(&format!("{}. {}\n", i + 1, esc(&line)));
        }
        html.push_str("</ol>");
    }
    if !k.campanas.is_empty() {
        text.push_str("\nCampañas:\n");
        html.push_str("<h2>Campañas</h2><ul>");
        tg.push_str("\n<b>Campañas</b>\n");
        for c in &k.campanas {
            let line = campaign_line(c, &m);
            text.push_str(&format!("- {line}\n"));
            html.push_str(&format!("<li>{}</li>", esc(&line)));
            tg.push_str(&format!("• {}\n", esc(&line)));
        }
        html.push_str("</ul>");
    }
    if !pictures.is_empty() {
        text.push_str("\n(Los gráficos van en la versión HTML de este correo.)\n");
        html.push_str(&images_html(pictures));
    }
    html.push_str("<p style=\"color:#666\">Autónomo</p></body></html>");
    Rendered {
        subject,
        text,
        html,
        telegram: tg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaigns::cost::Return;

    #[test]
    fn a_campaign_line_adds_cost_and_roi_only_with_a_rate() {
        let m = |v: i64| money(v, "PEN");
        let mut c = CampaignLine {
            nombre: "Martes".into(),
            destinatarios: 10,
            entregados: 8,
            pedidos: 2,
            ingresos: 9160,
            retorno: None,
        };
        assert_eq!(
            campaign_line(&c, &m),
            "Martes: 10 destinatarios, 8 entregados, 2 pedidos, S/ 91.60"
        );
        c.retorno = Some(Return {
            precio_por_mil: 2600,
            mensajes_cobrados: 8,
            costo: 21,
            roi: Some((9160.0 - 21.0) / 21.0),
        });
        assert_eq!(
            campaign_line(&c, &m),
            "Martes: 10 destinatarios, 8 entregados, 2 pedidos, S/ 91.60, costo S/ 0.21, ROI 43519.0 %"
        );
    }
}
