//! Server-rendered pages: minijinja templates and static assets embedded in the binary, so
//! the UI and the API docs work with no internet. HTML templates are auto-escaped (every
//! `*.html` name), so a customer called `<script>` is shown, never run.

pub mod csvkit;
mod docs;
mod format;
pub mod i18n;
pub mod live;
mod login;
pub mod ui;

pub use format::{decimal, money, parse_money};
pub use ui::{Ui, UiBrand};

/// Minor-unit digits of a currency, for pages that compute totals in the browser.
pub fn format_minor_digits(currency: &str) -> u32 {
    format::minor_digits(currency)
}

/// The money pattern (`S/ {n}`) of a currency, for the browser.
pub fn money_pattern(currency: &str) -> String {
    format::pattern(currency)
}

use std::sync::OnceLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use minijinja::Environment;
use rust_embed::RustEmbed;

use crate::app::AppState;
use crate::error::AppError;

#[derive(RustEmbed)]
#[folder = "assets/templates/"]
struct Templates;

#[derive(RustEmbed)]
#[folder = "assets/static/"]
struct Static;

/// Pages that are not a brand's: login, language, home, docs and static files.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(login::router())
        .route("/docs", get(docs::page))
        .route("/api/openapi.json", get(docs::openapi_json))
        .route("/static/{*path}", get(static_file))
        .route(
            "/favicon.ico",
            get(|| static_file(Path("icon.svg".to_string()))),
        )
}

/// The template environment, built once; every embedded template is compiled on first use
/// of any, so a broken template fails loudly (and in the test below) rather than per page.
pub fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        configure(&mut env);
        for name in Templates::iter() {
            if let Some(file) = Templates::get(&name) {
                let source = String::from_utf8_lossy(&file.data).into_owned();
                if let Err(e) = env.add_template_owned(name.to_string(), source) {
                    tracing::error!(template = %name, error = %e, "template does not compile");
                }
            }
        }
        env
    })
}

/// Names of the embedded templates (for checks over all of them).
pub fn template_names() -> Vec<String> {
    Templates::iter().map(|n| n.to_string()).collect()
}

/// The source of an embedded template.
pub fn template_source(name: &str) -> Option<String> {
    Templates::get(name).map(|f| String::from_utf8_lossy(&f.data).into_owned())
}

/// Auto-escaping for `.html` (minijinja's default, stated here so it cannot drift), and the
/// helpers templates use: `t()` for the user's language, money and time in the brand's terms.
fn configure(env: &mut Environment<'static>) {
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") || name.ends_with(".svg") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
    env.add_function("t", i18n::t_function);
    env.add_filter("money", format::money_filter);
    env.add_filter("decimal", format::decimal_filter);
    env.add_filter("hora", format::time_filter);
    env.add_filter("fecha", format::datetime_filter);
    env.add_filter("hace", format::ago_filter);
}

/// Renders `name` with `context` as an HTML page.
pub fn render(name: &str, context: minijinja::Value) -> Result<Html<String>, AppError> {
    let template = templates().get_template(name).map_err(AppError::internal)?;
    template.render(context).map(Html).map_err(|e| {
        let mut detail = format!("{name}: {e:#}");
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            detail.push_str(&format!(" / {s}"));
            source = s.source();
        }
        AppError::internal(detail)
    })
}

async fn static_file(Path(path): Path<String>) -> Response {
    match Static::get(&path) {
        Some(file) => {
            let mime = mime_for(&path);
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, "public, max-age=3600"),
                ],
                file.data.into_owned(),
            )
                .into_response()
        }
        None => AppError::NotFound("archivo").into_response(),
    }
}

fn mime_for(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("json") => "application/json",
        Some("txt") | Some("md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Answers a status with a small HTML page (for browser-facing routes).
pub fn html_status(status: StatusCode, text: &str) -> Response {
    (
        status,
        Html(format!(
            "<!doctype html><title>{status}</title><p>{}</p>",
            minijinja::HtmlEscape(text)
        )),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let mut env = Environment::new();
        configure(&mut env);
        let mut count = 0;
        for name in Templates::iter() {
            let file = Templates::get(&name).unwrap();
            let source = String::from_utf8(file.data.into_owned()).unwrap();
            env.add_template_owned(name.to_string(), source)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            count += 1;
        }
        assert!(count > 0, "no templates embedded");
    }
}
