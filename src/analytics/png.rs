//! Charts as PNG: the SVG strings of [`super::charts`] rasterised in-process (resvg, pure
//! Rust) for the dashboard's PNG export, the e-mail reports' inline images and Telegram's
//! sendPhoto. Text is shaped with one font embedded in the binary (Go Regular, BSD licence
//! beside it in assets/fonts/) and system fonts are never loaded, so a chart renders the
//! same pixels on every machine, with or without fonts installed.

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia::{Color, Pixmap, Transform};
use resvg::usvg::{self, fontdb};

use crate::error::AppError;

/// The embedded font (see assets/fonts/LICENSE-Go-Regular.txt).
static FONT: &[u8] = include_bytes!("../../assets/fonts/Go-Regular.ttf");
/// Its family name, which every family the charts ask for resolves to.
pub const FONT_FAMILY: &str = "Go";
/// Pixels per SVG unit: charts are drawn at twice their SVG size so they stay sharp on
/// phones and high-density screens.
pub const SCALE: f32 = 2.0;
/// Largest side of a PNG, in pixels; bigger charts are scaled down to fit.
const MAX_SIDE: f32 = 4096.0;

/// The font database, parsed once: only the embedded face, named for every generic family
/// (`system-ui, sans-serif` in the charts falls through to sans-serif).
fn fonts() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_font_data(FONT.to_vec());
        db.set_sans_serif_family(FONT_FAMILY);
        db.set_serif_family(FONT_FAMILY);
        db.set_monospace_family(FONT_FAMILY);
        db.set_cursive_family(FONT_FAMILY);
        db.set_fantasy_family(FONT_FAMILY);
        Arc::new(db)
    })
    .clone()
}

/// The chart's pixel size for an SVG of `w` × `h` units.
fn pixel_size(w: f32, h: f32) -> (u32, u32, f32) {
    let scale = SCALE.min(MAX_SIDE / w.max(1.0)).min(MAX_SIDE / h.max(1.0));
    let px = |v: f32| ((v * scale).round() as u32).max(1);
    (px(w), px(h), scale)
}

/// Rasterises one chart SVG to PNG bytes on a white background (mail clients in dark mode
/// would otherwise show dark text on dark). Fails only on an SVG that does not parse, which
/// for the charts module's output is a bug.
pub fn render(svg: &str) -> Result<Vec<u8>, AppError> {
    let options = usvg::Options {
        font_family: FONT_FAMILY.to_owned(),
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options)
        .map_err(|e| AppError::internal(format!("chart SVG: {e}")))?;
    let size = tree.size();
    let (w, h, scale) = pixel_size(size.width(), size.height());
    let mut pixmap =
        Pixmap::new(w, h).ok_or_else(|| AppError::internal("chart size out of range"))?;
    pixmap.fill(Color::WHITE);
    resvg::render(
        &tree,
        Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| AppError::internal(format!("PNG: {e}")))
}

/// The pixel size `render` gives an SVG of `w` × `h` units (for callers that lay out
/// `<img width height>`).
pub fn size_for(w: u32, h: u32) -> (u32, u32) {
    let (w, h, _) = pixel_size(w as f32, h as f32);
    (w, h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::charts::{self, Series};

    /// Decodes with the `png` crate (not the encoder's own code): width, height, RGBA bytes.
    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .expect("PNG header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("PNG frame");
        buf.truncate(info.buffer_size());
        assert_eq!(info.color_type, png::ColorType::Rgba);
        (info.width, info.height, buf)
    }

    fn non_white(rgba: &[u8]) -> usize {
        rgba.chunks(4)
            .filter(|p| p[0] < 250 || p[1] < 250 || p[2] < 250)
            .count()
    }

    #[test]
    fn a_line_chart_becomes_a_png_of_twice_its_size_with_ink() {
        let svg = charts::line(
            "Ingresos por día",
            &["11-20".into(), "11-21".into(), "11-22".into()],
            &[Series {
                name: "Ingresos".into(),
                values: vec![100.0, 300.0, 200.0],
            }],
            &|v| format!("S/ {v:.0}"),
        );
        let (w, h, rgba) = decode(&render(&svg).unwrap());
        assert_eq!((w, h), (1280, 480));
        assert_eq!(size_for(640, 240), (1280, 480));
        let ink = non_white(&rgba);
        assert!(ink > 2_000, "lines and labels drawn: {ink} pixels");
        // The line's colour (Okabe–Ito blue #0072B2) is there.
        assert!(
            rgba.chunks(4)
                .any(|p| p[0] < 20 && (100..130).contains(&p[1]) && p[2] > 160)
        );
    }

    #[test]
    fn text_is_drawn_with_the_embedded_font() {
        // Same bars, only the labels differ: if no font were found the text would vanish and
        // both pictures would be identical.
        let a = charts::bars("x", &[("Pollo broaster".into(), 5.0)], &|v| format!("{v}"));
        let b = charts::bars("x", &[("Ñ".into(), 5.0)], &|v| format!("{v}"));
        let (pa, pb) = (render(&a).unwrap(), render(&b).unwrap());
        let (_, _, ra) = decode(&pa);
        let (_, _, rb) = decode(&pb);
        assert!(
            non_white(&ra) > non_white(&rb) + 100,
            "longer label, more ink"
        );
        // Deterministic: the same SVG gives the same bytes.
        assert_eq!(render(&a).unwrap(), pa);
    }

    #[test]
    fn every_chart_kind_renders_and_bad_svg_is_an_error() {
        let donut = charts::donut("Seg", &[("vip".into(), 2.0), ("nuevo".into(), 3.0)]);
        let (w, h, rgba) = decode(&render(&donut).unwrap());
        assert_eq!((w, h), (840, 400));
        assert!(non_white(&rgba) > 10_000);
        let hm = charts::heatmap(
            "RFM",
            &["R5".into()],
            &["F1".into(), "F2".into()],
            &[vec![Some(1.0), Some(0.2)]],
            &[vec!["3".into(), "1".into()]],
        );
        assert!(non_white(&decode(&render(&hm).unwrap()).2) > 1_000);
        assert!(render("<svg").is_err());
        assert!(render("no es svg").is_err());
        // A huge chart is scaled down rather than allocating gigabytes.
        assert_eq!(size_for(10_000, 100), (4096, 41));
    }
}
