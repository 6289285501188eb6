//! Thin S3 client: the five calls replication needs, signed with AWS SigV4 over `reqwest`.
//!
//! Why not `aws-sdk-s3`: it adds ~100 crates (smithy runtime, its own hyper/rustls stack) to a
//! binary that already carries reqwest+rustls for WhatsApp/Telegram, for five requests whose
//! wire format is stable. SigV4 with an unsigned-payload-free SHA-256 body hash works with
//! AWS, MinIO, B2, R2 and moto alike.

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

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

fn env_or_file(name: &str) -> Result<Option<String>> {
    if let Ok(v) = std::env::var(name) {
        return Ok(Some(v));
    }
    match std::env::var(format!("{name}_FILE")) {
        Ok(p) => Ok(Some(
            std::fs::read_to_string(&p)
                .with_context(|| format!("read {name}_FILE"))?
                .trim()
                .to_string(),
        )),
        Err(_) => Ok(None),
    }
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
    http: reqwest::Client,
    scheme_host: (String, String),
}

impl S3Client {
    pub fn new(cfg: S3Config) -> Result<S3Client> {
        let ep = cfg
            .endpoint
            .clone()
            .unwrap_or_else(|| format!("https://s3.{}.amazonaws.com", cfg.region));
        let (scheme, host) = ep
            .trim_end_matches('/')
            .split_once("://")
            .ok_or_else(|| anyhow!("s3: endpoint needs a scheme: {ep}"))?;
        let host = if cfg.path_style {
            host.to_string()
        } else {
            format!("{}.{host}", cfg.bucket)
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()?;
        Ok(S3Client {
            cfg,
            http,
            scheme_host: (scheme.to_string(), host),
        })
    }

    pub fn config(&self) -> &S3Config {
        &self.cfg
    }

    pub async fn put_object(&self, key: &str, body: Vec<u8>, meta: &[(&str, &str)]) -> Result<()> {
        let hdrs: Vec<(String, String)> = meta
            .iter()
            .map(|(k, v)| (format!("x-amz-meta-{k}"), v.to_string()))
            .collect();
        self.send("PUT", key, &[], hdrs, body).await.map(drop)
    }

    /// `None` when the object does not exist.
    pub async fn get_object(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match self.send("GET", key, &[], vec![], vec![]).await {
            Ok(r) => Ok(Some(r.bytes().await?.to_vec())),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// User metadata (`x-amz-meta-*`, names without the prefix); `None` if absent.
    pub async fn head_metadata(&self, key: &str) -> Result<Option<Vec<(String, String)>>> {
        match self.send("HEAD", key, &[], vec![], vec![]).await {
            Ok(r) => Ok(Some(
                r.headers()
                    .iter()
                    .filter_map(|(k, v)| {
                        let n = k.as_str().strip_prefix("x-amz-meta-")?;
                        Some((n.to_string(), v.to_str().ok()?.to_string()))
                    })
                    .collect(),
            )),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn delete_object(&self, key: &str) -> Result<()> {
        self.send("DELETE", key, &[], vec![], vec![])
            .await
            .map(drop)
    }

    pub async fn create_bucket(&self) -> Result<()> {
        self.send("PUT", "", &[], vec![], vec![]).await.map(drop)
    }

    /// All objects under `prefix`, in key order (ListObjectsV2, following continuations).
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut q = vec![
                ("list-type", "2".to_string()),
                ("prefix", prefix.to_string()),
            ];
            if let Some(t) = &token {
                q.push(("continuation-token", t.clone()));
            }
            let body = self
                .send("GET", "", &q, vec![], vec![])
                .await?
                .text()
                .await?;
            let page = super::s3xml::parse_list(&body)?;
            out.extend(page.objects);
            match page.next_token {
                Some(t) if page.truncated => token = Some(t),
                _ => break,
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn send(
        &self,
        method: &str,
        key: &str,
        query: &[(&str, String)],
        mut headers: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Result<reqwest::Response> {
        let (scheme, host) = &self.scheme_host;
        let mut path = String::from("/");
        if self.cfg.path_style {
            path.push_str(&uri_encode(&self.cfg.bucket, false));
            if !key.is_empty() {
                path.push('/');
            }
        }
        path.push_str(&uri_encode(key, true));
        let mut q: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
            .collect();
        q.sort();
        let qs = q
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let now = Utc::now();
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let date = &amz_date[..8];
        let payload_hash = hex::encode(Sha256::digest(&body));
        headers.push(("host".into(), host.clone()));
        headers.push(("x-amz-content-sha256".into(), payload_hash.clone()));
        headers.push(("x-amz-date".into(), amz_date.clone()));
        if let Some(t) = &self.cfg.session_token {
            headers.push(("x-amz-security-token".into(), t.clone()));
        }
        for h in &mut headers {
            h.0 = h.0.to_ascii_lowercase();
            h.1 = h.1.trim().to_string();
        }
        headers.sort();
        let canon_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let signed = headers
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(";");
        let creq = format!("{method}\n{path}\n{qs}\n{canon_headers}\n{signed}\n{payload_hash}");
        let scope = format!("{date}/{}/s3/aws4_request", self.cfg.region);
        let sts = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(creq.as_bytes()))
        );
        let mut k = hmac(
            format!("AWS4{}", self.cfg.secret_access_key).as_bytes(),
            date.as_bytes(),
        );
        for part in [self.cfg.region.as_bytes(), b"s3", b"aws4_request"] {
            k = hmac(&k, part);
        }
        let sig = hex::encode(hmac(&k, sts.as_bytes()));
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={sig}",
            self.cfg.access_key_id
        );
        let url = if qs.is_empty() {
            format!("{scheme}://{host}{path}")
        } else {
            format!("{scheme}://{host}{path}?{qs}")
        };
        let m = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut rb = self.http.request(m, &url).header("authorization", auth);
        for (k, v) in headers.iter().filter(|(k, _)| k != "host") {
            rb = rb.header(k, v);
        }
        let resp = rb
            .body(body)
            .send()
            .await
            .with_context(|| format!("s3 {method} {key}"))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let text = resp.text().await.unwrap_or_default();
        bail!(S3Error {
            status: status.as_u16(),
            message: format!("s3 {method} {key}: HTTP {status}: {}", snippet(&text)),
        })
    }
}

/// A non-2xx answer from the store.
#[derive(Debug)]
pub struct S3Error {
    pub status: u16,
    pub message: String,
}

impl std::fmt::Display for S3Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for S3Error {}

fn is_not_found(e: &anyhow::Error) -> bool {
    e.downcast_ref::<S3Error>().is_some_and(|e| e.status == 404)
}

fn snippet(s: &str) -> String {
    s.chars().take(300).collect::<String>().replace('\n', " ")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// SigV4 URI encoding: RFC 3986 unreserved characters stay, everything else is `%XX`.
fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_sigv4() {
        assert_eq!(uri_encode("a b/c~d", true), "a%20b/c~d");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        assert_eq!(join_key("/p/", "control"), "p/control");
        assert_eq!(join_key("", "tenants/x"), "tenants/x");
    }
}
