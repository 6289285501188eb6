//! Shared by the mirror tests: a real PostgreSQL (AUTONOMO_TEST_PG or a throwaway cluster),
//! a TCP proxy that can refuse connections, brand data written through the domain stores,
//! and a row-by-row comparison of SQLite and the mirror that converts back with Postgres'
//! own functions (independent of the mirror's conversion code).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use autonomo::tenants::{BrandInput, Registry, Slug};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::task::JoinHandle;

/// A fresh, empty database on a real PostgreSQL server, dropped at the end.
pub struct Pg {
    pub url: String,
    admin_url: String,
    name: String,
    _cluster: Option<Cluster>,
}

impl Pg {
    pub async fn start() -> Pg {
        let (admin_url, cluster) = match std::env::var("AUTONOMO_TEST_PG") {
            Ok(url) if !url.is_empty() => (url, None),
            _ => {
                let cluster = Cluster::start();
                (cluster.url("postgres"), Some(cluster))
            }
        };
        let name = format!("autonomo_test_{}", hex::encode(rand::random::<[u8; 6]>()));
        let admin = connect(&admin_url).await;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create test database on {admin_url}: {e}"));
        let url = with_database(&admin_url, &name);
        Pg {
            url,
            admin_url,
            name,
            _cluster: cluster,
        }
    }

    pub async fn client(&self) -> tokio_postgres::Client {
        connect(&self.url).await
    }

    pub fn port(&self) -> u16 {
        let cfg: tokio_postgres::Config = self.url.parse().unwrap();
        cfg.get_ports().first().copied().unwrap_or(5432)
    }

    /// The same database reached through another host:port (a proxy).
    pub fn url_via(&self, addr: SocketAddr) -> String {
        format!("postgres://postgres@{addr}/{}?sslmode=disable", self.name)
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let (admin, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok((c, conn)) = tokio_postgres::connect(&admin, tokio_postgres::NoTls).await
                {
                    tokio::spawn(conn);
                    let _ = c
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        })
        .join();
    }
}

pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    tokio::spawn(conn);
    client
}

fn with_database(url: &str, db: &str) -> String {
    let mut cfg: tokio_postgres::Config =
        url.parse().expect("AUTONOMO_TEST_PG is not a Postgres URL");
    cfg.dbname(db);
    let host = match &cfg.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
        #[cfg(unix)]
        tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
    };
    let port = cfg.get_ports().first().copied().unwrap_or(5432);
    let user = cfg.get_user().unwrap_or("postgres");
    let password = cfg
        .get_password()
        .map(|p| format!(":{}", String::from_utf8_lossy(p)))
        .unwrap_or_default();
    format!("postgres://{user}{password}@{host}:{port}/{db}?sslmode=disable")
}

/// A throwaway cluster made with the system's initdb/pg_ctl on a random port.
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_user: Option<String>,
}

impl Cluster {
    fn start() -> Cluster {
        let bin = find_pg_bin().unwrap_or_else(|| {
            panic!(
                "The mirror tests need PostgreSQL: set AUTONOMO_TEST_PG=postgres://user@host:port/db \
                 or install the server so initdb and pg_ctl exist (Debian: apt-get install postgresql)"
            )
        });
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        // initdb refuses to run as root; use the postgres system user then.
        let as_user = is_root().then(|| "postgres".to_string());
        if let Some(user) = &as_user {
            let out = Command::new("chown")
                .arg("-R")
                .arg(user)
                .arg(dir.path())
                .output();
            assert!(
                out.map(|o| o.status.success()).unwrap_or(false),
                "running as root: cannot chown the cluster dir to `{user}`; create that user or set AUTONOMO_TEST_PG"
            );
        }
        let data = dir.path().join("data");
        let cluster = Cluster {
            dir,
            bin,
            port,
            as_user,
        };
        cluster.run(
            "initdb",
            &[
                "-A",
                "trust",
                "-U",
                "postgres",
                "-D",
                data.to_str().unwrap(),
            ],
        );
        let opts = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            cluster.dir.path().display()
        );
        cluster.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &opts,
                "-w",
                "-l",
                cluster.dir.path().join("log").to_str().unwrap(),
                "start",
            ],
        );
        cluster
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let mut cmd = match &self.as_user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.arg("-u").arg(user).arg("--").arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let out = cmd
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
        assert!(
            out.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let mut cmd = match &self.as_user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.arg("-u").arg(user).arg("--").arg(self.bin.join("pg_ctl"));
                c
            }
            None => Command::new(self.bin.join("pg_ctl")),
        };
        let _ = cmd
            .args(["-D", data.to_str().unwrap_or(""), "-m", "immediate", "stop"])
            .output();
    }
}

fn find_pg_bin() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    candidates.sort();
    candidates.reverse();
    candidates.push(PathBuf::from("/usr/local/bin"));
    candidates.push(PathBuf::from("/usr/bin"));
    candidates
        .into_iter()
        .find(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A TCP proxy to Postgres that can be switched off (connections refused, open ones cut).
pub struct Proxy {
    pub addr: SocketAddr,
    target: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Proxy {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let proxy = Proxy {
            addr,
            target,
            tasks: Arc::default(),
        };
        proxy.resume().await;
        proxy
    }

    pub async fn resume(&self) {
        let listener = tokio::net::TcpListener::bind(self.addr).await.unwrap();
        let (target, tasks) = (self.target, self.tasks.clone());
        let handle = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let pipe = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().unwrap().push(pipe);
            }
        });
        self.tasks.lock().unwrap().push(handle);
    }

    /// Refuses new connections and cuts the open ones.
    pub fn stop(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }
}

/// A registry in a temp dir with brands `gollos` (PEN) and `kiosko` (CLP).
pub async fn registry(dir: &Path) -> Registry {
    let registry = Registry::open(dir, 2).unwrap();
    for (slug, currency) in [("gollos", "PEN"), ("kiosko", "CLP")] {
        registry
            .create(BrandInput {
                slug: slug.into(),
                nombre: format!("Marca {slug}"),
                moneda: currency.into(),
                zona_horaria: "America/Lima".into(),
                pais: "PE".into(),
                idioma: "es".into(),
            })
            .await
            .unwrap();
    }
    registry
}

pub fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

/// Columns that hold personal data, as docs/mirror.md promises.
pub const PERSONAL: &[(&str, &str)] = &[
    ("clientes", "telefono"),
    ("clientes", "email"),
    ("clientes", "direccion"),
    ("clientes", "notas"),
    ("clientes", "wa_id"),
    ("pedidos", "notas"),
    ("pedido_estados", "nota"),
    ("interacciones", "cuerpo"),
    ("interacciones", "metadatos"),
    ("encuestas", "comentario"),
    ("recordatorios", "texto"),
    ("fidelidad_movimientos", "nota"),
    ("tickets_soporte", "asunto"),
    ("tickets_soporte", "detalle"),
];

/// SQLite columns holding JSON (compared as JSON values).
const JSON_COLUMNS: &[&str] = &[
    "etiquetas",
    "atributos",
    "metadatos",
    "audiencia",
    "variables",
    "ajustes",
    "items",
];

/// SQLite columns the mirror stores under another name (`clave` is the mirror's own key).
const RENAMED: &[(&str, &str, &str)] = &[
    ("automatizaciones", "clave", "automatizacion"),
    ("recordatorios", "clave", "clave_regla"),
];

fn pg_column<'a>(table: &str, sqlite: &'a str) -> &'a str {
    RENAMED
        .iter()
        .find(|(t, c, _)| *t == table && *c == sqlite)
        .map(|(_, _, pg)| *pg)
        .unwrap_or(sqlite)
}

/// Every brand table the mirror copies, with the SQLite key its rows are compared by.
pub fn tables() -> Vec<(&'static str, Vec<&'static str>)> {
    autonomo::mirror::tables::TABLES
        .iter()
        .map(|t| (t.name, t.key.to_vec()))
        .collect()
}

/// The expected pseudonym, computed here from the key file independently of the mirror.
pub fn expected_pseudonym(key: &[u8], value: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(value.as_bytes());
    format!("seud:{}", hex::encode(&mac.finalize().into_bytes()[..16]))
}

pub fn read_key(data_dir: &Path) -> Vec<u8> {
    hex::decode(
        std::fs::read_to_string(data_dir.join("mirror.key"))
            .unwrap()
            .trim(),
    )
    .unwrap()
}

type Rows = Vec<BTreeMap<String, Value>>;

/// The brand's rows as SQLite has them, personal fields hashed when `key` is given.
/// Column names are the mirror's (see [`RENAMED`]).
pub fn sqlite_rows(conn: &rusqlite::Connection, table: &str, key: Option<&[u8]>) -> Rows {
    let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
    let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let json_cols = JSON_COLUMNS;
    let ring = autonomo::crypto::Keyring::for_connection(conn).unwrap();
    stmt.query_map([], |r| {
        let mut row = BTreeMap::new();
        for (i, name) in names.iter().enumerate() {
            // Blind indexes are not mirrored; sealed fields are mirrored opened.
            if name.ends_with("_bi") {
                continue;
            }
            let v: rusqlite::types::Value = match r.get(i)? {
                rusqlite::types::Value::Text(t) if t.starts_with("enc1:") => {
                    rusqlite::types::Value::Text(ring.open(&t).unwrap())
                }
                v => v,
            };
            let personal = PERSONAL.contains(&(table, name.as_str()));
            let value = match v {
                rusqlite::types::Value::Null => Value::Null,
                rusqlite::types::Value::Integer(n) => Value::from(n),
                rusqlite::types::Value::Text(t) => {
                    let is_json = json_cols.contains(&name.as_str());
                    match key {
                        Some(k)
                            if personal
                                && !t.is_empty()
                                && !(is_json && (t == "{}" || t == "[]")) =>
                        {
                            Value::String(expected_pseudonym(k, &t))
                        }
                        _ if is_json => serde_json::from_str(&t).unwrap(),
                        _ => Value::String(t),
                    }
                }
                other => panic!("unexpected {other:?}"),
            };
            row.insert(pg_column(table, name).to_string(), value);
        }
        Ok(row)
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// The mirror's rows of one (site, brand), converted back to SQLite's representation by SQL.
pub async fn pg_rows(
    client: &tokio_postgres::Client,
    table: &str,
    site: &str,
    marca: &str,
    exponent: u32,
) -> Rows {
    let cols = client
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = 'autonomo' AND table_name = $1 AND is_generated = 'NEVER'
               AND column_name NOT IN ('site', 'marca', 'moneda') ORDER BY ordinal_position",
            &[&table],
        )
        .await
        .unwrap();
    let exprs: Vec<String> = cols
        .iter()
        .map(|r| {
            let (name, ty): (String, String) = (r.get(0), r.get(1));
            match ty.as_str() {
                "timestamp with time zone" => {
                    format!("(extract(epoch FROM {name}) * 1000)::bigint::text")
                }
                "numeric" => format!("({name} * {})::bigint::text", 10i64.pow(exponent)),
                "boolean" => format!("{name}::int::text"),
                "bigint" => format!("{name}::text"),
                "jsonb" => format!("{name}::text"),
                "text" => name.clone(),
                other => panic!("{table}.{name}: unexpected type {other}"),
            }
        })
        .collect();
    let sql = format!(
        "SELECT {} FROM autonomo.{table} t WHERE site = $1 AND marca = $2",
        exprs.join(", ")
    );
    let rows = client.query(&sql, &[&site, &marca]).await.unwrap();
    rows.iter()
        .map(|r| {
            let mut row = BTreeMap::new();
            for (i, c) in cols.iter().enumerate() {
                let (name, ty): (String, String) = (c.get(0), c.get(1));
                let text: Option<String> = r.get(i);
                let value = match (text, ty.as_str()) {
                    (None, _) => Value::Null,
                    (Some(t), "text") => Value::String(t),
                    (Some(t), "jsonb") => serde_json::from_str(&t).unwrap(),
                    (Some(t), _) => Value::from(t.parse::<i64>().unwrap()),
                };
                row.insert(name, value);
            }
            row
        })
        .collect()
}

/// Asserts that every mirrored table of the brand equals SQLite, row by row.
pub async fn assert_mirrored(
    client: &tokio_postgres::Client,
    conn: &rusqlite::Connection,
    site: &str,
    marca: &str,
    exponent: u32,
    key: Option<&[u8]>,
) {
    for (table, pk) in tables() {
        let pk: Vec<&str> = pk.iter().map(|c| pg_column(table, c)).collect();
        // Both sides in the same order, by key (compared as text: any total order will do).
        let by_key = |rows: &mut Rows| {
            rows.sort_by_cached_key(|r| {
                pk.iter()
                    .map(|c| format!("{:>24}", r[*c].to_string()))
                    .collect::<Vec<_>>()
            })
        };
        let mut want = sqlite_rows(conn, table, key);
        let mut got = pg_rows(client, table, site, marca, exponent).await;
        by_key(&mut want);
        by_key(&mut got);
        assert_eq!(got.len(), want.len(), "{site}/{marca}/{table}: row count");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w, "{site}/{marca}/{table}: row differs");
        }
    }
}

/// A read-only SQLite connection to a brand file, as the test's independent view.
pub fn open_brand(data_dir: &Path, marca: &str) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        data_dir.join("tenants").join(format!("{marca}.db")),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap()
}

/// A small deterministic generator so failures can be replayed from the printed seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

pub fn customer(i: u64, tag: &str) -> autonomo::customers::CustomerFields {
    autonomo::customers::CustomerFields {
        name: format!("Cliente {tag} {i} Ñandú"),
        phone: Some(format!("+5198{:07}", i)),
        email: (!i.is_multiple_of(3)).then(|| format!("c{i}.{tag}@example.pe")),
        address: i
            .is_multiple_of(2)
            .then(|| format!("Av. Larco {i}, Miraflores")),
        notes: i
            .is_multiple_of(4)
            .then(|| "prefiere \"sin ají\"\nllamar antes".to_string()),
        tags: vec![format!("t{}", i % 3), "vip".into()],
        marketing_consent: i % 2 == 1,
        channel: "whatsapp".into(),
    }
}

/// Writes customers, products, orders (with status moves) and interactions to `marca`
/// through the domain store functions, in one write.
pub async fn seed(registry: &Registry, marca: &str, customers: u64, start_ms: i64) {
    let tenant = registry.tenant(&slug(marca)).await.unwrap();
    let s = slug(marca);
    let marca = marca.to_string();
    tenant
        .db()
        .write(move |conn| {
            let marca = marca.as_str();
            use autonomo::{customers, interactions, orders, products};
            let mut rng = Rng::new(customers * 7919 + 1);
            let mut product_ids = Vec::new();
            for p in 0..8 {
                let input = products::ProductInput {
                    sku: format!("SKU-{p}"),
                    nombre: format!("Producto {p}"),
                    categoria: if p % 2 == 0 {
                        "pollos".into()
                    } else {
                        "bebidas".into()
                    },
                    precio: 1990 + p * 105,
                    costo: (p % 2 == 0).then_some(900 + p),
                    stock: (p % 3 != 0).then_some(100_000),
                    activo: p != 7,
                    atributos: serde_json::json!({"orden": p, "picante": p % 2 == 0}),
                };
                let product = products::store::insert(conn, &s, &input, start_ms)?;
                if product.active {
                    product_ids.push(product.id);
                }
            }
            for i in 0..customers {
                let at = start_ms + (i as i64) * 3_600_000;
                let c = customers::store::insert(conn, &s, &customer(i, marca), at)?;
                for k in 0..(i % 3) {
                    let pid = product_ids[rng.below(product_ids.len() as u64) as usize];
                    let items = [orders::ItemInput {
                        producto_id: Some(autonomo::tenants::ids::ProductId::new(&s, pid)),
                        sku: None,
                        cantidad: 1 + (k as i64),
                    }];
                    let notes = format!("Dejar en portería {i}");
                    let new = orders::store::NewOrder {
                        customer_id: c.id,
                        channel: "whatsapp",
                        items: &items,
                        notes: (k == 0).then_some(notes.as_str()),
                        external_id: None,
                        actor: "test",
                        confirm: k == 1,
                    };
                    let o = orders::store::create(conn, &new, at + 60_000)?;
                    if i % 5 == 0 {
                        let to = match k {
                            0 => orders::Status::Cancelado,
                            1 => orders::Status::EnPreparacion,
                            _ => orders::Status::Confirmado,
                        };
                        orders::store::transition(
                            conn,
                            o.id,
                            to,
                            "test",
                            Some("nota de estado"),
                            at + 120_000,
                        )?;
                    }
                }
                let new = interactions::NewInteraction {
                    customer_id: c.id,
                    channel: "whatsapp".into(),
                    direction: "entrante".into(),
                    kind: "mensaje".into(),
                    body: format!("Hola, quiero {i} pollos a la brasa"),
                    external_id: Some(format!("wamid.{marca}.{i}")),
                    order_id: None,
                    metadata: if i % 2 == 0 {
                        serde_json::json!({})
                    } else {
                        serde_json::json!({"wa_from": format!("5198{i:07}")})
                    },
                    at: at + 1000,
                };
                interactions::store::insert(conn, &new)?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

/// Random inserts, updates and deletes on `marca`, through the domain stores.
pub async fn random_changes(registry: &Registry, marca: &str, seed: u64, n: u64) {
    let tenant = registry.tenant(&slug(marca)).await.unwrap();
    let s = slug(marca);
    let marca = marca.to_string();
    tenant
        .db()
        .write(move |conn| {
            let marca = marca.as_str();
            use autonomo::{customers, interactions, orders, products};
            let mut rng = Rng::new(seed);
            let now = 1_720_000_000_000 + seed as i64;
            for step in 0..n {
                let ids: Vec<i64> = conn
                    .prepare("SELECT id FROM clientes ORDER BY id")?
                    .query_map([], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                let pick = |rng: &mut Rng| ids.get(rng.below(ids.len() as u64) as usize).copied();
                match rng.below(6) {
                    0 => {
                        customers::store::insert(conn, &s, &customer(10_000 + seed * 1000 + step, marca), now)?;
                    }
                    1 => {
                        if let Some(id) = pick(&mut rng) {
                            let mut f = customer(20_000 + seed * 1000 + step, marca);
                            f.notes = Some(format!("actualizado {step}"));
                            f.address = None;
                            customers::store::update(conn, &s, id, &f, now + step as i64)?;
                        }
                    }
                    2 => {
                        // Customers with orders cannot be deleted; those without can (and
                        // take their interactions with them).
                        if let Some(id) = pick(&mut rng) {
                            let _ = customers::store::delete(conn, id);
                        }
                    }
                    3 => {
                        let pid: i64 = conn.query_row("SELECT id FROM productos ORDER BY random() LIMIT 1", [], |r| r.get(0))?;
                        if let Some(p) = products::store::get(conn, pid)? {
                            let mut input = products::ProductInput {
                                sku: p.sku.clone(),
                                nombre: format!("{} v{step}", p.name),
                                categoria: p.category.clone(),
                                precio: p.price + 10,
                                costo: None,
                                stock: p.stock,
                                activo: !p.active,
                                atributos: serde_json::json!({"paso": step}),
                            };
                            input.activo = true;
                            products::store::update(conn, &s, pid, &input, now)?;
                        }
                    }
                    4 => {
                        let open: Option<i64> = conn
                            .query_row(
                                "SELECT id FROM pedidos WHERE estado = 'recibido' ORDER BY random() LIMIT 1",
                                [],
                                |r| r.get(0),
                            )
                            .ok();
                        if let Some(oid) = open {
                            orders::store::transition(conn, oid, orders::Status::Confirmado, "test", None, now)?;
                        }
                    }
                    _ => {
                        if let Some(id) = pick(&mut rng) {
                            let new = interactions::NewInteraction {
                                customer_id: id,
                                channel: "telefono".into(),
                                direction: "saliente".into(),
                                kind: "llamada".into(),
                                body: format!("Llamada {step}"),
                                external_id: None,
                                order_id: None,
                                metadata: serde_json::json!({"duracion_s": step}),
                                at: now,
                            };
                            interactions::store::insert(conn, &new)?;
                        }
                    }
                }
            }
            Ok(())
        })
        .await
        .unwrap();
}
