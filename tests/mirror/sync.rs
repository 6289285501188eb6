//! The Postgres mirror against a real PostgreSQL: full export, change feed, two sites,
//! pseudonymisation, erasure propagation, schema agreement, views and the read-only role.

use crate::support;

use std::time::Duration;

use autonomo::mirror::{self, Event, MirrorStatus, Pseudonymizer, Settings, StepReport};
use autonomo::tenants::Registry;
use support::*;

fn settings(pg: &Pg, site: &str, pseudo: Pseudonymizer) -> Settings {
    Settings {
        postgres_url: pg.url.clone(),
        site: site.into(),
        pseudo,
        interval: Duration::from_millis(200),
    }
}

async fn sync(registry: &Registry, s: &Settings) -> Vec<StepReport> {
    let mut client = mirror::connect(&s.postgres_url).await.unwrap();
    mirror::migrate(&mut client).await.unwrap();
    let status = MirrorStatus::new(&s.site, 300);
    let report = |_: Event| {};
    mirror::sync_all(registry, s, &mut client, &status, true, &report)
        .await
        .unwrap()
}

async fn check(pg: &Pg, dir: &std::path::Path, site: &str, key: Option<&[u8]>) {
    let client = pg.client().await;
    for (marca, exponent) in [("gollos", 2), ("kiosko", 0)] {
        let conn = open_brand(dir, marca);
        assert_mirrored(&client, &conn, site, marca, exponent, key).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_export_equals_sqlite_then_random_changes_converge() {
    let pg = Pg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path()).await;
    seed(&registry, "gollos", 60, 1_704_067_200_000).await;
    seed(&registry, "kiosko", 25, 1_704_067_200_000).await;
    let s = settings(&pg, "lima", Pseudonymizer::passthrough());

    let first = sync(&registry, &s).await;
    assert!(
        first.iter().all(|r| r.full_copy && r.from.is_none()),
        "{first:?}"
    );
    check(&pg, dir.path(), "lima", None).await;

    // Money in major units with the brand's currency, times as instants.
    let client = pg.client().await;
    let row = client
        .query_one(
            "SELECT precio::text, moneda, creado_en = '2024-01-01T00:00:00Z'::timestamptz
             FROM autonomo.productos WHERE site = 'lima' AND marca = 'gollos' AND sku = 'SKU-1'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "20.95");
    assert_eq!(row.get::<_, String>(1), "PEN");
    assert!(row.get::<_, bool>(2));

    for round in 1..=4u64 {
        random_changes(&registry, "gollos", round, 40).await;
        random_changes(&registry, "kiosko", round + 100, 15).await;
        let steps = sync(&registry, &s).await;
        assert!(
            steps.iter().all(|r| !r.full_copy),
            "round {round}: {steps:?}"
        );
        check(&pg, dir.path(), "lima", None).await;
    }
    // The random changes did delete rows (customers and, by cascade, their interactions).
    let deletes: i64 = open_brand(dir.path(), "gollos")
        .query_row(
            "SELECT count(*) FROM changes WHERE op = 'delete'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(deletes > 0, "no deletes were exercised");

    // A replay with nothing new writes nothing and moves no cursor.
    let again = sync(&registry, &s).await;
    assert!(
        again
            .iter()
            .all(|r| r.upserted + r.deleted == 0 && r.from == Some(r.to)),
        "{again:?}"
    );

    // A mirror reset by hand (cursor gone) is rebuilt by a full copy.
    client
        .batch_execute("DELETE FROM autonomo.sincronizacion WHERE marca = 'kiosko'; DELETE FROM autonomo.pedido_items WHERE marca = 'kiosko'")
        .await
        .unwrap();
    let rebuilt = sync(&registry, &s).await;
    assert!(rebuilt.iter().any(|r| r.marca == "kiosko" && r.full_copy));
    check(&pg, dir.path(), "lima", None).await;
    registry.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sites_share_one_database_without_conflicts() {
    let pg = Pg::start().await;
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ra, rb) = (registry(a.path()).await, registry(b.path()).await);
    // Same brand slugs and same row ids on both appliances, different data.
    seed(&ra, "gollos", 20, 1_704_067_200_000).await;
    seed(&rb, "gollos", 35, 1_706_745_600_000).await;
    seed(&ra, "kiosko", 5, 1_704_067_200_000).await;
    let (sa, sb) = (
        settings(&pg, "lima", Pseudonymizer::passthrough()),
        settings(&pg, "cusco", Pseudonymizer::passthrough()),
    );
    // Both appliances sync at the same time into the same database.
    let (x, y) = tokio::join!(sync(&ra, &sa), sync(&rb, &sb));
    assert_eq!(x.len() + y.len(), 4);
    random_changes(&rb, "gollos", 9, 30).await;
    let (_, _) = tokio::join!(sync(&ra, &sa), sync(&rb, &sb));
    check(&pg, a.path(), "lima", None).await;
    check(&pg, b.path(), "cusco", None).await;
    let client = pg.client().await;
    let cursors: i64 = client
        .query_one(
            "SELECT count(*) FROM autonomo.sincronizacion WHERE seq IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(cursors, 4, "one cursor per site and brand");
    let marcas: i64 = client
        .query_one("SELECT count(*) FROM autonomo.marcas", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(marcas, 4);
    ra.close().await;
    rb.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_is_pseudonymised_unless_allowed_and_erasure_propagates() {
    let pg = Pg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path()).await;
    seed(&registry, "gollos", 12, 1_704_067_200_000).await;
    seed(&registry, "kiosko", 3, 1_704_067_200_000).await;
    let mut config = autonomo::config::Config {
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    config.mirror.site = "lima".into();
    let s = Settings::from_config(&config, Some(pg.url.clone())).unwrap();
    sync(&registry, &s).await;

    // The key was created on first use, private to the owner.
    let key_path = dir.path().join(mirror::KEY_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let key = read_key(dir.path());
    check(&pg, dir.path(), "lima", Some(&key)).await;
    let client = pg.client().await;
    let raw_phone = customer(4, "gollos").phone.unwrap();
    let leaked: i64 = client
        .query_one(
            "SELECT (SELECT count(*) FROM autonomo.clientes WHERE telefono = $1 OR email LIKE '%@example.pe' OR direccion LIKE 'Av.%')
                  + (SELECT count(*) FROM autonomo.interacciones WHERE cuerpo LIKE 'Hola%' OR metadatos::text LIKE '%wa_from%')
                  + (SELECT count(*) FROM autonomo.pedidos WHERE notas LIKE 'Dejar%')",
            &[&raw_phone],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(leaked, 0, "personal data reached the mirror");
    // Keyed hashes still join: the same phone gives the same pseudonym.
    let pseudonym = expected_pseudonym(&key, &raw_phone);
    let found: i64 = client
        .query_one(
            "SELECT count(*) FROM autonomo.clientes WHERE telefono = $1",
            &[&pseudonym],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(found, 1);

    // Erasure: fields overwritten in SQLite (status notes have no update trigger, so the
    // mirror's hook queues the customer's rows) reach the mirror through the feed.
    let tenant = registry.tenant(&slug("gollos")).await.unwrap();
    let customer_id: i64 = tenant
        .db()
        .write(|conn| {
            let id: i64 = conn.query_row(
                "SELECT c.id FROM clientes c JOIN pedidos p ON p.cliente_id = c.id
                 JOIN pedido_estados e ON e.pedido_id = p.id WHERE e.nota IS NOT NULL LIMIT 1",
                [],
                |r| r.get(0),
            )?;
            conn.execute(
                "UPDATE clientes SET nombre = 'Cliente borrado', telefono = NULL, email = NULL,
                    direccion = NULL, notas = NULL, wa_id = NULL WHERE id = ?1",
                [id],
            )?;
            conn.execute("UPDATE interacciones SET cuerpo = '', metadatos = '{}' WHERE cliente_id = ?1", [id])?;
            conn.execute("UPDATE pedidos SET notas = NULL WHERE cliente_id = ?1", [id])?;
            conn.execute(
                "UPDATE pedido_estados SET nota = NULL WHERE pedido_id IN (SELECT id FROM pedidos WHERE cliente_id = ?1)",
                [id],
            )?;
            let queued = mirror::erase_customer(conn, id)?;
            assert!(queued >= 3, "{queued}");
            Ok(id)
        })
        .await
        .unwrap();
    let steps = sync(&registry, &s).await;
    assert!(steps.iter().all(|r| !r.full_copy));
    check(&pg, dir.path(), "lima", Some(&key)).await;
    let left: i64 = client
        .query_one(
            "SELECT (SELECT count(*) FROM autonomo.clientes WHERE id = $1 AND marca = 'gollos' AND telefono IS NULL AND nombre = 'Cliente borrado')
                  - (SELECT count(*) FROM autonomo.pedido_estados e JOIN autonomo.pedidos p ON p.clave = e.pedido_clave
                     WHERE p.marca = 'gollos' AND p.cliente_id = $1 AND e.nota IS NOT NULL)",
            &[&customer_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 1, "erased values did not reach the mirror");

    // Allowed: another site of the same database gets the real values.
    config.mirror.include_personal_data = true;
    config.mirror.site = "lima-abierto".into();
    let open = Settings::from_config(&config, Some(pg.url.clone())).unwrap();
    sync(&registry, &open).await;
    check(&pg, dir.path(), "lima-abierto", None).await;
    registry.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_descriptions_agree_with_sqlite_and_postgres() {
    let pg = Pg::start().await;
    let mut client = pg.client().await;
    mirror::migrate(&mut client).await.unwrap();
    mirror::migrate(&mut client).await.unwrap(); // idempotent
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path()).await;
    let conn = open_brand(dir.path(), "gollos");
    for t in mirror::tables::TABLES {
        let mut sqlite: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{}')", t.name))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            // Blind indexes (telefono_bi, email_bi) are lookup plumbing, not mirrored.
            .filter(|c: &String| !c.ends_with("_bi"))
            .collect();
        let mut described: Vec<String> = t.columns.iter().map(|c| c.name.to_string()).collect();
        sqlite.sort();
        described.sort();
        assert_eq!(
            described, sqlite,
            "src/mirror/tables.rs vs SQLite table {}",
            t.name
        );
        for c in t.columns {
            let row = client
                .query_opt(
                    "SELECT CASE WHEN data_type = 'timestamp with time zone' THEN 'timestamptz' ELSE data_type::text END
                     FROM information_schema.columns WHERE table_schema = 'autonomo' AND table_name = $1 AND column_name = $2",
                    &[&t.name, &c.pg],
                )
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("autonomo.{}.{} missing: add it in migrations/mirror/", t.name, c.pg));
            assert_eq!(
                row.get::<_, String>(0),
                c.kind.pg_type(),
                "autonomo.{}.{}",
                t.name,
                c.name
            );
        }
    }
    // Every table of a brand file is mirrored or excluded with a reason (shadow tables of the
    // full-text indexes and refinery's history aside).
    let all: Vec<String> = conn
        .prepare(
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual')
               AND name NOT LIKE 'sqlite_%' AND name <> 'refinery_schema_history'",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(all.len() > 40, "{all:?}");
    for table in &all {
        let excluded = mirror::tables::NOT_MIRRORED.iter().any(|(t, _)| t == table);
        assert!(
            mirror::tables::find(table).is_some() != excluded,
            "{table}: mirror it (src/mirror/tables.rs) or list it in NOT_MIRRORED with a reason, not both or neither"
        );
    }
    for (t, _) in mirror::tables::NOT_MIRRORED {
        assert!(
            all.iter().any(|a| a == t),
            "NOT_MIRRORED names {t}, which is no table"
        );
    }
    // Every mirrored table feeds `changes` on insert, update and delete.
    for t in mirror::tables::TABLES {
        let ops: Vec<String> = conn
            .prepare(
                "SELECT lower(substr(sql, instr(upper(sql), 'AFTER ') + 6, 6)) FROM sqlite_master
                 WHERE type = 'trigger' AND tbl_name = ?1 AND sql LIKE '%INSERT INTO changes%'",
            )
            .unwrap()
            .query_map([t.name], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        // pedido_estados is append-only (erasure queues its rows by hand, see erase_customer).
        let wanted: &[&str] = if t.name == "pedido_estados" {
            &["insert", "delete"]
        } else {
            &["insert", "update", "delete"]
        };
        for op in wanted {
            assert!(
                ops.iter().any(|o| o == op),
                "{} has no change-feed trigger AFTER {op}",
                t.name
            );
        }
    }
    // Every table that feeds the change feed is mirrored.
    let fed: Vec<String> = conn
        .prepare("SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%INSERT INTO changes%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for table in fed {
        let excluded = mirror::tables::NOT_MIRRORED
            .iter()
            .any(|(t, _)| *t == table);
        assert!(
            mirror::tables::find(&table).is_some() || excluded,
            "{table} feeds `changes` but is not mirrored: add it to src/mirror/tables.rs and migrations/mirror/ (or to NOT_MIRRORED with a reason)"
        );
    }
    // Every table and column is documented for NocoDB/Metabase users.
    let undocumented: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'autonomo' AND c.relkind IN ('r', 'v') AND obj_description(c.oid, 'pg_class') IS NULL
               AND c.relname <> 'migraciones'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(undocumented, 0);
    registry.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_compute_daily_metrics_rfm_and_cohorts_in_the_brand_zone() {
    let pg = Pg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path()).await;
    let tenant = registry.tenant(&slug("gollos")).await.unwrap();
    // 2024-01-31 23:30 in Lima is 2024-02-01 04:30 UTC.
    let jan31_lima = 1_706_761_800_000i64;
    let march = jan31_lima + 40 * 86_400_000;
    tenant
        .db()
        .write(move |conn| {
            use autonomo::{customers, orders, products};
            let s = slug("gollos");
            let p = products::store::insert(
                conn,
                &s,
                &products::ProductInput {
                    sku: "POLLO".into(),
                    nombre: "Pollo".into(),
                    categoria: String::new(),
                    precio: 2500,
                    costo: None,
                    stock: None,
                    activo: true,
                    atributos: serde_json::json!({}),
                },
                jan31_lima,
            )?;
            let items = |n| {
                vec![orders::ItemInput {
                    producto_id: Some(autonomo::tenants::ids::ProductId::new(&s, p.id)),
                    sku: None,
                    cantidad: n,
                }]
            };
            let order = |cid, n, at, cancel: bool| -> Result<(), autonomo::error::AppError> {
                let it = items(n);
                let o = orders::store::create(
                    conn,
                    &orders::store::NewOrder {
                        customer_id: cid,
                        channel: "web",
                        items: &it,
                        notes: None,
                        external_id: None,
                        actor: "t",
                        confirm: false,
                    },
                    at,
                )?;
                if cancel {
                    orders::store::transition(
                        conn,
                        o.id,
                        orders::Status::Cancelado,
                        "t",
                        None,
                        at,
                    )?;
                }
                Ok(())
            };
            let a = customers::store::insert(conn, &s, &customer(1, "v"), jan31_lima)?.id;
            let b = customers::store::insert(conn, &s, &customer(2, "v"), jan31_lima)?.id;
            order(a, 2, jan31_lima, false)?; // 50.00
            order(b, 1, jan31_lima + 60_000, false)?; // 25.00
            order(b, 4, jan31_lima + 120_000, true)?; // cancelled
            order(a, 1, march, false)?; // a comes back in March
            Ok(())
        })
        .await
        .unwrap();
    sync(
        &registry,
        &settings(&pg, "lima", Pseudonymizer::passthrough()),
    )
    .await;
    let client = pg.client().await;
    let day = client
        .query_one(
            "SELECT dia::text, pedidos, pedidos_cancelados, ingresos::text, ticket_promedio::text, clientes_compradores, clientes_nuevos, moneda
             FROM autonomo.v_metricas_diarias WHERE marca = 'gollos' ORDER BY dia LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        day.get::<_, String>(0),
        "2024-01-31",
        "days are the brand's days"
    );
    assert_eq!((day.get::<_, i64>(1), day.get::<_, i64>(2)), (3, 1));
    assert_eq!(day.get::<_, String>(3), "75.00");
    assert_eq!(day.get::<_, String>(4), "37.50");
    assert_eq!((day.get::<_, i64>(5), day.get::<_, i64>(6)), (2, 2));
    assert_eq!(day.get::<_, String>(7), "PEN");

    let rfm = client
        .query("SELECT nombre, frecuencia, monto::text, r, f, m FROM autonomo.v_rfm WHERE marca = 'gollos' ORDER BY nombre", &[])
        .await
        .unwrap();
    let rfm: Vec<(String, i64, String, i32, i32, i32)> = rfm
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect();
    assert_eq!(rfm.len(), 2);
    assert_eq!(
        (rfm[0].1, rfm[0].2.as_str(), rfm[0].3, rfm[0].4, rfm[0].5),
        (2, "75.00", 5, 5, 5)
    );
    assert_eq!(
        (rfm[1].1, rfm[1].2.as_str(), rfm[1].3, rfm[1].4, rfm[1].5),
        (1, "25.00", 1, 1, 1)
    );

    let cohorts = client
        .query(
            "SELECT cohorte::text, meses_desde_inicio, clientes_cohorte, clientes_activos, retencion::text, ingresos::text
             FROM autonomo.v_cohortes WHERE marca = 'gollos' ORDER BY meses_desde_inicio",
            &[],
        )
        .await
        .unwrap();
    let cohorts: Vec<(String, i32, i64, i64, String, String)> = cohorts
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect();
    assert_eq!(
        cohorts,
        vec![
            (
                "2024-01-01".into(),
                0,
                2,
                2,
                "1.0000".into(),
                "75.00".into()
            ),
            (
                "2024-01-01".into(),
                2,
                2,
                1,
                "0.5000".into(),
                "25.00".into()
            ),
        ]
    );
    registry.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readonly_role_reads_the_mirror_and_cannot_write() {
    let pg = Pg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let role = format!("lector_{}", hex::encode(rand::random::<[u8; 4]>()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_autonomo"))
        .args([
            "--data-dir",
            dir.path().to_str().unwrap(),
            "mirror",
            "init",
            "--postgres",
            &pg.url,
        ])
        .args(["--create-readonly-role", &role])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let password = stdout
        .lines()
        .find_map(|l| l.rsplit_once("(shown once): ").map(|(_, p)| p.to_string()))
        .expect("password printed once");
    let cfg: tokio_postgres::Config = pg.url.parse().unwrap();
    let host = match &cfg.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
        #[allow(unreachable_patterns)]
        _ => "127.0.0.1".into(),
    };
    let url = format!(
        "postgres://{role}:{password}@{host}:{}/{}?sslmode=disable",
        pg.port(),
        cfg.get_dbname().unwrap()
    );
    let reader = connect(&url).await;
    let n: i64 = reader
        .query_one("SELECT count(*) FROM autonomo.v_metricas_diarias", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    let err = reader
        .batch_execute("INSERT INTO autonomo.marcas (site, marca, nombre, moneda, zona_horaria, pais, idioma, creado_en) VALUES ('x','y','z','PEN','UTC','PE','es', now())")
        .await
        .unwrap_err();
    assert!(
        format!("{err:?}").contains("read-only") || format!("{err:?}").contains("permission"),
        "{err:?}"
    );
    drop(reader);
    pg.client()
        .await
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .await
        .unwrap();
}
