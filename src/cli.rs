//! The command line: parse, load the configuration, call the library. Nothing else.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::auth::{Access, tokens};
use crate::config::{CliOverrides, Config};
use crate::tenants::{BrandInput, BrandPatch, Registry, Slug};

#[derive(Debug, Parser)]
#[command(
    name = "autonomo",
    version,
    about = "Autónomo: CRM multi-marca para tu mini PC / multi-brand CRM for your mini PC"
)]
pub struct Cli {
    /// Data directory (default ./data; env AUTONOMO_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the CRM (web UI, API, webhooks, scheduler).
    Serve {
        /// Address to listen on (default 127.0.0.1:8000; env AUTONOMO_LISTEN).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Manage brands (marcas).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Copy every brand into PostgreSQL for NocoDB, Metabase and the central office.
    #[command(subcommand)]
    Mirror(MirrorCommand),
    /// Scheduled jobs: list them or run one now.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// WhatsApp Business numbers: set or show a brand's.
    #[command(subcommand)]
    Whatsapp(crate::whatsapp::admin::WhatsappCommand),
    /// Backups: status, local copies, verify the S3 replicas.
    #[command(subcommand)]
    Backup(crate::backup::command::BackupCommand),
    /// Restore a database (or the whole installation) from S3 or a local archive.
    Restore(crate::backup::command::RestoreArgs),
    /// Manage staff accounts for the web UI.
    #[command(subcommand)]
    User(crate::auth::users::cli::UserCommand),
    /// Fill the demo brands (gollos, goio, eco-eterno) with realistic data.
    Demo(crate::demo::DemoArgs),
    /// Import data from CSV files (past orders).
    #[command(subcommand)]
    Import(crate::orders::history_cli::ImportCommand),
    /// The tamper-evident audit trail: verify its hash chains.
    #[command(subcommand)]
    Audit(crate::audit::command::AuditCommand),
    /// Health at a glance: service, brands, outbox, backups, mirror, disk (exit 1 on problems).
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Executive reports by e-mail and Telegram: recipients, send one now.
    #[command(subcommand)]
    Report(crate::reports::cli::ReportCommand),
    /// Encryption keys: rotate the master key (no downtime), retire old keys, status.
    #[command(subcommand)]
    Keys(crate::crypto::command::KeysCommand),
}

#[derive(Debug, Subcommand)]
pub enum MirrorCommand {
    /// Create or upgrade the `autonomo` schema in Postgres.
    Init {
        /// postgres:// URL (default: [mirror] postgres_url / AUTONOMO_MIRROR_POSTGRES_URL).
        #[arg(long, value_name = "URL")]
        postgres: Option<String>,
        /// Also create a login role that can only read the mirror.
        #[arg(long, value_name = "NAME")]
        create_readonly_role: Option<String>,
        /// Password for that role (default: a random one, printed once).
        #[arg(long, requires = "create_readonly_role")]
        readonly_password: Option<String>,
    },
    /// Bring the mirror up to date (the first time: a full copy).
    Sync {
        #[arg(long, value_name = "URL")]
        postgres: Option<String>,
        /// Keep applying changes until Ctrl-C.
        #[arg(long)]
        follow: bool,
    },
    /// Show how far behind the mirror is, per brand.
    Status {
        #[arg(long, value_name = "URL")]
        postgres: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List jobs with their schedule and last outcome.
    List,
    /// Run a job now (for one brand, or every brand when omitted).
    Run {
        name: String,
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a brand and its database.
    Create(TenantCreate),
    /// List brands.
    List {
        /// Include archived brands.
        #[arg(long)]
        all: bool,
    },
    /// Show one brand.
    Show { slug: String },
    /// Change a brand's settings.
    Update(TenantUpdate),
    /// Archive a brand: its data stays, read-only.
    Archive {
        slug: String,
        /// Bring an archived brand back.
        #[arg(long)]
        undo: bool,
    },
}

#[derive(Debug, Args)]
pub struct TenantCreate {
    /// Short id: lowercase letters, digits and hyphens (e.g. gollos).
    pub slug: String,
    #[arg(long)]
    pub name: String,
    /// ISO 4217 currency.
    #[arg(long, default_value = "PEN")]
    pub currency: String,
    /// IANA time zone.
    #[arg(long, default_value = "America/Lima")]
    pub timezone: String,
    /// Country for phone numbers without prefix (ISO 3166 alpha-2).
    #[arg(long, default_value = "PE")]
    pub country: String,
    /// es or en.
    #[arg(long, default_value = "es")]
    pub language: String,
}

#[derive(Debug, Args)]
pub struct TenantUpdate {
    pub slug: String,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub currency: Option<String>,
    #[arg(long)]
    pub timezone: Option<String>,
    #[arg(long)]
    pub country: Option<String>,
    #[arg(long)]
    pub language: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (it is shown only once).
    Create {
        /// The brand the token is for.
        #[arg(
            long,
            required_unless_present = "all_tenants",
            conflicts_with = "all_tenants"
        )]
        tenant: Option<String>,
        /// An owner token that reaches every brand.
        #[arg(long)]
        all_tenants: bool,
        /// read, write or admin.
        #[arg(long, value_parser = ["read", "write", "admin"])]
        scope: String,
        /// A note to recognise the token later.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Revoke a token by its id.
    Revoke { id: i64 },
}

/// Threads for blocking work: SQLite reads, parsing webhook bodies, backups, brand opens.
/// Tokio's default allows 512, and each thread that ran keeps its stack and its allocator
/// heap for 10 s after; under load the server ran 26 threads. On the two cores this is built
/// for, 8 give the same throughput and a peak RSS ≈ 15–20 MiB lower (docs/benchmarks.md,
/// session 15); a brand's concurrent reads are bounded by its reader pool anyway.
const BLOCKING_THREADS: usize = 8;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let listen = match &cli.command {
        Command::Serve { listen } => listen.clone(),
        _ => None,
    };
    let config = Config::load(&CliOverrides {
        listen,
        data_dir: cli.data_dir.clone(),
    })?;
    crate::logging::init(config.log_json);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build()?;
    // Changes made by a command are recorded as the command line's; the server's own tasks
    // and requests set theirs.
    let actor = (!matches!(cli.command, Command::Serve { .. })).then(|| "system:cli".to_string());
    runtime.block_on(crate::db::functions::with_task_actor(actor, async move {
        match cli.command {
            Command::Serve { .. } => crate::app::serve(config).await,
            Command::Tenant(cmd) => tenant(config, cmd).await,
            Command::Token(cmd) => token(config, cmd).await,
            Command::Mirror(cmd) => mirror(config, cmd).await,
            Command::Jobs(cmd) => jobs(config, cmd).await,
            Command::Whatsapp(cmd) => crate::whatsapp::admin::run(config, cmd).await,
            Command::Backup(cmd) => crate::backup::command::run_backup(&config, cmd).await,
            Command::Restore(args) => crate::backup::command::run_restore(&config, args).await,
            Command::User(cmd) => {
                let registry = open_registry(&config)?;
                let result = crate::auth::users::cli::run(&registry, cmd).await;
                registry.close().await;
                result
            }
            Command::Demo(args) => crate::demo::command(config, args).await,
            Command::Import(cmd) => {
                let registry = open_registry(&config)?;
                let result = crate::orders::history_cli::run(&registry, cmd).await;
                registry.close().await;
                result
            }
            Command::Audit(cmd) => {
                let registry = open_registry(&config)?;
                let result = crate::audit::command::run(&registry, cmd).await;
                registry.close().await;
                result
            }
            Command::Status { json } => crate::status::command(config, json).await,
            Command::Report(cmd) => crate::reports::cli::run(config, cmd).await,
            Command::Keys(cmd) => Ok(crate::crypto::command::run(&config, cmd).await?),
        }
    }))
}

async fn mirror(config: Config, cmd: MirrorCommand) -> anyhow::Result<()> {
    use crate::mirror::commands;
    match cmd {
        MirrorCommand::Init {
            postgres,
            create_readonly_role,
            readonly_password,
        } => commands::init(&config, postgres, create_readonly_role, readonly_password).await,
        MirrorCommand::Sync { postgres, follow } => commands::sync(&config, postgres, follow).await,
        MirrorCommand::Status { postgres, json } => commands::status(&config, postgres, json).await,
    }
}

pub(crate) fn open_registry(config: &Config) -> anyhow::Result<Registry> {
    // With S3 backups on, a running server must see every change before it is checkpointed.
    let observer: Option<std::sync::Arc<dyn crate::tenants::DatabaseObserver>> =
        if config.backup.s3_enabled() {
            Some(std::sync::Arc::new(crate::backup::LeaveCheckpointsToServer))
        } else {
            None
        };
    Ok(Registry::open_observed(&config.data_dir, 1, observer)?)
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

async fn tenant(config: Config, cmd: TenantCommand) -> anyhow::Result<()> {
    let registry = open_registry(&config)?;
    let result = match cmd {
        TenantCommand::Create(c) => {
            let brand = registry
                .create(BrandInput {
                    slug: c.slug,
                    nombre: c.name,
                    moneda: c.currency,
                    zona_horaria: c.timezone,
                    pais: c.country,
                    idioma: c.language,
                })
                .await?;
            println!("Marca creada / brand created: {}", brand.slug);
            print_json(&brand)
        }
        TenantCommand::List { all } => {
            for b in registry.list(all).await? {
                let archived = if b.archived_at.is_some() {
                    " (archivada)"
                } else {
                    ""
                };
                println!(
                    "{}\t{}\t{}\t{}{archived}",
                    b.slug, b.nombre, b.moneda, b.zona_horaria
                );
            }
            Ok(())
        }
        TenantCommand::Show { slug } => print_json(&registry.get(&Slug::parse(&slug)?).await?),
        TenantCommand::Update(u) => {
            let patch = BrandPatch {
                nombre: u.name,
                moneda: u.currency,
                zona_horaria: u.timezone,
                pais: u.country,
                idioma: u.language,
            };
            print_json(&registry.update(&Slug::parse(&u.slug)?, patch).await?)
        }
        TenantCommand::Archive { slug, undo } => {
            let brand = registry.set_archived(&Slug::parse(&slug)?, !undo).await?;
            println!(
                "{}: {}",
                brand.slug,
                if undo {
                    "activa / active"
                } else {
                    "archivada / archived"
                }
            );
            Ok(())
        }
    };
    registry.close().await;
    result
}

async fn token(config: Config, cmd: TokenCommand) -> anyhow::Result<()> {
    let registry = open_registry(&config)?;
    let result = match cmd {
        TokenCommand::Create {
            tenant,
            all_tenants: _,
            scope,
            label,
        } => {
            let brand = tenant.map(|t| Slug::parse(&t)).transpose()?;
            let access =
                Access::parse(&scope).ok_or_else(|| anyhow::anyhow!("scope: read|write|admin"))?;
            let token = tokens::create(registry.control(), brand, access, label).await?;
            println!("{token}");
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            tokens::revoke(registry.control(), id).await?;
            println!("Token {id} revocado / revoked");
            Ok(())
        }
    };
    registry.close().await;
    result
}

async fn jobs(config: Config, cmd: JobsCommand) -> anyhow::Result<()> {
    let registry = std::sync::Arc::new(open_registry(&config)?);
    let result = match cmd {
        JobsCommand::List => {
            let states = registry
                .control()
                .read(crate::scheduler::store::list)
                .await?;
            let brands = registry.list(false).await?;
            let now = crate::time::now_ms();
            println!(
                "# trabajo / job\tcron\támbito / scope\tdescripción / description\n#   marca / brand\túltima / last\tresultado / outcome\tpróxima / next\tdetalle / detail"
            );
            for spec in crate::scheduler::catalog() {
                let scope = if spec.per_brand {
                    "por marca / per brand"
                } else {
                    "global"
                };
                println!(
                    "{}\t{}\t{scope}\t{}",
                    spec.name, spec.cron, spec.description
                );
                // Every scope the job runs for, run or not yet: brands in their own zone.
                let scopes: Vec<(String, chrono_tz::Tz)> = if spec.per_brand {
                    brands
                        .iter()
                        .map(|b| (b.slug.to_string(), b.tz()))
                        .collect()
                } else {
                    vec![(String::new(), chrono_tz::UTC)]
                };
                let schedule = crate::scheduler::schedule_of(&spec)?;
                for (brand, tz) in scopes {
                    let s = states
                        .iter()
                        .find(|s| s.nombre == spec.name && s.marca == brand);
                    let when = s
                        .and_then(|s| s.ultima_ejecucion_en)
                        .map(|t| crate::time::format_in(t, tz))
                        .unwrap_or_else(|| "-".into());
                    let next = crate::scheduler::next_due(&schedule, tz, now)
                        .map(|t| crate::time::format_in(t, tz))
                        .unwrap_or_else(|| "-".into());
                    println!(
                        "  {}\t{when}\t{}\t{next}\t{}",
                        if brand.is_empty() { "-" } else { &brand },
                        s.and_then(|s| s.resultado.as_deref()).unwrap_or("-"),
                        s.and_then(|s| s.detalle.as_deref()).unwrap_or("")
                    );
                }
            }
            Ok(())
        }
        JobsCommand::Run { name, tenant } => {
            let brand = tenant.map(|t| Slug::parse(&t)).transpose()?;
            let results = crate::scheduler::run_now(
                &registry,
                &crate::scheduler::catalog(),
                &name,
                brand.as_ref(),
                &std::sync::Arc::new(config.notify.clone()),
            )
            .await?;
            let mut failed = false;
            for (scope, outcome) in results {
                let scope = if scope.is_empty() {
                    "global".to_string()
                } else {
                    scope
                };
                match outcome {
                    Ok(detail) => println!("{scope}: ok — {detail}"),
                    Err(e) => {
                        failed = true;
                        println!("{scope}: error — {e}");
                    }
                }
            }
            if failed {
                Err(anyhow::anyhow!(
                    "al menos una ejecución falló / at least one run failed"
                ))
            } else {
                Ok(())
            }
        }
    };
    registry.close().await;
    result
}
