//! Logging in and out, the home redirect and the language switch.
//!
//! The login form has its own CSRF token (a cookie and a hidden field that must match),
//! since there is no session yet; failures count per IP and per account.

use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::context;
use serde::Deserialize;

use super::ui::{Ui, safe_next};
use crate::app::AppState;
use crate::auth::ratelimit::{PER_ACCOUNT, PER_IP};
use crate::auth::sessions::{self, ABSOLUTE_MS, COOKIE};
use crate::auth::{Role, csrf, users};
use crate::error::{AppError, Lang};

const LOGIN_COOKIE: &str = "autonomo_login";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/idioma", post(set_language))
        .route("/m/{slug}", get(brand_home))
}

/// The first screen after login: the orders board of the first brand (dashboards for
/// analysts), or a page saying no brand is assigned yet.
async fn home(State(state): State<AppState>, ui: Ui) -> Result<Response, AppError> {
    let brands = ui.brands(&state).await?;
    match brands.first() {
        Some(b) => Ok(Redirect::to(&landing(&ui, b.slug.as_str())).into_response()),
        None => {
            let base = ui.base(&state).await?;
            Ok(super::render("no_brands.html", base)?.into_response())
        }
    }
}

fn landing(ui: &Ui, slug: &str) -> String {
    match ui.role() {
        Role::Analyst => format!("/m/{slug}/resumen"),
        _ => format!("/m/{slug}/pedidos"),
    }
}

async fn brand_home(
    State(state): State<AppState>,
    ui: Ui,
    axum::extract::Path(slug): axum::extract::Path<String>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, crate::auth::Access::Read).await?;
    Ok(Redirect::to(&landing(&ui, b.slug().as_str())).into_response())
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

fn page_lang(headers: &HeaderMap, asked: Option<&str>) -> &'static str {
    match asked {
        Some("en") => "en",
        Some("es") => "es",
        _ => Lang::from_headers(headers).code(),
    }
}

async fn login_page(parts: Parts, Query(q): Query<LoginQuery>) -> Result<Response, AppError> {
    let lang = page_lang(&parts.headers, q.lang.as_deref());
    render_login(
        &parts,
        lang,
        q.next.as_deref(),
        None,
        "",
        axum::http::StatusCode::OK,
    )
}

fn render_login(
    parts: &Parts,
    lang: &str,
    next: Option<&str>,
    error: Option<&str>,
    email: &str,
    status: axum::http::StatusCode,
) -> Result<Response, AppError> {
    let token = sessions::random_token();
    let html = super::render(
        "login.html",
        context! { lang, login_token => &token, next => safe_next(next), error, email },
    )?;
    let secure = sessions::is_https(&parts.headers, &parts.extensions);
    let mut resp = (status, html).into_response();
    let cookie = format!(
        "{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{}",
        if secure { "; Secure" } else { "" }
    );
    if let Ok(v) = cookie.parse() {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    clave: String,
    #[serde(default)]
    _login: String,
    next: Option<String>,
    lang: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    parts: Parts,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let lang = page_lang(&parts.headers, form.lang.as_deref());
    let expected = sessions::cookie(&parts.headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !csrf::same(&expected, &form._login) {
        return Err(csrf::refused());
    }
    let ip = sessions::client_ip(&parts.headers, &parts.extensions)
        .map(|ip| format!("ip:{ip}"))
        .unwrap_or_else(|| "ip:unknown".into());
    let account = format!("acct:{}", form.email.trim().to_lowercase());
    if let Err(wait) = state
        .login_limiter
        .check(&[(&account, PER_ACCOUNT), (&ip, PER_IP)])
    {
        return Err(AppError::RateLimited {
            retry_after_secs: wait,
        });
    }
    let user = users::verify(state.registry.control(), &form.email, &form.clave).await?;
    let Some(user) = user else {
        state.login_limiter.fail(&[&account, &ip]);
        tracing::warn!(%ip, "failed login");
        let msg = if lang == "en" {
            "Wrong e-mail or password."
        } else {
            "Correo o contraseña incorrectos."
        };
        return render_login(
            &parts,
            lang,
            form.next.as_deref(),
            Some(msg),
            &form.email,
            axum::http::StatusCode::UNAUTHORIZED,
        );
    };
    state.login_limiter.succeed(&account);
    let previous = sessions::cookie(&parts.headers, COOKIE);
    let token = sessions::start(state.registry.control(), user.id, previous).await?;
    let secure = sessions::is_https(&parts.headers, &parts.extensions);
    let to = safe_next(form.next.as_deref()).unwrap_or_else(|| "/".into());
    let mut resp = Redirect::to(&to).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        sessions::set_cookie(COOKIE, Some(&token), ABSOLUTE_MS / 1000, secure),
    );
    Ok(resp)
}

async fn logout(State(state): State<AppState>, parts: Parts, ui: Ui) -> Result<Response, AppError> {
    sessions::end(state.registry.control(), &ui.session).await?;
    let secure = sessions::is_https(&parts.headers, &parts.extensions);
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        sessions::set_cookie(COOKIE, None, 0, secure),
    );
    Ok(resp)
}

#[derive(Deserialize)]
struct LangForm {
    idioma: String,
    volver: Option<String>,
}

async fn set_language(
    State(state): State<AppState>,
    ui: Ui,
    Form(form): Form<LangForm>,
) -> Result<Response, AppError> {
    users::set_lang(state.registry.control(), ui.session.user.id, &form.idioma).await?;
    let to = safe_next(form.volver.as_deref()).unwrap_or_else(|| "/".into());
    Ok(Redirect::to(&to).into_response())
}
