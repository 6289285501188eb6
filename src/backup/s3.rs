//! The S3 calls replication needs, made with the AWS SDK for Rust (`aws-sdk-s3`): signing,
//! XML, pagination and retries are the SDK's; this file only keeps the small interface the
//! rest of `backup` uses and maps SDK errors to [`S3Error`] with a readable message.
//!
//! The client is configured directly (no `aws-config`, whose credential chain pulls in SSO/STS
//! crates this appliance never uses): endpoint, region, path style and static credentials from
//! the environment, exactly the settings the operator gives in `[backup]`.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use chrono::{DateTime, Utc};

/// A connection that cannot be opened in this time counts as "S3 down".
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// One attempt: sending the body and waiting for the answer, so a whole snapshot must fit in it
/// on a slow uplink. Reading a GET body afterwards is guarded by the SDK's stalled-stream
/// protection instead (no progress for 20 s ends it).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(120);
/// The SDK retries a failed request once, quickly (a stale pooled connection, a 503 SlowDown);
/// beyond that the uploader's own backoff takes over and records the error in the status, so a
/// store that is down shows as such within a second instead of after a long retry ladder.
const MAX_ATTEMPTS: u32 = 2;
const RETRY_BACKOFF: Duration = Duration::from_millis(200);

/// Where a replica lives and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    /// e.g. `http://127.0.0.1:9100`; `None` means AWS (`https://s3.<region>.amazonaws.com`).
    pub endpoint: Option<String>,
    pub bucket: String,
    /// Key prefix for the whole installation, without leading/trailing `/` (may be empty).
    pub prefix: String,
    pub region: String,
    /// Path-style URLs (`endpoint/bucket/key`); needed by most self-hosted stores.
    pub path_style: bool,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl S3Config {
    /// Fills credentials from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`
    /// (or their `*_FILE` variants).
    pub fn with_env_credentials(mut self) -> Result<Self> {
        self.access_key_id = env_or_file("AWS_ACCESS_KEY_ID")?
            .ok_or_else(|| anyhow!("AWS_ACCESS_KEY_ID is not set"))?;
        self.secret_access_key = env_or_file("AWS_SECRET_ACCESS_KEY")?
            .ok_or_else(|| anyhow!("AWS_SECRET_ACCESS_KEY is not set"))?;
        self.session_token = env_or_file("AWS_SESSION_TOKEN")?;
        Ok(self)
    }

    /// Replica path of a brand database: `<prefix>/tenants/<slug>`.
    pub fn tenant_path(&self, slug: &str) -> String {
        join_key(&self.prefix, &format!("tenants/{slug}"))
    }

    /// Replica path of the control database: `<prefix>/control`.
    pub fn control_path(&self) -> String {
        join_key(&self.prefix, "control")
    }
}

/// `NAME_FILE` or `NAME`, by the rule every secret follows ([`crate::config::secret_from_env`]).
fn env_or_file(name: &str) -> Result<Option<String>> {
    Ok(crate::config::secret_from_env(name)?)
}

pub fn join_key(a: &str, b: &str) -> String {
    let a = a.trim_matches('/');
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}/{b}")
    }
}

/// One entry of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    pub last_modified: Option<DateTime<Utc>>,
}

#[derive(Clone)]
pub struct S3Client {
    cfg: S3Config,
    s3: aws_sdk_s3::Client,
}

impl S3Client {
    /// Builds the client without contacting the store, so a store that is down cannot stop
    /// start-up; only a malformed setting fails here.
    pub fn new(cfg: S3Config) -> Result<S3Client> {
        if cfg.bucket.is_empty() {
            bail!("s3: the bucket name is empty");
        }
        if cfg.region.is_empty() {
            bail!("s3: the region is empty");
        }
        if let Some(ep) = &cfg.endpoint
            && !(ep.starts_with("http://") || ep.starts_with("https://"))
        {
            bail!("s3: endpoint needs a scheme (http:// or https://): {ep}");
        }
        // hyper 1 + rustls with ring: the TLS stack reqwest already brings, trusting the
        // system's CA store (`SSL_CERT_FILE`/`SSL_CERT_DIR` are honoured).
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut b = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(http)
            .region(Region::new(cfg.region.clone()))
            .credentials_provider(Credentials::new(
                cfg.access_key_id.clone(),
                cfg.secret_access_key.clone(),
                cfg.session_token.clone(),
                None,
                "autonomo-env",
            ))
            .force_path_style(cfg.path_style)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                    .build(),
            )
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(MAX_ATTEMPTS)
                    .with_initial_backoff(RETRY_BACKOFF)
                    .with_max_backoff(RETRY_BACKOFF),
            )
            // CRC32 checksums on every PUT are the SDK's default since 2025 and are rejected
            // by several S3-compatible stores; LTX files carry their own CRC-64, which restore
            // verifies, and SigV4 still signs the body's SHA-256.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(ep) = &cfg.endpoint {
            b = b.endpoint_url(ep.trim_end_matches('/'));
        }
        let s3 = aws_sdk_s3::Client::from_conf(b.build());
        Ok(S3Client { cfg, s3 })
    }

    pub fn config(&self) -> &S3Config {
        &self.cfg
    }

    pub async fn put_object(&self, key: &str, body: Vec<u8>, meta: &[(&str, &str)]) -> Result<()> {
        let mut req = self
            .s3
            .put_object()
            .bucket(&self.cfg.bucket)
            .key(key)
            .body(ByteStream::from(body));
        for (k, v) in meta {
            req = req.metadata(*k, *v);
        }
        req.send().await.map_err(|e| s3_error("PUT", key, e))?;
        Ok(())
    }

    /// `None` when the object does not exist.
    pub async fn get_object(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let resp = self
            .s3
            .get_object()
            .bucket(&self.cfg.bucket)
            .key(key)
            .send()
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(s3_error("GET", key, e)),
        };
        let body = resp.body.collect().await.map_err(|e| {
            anyhow!(S3Error {
                status: None,
                message: format!("s3 GET {key}: reading the answer: {}", causes(&e)),
            })
        })?;
        Ok(Some(body.into_bytes().to_vec()))
    }

    /// User metadata (`x-amz-meta-*`, names without the prefix); `None` if absent.
    pub async fn head_metadata(&self, key: &str) -> Result<Option<Vec<(String, String)>>> {
        let resp = self
            .s3
            .head_object()
            .bucket(&self.cfg.bucket)
            .key(key)
            .send()
            .await;
        match resp {
            Ok(r) => {
                let mut meta: Vec<(String, String)> = r
                    .metadata()
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default();
                meta.sort();
                Ok(Some(meta))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(s3_error("HEAD", key, e)),
        }
    }

    pub async fn delete_object(&self, key: &str) -> Result<()> {
        self.s3
            .delete_object()
            .bucket(&self.cfg.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| s3_error("DELETE", key, e))?;
        Ok(())
    }

    /// Creates the configured bucket (tests and first-time setup; the server never does).
    pub async fn create_bucket(&self) -> Result<()> {
        let mut req = self.s3.create_bucket().bucket(&self.cfg.bucket);
        // us-east-1 is the default location and AWS rejects it as an explicit constraint.
        if self.cfg.region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(self.cfg.region.as_str()))
                    .build(),
            );
        }
        req.send()
            .await
            .map_err(|e| s3_error("PUT", &format!("bucket {}", self.cfg.bucket), e))?;
        Ok(())
    }

    /// All objects under `prefix`, in key order (ListObjectsV2, following continuations).
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(&self.cfg.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| s3_error("LIST", prefix, e))?;
            for o in page.contents() {
                let Some(key) = o.key() else { continue };
                out.push(ObjectInfo {
                    key: key.to_string(),
                    size: o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                    last_modified: o
                        .last_modified()
                        .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos())),
                });
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }
}

/// A failed S3 call: the store's answer (`status` set) or no usable answer at all (connection
/// refused, timeout, TLS…; `status` is `None`).
#[derive(Debug)]
pub struct S3Error {
    pub status: Option<u16>,
    pub message: String,
}

impl std::fmt::Display for S3Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for S3Error {}

/// `s3 PUT p/0000/….ltx: HTTP 403: AccessDenied: Access Denied`, or the transport failure with
/// its causes (`dispatch failure: … Connection refused`) instead of the SDK's bare
/// "service error"/"dispatch failure".
fn s3_error<E>(op: &str, key: &str, e: SdkError<E, HttpResponse>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = e.raw_response().map(|r| r.status().as_u16());
    let detail = match (&e, e.as_service_error()) {
        (_, Some(s)) => {
            let code = s.code().unwrap_or("no error code");
            let msg = s.message().unwrap_or("");
            let st = status.map(|s| s.to_string()).unwrap_or_else(|| "?".into());
            format!("HTTP {st}: {code}: {msg}")
        }
        (SdkError::TimeoutError(_), _) => {
            format!("no answer within {}s", ATTEMPT_TIMEOUT.as_secs())
        }
        _ => causes(&e),
    };
    anyhow!(S3Error {
        status,
        message: format!("s3 {op} {key}: {}", detail.trim_end_matches([' ', ':'])),
    })
}

/// `e: cause: cause…`, the way `{:#}` prints an anyhow chain (the SDK's own
/// `DisplayErrorContext` appends a Debug dump that is noise in a status line).
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(c) = next {
        out.push_str(": ");
        out.push_str(&c.to_string());
        next = c.source();
    }
    out
}

#[cfg(test)]
#[path = "s3_tests.rs"]
mod tests;
