use super::*;
use std::collections::HashMap;
use std::time::Duration;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

#[test]
fn layers_apply_in_order_defaults_file_env_cli() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(CONFIG_FILE_NAME),
        "listen = \"127.0.0.1:9001\"\nmax_body_bytes = 4096\nreaders_per_db = 2\n",
    )
    .unwrap();
    let cli = CliOverrides {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let c = Config::load_from(&cli, env_of(&[("AUTONOMO_MAX_BODY_BYTES", "8192")])).unwrap();
    assert_eq!(c.listen.port(), 9001, "file beats default");
    assert_eq!(c.max_body_bytes, 8192, "env beats file");
    assert_eq!(c.readers_per_db, 2);
    let cli = CliOverrides {
        listen: Some("127.0.0.1:9002".into()),
        data_dir: Some(dir.path().to_path_buf()),
    };
    let c = Config::load_from(&cli, env_of(&[("AUTONOMO_LISTEN", "127.0.0.1:9003")])).unwrap();
    assert_eq!(c.listen.port(), 9002, "cli beats env");
}

#[test]
fn invalid_values_name_the_key() {
    let cli = CliOverrides {
        data_dir: Some(tempfile::tempdir().unwrap().path().to_path_buf()),
        ..Default::default()
    };
    let err = Config::load_from(&cli, env_of(&[("AUTONOMO_LISTEN", "nowhere")])).unwrap_err();
    assert!(err.to_string().contains("AUTONOMO_LISTEN"), "{err}");
    let err = Config::load_from(&cli, env_of(&[("AUTONOMO_READERS_PER_DB", "0")])).unwrap_err();
    assert!(err.to_string().contains("readers_per_db"), "{err}");
}

#[test]
fn backup_from_file_and_env() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(CONFIG_FILE_NAME),
        "[backup]\nbucket = \"crm-backups\"\nprefix = \"/casa/\"\ninterval = \"5s\"\nretention = \"30d\"\nlag_alert_secs = 60\n",
    )
    .unwrap();
    let cli = CliOverrides {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let c = Config::load_from(&cli, env_of(&[])).unwrap();
    let b = &c.backup;
    assert_eq!(b.bucket.as_deref(), Some("crm-backups"));
    assert_eq!(b.prefix, "casa");
    assert_eq!(b.interval, Duration::from_secs(5));
    assert_eq!(b.retention, Duration::from_secs(30 * 86400));
    assert!(!b.path_style(), "AWS: virtual-host style");
    let c = Config::load_from(
        &cli,
        env_of(&[
            ("AUTONOMO_BACKUP_S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("AUTONOMO_BACKUP_S3_BUCKET", "other"),
            ("AUTONOMO_BACKUP_INTERVAL", "2"),
        ]),
    )
    .unwrap();
    assert_eq!(c.backup.bucket.as_deref(), Some("other"), "env beats file");
    assert_eq!(c.backup.interval, Duration::from_secs(2));
    assert!(c.backup.path_style(), "an endpoint implies path style");
    assert!(!Config::default().backup.s3_enabled());
}

#[test]
fn invalid_backup_values_name_the_key() {
    let cli = CliOverrides {
        data_dir: Some(tempfile::tempdir().unwrap().path().to_path_buf()),
        ..Default::default()
    };
    for (k, v, named) in [
        (
            "AUTONOMO_BACKUP_INTERVAL",
            "soon",
            "AUTONOMO_BACKUP_INTERVAL",
        ),
        ("AUTONOMO_BACKUP_INTERVAL", "0s", "backup.interval"),
        ("AUTONOMO_BACKUP_S3_BUCKET", "Bad_Bucket", "backup.bucket"),
        (
            "AUTONOMO_BACKUP_S3_PATH_STYLE",
            "maybe",
            "AUTONOMO_BACKUP_S3_PATH_STYLE",
        ),
        (
            "AUTONOMO_BACKUP_S3_ENDPOINT",
            "127.0.0.1:9000",
            "backup.endpoint",
        ),
        ("AUTONOMO_BACKUP_LOCAL_KEEP", "0", "backup.local_keep"),
        ("AUTONOMO_BACKUP_RETENTION", "10m", "backup.retention"),
    ] {
        let err = Config::load_from(&cli, env_of(&[(k, v)])).unwrap_err();
        assert!(err.to_string().contains(named), "{k}={v}: {err}");
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(CONFIG_FILE_NAME),
        "[backup]\nbuckett = \"x\"\n",
    )
    .unwrap();
    let cli = CliOverrides {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let err = Config::load_from(&cli, env_of(&[])).unwrap_err();
    assert!(err.to_string().contains("buckett"), "{err}");
}

#[test]
fn mirror_section_and_env() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(CONFIG_FILE_NAME),
        "[mirror]\npostgres_url = \"postgres://a@h/db\"\nsite = \"lima-1\"\n",
    )
    .unwrap();
    let cli = CliOverrides {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let c = Config::load_from(&cli, env_of(&[])).unwrap();
    assert_eq!(c.mirror.postgres_url.as_deref(), Some("postgres://a@h/db"));
    assert_eq!(c.mirror.site, "lima-1");
    assert!(!c.mirror.include_personal_data);
    let env = env_of(&[
        ("AUTONOMO_MIRROR_POSTGRES_URL", "postgres://b@h/db"),
        ("AUTONOMO_MIRROR_INCLUDE_PERSONAL_DATA", "true"),
    ]);
    let c = Config::load_from(&cli, env).unwrap();
    assert_eq!(c.mirror.postgres_url.as_deref(), Some("postgres://b@h/db"));
    assert!(c.mirror.include_personal_data);
    let err = Config::load_from(&cli, env_of(&[("AUTONOMO_MIRROR_SITE", "Lima 1")])).unwrap_err();
    assert!(err.to_string().contains("mirror.site"), "{err}");
}

#[test]
fn unknown_file_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(CONFIG_FILE_NAME), "lisen = \"x\"\n").unwrap();
    let cli = CliOverrides {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let err = Config::load_from(&cli, env_of(&[])).unwrap_err();
    assert!(err.to_string().contains("lisen"), "{err}");
}

#[test]
fn limits_from_file_and_env() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(CONFIG_FILE_NAME),
        "[limits]\nper_ip_per_minute = 300\n",
    )
    .unwrap();
    let cli = CliOverrides {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let c = Config::load_from(&cli, env_of(&[])).unwrap();
    assert_eq!(c.limits.per_ip_per_minute, 300);
    assert_eq!(
        c.limits.per_token_per_minute,
        LimitsConfig::default().per_token_per_minute
    );
    let env = env_of(&[("AUTONOMO_LIMITS_PER_TOKEN_PER_MINUTE", "0")]);
    assert_eq!(
        Config::load_from(&cli, env)
            .unwrap()
            .limits
            .per_token_per_minute,
        0
    );
    let env = env_of(&[("AUTONOMO_LIMITS_PER_IP_PER_MINUTE", "mucho")]);
    let err = Config::load_from(&cli, env).unwrap_err();
    assert!(
        err.to_string()
            .contains("AUTONOMO_LIMITS_PER_IP_PER_MINUTE"),
        "{err}"
    );
}

#[test]
fn email_and_telegram_from_file_env_and_secret_files() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("bot.token");
    std::fs::write(&token_file, "123:abc\n").unwrap();
    std::fs::write(
        dir.path().join(CONFIG_FILE_NAME),
        format!(
            "[email]\nsmtp_url = \"smtp://127.0.0.1:2525\"\nfrom = \"CRM <crm@negocio.pe>\"\n\
             [telegram]\nbot_token_file = \"{}\"\napi_base = \"http://127.0.0.1:9\"\n",
            token_file.display()
        ),
    )
    .unwrap();
    let cli = CliOverrides {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let c = Config::load_from(&cli, env_of(&[])).unwrap();
    let email = c.notify.email.as_ref().unwrap();
    assert_eq!(email.smtp_url, "smtp://127.0.0.1:2525");
    assert_eq!(email.from, "CRM <crm@negocio.pe>");
    let tg = c.notify.telegram.as_ref().unwrap();
    assert_eq!(tg.bot_token, "123:abc");
    assert_eq!(tg.api_base, "http://127.0.0.1:9");
    assert!(
        !format!("{c:?}").contains("123:abc"),
        "Debug shows the token"
    );

    // Env wins field by field; the file's `from` stays when env sets only the URL.
    let env = env_of(&[("AUTONOMO_SMTP_URL", "smtp://127.0.0.1:2626")]);
    let c = Config::load_from(&cli, env).unwrap();
    let email = c.notify.email.unwrap();
    assert_eq!(email.smtp_url, "smtp://127.0.0.1:2626");
    assert_eq!(email.from, "CRM <crm@negocio.pe>");

    for (k, v, named) in [
        ("AUTONOMO_SMTP_URL", "http://mail", "email.smtp_url"),
        ("AUTONOMO_SMTP_FROM", "no es correo", "email.from"),
        (
            "AUTONOMO_TELEGRAM_API_BASE",
            "api.telegram.org",
            "telegram.api_base",
        ),
        (
            "AUTONOMO_TELEGRAM_BOT_TOKEN_FILE",
            "/no/existe/bot.token",
            "/no/existe/bot.token",
        ),
    ] {
        let err = Config::load_from(&cli, env_of(&[(k, v)])).unwrap_err();
        assert!(err.to_string().contains(named), "{k}={v}: {err}");
    }
    assert!(Config::default().notify.email.is_none());
}

#[test]
fn every_secret_follows_one_file_or_env_rule() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metrics.token");
    std::fs::write(&file, "desde-archivo\n").unwrap();
    let path = file.to_str().unwrap();
    let cli = CliOverrides {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    // The file wins over the plain variable, and its trailing newline is not the secret.
    let env = env_of(&[
        ("AUTONOMO_METRICS_TOKEN_FILE", path),
        ("AUTONOMO_METRICS_TOKEN", "desde-env"),
        ("AUTONOMO_MIRROR_POSTGRES_URL_FILE", path),
    ]);
    let c = Config::load_from(&cli, env).unwrap();
    assert_eq!(c.metrics_token.as_deref(), Some("desde-archivo"));
    assert_eq!(c.mirror.postgres_url.as_deref(), Some("desde-archivo"));
    // A blank variable is unset, not an empty secret.
    let c = Config::load_from(&cli, env_of(&[("AUTONOMO_METRICS_TOKEN", "  ")])).unwrap();
    assert_eq!(c.metrics_token, None);
    // A blank or missing file is refused, naming the variable.
    let blank = dir.path().join("blank");
    std::fs::write(&blank, "\n").unwrap();
    for target in [blank.to_str().unwrap(), "/no/existe/token"] {
        let err = Config::load_from(&cli, env_of(&[("AUTONOMO_METRICS_TOKEN_FILE", target)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(target), "{err}");
    }
    let err = Config::load_from(
        &cli,
        env_of(&[("AUTONOMO_METRICS_TOKEN_FILE", blank.to_str().unwrap())]),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("AUTONOMO_METRICS_TOKEN_FILE"), "{err}");
}
