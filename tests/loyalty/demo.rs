//! `autonomo demo` gives Gollos a stamps program, rewards, the Tuesday 2x1 and a ledger
//! whose balances add up.

use std::process::{Command, Stdio};

use rusqlite::{Connection, OpenFlags};

#[test]
fn demo_gives_gollos_a_stamps_program_with_ledger() {
    let dir = tempfile::tempdir().unwrap();
    // Twice: `--reset` clears the demo rows (the ledger goes with its customers) and the
    // second load must not duplicate rewards or rules.
    for extra in [None, Some("--reset")] {
        let out = Command::new(env!("CARGO_BIN_EXE_autonomo"))
            .arg("--data-dir")
            .arg(dir.path())
            .args([
                "demo",
                "--tenant",
                "gollos",
                "--customers",
                "120",
                "--orders",
                "900",
            ])
            .args(["--seed", "42", "--end", "2026-01-15T20:30:00-05:00"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{extra:?}: {err}");
    }
    let c = Connection::open_with_flags(
        dir.path().join("tenants/gollos.db"),
        OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    // Ledger notes are sealed (tenant V24): the ledger functions open them with `pii_open`.
    autonomo::crypto::sql::register(&c).unwrap();
    let one = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        one("SELECT COUNT(*) FROM fidelidad_movimientos WHERE nota NOT LIKE 'enc1:%'"),
        0
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM fidelidad_programa WHERE tipo = 'sellos'"),
        1
    );
    assert_eq!(one("SELECT COUNT(*) FROM fidelidad_recompensas"), 3);
    assert_eq!(one("SELECT COUNT(*) FROM promociones WHERE dias = '2'"), 1);
    let earned = one("SELECT COUNT(*) FROM fidelidad_movimientos WHERE tipo = 'gana'");
    assert!(earned > 100, "{earned} stamps");
    let redeemed: Vec<i64> = c
        .prepare("SELECT cliente_id FROM fidelidad_movimientos WHERE tipo = 'canje'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!redeemed.is_empty());
    // Demo end + 1 day: every redeeming customer had at least 10 live stamps, 8 spent.
    let at = 1_768_527_000_000 + 86_400_000;
    for id in redeemed {
        let balance = autonomo::loyalty::store::balance(&c, id, at).unwrap();
        assert!(balance >= 2, "customer {id}: {balance}");
    }
}
