//! `autonomo backup local` as an operator runs it beside the service: the copy is made and the
//! command says nothing alarming about checkpoints it leaves to the server by design.

use crate::support::TestEnv;

#[test]
fn a_local_backup_beside_the_running_service_warns_about_nothing() {
    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos", "PE", "America/Lima", "PEN");
    let server = env.start();
    let to = env.data.parent().unwrap().join("copias");
    let out = env.cli_with_env(
        &["backup", "local", "--to", to.to_str().unwrap()],
        &[("AUTONOMO_LISTEN", &server.addr)],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains("WARN") && !stderr.contains("postponed"),
        "a declined checkpoint is not a warning: {stderr}"
    );
    let archives: Vec<String> = std::fs::read_dir(to.join("tenants"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        archives.len() == 1 && archives[0].starts_with("gollos-"),
        "{archives:?}"
    );
}
