//! The registry of brands: the control database plus the brand databases opened so far.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use tokio::sync::Mutex as AsyncMutex;

use super::{Brand, BrandInput, BrandPatch, Slug, brand, store};
use crate::db::versioned::VersionedCache;
use crate::db::{Database, Schema};
use crate::error::AppError;
use crate::time::now_ms;

/// An open brand: its settings and its database.
pub struct Tenant {
    slug: Slug,
    brand: RwLock<Brand>,
    db: Arc<Database>,
    /// When a request (not a background job) last asked for the brand, unix ms; 0 if none
    /// has. The idle close (see `idle.rs`) goes by this.
    last_used: AtomicI64,
}

impl Tenant {
    pub fn slug(&self) -> &Slug {
        &self.slug
    }

    pub fn brand(&self) -> Brand {
        match self.brand.read() {
            Ok(b) => b.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn db(&self) -> &Arc<Database> {
        &self.db
    }

    fn touch(&self) {
        self.last_used.store(now_ms(), Ordering::Relaxed);
    }

    fn last_used(&self) -> i64 {
        self.last_used.load(Ordering::Relaxed)
    }

    fn replace_brand(&self, brand: Brand) {
        match self.brand.write() {
            Ok(mut b) => *b = brand,
            Err(poisoned) => *poisoned.into_inner() = brand,
        }
    }
}

/// Told about every database right after the registry opens it, before any request uses it
/// (the backup attaches its replica and checkpoint hook here). Lives here, not in `backup`,
/// so the registry does not depend on the layers above it.
pub trait DatabaseObserver: Send + Sync {
    /// `name` is `control` or `tenants/<slug>`. Must not fail the open: problems are the
    /// observer's to report.
    fn opened(&self, name: &str, db: &Arc<Database>);
}

pub struct Registry {
    data_dir: PathBuf,
    readers_per_db: usize,
    control: Arc<Database>,
    observer: Option<Arc<dyn DatabaseObserver>>,
    open: RwLock<HashMap<Slug, Arc<Tenant>>>,
    /// One lock per brand being opened, so two requests never migrate the same file at
    /// once while different brands open side by side.
    opening: std::sync::Mutex<HashMap<Slug, Arc<AsyncMutex<()>>>>,
    /// Why a brand's database could not be opened, until an open succeeds (for `/healthz`,
    /// which reports brands without opening them).
    failed: std::sync::Mutex<HashMap<Slug, String>>,
    /// Brand rows as of the control database's current data version.
    brands: VersionedCache<Slug, Brand>,
    /// API token rows (id, brand, scope) by hash, as of the current data version.
    tokens: VersionedCache<Vec<u8>, TokenRow>,
}

/// A brand as the registry knows it, from [`Registry::state`].
pub enum BrandState {
    Open(Arc<Tenant>),
    /// The last attempt to open it failed, with this error.
    Failed(String),
    /// Not opened by this process yet (brands open on first use, or in the background after
    /// a start).
    NotOpened,
}

fn locked<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// An active API token as stored: id, brand (none: every brand) and scope.
pub type TokenRow = (i64, Option<String>, String);

impl Registry {
    /// Opens the control database under `data_dir`, creating the directories if needed.
    pub fn open(data_dir: &Path, readers_per_db: usize) -> Result<Registry, AppError> {
        Self::open_observed(data_dir, readers_per_db, None)
    }

    /// Like [`Registry::open`], telling `observer` about the control database and every brand
    /// database opened later.
    pub fn open_observed(
        data_dir: &Path,
        readers_per_db: usize,
        observer: Option<Arc<dyn DatabaseObserver>>,
    ) -> Result<Registry, AppError> {
        // The key file before anything opens: a missing one (next to existing brands) or one
        // that does not fit the brands' data stops here, having changed nothing.
        let keyring = crate::crypto::Keyring::load(data_dir)?;
        crate::crypto::sealing::check_first(data_dir, &keyring)?;
        std::fs::create_dir_all(data_dir.join("tenants")).map_err(|e| {
            AppError::internal(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        let control = Database::open(
            &data_dir.join("control.db"),
            Schema::Control,
            readers_per_db,
        )?;
        if let Some(o) = &observer {
            o.opened("control", &control);
        }
        Ok(Registry {
            data_dir: data_dir.to_path_buf(),
            readers_per_db,
            control,
            observer,
            open: RwLock::default(),
            opening: std::sync::Mutex::default(),
            failed: std::sync::Mutex::default(),
            brands: VersionedCache::new(4096),
            tokens: VersionedCache::new(4096),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn control(&self) -> &Arc<Database> {
        &self.control
    }

    /// Where a brand's database lives. Only a validated [`Slug`] can name it.
    pub fn tenant_path(&self, slug: &Slug) -> PathBuf {
        self.data_dir.join("tenants").join(format!("{slug}.db"))
    }

    /// The open brand `slug`, opening it if needed; an unknown brand is a 404 and creates no
    /// file. Counts as a use: the brand stays open for the idle-close delay (see `idle.rs`).
    pub async fn tenant(&self, slug: &Slug) -> Result<Arc<Tenant>, AppError> {
        let tenant = self.tenant_quiet(slug).await?;
        tenant.touch();
        Ok(tenant)
    }

    /// Like [`Registry::tenant`] for background work (scheduled jobs, the outbox, the start's
    /// warm-up): does not count as a use, so a brand that only jobs visit is closed again as
    /// soon as nobody holds it.
    pub async fn tenant_quiet(&self, slug: &Slug) -> Result<Arc<Tenant>, AppError> {
        if let Some(t) = self.cached(slug) {
            // The CLI may have updated or archived the brand from another process; `get`
            // only reads the row again when the control database changed.
            t.replace_brand(self.get(slug).await?);
            return Ok(t);
        }
        let lock = self.opening_lock(slug);
        let _guard = lock.lock().await;
        if let Some(t) = self.cached(slug) {
            return Ok(t);
        }
        let key = slug.clone();
        let brand = self
            .control
            .read(move |c| store::get(c, &key))
            .await?
            .ok_or(AppError::NotFound("marca"))?;
        let db = match self.open_database(slug).await {
            Ok(db) => {
                locked(&self.failed).remove(slug);
                db
            }
            Err(e) => {
                locked(&self.failed).insert(slug.clone(), e.to_string());
                return Err(e);
            }
        };
        if let Some(o) = &self.observer {
            o.opened(&format!("tenants/{slug}"), &db);
        }
        let tenant = Arc::new(Tenant {
            slug: slug.clone(),
            brand: RwLock::new(brand),
            db,
            last_used: AtomicI64::new(0),
        });
        if let Ok(mut open) = self.open.write() {
            open.insert(slug.clone(), tenant.clone());
        }
        Ok(tenant)
    }

    /// The lock held while `slug` opens or closes.
    fn opening_lock(&self, slug: &Slug) -> Arc<AsyncMutex<()>> {
        locked(&self.opening)
            .entry(slug.clone())
            .or_default()
            .clone()
    }

    /// Opens and migrates the brand's file and checks it against the key file.
    async fn open_database(&self, slug: &Slug) -> Result<Arc<Database>, AppError> {
        let path = self.tenant_path(slug);
        let readers = self.readers_per_db;
        let ring = crate::crypto::Keyring::for_database(&path)?;
        // A brand sealed with another key file is refused before it is migrated.
        let db = tokio::task::spawn_blocking(move || {
            Database::open_checked(&path, Schema::Tenant, readers, |c| {
                crate::crypto::sealing::check_connection(c, &ring)
            })
        })
        .await??;
        // Seal values written before encryption at rest (once; afterwards one read).
        if let Err(e) = crate::crypto::sealing::prepare(&db).await {
            db.close().await;
            return Err(e);
        }
        Ok(db)
    }

    /// Where brand `slug` stands in this process, without opening it.
    pub fn state(&self, slug: &Slug) -> BrandState {
        if let Some(t) = self.cached(slug) {
            return BrandState::Open(t);
        }
        match locked(&self.failed).get(slug) {
            Some(e) => BrandState::Failed(e.clone()),
            None => BrandState::NotOpened,
        }
    }

    /// Opens every active brand, `concurrency` at a time, so migrations run at the start and
    /// not in the first request to each. With `release`, each brand is closed again right
    /// after unless a request is using it (the idle close is on: keeping every brand open
    /// would cost ≈ 3–4 MiB each). Failures are logged; the request that needs the brand
    /// will report them.
    pub async fn open_all(&self, concurrency: usize, release: bool) {
        use futures_util::StreamExt;
        let brands = match self.list(false).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list brands to open them");
                return;
            }
        };
        futures_util::stream::iter(brands)
            .for_each_concurrent(concurrency.max(1), |b| async move {
                match self.tenant_quiet(&b.slug).await {
                    Ok(t) if release => {
                        drop(t);
                        self.close_if_idle(&b.slug, 0).await;
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(brand = %b.slug, error = %e, "brand cannot be opened"),
                }
            })
            .await;
    }

    /// The brand if it is open now; never opens it.
    pub fn if_open(&self, slug: &Slug) -> Option<Arc<Tenant>> {
        self.cached(slug)
    }

    fn cached(&self, slug: &Slug) -> Option<Arc<Tenant>> {
        self.open.read().ok().and_then(|m| m.get(slug).cloned())
    }

    /// Every brand open right now (for health and shutdown).
    pub fn open_tenants(&self) -> Vec<Arc<Tenant>> {
        self.open
            .read()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The brands, archived ones too if asked. Every background loop asks each tick, so the
    /// answer is kept until the control database changes (the CLI's edits included).
    pub async fn list(&self, include_archived: bool) -> Result<Vec<Brand>, AppError> {
        let query = match include_archived {
            true => "brands with archived",
            false => "active brands",
        };
        self.control
            .read_unchanged(query, move |c| store::list(c, include_archived))
            .await
    }

    pub async fn get(&self, slug: &Slug) -> Result<Brand, AppError> {
        let version = self.control.data_version();
        if let Some(brand) = self.brands.get(version, slug) {
            return Ok(brand);
        }
        let key = slug.clone();
        let brand = self
            .control
            .read(move |c| store::get(c, &key))
            .await?
            .ok_or(AppError::NotFound("marca"))?;
        self.brands.insert(version, slug.clone(), brand.clone());
        Ok(brand)
    }

    /// The active token with `hash`, cached until the control database changes (a revocation,
    /// from the API or the CLI, is a commit, so it takes effect on the next request).
    pub async fn active_token(&self, hash: Vec<u8>) -> Result<Option<TokenRow>, AppError> {
        let version = self.control.data_version();
        if let Some(row) = self.tokens.get(version, &hash) {
            return Ok(Some(row));
        }
        let key = hash.clone();
        let row = self
            .control
            .read(move |c| {
                use rusqlite::OptionalExtension;
                Ok(c.prepare_cached(
                    "SELECT id, marca, alcance FROM api_tokens WHERE hash = ?1 AND revocado_en IS NULL",
                )?
                .query_row([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?)
            })
            .await?;
        if let Some(row) = &row {
            self.tokens.insert(version, hash, row.clone());
        }
        Ok(row)
    }

    /// Creates a brand and its database file.
    pub async fn create(&self, input: BrandInput) -> Result<Brand, AppError> {
        Slug::parse(&input.slug)?;
        brand::validate_fields(
            Some(&input.nombre),
            Some(&input.moneda),
            Some(&input.zona_horaria),
            Some(&input.pais),
            Some(&input.idioma),
        )?;
        let created = self
            .control
            .write(move |c| store::insert(c, &input, now_ms()))
            .await?;
        // Open now so the file exists and is migrated before the first request.
        self.tenant(&created.slug).await?;
        Ok(created)
    }

    pub async fn update(&self, slug: &Slug, patch: BrandPatch) -> Result<Brand, AppError> {
        brand::validate_fields(
            patch.nombre.as_deref(),
            patch.moneda.as_deref(),
            patch.zona_horaria.as_deref(),
            patch.pais.as_deref(),
            patch.idioma.as_deref(),
        )?;
        let key = slug.clone();
        let updated = self
            .control
            .write(move |c| store::update(c, &key, &patch, now_ms()))
            .await?;
        self.refresh(&updated);
        Ok(updated)
    }

    pub async fn set_archived(&self, slug: &Slug, archived: bool) -> Result<Brand, AppError> {
        let key = slug.clone();
        let updated = self
            .control
            .write(move |c| store::set_archived(c, &key, archived, now_ms()))
            .await?;
        self.refresh(&updated);
        Ok(updated)
    }

    fn refresh(&self, brand: &Brand) {
        if let Some(t) = self.cached(&brand.slug) {
            t.replace_brand(brand.clone());
        }
    }

    /// Flushes and closes every database.
    pub async fn close(&self) {
        for tenant in self.open_tenants() {
            tenant.db().close().await;
        }
        self.control.close().await;
    }
}

#[path = "idle.rs"]
mod idle;

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
