//! `serve` runs with mimalloc's memory settings whether or not the operator's environment
//! has them (the binary re-executes itself with the missing ones), and keeps the operator's.

use crate::support::TestEnv;

/// The server process's environment, as the kernel holds it.
fn environment_of(pid: u32) -> Vec<String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).expect("read /proc/PID/environ");
    raw.split(|b| *b == 0)
        .filter(|v| !v.is_empty())
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

#[test]
fn serve_sets_the_allocator_settings_that_are_missing_and_keeps_the_operators() {
    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos", "PE", "America/Lima", "PEN");
    let server = env.start_with(&[("MIMALLOC_PURGE_DELAY", "25")]);
    let vars = environment_of(server.pid);
    assert!(
        vars.iter().any(|v| v == "MIMALLOC_ARENA_EAGER_COMMIT=0"),
        "the missing setting was added: {vars:?}"
    );
    assert!(
        vars.iter().any(|v| v == "MIMALLOC_PURGE_DELAY=25"),
        "the operator's setting was kept: {vars:?}"
    );
    assert!(
        !vars.iter().any(|v| v == "MIMALLOC_PURGE_DELAY=0"),
        "{vars:?}"
    );
    // Same process (exec keeps the pid the watchdog and systemd know), serving as usual.
    let health = server.api(None);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { health.get("/healthz").await.ok(200) });
}
