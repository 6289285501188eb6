//! The test harness itself: a server must not lose its data directory under it.

use crate::support::TestEnv;
use serde_json::json;

/// Fixtures keep a `Server` and drop the `TestEnv` it came from. Before the directory was
/// shared with the server, dropping the env deleted the data directory under a running
/// server, and any request that opened a new database connection got a 500 (with no log
/// to read: the log was in the deleted directory too).
#[tokio::test]
async fn a_server_keeps_its_data_directory_after_the_env_is_dropped() {
    let env = TestEnv::new();
    env.create_brand("gollos", "Gollos Chicken's", "PE", "America/Lima", "PEN");
    let admin = env.token(Some("gollos"), "admin");
    let data = env.data.clone();
    let server = env.start();
    drop(env);
    assert!(
        data.join("tenants").join("gollos.db").exists(),
        "the brand's database was deleted under a running server"
    );
    let api = server.api(Some(&admin));
    let created = api
        .post(
            "/api/marcas/gollos/clientes",
            &json!({"nombre": "Rosa Quispe", "telefono": crate::support::pe_mobile()}),
        )
        .await
        .ok(201);
    let path = format!("/api/clientes/{}", created["id"].as_str().unwrap());
    // Reads in parallel, so the server opens more than the one connection it started with.
    let reads = (0..16).map(|_| {
        let api = api.clone();
        let path = path.clone();
        async move { api.get(&path).await.ok(200) }
    });
    for customer in futures_util::future::join_all(reads).await {
        assert_eq!(customer["nombre"], "Rosa Quispe");
    }
    assert!(
        server.log_text().contains("listening on"),
        "the server's log is readable while it runs"
    );
    drop(server);
    assert!(
        !data.exists(),
        "the data directory is removed once the server is gone"
    );
}
