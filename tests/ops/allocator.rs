//! `serve` runs with mimalloc's memory setting whether or not the operator's environment
//! has it (the binary re-executes itself with it), and keeps the operator's own value.

use crate::support::TestEnv;

/// The server process's environment, as the kernel holds it.
fn environment_of(pid: u32) -> Vec<String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).expect("read /proc/PID/environ");
    raw.split(|b| *b == 0)
        .filter(|v| !v.is_empty())
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

#[tokio::test]
async fn serve_adds_the_allocator_setting_when_missing_and_keeps_the_operators() {
    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos", "PE", "America/Lima", "PEN");

    let server = env.start();
    let vars = environment_of(server.pid);
    assert!(
        vars.iter().any(|v| v == "MIMALLOC_ARENA_EAGER_COMMIT=0"),
        "the missing setting was added: {vars:?}"
    );
    // Purging freed memory at once costs a third of the webhook throughput: left alone.
    assert!(
        !vars.iter().any(|v| v.starts_with("MIMALLOC_PURGE_DELAY=")),
        "{vars:?}"
    );
    // Same process (exec keeps the pid the watchdog and systemd know), serving as usual.
    server.api(None).get("/healthz").await.ok(200);
    drop(server);

    let server = env.start_with(&[("MIMALLOC_ARENA_EAGER_COMMIT", "2")]);
    let vars = environment_of(server.pid);
    assert!(
        vars.iter().any(|v| v == "MIMALLOC_ARENA_EAGER_COMMIT=2"),
        "the operator's value was kept: {vars:?}"
    );
    assert!(
        !vars.iter().any(|v| v == "MIMALLOC_ARENA_EAGER_COMMIT=0"),
        "{vars:?}"
    );
    server.api(None).get("/healthz").await.ok(200);
}
