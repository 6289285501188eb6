//! The command line of the real binary: help everywhere, validation that names the field,
//! no stray files, refused configuration, and admin commands that work while serving.

use crate::support;

use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use support::{BIN, TestEnv};

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn tenant_files(env: &TestEnv) -> Vec<String> {
    let dir = env.data.join("tenants");
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// Runs the binary and kills it if it has not exited after `secs` (a server that starts
/// when it should have refused its config would otherwise hang the test).
fn run_with_timeout(env: &TestEnv, args: &[&str], vars: &[(&str, &str)], secs: u64) -> Output {
    let mut cmd = env.command();
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("cannot run autonomo");
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "`autonomo {}` still running after {secs} s (it should have refused to start): {}",
                args.join(" "),
                text(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn help_for_every_command() {
    let out = std::process::Command::new(BIN)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = text(&out);
    for word in ["serve", "tenant", "token", "--data-dir"] {
        assert!(help.contains(word), "--help lacks {word}: {help}");
    }
    let out = std::process::Command::new(BIN)
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(text(&out).contains(env!("CARGO_PKG_VERSION")));
    for args in [
        &["serve", "--help"][..],
        &["tenant", "--help"],
        &["tenant", "create", "--help"],
        &["tenant", "list", "--help"],
        &["tenant", "show", "--help"],
        &["tenant", "update", "--help"],
        &["tenant", "archive", "--help"],
        &["token", "--help"],
        &["token", "create", "--help"],
        &["token", "revoke", "--help"],
        &["help", "tenant"],
    ] {
        let out = std::process::Command::new(BIN).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}: {}",
            text(&out)
        );
    }
    let out = std::process::Command::new(BIN)
        .arg("nonsense")
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn tenant_commands_validate_and_name_the_field() {
    let env = TestEnv::new();
    // (args, a word the error must contain)
    let cases: &[(&[&str], &[&str])] = &[
        (&["tenant", "create", "Bad_Slug", "--name", "x"], &["slug"]),
        (&["tenant", "create", "../etc", "--name", "x"], &["slug"]),
        (&["tenant", "create", "a.b", "--name", "x"], &["slug"]),
        (&["tenant", "create", "--name", "x", "--", "-x"], &["slug"]),
        (
            &[
                "tenant",
                "create",
                "ok",
                "--name",
                "x",
                "--timezone",
                "Lima/Peru",
            ],
            &["zona_horaria", "timezone"],
        ),
        (
            &[
                "tenant",
                "create",
                "ok",
                "--name",
                "x",
                "--currency",
                "soles",
            ],
            &["moneda", "currency"],
        ),
        (
            &["tenant", "create", "ok", "--name", "x", "--country", "XX"],
            &["pais", "country"],
        ),
        (
            &["tenant", "create", "ok", "--name", "x", "--language", "fr"],
            &["idioma", "language"],
        ),
        (
            &["tenant", "create", "ok", "--name", "  "],
            &["nombre", "name"],
        ),
        (&["tenant", "create", "ok"], &["--name"]),
    ];
    for (args, words) in cases {
        let out = env.cli(args);
        assert!(!out.status.success(), "{args:?} succeeded: {}", text(&out));
        let t = text(&out);
        assert!(
            words.iter().any(|w| t.contains(w)),
            "{args:?}: error does not name {words:?}: {t}"
        );
        assert!(!t.contains("panicked"), "{args:?}: {t}");
    }
    assert!(tenant_files(&env).is_empty(), "{:?}", tenant_files(&env));
    // A valid brand works, once.
    env.cli_ok(&["tenant", "create", "ok", "--name", "Ok"]);
    let out = env.cli(&["tenant", "create", "ok", "--name", "Again"]);
    assert!(!out.status.success(), "duplicate slug accepted");
    assert_eq!(tenant_files(&env), ["ok.db"]);
}

#[test]
fn token_create_refuses_unknown_brands_and_bad_scopes() {
    let env = TestEnv::new();
    env.cli_ok(&["tenant", "create", "gollos", "--name", "Gollos"]);
    let before = tenant_files(&env);
    for args in [
        &["token", "create", "--tenant", "nope", "--scope", "read"][..],
        &[
            "token",
            "create",
            "--tenant",
            "../gollos",
            "--scope",
            "read",
        ],
        &["token", "create", "--tenant", "Gollos", "--scope", "read"],
        &["token", "create", "--tenant", "gollos", "--scope", "root"],
        &["token", "create", "--scope", "read"],
        &[
            "token",
            "create",
            "--tenant",
            "gollos",
            "--all-tenants",
            "--scope",
            "read",
        ],
        &["token", "revoke", "999"],
        &["token", "revoke", "abc"],
        &["tenant", "show", "nope"],
        &["tenant", "show", "../../etc"],
        &["tenant", "update", "nope", "--name", "x"],
        &["tenant", "archive", "nope"],
    ] {
        let out = env.cli(args);
        assert!(!out.status.success(), "{args:?} succeeded: {}", text(&out));
        assert!(!text(&out).contains("panicked"), "{args:?}: {}", text(&out));
        assert!(!text(&out).contains("atk_"), "{args:?} printed a token");
    }
    let out = env.cli(&["token", "create", "--tenant", "nope", "--scope", "read"]);
    let t = text(&out);
    assert!(t.contains("marca") || t.contains("not found"), "{t}");
    assert_eq!(tenant_files(&env), before, "a file appeared under tenants/");
    assert!(!env.data.join("tenants").join("nope.db").exists());
}

#[test]
fn invalid_configuration_is_refused_naming_the_key() {
    let env = TestEnv::new();
    std::fs::create_dir_all(&env.data).unwrap();
    for (vars, args, key) in [
        (
            &[("AUTONOMO_LISTEN", "nowhere")][..],
            &["serve"][..],
            "AUTONOMO_LISTEN",
        ),
        (
            &[("AUTONOMO_MAX_BODY_BYTES", "mucho")],
            &["serve"],
            "AUTONOMO_MAX_BODY_BYTES",
        ),
        (
            &[("AUTONOMO_MAX_BODY_BYTES", "10")],
            &["serve"],
            "max_body_bytes",
        ),
        (
            &[("AUTONOMO_READERS_PER_DB", "0")],
            &["serve"],
            "readers_per_db",
        ),
        (
            &[("AUTONOMO_LOG_JSON", "maybe")],
            &["serve"],
            "AUTONOMO_LOG_JSON",
        ),
        (&[], &["serve", "--listen", "bogus"], "--listen"),
        (
            &[("AUTONOMO_LISTEN", "nowhere")],
            &["tenant", "list"],
            "AUTONOMO_LISTEN",
        ),
    ] {
        let out = run_with_timeout(&env, args, vars, 15);
        assert!(!out.status.success(), "{vars:?} {args:?} started");
        let t = text(&out);
        assert!(
            t.contains(key),
            "{vars:?} {args:?}: error does not name {key}: {t}"
        );
    }
    for (toml, key) in [
        ("lisen = \"127.0.0.1:1\"\n", "lisen"),
        ("listen = \"nowhere\"\n", "listen"),
        ("max_body_bytes = \"big\"\n", "max_body_bytes"),
        ("this is not toml", "autonomo.toml"),
    ] {
        std::fs::write(env.data.join("autonomo.toml"), toml).unwrap();
        let out = run_with_timeout(&env, &["serve"], &[], 15);
        assert!(!out.status.success(), "{toml} accepted");
        let t = text(&out);
        assert!(t.contains(key), "{toml}: error does not name {key}: {t}");
    }
    std::fs::remove_file(env.data.join("autonomo.toml")).unwrap();
    // The file is read: a valid file's listen address is used (and env overrides it).
    std::fs::write(env.data.join("autonomo.toml"), "max_body_bytes = 2048\n").unwrap();
    env.cli_ok(&["tenant", "create", "gollos", "--name", "Gollos"]);
    let token = env.token(Some("gollos"), "write");
    let server = env.start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let api = server.api(Some(&token));
        api.post(
            "/api/marcas/gollos/clientes",
            &json!({"nombre": "x", "notas": "n".repeat(3000)}),
        )
        .await
        .problem(413, "payload-too-large");
    });
}

#[test]
fn tenant_lifecycle_commands() {
    let env = TestEnv::new();
    let out = env.cli_ok(&[
        "tenant",
        "create",
        "eco-eterno",
        "--name",
        "Eco Eterno",
        "--currency",
        "USD",
        "--timezone",
        "America/Bogota",
        "--country",
        "CO",
        "--language",
        "en",
    ]);
    assert!(out.contains("eco-eterno"), "{out}");
    let list = env.cli_ok(&["tenant", "list"]);
    assert!(
        list.contains("eco-eterno") && list.contains("Eco Eterno"),
        "{list}"
    );
    let show = env.cli_ok(&["tenant", "show", "eco-eterno"]);
    let shown: serde_json::Value = serde_json::from_str(&show).expect("show prints JSON");
    assert_eq!(shown["moneda"], "USD");
    assert_eq!(shown["zona_horaria"], "America/Bogota");
    assert_eq!(shown["pais"], "CO");
    assert_eq!(shown["idioma"], "en");
    let updated = env.cli_ok(&["tenant", "update", "eco-eterno", "--name", "Eco Eterno SAC"]);
    assert!(updated.contains("Eco Eterno SAC"), "{updated}");
    let out = env.cli(&[
        "tenant",
        "update",
        "eco-eterno",
        "--timezone",
        "Nowhere/City",
    ]);
    assert!(!out.status.success());
    env.cli_ok(&["tenant", "archive", "eco-eterno"]);
    let list = env.cli_ok(&["tenant", "list"]);
    assert!(
        !list.contains("eco-eterno"),
        "archived brands are hidden: {list}"
    );
    let all = env.cli_ok(&["tenant", "list", "--all"]);
    assert!(all.contains("eco-eterno"), "{all}");
    env.cli_ok(&["tenant", "archive", "eco-eterno", "--undo"]);
    assert!(env.cli_ok(&["tenant", "list"]).contains("eco-eterno"));
}

#[tokio::test]
async fn admin_commands_work_while_the_server_runs() {
    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos", "PE", "America/Lima", "PEN");
    let owner = env.token(None, "admin");
    let server = env.start();
    let api = server.api(Some(&owner));

    // A brand created by the CLI is served at once.
    let run = |args: Vec<String>| {
        let data = env.data.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let out = std::process::Command::new(BIN)
                    .arg("--data-dir")
                    .arg(&data)
                    .args(&args)
                    .env("RUST_LOG", "warn")
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{args:?}: {}", text(&out));
                String::from_utf8(out.stdout).unwrap()
            })
            .await
            .unwrap()
        }
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    run(s(&[
        "tenant",
        "create",
        "goio",
        "--name",
        "Goio",
        "--country",
        "US",
        "--timezone",
        "America/New_York",
        "--currency",
        "USD",
    ]))
    .await;
    let b = api.get("/api/marcas/goio").await.ok(200);
    assert_eq!(b["moneda"], "USD");
    let c = api
        .post(
            "/api/marcas/goio/clientes",
            &json!({"nombre": "Ann", "telefono": "(212) 736-5000"}),
        )
        .await
        .ok(201);
    assert_eq!(c["telefono"], "+12127365000");

    // A token created by the CLI works at once; a revoked one stops working.
    let out = run(s(&[
        "token", "create", "--tenant", "goio", "--scope", "read",
    ]))
    .await;
    let token = out
        .lines()
        .find(|l| l.starts_with("atk_"))
        .unwrap()
        .to_string();
    let reader = server.api(Some(&token));
    reader.get("/api/marcas/goio/clientes").await.ok(200);
    reader
        .post("/api/marcas/goio/clientes", &json!({"nombre": "x"}))
        .await
        .problem(403, "forbidden");
    // Tokens so far: owner (1), this one (2).
    run(s(&["token", "revoke", "2"])).await;
    reader
        .get("/api/marcas/goio/clientes")
        .await
        .problem(401, "unauthenticated");

    // Settings changed by the CLI apply to the running server.
    run(s(&[
        "tenant",
        "update",
        "gollos",
        "--timezone",
        "Europe/Madrid",
        "--name",
        "Gollos ES",
    ]))
    .await;
    let b = api.get("/api/marcas/gollos").await.ok(200);
    assert_eq!(b["zona_horaria"], "Europe/Madrid");
    let c = api
        .post("/api/marcas/gollos/clientes", &json!({"nombre": "Hora"}))
        .await
        .ok(201);
    let t = c["creado_en"].as_str().unwrap();
    assert!(
        t.ends_with("+01:00") || t.ends_with("+02:00"),
        "the server still uses the old time zone: {t}"
    );
    // Archiving by the CLI makes the brand read-only for the running server.
    run(s(&["tenant", "archive", "gollos"])).await;
    api.get("/api/marcas/gollos/clientes").await.ok(200);
    api.post("/api/marcas/gollos/clientes", &json!({"nombre": "Tarde"}))
        .await
        .problem(409, "conflict");
}

/// A closed pipe (`autonomo tenant list | head -0`) ends the command quietly; a full disk
/// gets one clear line. Neither is a panic with a backtrace.
#[test]
fn output_that_cannot_be_written_is_not_a_crash() {
    let env = TestEnv::new();
    for n in 0..40 {
        env.cli_ok(&[
            "tenant",
            "create",
            "--name",
            &format!("Marca {n}"),
            &format!("m{n}"),
        ]);
    }
    let mut child = env
        .command()
        .args(["tenant", "list"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "broken pipe: {:?} {err}", out.status);
    assert!(!err.contains("panicked"), "{err}");

    let full = std::fs::File::create("/dev/full").unwrap();
    let out = env
        .command()
        .args(["tenant", "list"])
        .stdin(Stdio::null())
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot write output"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
