//! Our side of the S3 client against a scripted HTTP server: the requests the SDK is
//! configured to send (path style, endpoint, region, credentials, metadata) and how answers
//! and failures come back. Real-store behaviour is covered by tests/backup against moto.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

#[derive(Debug, Clone)]
struct Seen {
    /// e.g. `PUT /bkt/p/0000/a.ltx?x-id=PutObject`
    line: String,
    /// Lower-cased names.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

type Answer = (u16, Vec<(&'static str, String)>, String);

/// Serves one request per connection with `answer(request)` and records every request.
async fn server(answer: fn(&Seen) -> Answer) -> (u16, Arc<Mutex<Vec<Seen>>>) {
    let l = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                    match s.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let mut lines = head.split("\r\n");
                let line = lines.next().unwrap_or("").to_string();
                let headers: Vec<(String, String)> = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                    .collect();
                let len: usize = headers
                    .iter()
                    .find(|(k, _)| k == "content-length")
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                while buf.len() < head_end + len {
                    match s.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let req = Seen {
                    line,
                    headers,
                    body: buf[head_end..head_end + len].to_vec(),
                };
                let (status, hdrs, body) = answer(&req);
                let is_head = req.line.starts_with("HEAD ");
                log.lock().unwrap().push(req);
                let mut out = format!("HTTP/1.1 {status} X\r\nConnection: close\r\n");
                for (k, v) in hdrs {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                let shown = if is_head { "" } else { body.as_str() };
                out.push_str(&format!("Content-Length: {}\r\n\r\n{shown}", shown.len()));
                let _ = s.write_all(out.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
    (port, seen)
}

fn client(port: u16) -> S3Client {
    S3Client::new(S3Config {
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        bucket: "bkt".into(),
        prefix: "inst".into(),
        region: "eu-central-003".into(),
        path_style: true,
        access_key_id: "AKTEST".into(),
        secret_access_key: "secret".into(),
        session_token: None,
    })
    .unwrap()
}

fn s3_status(e: &anyhow::Error) -> Option<u16> {
    e.downcast_ref::<S3Error>().and_then(|e| e.status)
}

#[test]
fn keys_join_without_stray_slashes() {
    assert_eq!(join_key("/p/", "control"), "p/control");
    assert_eq!(join_key("", "tenants/x"), "tenants/x");
    let c = client(1);
    assert_eq!(c.config().tenant_path("gollos"), "inst/tenants/gollos");
    assert_eq!(c.config().control_path(), "inst/control");
}

#[test]
fn malformed_settings_are_refused_up_front() {
    let mut cfg = client(1).config().clone();
    cfg.endpoint = Some("127.0.0.1:9000".into());
    let e = S3Client::new(cfg.clone()).err().unwrap().to_string();
    assert!(e.contains("endpoint needs a scheme"), "{e}");
    cfg.endpoint = None;
    cfg.bucket = String::new();
    assert!(S3Client::new(cfg).is_err());
}

#[tokio::test]
async fn put_is_path_style_signed_and_carries_metadata() {
    let (port, seen) = server(|_| (200, vec![("ETag", "\"x\"".into())], String::new())).await;
    let c = client(port);
    c.put_object(
        "inst/tenants/a b/0000/0000000000000001-0000000000000001.ltx",
        b"LTX1body".to_vec(),
        &[("litestream-timestamp", "2026-11-25T10:45:50.373Z")],
    )
    .await
    .unwrap();
    let r = seen.lock().unwrap()[0].clone();
    assert!(
        r.line
            .starts_with("PUT /bkt/inst/tenants/a%20b/0000/0000000000000001-0000000000000001.ltx"),
        "{}",
        r.line
    );
    assert_eq!(r.header("host"), Some(&*format!("127.0.0.1:{port}")));
    assert_eq!(r.body, b"LTX1body");
    assert_eq!(
        r.header("x-amz-meta-litestream-timestamp"),
        Some("2026-11-25T10:45:50.373Z")
    );
    let auth = r.header("authorization").unwrap();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKTEST/")
            && auth.contains("/eu-central-003/s3/aws4_request"),
        "{auth}"
    );
    // No CRC32 trailer/header by default (stores that reject it), but the body is signed.
    assert!(r.header("x-amz-checksum-crc32").is_none(), "{r:?}");
    assert_eq!(r.header("x-amz-content-sha256").map(str::len), Some(64));
    assert_eq!(r.header("amz-sdk-request"), Some("attempt=1; max=2"));
}

#[tokio::test]
async fn store_errors_keep_status_code_and_message() {
    let (port, _) = server(|_| {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>\
                   <Message>Access Denied</Message><RequestId>r1</RequestId></Error>";
        (
            403,
            vec![("Content-Type", "application/xml".into())],
            xml.into(),
        )
    })
    .await;
    let c = client(port);
    let e = c.put_object("k/1.ltx", vec![1], &[]).await.unwrap_err();
    assert_eq!(s3_status(&e), Some(403));
    assert_eq!(
        format!("{e:#}"),
        "s3 PUT k/1.ltx: HTTP 403: AccessDenied: Access Denied"
    );
    let e = c.list("k/").await.unwrap_err();
    assert!(
        format!("{e:#}").starts_with("s3 LIST k/: HTTP 403: AccessDenied"),
        "{e:#}"
    );
}

#[tokio::test]
async fn missing_objects_are_none_but_a_missing_bucket_is_an_error() {
    let (port, _) = server(|r| {
        let code = if r.line.contains("/nobucket") {
            "NoSuchBucket"
        } else {
            "NoSuchKey"
        };
        let xml = format!("<Error><Code>{code}</Code><Message>gone</Message></Error>");
        (404, vec![("Content-Type", "application/xml".into())], xml)
    })
    .await;
    let c = client(port);
    assert_eq!(c.get_object("k/missing.ltx").await.unwrap(), None);
    assert_eq!(c.head_metadata("k/missing.ltx").await.unwrap(), None);
    let mut cfg = c.config().clone();
    cfg.bucket = "nobucket".into();
    let e = S3Client::new(cfg)
        .unwrap()
        .get_object("k")
        .await
        .unwrap_err();
    assert_eq!(s3_status(&e), Some(404));
    assert!(format!("{e:#}").contains("NoSuchBucket"), "{e:#}");
}

#[tokio::test]
async fn get_and_head_return_body_and_metadata() {
    let (port, _) = server(|_| {
        let h = vec![
            (
                "x-amz-meta-litestream-timestamp",
                "2026-11-25T10:45:50.373Z".into(),
            ),
            ("Last-Modified", "Wed, 25 Nov 2026 10:45:50 GMT".into()),
        ];
        (200, h, "page bytes".into())
    })
    .await;
    let c = client(port);
    assert_eq!(
        c.get_object("k/a.ltx").await.unwrap().as_deref(),
        Some(&b"page bytes"[..])
    );
    assert_eq!(
        c.head_metadata("k/a.ltx").await.unwrap(),
        Some(vec![(
            "litestream-timestamp".to_string(),
            "2026-11-25T10:45:50.373Z".to_string()
        )])
    );
}

#[tokio::test]
async fn list_follows_continuations_and_sorts() {
    let (port, seen) = server(|r| {
        let second = r.line.contains("continuation-token=t%2F1");
        let xml = if second {
            "<ListBucketResult><Name>bkt</Name><IsTruncated>false</IsTruncated>\
             <Contents><Key>p/0000/a.ltx</Key><LastModified>2026-11-25T10:45:51.000Z</LastModified><Size>7</Size></Contents>\
             </ListBucketResult>"
        } else {
            "<ListBucketResult><Name>bkt</Name>\
             <Contents><Key>p/0009/b&amp;c.ltx</Key><LastModified>2026-11-25T10:45:50.000Z</LastModified><Size>2879</Size></Contents>\
             <IsTruncated>true</IsTruncated><NextContinuationToken>t/1</NextContinuationToken></ListBucketResult>"
        };
        (200, vec![("Content-Type", "application/xml".into())], xml.into())
    })
    .await;
    let l = client(port).list("p/").await.unwrap();
    let keys: Vec<&str> = l.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["p/0000/a.ltx", "p/0009/b&c.ltx"]);
    assert_eq!((l[0].size, l[1].size), (7, 2879));
    assert_eq!(
        l[1].last_modified.unwrap().to_rfc3339(),
        "2026-11-25T10:45:50+00:00"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[0]
            .line
            .starts_with("GET /bkt/?list-type=2&prefix=p%2F "),
        "{}",
        seen[0].line
    );
    assert!(
        seen[1].line.contains("&continuation-token=t%2F1 "),
        "{}",
        seen[1].line
    );
}

#[tokio::test]
async fn an_unreachable_store_fails_fast_with_the_cause() {
    // A port nobody listens on: connection refused on every attempt.
    let port = {
        let l = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        l.local_addr().unwrap().port()
    };
    let t = Instant::now();
    let e = client(port)
        .put_object("k/1.ltx", vec![1], &[])
        .await
        .unwrap_err();
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    assert_eq!(s3_status(&e), None);
    let msg = format!("{e:#}");
    assert!(msg.starts_with("s3 PUT k/1.ltx: "), "{msg}");
    assert!(msg.contains("Connection refused"), "{msg}");
    assert!(!msg.contains("DispatchFailure {"), "no Debug dump: {msg}");
}
