//! The page shell every screen shares: the logged-in person ([`Ui`]), the brand being
//! worked in ([`UiBrand`], opened through the same [`TenantCtx`] check as the API), the
//! layout's context (language, CSRF token, brand switcher, navigation by role), and the
//! middleware that turns errors into pages people can read.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use crate::app::AppState;
use crate::auth::sessions::Session;
use crate::auth::{Access, Caller, Role};
use crate::error::{AppError, Lang, Problem};
use crate::tenants::{Brand, Slug, TenantCtx};

/// A request from a logged-in staff member. Missing session → redirect to the login page.
#[derive(Clone)]
pub struct Ui {
    pub session: Session,
    pub caller: Caller,
    /// The page's own path and query, so forms (language switch) can come back to it.
    pub path: String,
}

impl FromRequestParts<AppState> for Ui {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, AppError> {
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or(AppError::Unauthenticated)?;
        let caller = session.user.caller();
        crate::db::functions::set_task_actor(caller.actor());
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        Ok(Ui {
            session,
            caller,
            path,
        })
    }
}

impl Ui {
    pub fn lang(&self) -> &str {
        if self.session.user.lang == "en" {
            "en"
        } else {
            "es"
        }
    }

    pub fn role(&self) -> Role {
        self.session.user.role
    }

    /// Opens `slug` for this person with `access`: the one brand check the API also uses.
    pub async fn brand(
        &self,
        state: &AppState,
        slug: &str,
        access: Access,
    ) -> Result<UiBrand, AppError> {
        let slug = Slug::parse(slug).map_err(|_| AppError::NotFound("marca"))?;
        let tenant = TenantCtx::open(&state.registry, &self.caller, &slug, access).await?;
        Ok(UiBrand {
            ui: self.clone(),
            tenant,
        })
    }

    /// The brands this person may switch to.
    pub async fn brands(&self, state: &AppState) -> Result<Vec<Brand>, AppError> {
        Ok(state
            .registry
            .list(false)
            .await?
            .into_iter()
            .filter(|b| self.caller.may_see(&b.slug))
            .collect())
    }

    /// The layout's context without a current brand.
    pub async fn base(&self, state: &AppState) -> Result<Value, AppError> {
        let user = &self.session.user;
        let brands: Vec<Value> = self
            .brands(state)
            .await?
            .iter()
            .map(|b| context! { slug => b.slug.as_str(), nombre => &b.nombre })
            .collect();
        Ok(context! {
            lang => self.lang(),
            csrf => &self.session.csrf,
            request_path => &self.path,
            user => context! { email => &user.email, nombre => &user.name, rol => user.role.as_str() },
            brands => brands,
            can_write => self.caller.allows(Access::Write),
            can_admin => self.caller.allows(Access::Admin),
        })
    }
}

/// A brand page: the person plus the brand, already checked.
pub struct UiBrand {
    pub ui: Ui,
    pub tenant: TenantCtx,
}

impl UiBrand {
    pub fn slug(&self) -> &Slug {
        self.tenant.slug()
    }

    pub fn brand(&self) -> Brand {
        self.tenant.brand()
    }

    pub fn can(&self, access: Access) -> bool {
        self.ui.caller.allows(access)
    }

    /// An amount typed in a form (`12.50`, `12,50`, `S/ 12.50`) as minor units of the brand's
    /// currency; a validation error on `field` for anything else or a negative amount.
    pub fn amount(&self, field: &str, text: &str) -> Result<i64, AppError> {
        crate::web::parse_money(text, &self.brand().moneda)
            .filter(|m| *m >= 0)
            .ok_or_else(|| {
                AppError::validation(
                    field,
                    "invalid_amount",
                    crate::error::msg("Monto inválido; p. ej. 12.50", "Invalid amount; e.g. 12.50"),
                )
            })
    }

    /// Renders a full page of this brand: the layout's context, the brand, then `extra`.
    pub async fn page(
        &self,
        state: &AppState,
        template: &str,
        section: &str,
        extra: Value,
    ) -> Result<Html<String>, AppError> {
        let base = self.ui.base(state).await?;
        let b = self.brand();
        let own = context! {
            section => section,
            brand => context! { slug => b.slug.as_str(), nombre => &b.nombre, moneda => &b.moneda,
                zona_horaria => &b.zona_horaria, pais => &b.pais, idioma => &b.idioma },
        };
        // Earlier maps win: the page's own values, then the handler's, then the layout's.
        super::render(template, minijinja::value::merge_maps([own, extra, base]))
    }

    /// Renders a fragment (an htmx swap) with the same variables a page has.
    pub fn fragment(&self, template: &str, extra: Value) -> Result<Html<String>, AppError> {
        let b = self.brand();
        let ctx = context! {
            lang => self.ui.lang(),
            csrf => &self.ui.session.csrf,
            can_write => self.can(Access::Write),
            can_admin => self.can(Access::Admin),
            brand => context! { slug => b.slug.as_str(), nombre => &b.nombre, moneda => &b.moneda,
                zona_horaria => &b.zona_horaria },
            ..extra
        };
        super::render(template, ctx)
    }
}

/// True when htmx made the request (it wants a fragment, not a page).
pub fn is_htmx(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// A redirect after a successful form post (303, so a reload does not post again); htmx
/// requests get `HX-Redirect` instead, which it follows as a full navigation.
pub fn see_other(headers: &axum::http::HeaderMap, to: &str) -> Response {
    if is_htmx(headers) {
        let mut r = StatusCode::NO_CONTENT.into_response();
        if let Ok(v) = HeaderValue::from_str(to) {
            r.headers_mut().insert("hx-redirect", v);
        }
        r
    } else {
        Redirect::to(to).into_response()
    }
}

/// The text of an error caused by what was typed (invalid field, conflict, unknown record)
/// in the person's language, so a form can be shown again with it; `None` for errors that
/// are not the input's fault (permissions, storage), which become the error page.
pub fn input_error(e: &AppError, lang: &str) -> Option<String> {
    if !matches!(
        e,
        AppError::Validation(_)
            | AppError::BadRequest(_)
            | AppError::Conflict { .. }
            | AppError::NotFound(_)
    ) {
        return None;
    }
    let json = e
        .problem()
        .to_json(if lang == "en" { Lang::En } else { Lang::Es });
    let fields: Vec<&str> = json["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["message"].as_str()).collect())
        .unwrap_or_default();
    Some(if fields.is_empty() {
        json["detail"].as_str().unwrap_or("").to_string()
    } else {
        fields.join(" ")
    })
}

/// Middleware for browser pages: an error becomes a readable page in the person's language
/// (a short message for htmx, which shows it as a toast); no session → the login page.
pub async fn html_errors(req: Request, next: Next) -> Response {
    let lang = match req.extensions().get::<Session>() {
        Some(s) if s.user.lang == "en" => Lang::En,
        Some(_) => Lang::Es,
        None => Lang::from_headers(req.headers()),
    };
    let htmx = is_htmx(req.headers());
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let get = req.method() == axum::http::Method::GET;
    let response = next.run(req).await;
    let Some(problem) = response.extensions().get::<Problem>().cloned() else {
        return response;
    };
    if problem.status == StatusCode::UNAUTHORIZED {
        let to = if get && !htmx {
            format!("/login?next={}", encode_next(&path))
        } else {
            "/login".to_string()
        };
        return see_other_status(htmx, &to);
    }
    let json = problem.to_json(lang);
    let title = json["title"].as_str().unwrap_or("").to_string();
    let detail = json["detail"].as_str().unwrap_or("").to_string();
    let errors: Vec<String> = json["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["message"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut resp = if htmx {
        let text = std::iter::once(detail.clone())
            .chain(errors.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        Html(format!("<p>{}</p>", minijinja::HtmlEscape(&text))).into_response()
    } else {
        let ctx = context! { lang => lang.code(), title, detail, errors, status => problem.status.as_u16() };
        match super::render("error.html", ctx) {
            Ok(html) => html.into_response(),
            Err(_) => super::html_status(problem.status, &detail),
        }
    };
    *resp.status_mut() = problem.status;
    if let Some(secs) = problem.retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

fn see_other_status(htmx: bool, to: &str) -> Response {
    if htmx {
        let mut r = StatusCode::UNAUTHORIZED.into_response();
        if let Ok(v) = HeaderValue::from_str(to) {
            r.headers_mut().insert("hx-redirect", v);
        }
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        r
    } else {
        Redirect::to(to).into_response()
    }
}

/// Percent-encodes a local path for `?next=`.
fn encode_next(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Only a local absolute path is followed after login, so `?next=` cannot send people away.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let n = next?;
    (n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && !n.contains("://"))
        .then(|| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_local() {
        assert_eq!(safe_next(Some("/m/x")).as_deref(), Some("/m/x"));
        assert_eq!(safe_next(Some("//evil.com")), None);
        assert_eq!(safe_next(Some("https://evil.com")), None);
        assert_eq!(safe_next(Some("/\\evil.com")), None);
        assert_eq!(encode_next("/m/a?q=b c"), "/m/a%3Fq%3Db%20c");
    }
}
