//! `autonomo demo`: fills the three demo brands (Gollos Chicken's, Goio™ Store, Eco Eterno)
//! with realistic, seeded data — catalogues, customers, a year of orders with their status
//! histories, and the WhatsApp, phone and staff interactions around them — fast enough for
//! a million orders in well under a minute.
//!
//! The work per brand is: plan everything in memory (`plan`, `aggregate`), then write it in
//! one transaction on the brand's writer thread (`load`), with the per-row insert triggers
//! set aside and their work (change feed, full-text indexes, rollups, one audit record)
//! redone set-based in the same transaction (`bulk`).

mod aggregate;
mod automations;
mod bulk;
mod calendar;
mod catalog;
mod catalog_eco;
mod catalog_goio;
mod catalog_gollos;
mod chats;
mod eco_extras;
mod eco_series;
mod goio_extras;
mod inbox;
mod load;
mod loyalty;
mod messages;
mod people;
mod plan;
mod profile;
mod progress;
mod reset;
mod rows;
mod script;

use std::time::Instant;

use anyhow::{anyhow, bail};

use crate::auth::{Access, Caller, tokens};
use crate::config::Config;
use crate::error::AppError;
use crate::tenants::{BrandInput, Registry, Slug, TenantCtx};
pub use load::Loaded;
use profile::{PROFILES, Profile};
use progress::group;

#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Customers per brand.
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(0..=2_000_000))]
    pub customers: u32,
    /// Orders per brand.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(0..=20_000_000))]
    pub orders: u32,
    /// Random seed: the same seed (and --end) gives the same data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Months of history before --end.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=60))]
    pub months: u32,
    /// Only this demo brand.
    #[arg(long, value_parser = ["gollos", "goio", "eco-eterno"])]
    pub tenant: Option<String>,
    /// Delete the demo brands' existing data first (only those brands are touched).
    #[arg(long)]
    pub reset: bool,
    /// End of the demo window, RFC 3339 or YYYY-MM-DD (default: now).
    #[arg(long, value_name = "WHEN")]
    pub end: Option<String>,
}

/// Runs `autonomo demo` and prints the summary, the URL and an admin token.
pub async fn command(config: Config, args: DemoArgs) -> anyhow::Result<()> {
    let registry = Registry::open(&config.data_dir, 1)?;
    let result = run(&registry, &args).await;
    let finish = match result {
        Ok(()) => announce(&registry, &config).await,
        Err(e) => Err(e),
    };
    registry.close().await;
    finish
}

struct Target {
    profile: &'static Profile,
    slug: Slug,
    reset: bool,
}

async fn run(registry: &Registry, args: &DemoArgs) -> anyhow::Result<()> {
    if args.orders > 0 && args.customers == 0 {
        bail!(
            "--orders necesita al menos un cliente (--customers) / --orders needs at least one customer"
        );
    }
    let end = match &args.end {
        None => crate::time::now_ms(),
        Some(v) => crate::time::parse_instant(v, chrono_tz::America::Lima).ok_or_else(|| {
            anyhow!("--end «{v}»: usa RFC 3339 o AAAA-MM-DD / use RFC 3339 or YYYY-MM-DD")
        })?,
    };
    let targets = prepare(registry, args).await?;
    eprintln!(
        "Generando demo / generating demo: {} clientes y {} pedidos por marca, {} meses, semilla {}",
        group(u64::from(args.customers)),
        group(u64::from(args.orders)),
        args.months,
        args.seed
    );
    let mut total = 0u64;
    let started = Instant::now();
    for t in targets {
        let tenant = registry.tenant(&t.slug).await?;
        if t.reset {
            let slug = t.slug.to_string();
            let deleted = tenant
                .db()
                .maintain(move |c| reset::clear(c, &slug))
                .await?;
            eprintln!(
                "  {}: {} filas borradas / rows deleted",
                t.slug,
                group(deleted)
            );
        }
        let began = Instant::now();
        let size = plan::Size {
            customers: args.customers,
            orders: args.orders,
            months: args.months,
            seed: args.seed,
            now: end,
        };
        let (profile, tz) = (t.profile, tenant.brand().tz());
        let plan = tokio::task::spawn_blocking(move || plan::build(profile, tz, size)).await?;
        let planned = began.elapsed().as_secs_f64();
        let loaded = tenant
            .db()
            .maintain(move |c| load::load(c, &plan, tz))
            .await?;
        let secs = began.elapsed().as_secs_f64();
        total += loaded.rows();
        println!(
            "{:<11} {} clientes · {} productos · {} pedidos · {} ítems · {} estados · {} interacciones · {secs:.1} s (plan {planned:.1} s, {} filas/s)",
            t.slug.as_str(),
            group(loaded.clientes),
            group(loaded.productos),
            group(loaded.pedidos),
            group(loaded.pedido_items),
            group(loaded.pedido_estados),
            group(loaded.interacciones),
            group((loaded.rows() as f64 / (secs - planned).max(1e-3)) as u64),
        );
    }
    println!(
        "Total: {} filas en {:.1} s / {} rows in {:.1} s",
        group(total),
        started.elapsed().as_secs_f64(),
        group(total),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Creates missing demo brands and refuses (before touching anything) if one already holds
/// data and `--reset` was not given.
async fn prepare(registry: &Registry, args: &DemoArgs) -> anyhow::Result<Vec<Target>> {
    let caller = Caller::system("demo");
    let mut targets = Vec::new();
    let mut busy = Vec::new();
    for profile in PROFILES
        .iter()
        .filter(|p| args.tenant.as_deref().is_none_or(|t| t == p.slug))
    {
        let slug = Slug::parse(profile.slug)?;
        match registry.get(&slug).await {
            Ok(_) => {}
            Err(AppError::NotFound(_)) => {
                registry
                    .create(BrandInput {
                        slug: profile.slug.to_string(),
                        nombre: profile.nombre.to_string(),
                        moneda: profile.moneda.to_string(),
                        zona_horaria: "America/Lima".into(),
                        pais: "PE".into(),
                        idioma: "es".into(),
                    })
                    .await?;
                eprintln!("Marca creada / brand created: {slug} ({})", profile.nombre);
            }
            Err(e) => return Err(e.into()),
        }
        let ctx = TenantCtx::open(registry, &caller, &slug, Access::Admin)
            .await
            .map_err(|_| {
                anyhow!(
                    "La marca {slug} está archivada; reactívala con `autonomo tenant archive {slug} --undo`. / \
                     Brand {slug} is archived; bring it back with `autonomo tenant archive {slug} --undo`."
                )
            })?;
        drop(ctx);
        // On the writer's connection: a reader would stay open in this process's pool and
        // keep the load from writing the brand without WAL (see `load`).
        let existing = registry
            .tenant(&slug)
            .await?
            .db()
            .maintain(|c| reset::existing(c))
            .await?;
        if !existing.is_empty() && !args.reset {
            busy.push(format!(
                "{slug} ({} clientes, {} productos, {} pedidos, {} interacciones)",
                existing.clientes, existing.productos, existing.pedidos, existing.interacciones
            ));
        }
        targets.push(Target {
            profile,
            slug,
            reset: !existing.is_empty(),
        });
    }
    if !busy.is_empty() {
        bail!(
            "Estas marcas ya tienen datos: {}. No se cambió nada; usa --reset para borrarlos y generar la demo de nuevo.\n\
             These brands already hold data: {0}. Nothing was changed; use --reset to delete it and generate the demo again.",
            busy.join("; ")
        );
    }
    Ok(targets)
}

/// Prints where the CRM answers and a fresh admin token for every brand.
async fn announce(registry: &Registry, config: &Config) -> anyhow::Result<()> {
    let token = tokens::create(registry.control(), None, Access::Admin, "demo".into()).await?;
    println!();
    println!(
        "URL: http://{}  (arranca con / start with: autonomo serve)",
        config.listen
    );
    println!(
        "Token admin para todas las marcas (se muestra una sola vez) / admin token for every brand (shown once):"
    );
    println!("{token}");
    println!(
        "Prueba / try: curl -H 'Authorization: Bearer {token}' http://{}/api/marcas",
        config.listen
    );
    staff_login(registry).await
}

/// The demo owner's e-mail: the staff UI's door into the demo brands.
pub const DEMO_OWNER: &str = "dueno@demo.autonomo";

/// Gives the demo an owner account for the web UI with a fresh password, printed once
/// (a re-run sets a new one, so a lost password is one command away).
async fn staff_login(registry: &Registry) -> anyhow::Result<()> {
    use crate::auth::users::{self, NewUser, Role};
    let password = {
        use base64::Engine;
        use rand::RngCore;
        let mut bytes = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    };
    match users::find_by_email(registry.control(), DEMO_OWNER).await? {
        Some(user) => users::set_password(registry.control(), user.id, password.clone()).await?,
        None => {
            users::create(
                registry.control(),
                NewUser {
                    email: DEMO_OWNER.into(),
                    name: "Dueño de la demo".into(),
                    role: Role::Owner,
                    brands: Vec::new(),
                    password: password.clone(),
                    lang: "es".into(),
                },
            )
            .await?;
        }
    }
    println!(
        "Interfaz web / web UI: entra con / log in as {DEMO_OWNER} · contraseña / password: {password}"
    );
    Ok(())
}
