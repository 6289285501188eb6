//! Settings of a brand (owners and managers): its details, the staff who work in it, and
//! placeholders for the integrations later issues fill. Plus the summary page.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use minijinja::context;
use serde::Deserialize;

use super::summary;
use crate::app::AppState;
use crate::auth::Access;
use crate::auth::users::{self, NewUser, Role};
use crate::error::AppError;
use crate::tenants::BrandPatch;
use crate::web::ui::{Ui, UiBrand, see_other};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/m/{slug}/resumen", get(summary_page))
        .route("/m/{slug}/ajustes", get(settings).post(update_brand))
        .route("/m/{slug}/ajustes/usuarios", post(create_user))
        .route(
            "/m/{slug}/ajustes/usuarios/{id}/clave",
            post(reset_password),
        )
        .route("/m/{slug}/ajustes/usuarios/{id}/activo", post(toggle_user))
}

async fn summary_page(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Read).await?;
    let since = summary::start_of_today(b.brand().tz());
    let s = b.tenant.read(move |c| summary::today(c, since)).await?;
    let max = s.top.iter().map(|t| t.1).max().unwrap_or(1);
    b.page(
        &state,
        "settings/summary.html",
        "resumen",
        context! { s, max },
    )
    .await
}

#[derive(Deserialize, Default)]
struct SettingsQuery {
    hecho: Option<String>,
}

async fn render(
    state: &AppState,
    b: &UiBrand,
    flash: Option<&str>,
) -> Result<Html<String>, AppError> {
    let people = users::list(state.registry.control(), Some(b.slug().clone())).await?;
    let roles: Vec<&str> = Role::ALL
        .iter()
        .filter(|r| users::may_manage(&b.ui.caller, **r, std::slice::from_ref(b.slug())))
        .map(|r| r.as_str())
        .collect();
    let people: Vec<minijinja::Value> = people
        .iter()
        .map(|u| {
            let manageable = u.id != b.ui.session.user.id
                && users::may_manage(&b.ui.caller, u.role, &u.brands)
                && (u.role != Role::Owner || b.ui.role() == Role::Owner);
            context! { id => u.id, email => &u.email, nombre => &u.name, rol => u.role.as_str(),
            activo => u.active, manageable, yo => u.id == b.ui.session.user.id }
        })
        .collect();
    let integraciones = super::integrations::of_brand(state, b.slug()).await?;
    let ctx = context! { people, roles, flash, integraciones };
    b.page(state, "settings/index.html", "ajustes", ctx).await
}

async fn settings(
    State(state): State<AppState>,
    ui: Ui,
    Path(slug): Path<String>,
    Query(q): Query<SettingsQuery>,
) -> Result<Html<String>, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let flash = match q.hecho.as_deref() {
        Some("marca") => Some("Datos de la marca guardados."),
        Some("usuario") => Some("Cuenta creada."),
        Some("clave") => Some("Contraseña cambiada; sus sesiones se cerraron."),
        Some("activo") => Some("Cuenta actualizada."),
        _ => None,
    };
    render(&state, &b, flash).await
}

#[derive(Deserialize)]
struct BrandForm {
    nombre: String,
    moneda: String,
    zona_horaria: String,
    pais: String,
    idioma: String,
}

async fn update_brand(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<BrandForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let patch = BrandPatch {
        nombre: Some(f.nombre.trim().to_string()),
        moneda: Some(f.moneda.trim().to_uppercase()),
        zona_horaria: Some(f.zona_horaria.trim().to_string()),
        pais: Some(f.pais.trim().to_uppercase()),
        idioma: Some(f.idioma),
    };
    state.registry.update(b.slug(), patch).await?;
    Ok(see_other(
        &headers,
        &format!("/m/{slug}/ajustes?hecho=marca"),
    ))
}

#[derive(Deserialize)]
struct UserForm {
    email: String,
    #[serde(default)]
    nombre: String,
    rol: String,
    clave: String,
}

async fn create_user(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Form(f): Form<UserForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let role = Role::parse(&f.rol).ok_or(AppError::Forbidden)?;
    let brands = vec![b.slug().clone()];
    if !users::may_manage(&ui.caller, role, &brands) {
        return Err(AppError::Forbidden);
    }
    users::create(
        state.registry.control(),
        NewUser {
            email: f.email,
            name: f.nombre,
            role,
            brands,
            password: f.clave,
            lang: b.brand().idioma,
        },
    )
    .await?;
    Ok(see_other(
        &headers,
        &format!("/m/{slug}/ajustes?hecho=usuario"),
    ))
}

/// Loads an account that the caller may manage and that works in this brand.
async fn managed_user(state: &AppState, b: &UiBrand, id: i64) -> Result<users::User, AppError> {
    let user = state
        .registry
        .control()
        .read(move |c| users::get(c, id))
        .await?
        .ok_or(AppError::NotFound("usuario"))?;
    let in_brand = user.role == Role::Owner || user.brands.contains(b.slug());
    if !in_brand {
        return Err(AppError::NotFound("usuario"));
    }
    let allowed = users::may_manage(&b.ui.caller, user.role, &user.brands)
        && (user.role != Role::Owner || b.ui.role() == Role::Owner);
    if !allowed || user.id == b.ui.session.user.id {
        return Err(AppError::Forbidden);
    }
    Ok(user)
}

#[derive(Deserialize)]
struct PasswordForm {
    clave: String,
}

async fn reset_password(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let user = managed_user(&state, &b, id).await?;
    users::set_password(state.registry.control(), user.id, f.clave).await?;
    Ok(see_other(
        &headers,
        &format!("/m/{slug}/ajustes?hecho=clave"),
    ))
}

#[derive(Deserialize)]
struct ActiveForm {
    activo: String,
}

async fn toggle_user(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    Form(f): Form<ActiveForm>,
) -> Result<Response, AppError> {
    let b = ui.brand(&state, &slug, Access::Admin).await?;
    let user = managed_user(&state, &b, id).await?;
    users::set_active(state.registry.control(), user.id, f.activo == "1").await?;
    Ok(see_other(
        &headers,
        &format!("/m/{slug}/ajustes?hecho=activo"),
    ))
}
