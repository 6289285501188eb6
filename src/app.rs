//! The application: shared state, router assembly, middleware, and serving with a graceful
//! shutdown that finishes in-flight requests and flushes every writer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::api::openapi::ApiDoc;
use crate::config::Config;
use crate::error::{AppError, localize_problems};
use crate::tenants::Registry;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub registry: Arc<Registry>,
    pub started: Instant,
    pub openapi: Arc<utoipa::openapi::OpenApi>,
    /// Where the Postgres mirror stands (disabled unless configured).
    pub mirror: Arc<crate::mirror::MirrorStatus>,
    /// Seals secrets and personal fields at rest.
    pub keyring: Arc<crate::crypto::Keyring>,
    /// Continuous S3 backup, when configured.
    pub backups: Option<Arc<crate::backup::Backups>>,
    pub login_limiter: Arc<crate::auth::ratelimit::LoginLimiter>,
    /// Request rates per client IP and API token (`[limits]`).
    pub throttle: Arc<crate::auth::throttle::Throttle>,
    pub live: Arc<crate::web::live::Hub>,
}

impl AppState {
    /// Opens the data directory and builds the state the router needs.
    pub fn open(config: Config) -> Result<AppState, AppError> {
        Self::open_with(config, None)
    }

    /// Like [`AppState::open`], attaching the backup to every database as it opens.
    pub fn open_with(
        config: Config,
        backups: Option<Arc<crate::backup::Backups>>,
    ) -> Result<AppState, AppError> {
        let observer = backups
            .clone()
            .map(|b| b as Arc<dyn crate::tenants::DatabaseObserver>);
        // Checks the key file first: a missing or wrong one stops the start.
        let registry = Registry::open_observed(&config.data_dir, config.readers_per_db, observer)?;
        let keyring = crate::crypto::Keyring::load(&config.data_dir)?;
        Ok(AppState {
            mirror: Arc::new(crate::mirror::status_for(&config)),
            throttle: Arc::new(crate::auth::throttle::Throttle::new(&config.limits)),
            keyring,
            config: Arc::new(config),
            registry: Arc::new(registry),
            started: Instant::now(),
            openapi: Arc::new(crate::api::openapi::with_common_errors(
                api_routes().split_for_parts().1,
            )),
            backups,
            login_limiter: Arc::default(),
            live: Arc::default(),
        })
    }
}

/// Every `/api` route with its OpenAPI description.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::tenants::api::router())
        .merge(crate::customers::api::router())
        .merge(crate::customers::privacy_api::router())
        .merge(crate::products::api::router())
        .merge(crate::orders::api::router())
        .merge(crate::interactions::api::router())
        .merge(crate::scheduler::api::router())
        .merge(crate::conversations::api::router())
        .merge(crate::whatsapp::bot::api::router())
        .merge(crate::campaigns::api::router())
        .merge(crate::surveys::api::router())
        .merge(crate::reminders::api::router())
        .merge(crate::health::router())
        .merge(crate::analytics::api::router())
        .merge(crate::loyalty::api::router())
        .merge(crate::promotions::api::router())
        .merge(crate::subscriptions::api::router())
        .merge(crate::impact::api::router())
        .merge(crate::education::api::router())
        .merge(crate::restock::api::router())
        .merge(crate::warranties::api::router())
        .merge(crate::promotions::announce::api_router())
}

/// The complete router with its middleware.
pub fn router(state: AppState) -> Router {
    let (api, _) = api_routes().split_for_parts();
    let timeout = Duration::from_secs(state.config.request_timeout_secs);
    let body_limit = state.config.max_body_bytes;
    Router::new()
        .merge(api)
        .merge(pages())
        .merge(crate::whatsapp::webhook::router())
        .route_layer(axum::middleware::from_fn(crate::metrics::track))
        .fallback(|| async { AppError::NotFound("ruta") })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::sessions::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::throttle::layer,
        ))
        .with_state(state)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(localize_problems))
        // Every request gets its own actor slot for the audit trail (filled by `Caller`).
        .layer(axum::middleware::from_fn(
            |req: axum::extract::Request, next: axum::middleware::Next| {
                crate::db::functions::with_task_actor(None, next.run(req))
            },
        ))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, timeout))
        .layer(CatchPanicLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
            ),
        ))
        .layer(axum::middleware::from_fn(crate::auth::sessions::hsts))
        .layer(TraceLayer::new_for_http())
}

/// The staff UI: every browser page, with errors shown as pages.
fn pages() -> Router<AppState> {
    Router::new()
        .merge(crate::web::router())
        .merge(crate::customers::pages::router())
        .merge(crate::products::pages::router())
        .merge(crate::orders::pages::router())
        .merge(crate::settings::pages::router())
        .merge(crate::campaigns::pages::router())
        .merge(crate::reminders::pages::router())
        .merge(crate::scheduler::pages::router())
        .merge(crate::conversations::pages::router())
        .merge(crate::whatsapp::pages::router())
        .merge(crate::analytics::pages::router())
        .merge(crate::analytics::png_pages::router())
        .merge(crate::orders::history_pages::router())
        .merge(crate::audit::pages::router())
        .merge(crate::customers::privacy_pages_router())
        .merge(crate::loyalty::pages::router())
        .merge(crate::subscriptions::pages::router())
        .merge(crate::impact::pages::router())
        .merge(crate::education::pages::router())
        .merge(crate::warranties::pages::router())
        .merge(crate::restock::pages::router())
        .merge(crate::promotions::pages::router())
        .merge(crate::loyalty::settings_pages::router())
        .merge(crate::promotions::announce::router())
        .layer(axum::middleware::from_fn(crate::web::ui::html_errors))
}

/// Serves until SIGINT/SIGTERM, then drains requests and flushes the databases.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let listen = config.listen;
    let idle_close_secs = config.brand_idle_close_secs;
    let backup_cfg = config.backup.clone();
    let backups = crate::backup::Backups::start(&config)?;
    let state = AppState::open_with(config, backups.clone())?;
    let registry = state.registry.clone();
    let mut deliveries = crate::outbox::worker::Deliveries::default().with(
        crate::outbox::Service::Whatsapp,
        std::sync::Arc::new(crate::whatsapp::delivery::WhatsAppDelivery::from_state(
            &state,
        )?),
    );
    // Staff alerts go to Telegram when a bot token is configured (the same as the reports').
    let notify = Arc::new(state.config.notify.clone());
    if let Some(client) = crate::reports::Channels::from_config(&notify)?.telegram {
        deliveries = deliveries.with(
            crate::outbox::Service::Telegram,
            std::sync::Arc::new(crate::telegram::delivery::TelegramDelivery::new(client)),
        );
    }
    if let Some(b) = &backups {
        b.open_all(&registry).await;
        b.start_verify_job(registry.clone(), backup_cfg.verify_interval);
    }
    if let Some(dir) = backup_cfg.local_dir.clone() {
        crate::backup::service::start_local_job(
            registry.clone(),
            dir,
            backup_cfg.local_keep,
            backup_cfg.local_interval,
        );
    }
    let mirror =
        crate::mirror::MirrorTask::spawn(&state.config, registry.clone(), state.mirror.clone())?;
    let live = state.live.clone();
    // Brands open in the background, side by side, while the server already answers.
    tokio::spawn({
        let registry = registry.clone();
        async move { registry.open_all(4, idle_close_secs > 0).await }
    });
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("no se pudo escuchar en / cannot listen on {listen}: {e}"))?;
    // With port 0 the OS picks one; print the real address so scripts and tests can find it.
    let listen = listener.local_addr()?;
    let alerts = crate::alerts::Watcher::new(state.clone())?;
    let app = router(state);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let background = vec![
        tokio::spawn(alerts.run(stopped.clone())),
        tokio::spawn(
            crate::scheduler::Scheduler::new(
                registry.clone(),
                crate::scheduler::catalog(),
                notify.clone(),
            )
            .run(stopped.clone()),
        ),
        tokio::spawn(crate::whatsapp::ingest::run(
            registry.clone(),
            stopped.clone(),
        )),
        tokio::spawn(crate::analytics::jobs::run(
            registry.clone(),
            stopped.clone(),
        )),
        tokio::spawn(crate::outbox::worker::run(
            registry.clone(),
            deliveries,
            stopped.clone(),
        )),
        tokio::spawn(crate::campaigns::sender::run(
            registry.clone(),
            stopped.clone(),
        )),
    ];
    let mut background = background;
    if idle_close_secs > 0 {
        // Brands no request has used for a while are closed; they reopen on demand.
        background.push(tokio::spawn(
            registry
                .clone()
                .close_idle_loop(Duration::from_secs(idle_close_secs), stopped),
        ));
    }
    tracing::info!(address = %listen, "Autónomo escuchando / listening on http://{listen}");
    println!("Autónomo escuchando en / listening on http://{listen}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        // Live streams end now, or the drain would wait for every open browser.
        live.shut_down();
    })
    .await?;
    let _ = stop.send(true);
    for task in background {
        let _ = task.await;
    }
    if let Some(mirror) = mirror {
        mirror.stop().await;
    }
    tracing::info!("cerrando bases de datos / flushing databases");
    registry.close().await;
    if let Some(b) = backups {
        b.shutdown(Duration::from_secs(10)).await;
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
