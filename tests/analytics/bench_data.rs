//! The big brand of the analytics benchmark (`dashboard_bench`), from one of two sources:
//! - `BENCH_SOURCE=demo` (the default): `autonomo demo` (the `gollos` profile: realistic
//!   customers who churn, a year of orders, every summary filled the way the demo fills
//!   it), generated once and cached in `BENCH_CACHE` (default `/tmp/autonomo-bench-demo-
//!   {customers}-{orders}`); each run works on a fresh `cp -a` of the cache.
//! - `BENCH_SOURCE=sql`: the synthetic brand of session 5 (three years of uniformly spread
//!   orders from customers that never churn, every trigger firing per row; ≈ 14 min at 1M
//!   orders on this machine). Its names are "Cliente N", which the search timings rely on.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use autonomo::config::Config;
use autonomo::demo::DemoArgs;
use autonomo::tenants::{Registry, Slug, Tenant};
use chrono::Utc;

use super::rollups::brand;

pub fn env(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Which generator made the brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Demo,
    Sql,
}

pub fn source() -> Source {
    match std::env::var("BENCH_SOURCE").as_deref() {
        Ok("sql") => Source::Sql,
        _ => Source::Demo,
    }
}

/// The brand to measure: its registry (kept alive by the caller), the tenant, and the
/// temporary directory holding the data.
pub async fn big_brand(
    customers: i64,
    orders: i64,
) -> (tempfile::TempDir, Arc<Registry>, Arc<Tenant>) {
    let dir = tempfile::tempdir().expect("tmp");
    match source() {
        Source::Sql => {
            let (registry, tenant) = brand(dir.path(), "grande", "America/Lima").await;
            autonomo::analytics::jobs::ensure_zone(&tenant)
                .await
                .expect("zone");
            let started = Instant::now();
            generate_sql(&tenant, customers, orders).await;
            println!(
                "generated {customers} customers / {orders} orders with SQL (+1 line each, triggers on) in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            (dir, registry, tenant)
        }
        Source::Demo => {
            let cache = std::env::var("BENCH_CACHE")
                .map(PathBuf::from)
                .unwrap_or_else(|_| {
                    PathBuf::from(format!("/tmp/autonomo-bench-demo-{customers}-{orders}"))
                });
            if !cache.join("ready").exists() {
                generate_demo(&cache, customers, orders).await;
            }
            let data = dir.path().join("data");
            copy_dir(&cache.join("data"), &data);
            let registry = Arc::new(Registry::open(&data, 4).expect("registry"));
            let tenant = registry
                .tenant(&Slug::parse("gollos").expect("slug"))
                .await
                .expect("tenant");
            autonomo::analytics::jobs::ensure_zone(&tenant)
                .await
                .expect("zone");
            (dir, registry, tenant)
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp");
    assert!(status.success(), "cp -a {from:?} {to:?}");
}

async fn generate_demo(cache: &Path, customers: i64, orders: i64) {
    let _ = std::fs::remove_dir_all(cache);
    std::fs::create_dir_all(cache).expect("cache dir");
    let config = Config {
        data_dir: cache.join("data"),
        ..Default::default()
    };
    let args = DemoArgs {
        customers: u32::try_from(customers).expect("customers"),
        orders: u32::try_from(orders).expect("orders"),
        seed: 1,
        months: 12,
        tenant: Some("gollos".into()),
        reset: false,
        end: Some(Utc::now().to_rfc3339()),
    };
    let started = Instant::now();
    autonomo::demo::command(config, args)
        .await
        .expect("autonomo demo");
    println!(
        "generated {customers} customers / {orders} orders with `autonomo demo` in {:.1} s (cached in {cache:?})",
        started.elapsed().as_secs_f64()
    );
    std::fs::write(cache.join("ready"), b"").expect("mark cache");
}

/// Session 5's synthetic brand: three years of orders ending now, customers skewed (some
/// buy often), 5 % cancelled, one line each, and inbound messages around them.
async fn generate_sql(tenant: &Tenant, customers: i64, orders: i64) {
    let end = Utc::now().timestamp_millis();
    let span: i64 = 3 * 365 * 86_400_000;
    tenant
        .db()
        .write(move |c| {
            c.execute_batch(&format!(
                "INSERT INTO productos (sku, nombre, categoria, precio, creado_en, actualizado_en)
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
                 SELECT 'SKU' || i, 'Producto ' || i, 'cat' || (i % 6), 500 + i * 100, 0, 0 FROM n;
                 INSERT INTO clientes (nombre, telefono, canal_adquisicion, creado_en, actualizado_en)
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {customers})
                 SELECT 'Cliente ' || i, pii_seal('+519' || (10000000 + i)), 'whatsapp', i, i FROM n;
                 UPDATE clientes SET email = pii_seal('cliente' || id || '@example.com'),
                                     direccion = pii_seal('Av. Arequipa ' || id);"
            ))?;
            c.execute_batch(&format!(
                "INSERT INTO pedidos (cliente_id, canal, estado, subtotal, descuento, total, creado_en, actualizado_en)
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {orders})
                 SELECT 1 + abs(random() % (1 + abs(random() % {customers}))),
                        CASE abs(random() % 4) WHEN 0 THEN 'whatsapp' WHEN 1 THEN 'web' WHEN 2 THEN 'telefono' ELSE 'presencial' END,
                        CASE WHEN abs(random() % 20) = 0 THEN 'cancelado' ELSE 'entregado' END,
                        0, 0, 0, {end} - {span} + i * ({span} / {orders}), 0
                 FROM n;
                 INSERT INTO pedido_items (pedido_id, producto_id, sku, nombre, cantidad, precio_unitario, total)
                 SELECT p.id, pr.id, pr.sku, pr.nombre, 1 + (p.id % 3), pr.precio, (1 + (p.id % 3)) * pr.precio
                 FROM pedidos p JOIN productos pr ON pr.id = 1 + (p.id * 7) % 40;
                 UPDATE pedidos SET total = (SELECT SUM(total) FROM pedido_items WHERE pedido_id = pedidos.id),
                                    subtotal = (SELECT SUM(total) FROM pedido_items WHERE pedido_id = pedidos.id);
                 -- Conversations: an inbound message ten minutes before each order (on
                 -- WhatsApp), and as many again at random instants that lead to nothing.
                 INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, creado_en)
                 SELECT cliente_id, 'whatsapp', 'entrante', 'mensaje', 'hola', creado_en - 600000 FROM pedidos;
                 INSERT INTO interacciones (cliente_id, canal, direccion, tipo, cuerpo, creado_en)
                 SELECT 1 + abs(random() % {customers}), 'whatsapp', 'entrante', 'mensaje', 'consulta',
                        {end} - abs(random() % {span}) FROM pedidos;
                 UPDATE clientes SET
                    pedidos_count = (SELECT COUNT(*) FROM pedidos WHERE cliente_id = clientes.id AND estado <> 'cancelado'),
                    total_gastado = (SELECT COALESCE(SUM(total), 0) FROM pedidos WHERE cliente_id = clientes.id AND estado <> 'cancelado'),
                    ultimo_pedido_en = (SELECT MAX(creado_en) FROM pedidos WHERE cliente_id = clientes.id AND estado <> 'cancelado');"
            ))?;
            Ok(())
        })
        .await
        .expect("generate");
}

/// This process's CPU time so far (user + system), seconds, from /proc/self/stat.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime, fields 14 and 15 of the line: indices 11 and 12 after the name.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
