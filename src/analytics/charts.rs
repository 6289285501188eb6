//! Charts as SVG strings: line, horizontal bars, donut and heat map. Pure functions from
//! numbers to markup — no database, no JavaScript, no fonts to fetch — so the dashboard,
//! e-mail reports and Telegram (after rasterising) draw the same pictures offline and under
//! a strict CSP (colours are presentation attributes, never `style`).

use std::fmt::Write as _;

/// Colours for series and slices, in order (colour-blind friendly, Okabe–Ito).
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
];

/// Text safe inside SVG/XML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn open(w: u32, h: u32, title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" \
         aria-label=\"{t}\" class=\"chart\" font-family=\"system-ui, sans-serif\" font-size=\"11\"><title>{t}</title>",
        t = escape(title)
    )
}

/// One named line of a line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

fn finite(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

/// A line chart over `labels` (x axis, shown sparsely) with every series scaled to the
/// common maximum; `fmt` writes axis values (e.g. money).
pub fn line(
    title: &str,
    labels: &[String],
    series: &[Series],
    fmt: &dyn Fn(f64) -> String,
) -> String {
    let (w, h, left, right, top, bottom) = (640.0, 240.0, 56.0, 12.0, 24.0, 28.0);
    let mut s = open(w as u32, h as u32, title);
    let n = labels.len().max(1);
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied().map(finite))
        .fold(0.0f64, f64::max);
    let max = if max > 0.0 { max } else { 1.0 };
    let x = |i: usize| {
        left + (w - left - right)
            * if n > 1 {
                i as f64 / (n - 1) as f64
            } else {
                0.5
            }
    };
    let y = |v: f64| top + (h - top - bottom) * (1.0 - finite(v) / max);
    for k in 0..=4 {
        let v = max * f64::from(k) / 4.0;
        let _ = write!(
            s,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555\">{}</text>",
            w - right,
            left - 4.0,
            y(v) + 4.0,
            escape(&fmt(v)),
            y = y(v)
        );
    }
    let step = (n / 6).max(1);
    for (i, label) in labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0 || *i == n - 1)
    {
        // The last label ends at the right edge rather than being cut in half by it.
        let anchor = if n > 1 && i == n - 1 { "end" } else { "middle" };
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"{anchor}\" fill=\"#555\">{}</text>",
            x(i),
            h - 8.0,
            escape(label)
        );
    }
    for (k, ser) in series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let points: Vec<String> = ser
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"><title>{}</title></polyline>",
            points.join(" "),
            escape(&ser.name)
        );
        let _ = write!(
            s,
            "<rect x=\"{}\" y=\"6\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{}\" y=\"15\">{}</text>",
            left + 120.0 * k as f64,
            left + 14.0 + 120.0 * k as f64,
            escape(&ser.name)
        );
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars, one per (label, value), longest = largest; `fmt` writes the values.
pub fn bars(title: &str, items: &[(String, f64)], fmt: &dyn Fn(f64) -> String) -> String {
    let row = 22.0;
    let (w, label_w, value_w) = (480.0, 150.0, 90.0);
    let h = (row * items.len().max(1) as f64 + 8.0).round();
    let mut s = open(w as u32, h as u32, title);
    let max = items.iter().map(|i| finite(i.1)).fold(0.0f64, f64::max);
    let max = if max > 0.0 { max } else { 1.0 };
    for (i, (label, v)) in items.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let len = (w - label_w - value_w) * finite(*v).max(0.0) / max;
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{len:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#333\">{}</text>",
            label_w - 6.0,
            y + 14.0,
            escape(label),
            row - 6.0,
            PALETTE[0],
            escape(label),
            escape(&fmt(*v)),
            label_w + len + 4.0,
            y + 14.0,
            escape(&fmt(*v))
        );
    }
    s.push_str("</svg>");
    s
}

/// A donut of (label, value) slices with a legend; zero and negative slices are left out.
pub fn donut(title: &str, slices: &[(String, f64)]) -> String {
    let (w, h, cx, cy, r, inner) = (420.0, 200.0, 100.0, 100.0, 84.0, 50.0);
    let mut s = open(w as u32, h as u32, title);
    let total: f64 = slices.iter().map(|x| finite(x.1).max(0.0)).sum();
    if total <= 0.0 {
        let _ = write!(
            s,
            "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"{r}\" fill=\"#eee\"/><circle cx=\"{cx}\" cy=\"{cy}\" r=\"{inner}\" fill=\"#fff\"/>"
        );
    }
    let mut angle = -std::f64::consts::FRAC_PI_2;
    let mut legend = 0;
    for (k, (label, v)) in slices.iter().enumerate() {
        let v = finite(*v).max(0.0);
        if v <= 0.0 || total <= 0.0 {
            continue;
        }
        let colour = PALETTE[k % PALETTE.len()];
        let share = v / total;
        let tip = format!("{}: {} ({:.0} %)", label, v, share * 100.0);
        if share >= 0.9999 {
            let _ = write!(
                s,
                "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"{r}\" fill=\"{colour}\"><title>{}</title></circle>",
                escape(&tip)
            );
        } else {
            let end = angle + share * std::f64::consts::TAU;
            let large = i32::from(share > 0.5);
            let p = |a: f64, rad: f64| (cx + rad * a.cos(), cy + rad * a.sin());
            let (x1, y1) = p(angle, r);
            let (x2, y2) = p(end, r);
            let _ = write!(
                s,
                "<path d=\"M{cx},{cy} L{x1:.2},{y1:.2} A{r},{r} 0 {large} 1 {x2:.2},{y2:.2} Z\" fill=\"{colour}\"><title>{}</title></path>",
                escape(&tip)
            );
            angle = end;
        }
        let ly = 20.0 + 20.0 * f64::from(legend);
        let _ = write!(
            s,
            "<rect x=\"210\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"228\" y=\"{:.1}\">{} · {}</text>",
            ly - 10.0,
            ly,
            escape(label),
            v
        );
        legend += 1;
    }
    if total > 0.0 {
        let _ = write!(
            s,
            "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"{inner}\" fill=\"#fff\"/>"
        );
    }
    let _ = write!(
        s,
        "<text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"16\">{}</text>",
        cy + 5.0,
        total
    );
    s.push_str("</svg>");
    s
}

/// A heat map: `cells[row][col]` shade from 0 (white) to 1 (full colour), `None` for no
/// cell (the empty corner of a cohort triangle); `text[row][col]` is written in the cell.
pub fn heatmap(
    title: &str,
    rows: &[String],
    cols: &[String],
    cells: &[Vec<Option<f64>>],
    text: &[Vec<String>],
) -> String {
    let (cw, ch, left, top) = (44.0, 22.0, 70.0, 20.0);
    let w = left + cw * cols.len().max(1) as f64 + 4.0;
    let h = top + ch * rows.len().max(1) as f64 + 4.0;
    let mut s = open(w.round() as u32, h.round() as u32, title);
    for (j, c) in cols.iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"14\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
            left + cw * j as f64 + cw / 2.0,
            escape(c)
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + ch * i as f64;
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555\">{}</text>",
            left - 6.0,
            y + 15.0,
            escape(r)
        );
        for (j, v) in cells
            .get(i)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let Some(v) = v else { continue };
            let v = finite(*v).clamp(0.0, 1.0);
            let x = left + cw * j as f64;
            let label = text
                .get(i)
                .and_then(|t| t.get(j))
                .map(String::as_str)
                .unwrap_or("");
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\" fill-opacity=\"{:.3}\" stroke=\"#fff\"><title>{} · {}: {}</title></rect>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{}\">{}</text>",
                cw,
                ch,
                PALETTE[0],
                0.08 + 0.92 * v,
                escape(r),
                escape(cols.get(j).map(String::as_str).unwrap_or("")),
                escape(label),
                x + cw / 2.0,
                y + 15.0,
                if v > 0.55 { "#fff" } else { "#222" },
                escape(label)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(v: f64) -> String {
        format!("{v:.0}")
    }

    #[test]
    fn charts_are_svg_with_escaped_text_and_no_style() {
        let l = line(
            "Ventas <hoy>",
            &["a".into(), "b".into(), "c".into()],
            &[Series {
                name: "ingresos".into(),
                values: vec![1.0, 3.0, f64::NAN],
            }],
            &plain,
        );
        assert!(l.starts_with("<svg") && l.ends_with("</svg>"));
        assert!(l.contains("Ventas &lt;hoy&gt;") && !l.contains("<hoy>"));
        assert!(l.contains("<polyline") && !l.contains("NaN") && !l.contains("style="));
        assert!(
            l.contains("text-anchor=\"end\" fill=\"#555\">c</text>"),
            "{l}"
        );
        let b = bars(
            "Top",
            &[("Pollo & papas".into(), 10.0), ("Inca".into(), 5.0)],
            &plain,
        );
        assert_eq!(b.matches("<rect").count(), 2);
        assert!(b.contains("Pollo &amp; papas"));
        let d = donut(
            "Seg",
            &[
                ("vip".into(), 1.0),
                ("nuevo".into(), 3.0),
                ("cero".into(), 0.0),
            ],
        );
        assert_eq!(d.matches("<path").count(), 2);
        assert!(!d.contains("cero"));
        let one = donut("Seg", &[("todo".into(), 2.0)]);
        assert!(one.contains("<circle") && !one.contains("<path"));
        let empty = donut("Seg", &[]);
        assert!(empty.contains("#eee"));
        let hm = heatmap(
            "Cohortes",
            &["2024-01".into(), "2024-02".into()],
            &["0".into(), "1".into()],
            &[vec![Some(1.0), Some(0.5)], vec![Some(1.0), None]],
            &[vec!["100%".into(), "50%".into()], vec!["100%".into()]],
        );
        assert_eq!(
            hm.matches("<rect").count(),
            3,
            "no cell for the empty corner"
        );
    }
}
