//! The real binary end to end: `autonomo serve` replicating to moto while the HTTP API writes,
//! then restores with the official `litestream restore` (0.5.17, 0.5.5) and `autonomo restore`
//! compared table by table with the live databases; point in time; `backup verify`,
//! `backup local` + restore of its archive; kill -9 mid-replication; erasure replay; a whole
//! installation rebuilt from the bucket in one command; and S3 hanging for 30 s under load.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use autonomo::backup::S3Client;
use common::server::*;
use common::*;
use rusqlite::Connection;

const SLUGS: [&str; 2] = ["gollos", "goio"];

async fn moto_with_bucket(tools: &Tools) -> (Moto, S3Client) {
    let moto = Moto::start(tools, free_port());
    let client = S3Client::new(s3_config(moto.port)).unwrap();
    common::create_bucket(&client).await;
    (moto, client)
}

/// Runs `rounds` business rounds on every brand with two writers per brand.
async fn write_load(api: &Api, from: u64, rounds: u64) -> Vec<Duration> {
    let mut set = tokio::task::JoinSet::new();
    for (b, slug) in SLUGS.iter().enumerate() {
        for w in 0..2u64 {
            let api = api.clone();
            let slug = slug.to_string();
            set.spawn(async move {
                let mut lat = Vec::new();
                for r in 0..rounds {
                    let n = (from + r) * 10 + w * 5 + b as u64;
                    lat.extend(business_round(&api, &slug, n).await);
                }
                lat
            });
        }
    }
    let mut all = Vec::new();
    while let Some(r) = set.join_next().await {
        all.extend(r.unwrap());
    }
    all
}

fn tenant_db(data: &Path, slug: &str) -> std::path::PathBuf {
    data.join("tenants").join(format!("{slug}.db"))
}

/// Restores every database with both Litestream versions and with `autonomo restore`, and
/// compares each with the live file; `txids` are the shipped TXIDs the server reported.
/// `erased` names a database whose `autonomo restore` replays an erasure (checked apart).
fn check_all_restores(
    tools: &Tools,
    port: u16,
    data: &Path,
    env: &[(String, String)],
    out: &Path,
    txids: &[(String, u64)],
    erased: Option<&str>,
) {
    std::fs::create_dir_all(out).unwrap();
    for (name, txid) in txids {
        let live = if name == "control" {
            dump(&data.join("control.db"))
        } else {
            dump(&tenant_db(data, name.trim_start_matches("tenants/")))
        };
        let remote = format!("e2e/{name}");
        let tag = name.replace('/', "-");
        for v in ["0.5.17", "0.5.5"] {
            let o = out.join(format!("{tag}-ls-{v}.db"));
            litestream_restore(tools, v, port, &remote, &o, &[]);
            assert_same(&live, &o, &format!("litestream {v} {name}"));
        }
        let o = out.join(format!("{tag}-ours.db"));
        let which: Vec<&str> = match name.strip_prefix("tenants/") {
            Some(slug) => vec!["--tenant", slug],
            None => vec!["--control"],
        };
        let mut args = vec!["restore"];
        args.extend(&which);
        args.extend(["--to", o.to_str().unwrap()]);
        let printed = cli_ok(data, env, &args);
        // At least the TXID the server reported shipped: the running server may commit and
        // ship another transaction (a job run, an alert's state in the control database)
        // between that report and this restore; the content check below compares with the
        // live file as it is now.
        let restored: u64 = printed
            .split("txid ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("restore printed no TXID: {printed}"));
        assert!(
            restored >= *txid,
            "restored TXID {restored} is behind what the server shipped ({txid}): {printed}"
        );
        if erased != Some(name.as_str()) {
            assert_same(&live, &o, &format!("autonomo restore {name}"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serve_replicates_and_every_restore_path_matches_live() {
    let tools = Tools::from_env();
    let (moto, client) = moto_with_bucket(&tools).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let env = backup_env(moto.port, "e2e");
    let token = init_install(&data, &env, &SLUGS);
    let mut server = Server::start(&data, &env);
    let api = Api::new(&server.base, &token);

    // The customer a GDPR erasure will later forget; in the bucket from the start.
    let forgotten = api
        .ok(
            "POST",
            "/api/marcas/gollos/clientes",
            serde_json::json!({
            "nombre": "Zoraida Quispe", "telefono": "+51912345678", "notas": "alérgica al maní"}),
        )
        .await;
    let forgotten_id = forgotten["id"].as_str().unwrap().to_string();
    api.ok("POST", "/api/interacciones", serde_json::json!({"cliente_id": forgotten_id,
        "canal": "whatsapp", "direccion": "entrante", "tipo": "mensaje", "cuerpo": "mi dirección es Jr. Zepita 123"}))
        .await;

    write_load(&api, 0, 3).await;
    // Point in time: the state at a quiet moment, then more writes (and deletes) after it.
    let pitr = wait_replicated(&api, Duration::from_secs(60)).await;
    let pitr_txid = pitr.iter().find(|(n, _)| n == "tenants/gollos").unwrap().1;
    let pitr_state = dump(&tenant_db(&data, "gollos"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pitr_time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // More single-write batches than the writer's 256 between checkpoints, beside the load:
    // checkpoints run on their own thread, pinned at what the backup shipped, while the
    // writes go on; the restores below must still match.
    let regular = api
        .ok(
            "POST",
            "/api/marcas/gollos/clientes",
            serde_json::json!({"nombre": "Cliente Frecuente", "telefono": "+51912000111"}),
        )
        .await;
    let regular_id = regular["id"].as_str().unwrap().to_string();
    let notes = async {
        for i in 0..300 {
            api.ok("POST", "/api/interacciones", serde_json::json!({"cliente_id": regular_id,
                "canal": "telefono", "direccion": "entrante", "tipo": "nota", "cuerpo": format!("llamada {i}")}))
                .await;
        }
    };
    tokio::join!(write_load(&api, 3, 3), notes);

    let txids = wait_replicated(&api, Duration::from_secs(60)).await;
    assert_eq!(
        txids.len(),
        3,
        "control and both brands replicate: {txids:?}"
    );
    check_all_restores(
        &tools,
        moto.port,
        &data,
        &env,
        &dir.path().join("r1"),
        &txids,
        None,
    );

    let out = dir.path().join("pitr");
    std::fs::create_dir_all(&out).unwrap();
    let by_time = out.join("time.db");
    cli_ok(
        &data,
        &env,
        &[
            "restore",
            "--tenant",
            "gollos",
            "--timestamp",
            &pitr_time,
            "--to",
            by_time.to_str().unwrap(),
        ],
    );
    assert_same(&pitr_state, &by_time, "restore --timestamp");
    let by_txid = out.join("txid.db");
    cli_ok(
        &data,
        &env,
        &[
            "restore",
            "--tenant",
            "gollos",
            "--txid",
            &pitr_txid.to_string(),
            "--to",
            by_txid.to_str().unwrap(),
        ],
    );
    assert_same(&pitr_state, &by_txid, "restore --txid");
    let ls_txid = out.join("ls.db");
    litestream_restore(
        &tools,
        "0.5.17",
        moto.port,
        "e2e/tenants/gollos",
        &ls_txid,
        &["-txid", &format!("{pitr_txid:016x}")],
    );
    assert_same(&pitr_state, &ls_txid, "litestream -txid");
    let refused = cli(&data, &env, &["restore", "--tenant", "gollos"]);
    assert!(
        !refused.status.success(),
        "never overwrites the live database without --force"
    );

    let verify = cli_ok(&data, &env, &["backup", "verify"]);
    assert_eq!(
        verify.lines().filter(|l| l.starts_with("ok\t")).count(),
        3,
        "{verify}"
    );
    let status = cli_ok(&data, &env, &["backup", "status"]);
    assert!(
        status.contains("tenants/goio") && status.contains("control"),
        "{status}"
    );

    let local = dir.path().join("local");
    for _ in 0..3 {
        cli_ok(
            &data,
            &env,
            &[
                "backup",
                "local",
                "--to",
                local.to_str().unwrap(),
                "--keep",
                "2",
            ],
        );
    }
    let archives: Vec<_> = std::fs::read_dir(local.join("tenants"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(archives.len(), 4, "2 kept per brand: {archives:?}");
    let archive = archives
        .iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("gollos-")
        })
        .max()
        .unwrap();
    let from_local = dir.path().join("from-local.db");
    cli_ok(
        &data,
        &env,
        &[
            "restore",
            "--tenant",
            "gollos",
            "--from",
            archive.to_str().unwrap(),
            "--to",
            from_local.to_str().unwrap(),
        ],
    );
    assert_same(
        &dump(&tenant_db(&data, "gollos")),
        &from_local,
        "restore --from local archive",
    );

    // kill -9 while writes are being replicated; the acknowledged writes survive locally and
    // the chain continues after the restart.
    let load = {
        let api = api.clone();
        tokio::spawn(async move {
            let mut n = 100;
            loop {
                for slug in SLUGS {
                    let body = serde_json::json!({"nombre": format!("Rafaga {n}"), "email": format!("r{n}@x.example")});
                    match api
                        .try_call("POST", &format!("/api/marcas/{slug}/clientes"), Some(body))
                        .await
                    {
                        Ok((s, v)) => assert_eq!(s, 201, "{v}"),
                        Err(_) => return n,
                    }
                    n += 1;
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    server.kill9();
    assert!(
        load.await.unwrap() > 102,
        "writes were flowing when the server was killed"
    );

    // While the server is down, the security feature records an erasure (control DB only:
    // the brand file still holds the person, as every backup does).
    let local_id: i64 = forgotten_id.rsplit('_').next().unwrap().parse().unwrap();
    {
        let c = Connection::open(data.join("control.db")).unwrap();
        let slug = autonomo::tenants::Slug::parse("gollos").unwrap();
        autonomo::backup::erasure::record(&c, &slug, local_id, 1).unwrap();
    }

    let mut server = Server::start(&data, &env);
    let api = Api::new(&server.base, &token);
    write_load(&api, 20, 1).await;
    let txids = wait_replicated(&api, Duration::from_secs(60)).await;
    check_all_restores(
        &tools,
        moto.port,
        &data,
        &env,
        &dir.path().join("r2"),
        &txids,
        Some("tenants/gollos"),
    );

    // Erasure replay: a single restore and a whole-installation restore both forget her.
    let single = dir.path().join("erased.db");
    let printed = cli_ok(
        &data,
        &env,
        &[
            "restore",
            "--tenant",
            "gollos",
            "--to",
            single.to_str().unwrap(),
        ],
    );
    assert!(printed.contains("erased 1"), "{printed}");
    assert_forgotten(&single, local_id);
    server.stop();
    assert!(!server.log().contains("panicked"), "{}", server.log());

    let new_data = dir.path().join("new-machine");
    // The master key never travels with the backups: the operator brings it from the key
    // backup (docs/operations-backup.md). Without it the restore refuses, saying so.
    let no_key = dir.path().join("no-key");
    let refused = cli(
        &no_key,
        &env,
        &[
            "restore",
            "--all",
            "--to-data-dir",
            no_key.to_str().unwrap(),
        ],
    );
    assert!(
        !refused.status.success()
            && String::from_utf8_lossy(&refused.stderr).contains("master key"),
        "restore without the key: {refused:?}"
    );
    std::fs::create_dir_all(&new_data).unwrap();
    std::fs::copy(data.join("master.key"), new_data.join("master.key")).unwrap();
    let printed = cli_ok(
        &new_data,
        &env,
        &[
            "restore",
            "--all",
            "--to-data-dir",
            new_data.to_str().unwrap(),
        ],
    );
    assert_eq!(
        printed.lines().filter(|l| l.contains("txid")).count(),
        3,
        "{printed}"
    );
    assert_forgotten(&tenant_db(&new_data, "gollos"), local_id);
    assert_same(
        &dump(&tenant_db(&data, "goio")),
        &tenant_db(&new_data, "goio"),
        "restore --all goio",
    );
    let live = dump(&tenant_db(&data, "gollos"));
    let restored = dump(&tenant_db(&new_data, "gollos"));
    for table in ["pedidos:", "pedido_items:", "pedido_estados:", "productos:"] {
        let pick = |d: &[String]| {
            d.iter()
                .filter(|l| l.starts_with(table))
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            pick(&live),
            pick(&restored),
            "{table} unchanged by the erasure"
        );
    }
    // The rebuilt installation serves with the same tokens and keeps replicating.
    let server = Server::start(&new_data, &env);
    let api = Api::new(&server.base, &token);
    let (s, v) = api
        .call("GET", &format!("/api/clientes/{forgotten_id}"), None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["nombre"], autonomo::customers::ERASED_NAME);
    assert!(v["telefono"].is_null());
    let (s, v) = api
        .call("GET", "/api/marcas/gollos/clientes?q=Zoraida", None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert!(!v.to_string().contains("Zoraida"), "{v}");
    drop(server);
    drop(moto);
    drop(client);
}

fn assert_forgotten(db: &Path, id: i64) {
    let c = Connection::open(db).unwrap();
    let (name, phone, notes): (String, Option<String>, Option<String>) = c
        .query_row(
            "SELECT nombre, telefono, notas FROM clientes WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (name.as_str(), phone, notes),
        (autonomo::customers::ERASED_NAME, None, None)
    );
    let hits: i64 = c
        .query_row(
            "SELECT count(*) FROM clientes_fts WHERE clientes_fts MATCH 'Zoraida'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(hits, 0);
    let body: i64 = c
        .query_row(
            "SELECT count(*) FROM interacciones WHERE cliente_id = ?1 AND cuerpo != ''",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(body, 0);
    let raw = std::fs::read(db).unwrap();
    assert!(
        !raw.windows(7).any(|w| w == b"Zoraida"),
        "no trace left in the file's bytes"
    );
}

/// S3 hangs (moto SIGSTOPped: connections accepted, never answered) for 30 s under write load:
/// writes keep their latency, `/healthz` raises the lag alert, replication catches up after,
/// and the restores are complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3_hanging_for_30s_never_slows_writes() {
    let tools = Tools::from_env();
    let (moto, _client) = moto_with_bucket(&tools).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mut env = backup_env(moto.port, "e2e");
    env.push(("AUTONOMO_BACKUP_LAG_ALERT_SECS".into(), "8".into()));
    let token = init_install(&data, &env, &SLUGS);
    let server = Server::start(&data, &env);
    let api = Api::new(&server.base, &token);

    let mut before = write_load(&api, 0, 2).await;
    wait_replicated(&api, Duration::from_secs(60)).await;

    moto.pause(true);
    let t = Instant::now();
    let mut during = Vec::new();
    let mut alerted = false;
    let mut round = 10;
    while t.elapsed() < Duration::from_secs(30) {
        during.extend(write_load(&api, round, 1).await);
        round += 1;
        let (s, h) = api.health().await;
        if s == 503 && h["backup"]["status"] == "degraded" {
            alerted = true;
        }
    }
    moto.pause(false);
    assert!(alerted, "lag alert raised in /healthz while S3 hung");
    let txids = wait_replicated(&api, Duration::from_secs(90)).await;
    let (s, h) = api.health().await;
    assert_eq!(
        (s, h["backup"]["status"].as_str()),
        (200, Some("ok")),
        "{h}"
    );

    before.sort();
    during.sort();
    let med = |v: &[Duration]| v[v.len() / 2];
    let max = *during.last().unwrap();
    assert!(during.len() > 50, "writes kept flowing: {}", during.len());
    assert!(
        med(&during) <= med(&before) * 4 + Duration::from_millis(100),
        "median write latency {:?} during the outage vs {:?} before",
        med(&during),
        med(&before)
    );
    assert!(
        max < Duration::from_secs(3),
        "slowest write during the outage: {max:?}"
    );

    check_all_restores(
        &tools,
        moto.port,
        &data,
        &env,
        &dir.path().join("r"),
        &txids,
        None,
    );
    drop(server);
}
