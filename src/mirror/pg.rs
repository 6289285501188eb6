//! Talking to Postgres: connecting, creating or upgrading the `autonomo` schema (refinery
//! migrations under `migrations/mirror/`), and the read-only role for BI tools.

use std::time::Duration;

use anyhow::{Context, bail};
use tokio_postgres::{Client, NoTls};

mod embedded {
    refinery::embed_migrations!("migrations/mirror");
}

/// Serialises schema upgrades when several appliances start at once.
const MIGRATION_LOCK: i64 = 0x6175_746f_6d69_7272; // "automirr"

/// Connects to `url` (a `postgres://` URL or a `key=value` string). TLS is not built in:
/// use `sslmode=disable` (or the default `prefer`) on a trusted network or through a tunnel.
pub async fn connect(url: &str) -> anyhow::Result<Client> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .context("URL de Postgres inválida / invalid Postgres URL")?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(5));
    }
    if config.get_application_name().is_none() {
        config.application_name("autonomo-mirror");
    }
    config.keepalives(true);
    config.keepalives_idle(Duration::from_secs(30));
    let (client, connection) = config.connect(NoTls).await.with_context(|| {
        format!(
            "no se pudo conectar a Postgres / cannot connect to Postgres ({})",
            redact(url)
        )
    })?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "conexión Postgres cerrada / Postgres connection closed");
        }
    });
    Ok(client)
}

/// `url` without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Creates or upgrades the mirror schema; safe to run from several appliances at once.
pub async fn migrate(client: &mut Client) -> anyhow::Result<()> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let result = async {
        // The history table lives in the schema, so the schema must exist first.
        let exists = client
            .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = 'autonomo'", &[])
            .await?
            .is_some();
        if !exists {
            client
                .batch_execute("CREATE SCHEMA IF NOT EXISTS autonomo")
                .await?;
        }
        embedded::migrations::runner()
            .set_migration_table_name("autonomo.migraciones")
            .run_async(client)
            .await
            .context("migración del espejo / mirror migration")?;
        anyhow::Ok(())
    }
    .await;
    let unlock = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    result?;
    unlock?;
    Ok(())
}

/// Creates (or updates) a login role that may only read the mirror, for NocoDB and Metabase.
/// Returns the password when it was generated here.
pub async fn create_readonly_role(
    client: &Client,
    name: &str,
    password: Option<&str>,
) -> anyhow::Result<Option<String>> {
    let valid_name = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid_name {
        bail!(
            "nombre de rol inválido: minúsculas, dígitos y _ / invalid role name: lowercase letters, digits and _"
        );
    }
    if let Some(p) = password
        && (p.len() < 12 || p.contains(['\'', '\\']))
    {
        bail!(
            "contraseña: al menos 12 caracteres, sin comillas ni \\ / password: at least 12 characters, no quotes or backslashes"
        );
    }
    let generated = password
        .is_none()
        .then(|| hex::encode(rand::random::<[u8; 16]>()));
    let secret = password
        .map(str::to_string)
        .or(generated.clone())
        .unwrap_or_default();
    let exists = client
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name])
        .await?
        .is_some();
    // Role names and passwords cannot be bind parameters; both were checked above.
    let verb = if exists { "ALTER" } else { "CREATE" };
    let db: String = client
        .query_one("SELECT current_database()", &[])
        .await?
        .get(0);
    let db = db.replace('"', "\"\"");
    client
        .batch_execute(&format!(
            "{verb} ROLE \"{name}\" LOGIN PASSWORD '{secret}' NOSUPERUSER NOCREATEDB NOCREATEROLE;
             GRANT CONNECT ON DATABASE \"{db}\" TO \"{name}\";
             GRANT USAGE ON SCHEMA autonomo TO \"{name}\";
             GRANT SELECT ON ALL TABLES IN SCHEMA autonomo TO \"{name}\";
             ALTER DEFAULT PRIVILEGES IN SCHEMA autonomo GRANT SELECT ON TABLES TO \"{name}\";
             ALTER ROLE \"{name}\" SET default_transaction_read_only = on;"
        ))
        .await
        .context("no se pudo crear el rol / cannot create the role")?;
    Ok(generated)
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://mirror:s3cret@db:5432/crm"),
            "postgres://mirror:***@db:5432/crm"
        );
        assert_eq!(redact("postgres://db/crm"), "postgres://db/crm");
    }
}
