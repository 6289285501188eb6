//! Test harness for the integration tests: drives the real `autonomo` binary.
//!
//! [`TestEnv`] is a temporary data directory plus the CLI (`tenant create`, `token create`);
//! [`Server`] is `autonomo serve --listen 127.0.0.1:0` on that directory, found through the
//! address it prints, and [`Api`] is an HTTP client with a token and a language.
//!
//! Every server runs under a tiny `sh` watchdog that reads the test process's pipe: when the
//! test binary exits for any reason (including a panic or a timeout kill), the pipe closes
//! and the watchdog kills the server, so no test ever leaves a server running. That is also
//! what lets a test file share one server through a `static` (statics are never dropped).

#![allow(dead_code)] // each test binary uses a different part of the harness

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;

/// The binary under test, built by cargo for integration tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_autonomo");

/// A temporary data directory and the CLI that works on it.
pub struct TestEnv {
    /// `None` once leaked to a shared fixture (then the watchdog removes the directory).
    /// Shared with every [`Server`] started on it, so the directory outlives the servers
    /// even when a fixture keeps the server and drops the `TestEnv`: a server whose data
    /// directory vanished answers 500 to whatever opens a new connection.
    dir: Option<Arc<tempfile::TempDir>>,
    pub data: PathBuf,
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl TestEnv {
    pub fn new() -> TestEnv {
        let dir = tempfile::Builder::new()
            .prefix("autonomo-test-")
            .tempdir()
            .expect("cannot create a temp dir");
        let data = dir.path().join("data");
        TestEnv {
            dir: Some(Arc::new(dir)),
            data,
        }
    }

    /// A command for the binary on this data dir, with a clean `AUTONOMO_*` environment.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        for (key, _) in std::env::vars() {
            if key.starts_with("AUTONOMO_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("RUST_LOG", "warn");
        cmd.arg("--data-dir").arg(&self.data);
        cmd
    }

    /// Runs the CLI with `args` and returns its output, whatever the exit code.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.cli_with_env(args, &[])
    }

    pub fn cli_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command();
        cmd.args(args).stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("cannot run the autonomo binary")
    }

    /// Runs the CLI and panics with its output unless it succeeds; returns stdout.
    pub fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "`autonomo {}` failed ({}):\nstdout: {}\nstderr: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("CLI output is not UTF-8")
    }

    /// `autonomo tenant create SLUG --name NAME --country C --timezone TZ --currency CUR`.
    pub fn create_brand(&self, slug: &str, name: &str, country: &str, tz: &str, currency: &str) {
        self.cli_ok(&[
            "tenant",
            "create",
            slug,
            "--name",
            name,
            "--country",
            country,
            "--timezone",
            tz,
            "--currency",
            currency,
        ]);
    }

    /// `autonomo token create --tenant SLUG --scope SCOPE` (or `--all-tenants` for `None`).
    pub fn token(&self, brand: Option<&str>, scope: &str) -> String {
        let mut args = vec!["token", "create", "--scope", scope];
        match brand {
            Some(slug) => args.extend(["--tenant", slug]),
            None => args.push("--all-tenants"),
        }
        let out = self.cli_ok(&args);
        out.lines()
            .map(str::trim)
            .find(|l| l.starts_with("atk_"))
            .unwrap_or_else(|| panic!("no token in `token create` output: {out}"))
            .to_string()
    }

    /// The database file of a brand.
    pub fn brand_db(&self, slug: &str) -> PathBuf {
        self.data.join("tenants").join(format!("{slug}.db"))
    }

    /// Starts `autonomo serve` on this data dir with default settings.
    pub fn start(&self) -> Server {
        self.start_with(&[])
    }

    /// Starts the server with extra environment variables.
    pub fn start_with(&self, env: &[(&str, &str)]) -> Server {
        Server::spawn(self, env, None)
    }

    /// Starts a server that lives as long as the test process; the data dir goes with it.
    pub fn into_shared_server(mut self, env: &[(&str, &str)]) -> (PathBuf, Server) {
        let dir = self.dir.take().expect("already shared");
        let dir = Arc::try_unwrap(dir)
            .unwrap_or_else(|_| panic!("a server still runs on this data dir"))
            .keep();
        let server = Server::spawn(&self, env, Some(&dir));
        (self.data.clone(), server)
    }
}

/// `sh` watchdog: runs the server, prints its pid, kills it when our pipe closes, and prints
/// `exit:N` when the server ends by itself (for the graceful-shutdown test).
const WATCHDOG: &str = r#"
exec 3<&0
"$0" "$@" </dev/null >"$AUTONOMO_TEST_LOG" 2>&1 &
pid=$!
echo "pid:$pid"
( read -r _ <&3; kill -9 "$pid" 2>/dev/null; sleep 0.2;
  if [ -n "$AUTONOMO_TEST_CLEANUP" ]; then rm -rf "$AUTONOMO_TEST_CLEANUP"; fi ) &
watcher=$!
exec 3<&-
wait "$pid"
code=$?
echo "exit:$code"
wait "$watcher"
"#;

/// A running `autonomo serve`.
pub struct Server {
    pub addr: String,
    pub base: String,
    pub pid: u32,
    pub log: PathBuf,
    watchdog: Mutex<Child>,
    stdin: Mutex<Option<ChildStdin>>,
    lines: Mutex<Receiver<String>>,
    /// Keeps the data directory until the server is gone (fields drop after `Drop::drop`).
    _data_dir: Option<Arc<tempfile::TempDir>>,
}

impl Server {
    fn spawn(env: &TestEnv, extra: &[(&str, &str)], cleanup: Option<&Path>) -> Server {
        std::fs::create_dir_all(&env.data).expect("cannot create the data dir");
        let log = unique_log_path(&env.data);
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(WATCHDOG).arg(BIN);
        for (key, _) in std::env::vars() {
            if key.starts_with("AUTONOMO_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("RUST_LOG", "warn")
            .env("AUTONOMO_TEST_LOG", &log)
            .env("AUTONOMO_TEST_CLEANUP", cleanup.unwrap_or(Path::new("")))
            .args(["--data-dir"])
            .arg(&env.data)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .expect("cannot run `sh` (needed by the test harness)");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the watchdog printed no pid");
        let pid: u32 = first
            .strip_prefix("pid:")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected watchdog output: {first}"));
        let mut server = Server {
            addr: String::new(),
            base: String::new(),
            pid,
            log: log.clone(),
            watchdog: Mutex::new(child),
            stdin: Mutex::new(stdin),
            lines: Mutex::new(rx),
            _data_dir: env.dir.clone(),
        };
        let addr = server.wait_for_address();
        server.base = format!("http://{addr}");
        server.addr = addr;
        server.wait_healthy();
        server
    }

    /// Reads the address the server prints once it listens (it prints the real port).
    fn wait_for_address(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            if let Some(rest) = text.split("listening on http://").nth(1) {
                return rest.split_whitespace().next().unwrap_or("").to_string();
            }
            if let Some(code) = self.try_exit_code() {
                panic!("the server exited ({code}) before listening:\n{text}");
            }
            assert!(
                Instant::now() < deadline,
                "the server did not print its address in 30 s:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Polls `/healthz` with a plain socket until it answers 200.
    fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(status) = raw_get_status(&self.addr, "/healthz")
                && status == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "/healthz not ready in 30 s; log:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// An API client for this server with `token` (none: anonymous).
    pub fn api(&self, token: Option<&str>) -> Api {
        Api {
            base: self.base.clone(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("reqwest client"),
            token: token.map(str::to_string),
            lang: None,
            log: Some(self.log.clone()),
        }
    }

    /// Sends a signal (`KILL`, `TERM`, …) to the server process itself.
    pub fn signal(&self, name: &str) {
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("kill -{name} {}", self.pid))
            .status()
            .expect("cannot run kill");
        assert!(status.success(), "kill -{name} {} failed", self.pid);
    }

    fn try_exit_code(&self) -> Option<i32> {
        let rx = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        while let Ok(line) = rx.try_recv() {
            if let Some(code) = line.strip_prefix("exit:") {
                return code.trim().parse().ok();
            }
        }
        None
    }

    /// Waits for the server to exit by itself and returns its exit code.
    pub fn wait_exit(&self, timeout: Duration) -> i32 {
        let rx = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(code) = line.strip_prefix("exit:") {
                        return code.trim().parse().expect("exit code");
                    }
                }
                Err(_) => panic!(
                    "the server did not exit within {timeout:?}; log:\n{}",
                    self.log_text()
                ),
            }
        }
    }

    /// SIGKILL, then wait until the process is gone.
    pub fn kill9(&self) -> i32 {
        self.signal("KILL");
        self.wait_exit(Duration::from_secs(10))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Closing the pipe makes the watchdog kill the server (if it still runs).
        if let Ok(mut stdin) = self.stdin.lock() {
            if let Some(s) = stdin.as_mut() {
                let _ = s.flush();
            }
            stdin.take();
        }
        if let Ok(mut child) = self.watchdog.lock() {
            let _ = child.wait();
        }
    }
}

fn unique_log_path(data: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let parent = data.parent().unwrap_or(data);
    parent.join(format!("server-{}.log", N.fetch_add(1, Ordering::Relaxed)))
}

/// A minimal blocking `GET` with a raw socket (used before any runtime exists).
pub fn raw_get_status(addr: &str, path: &str) -> std::io::Result<u16> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = String::new();
    stream.read_to_string(&mut buf)?;
    buf.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad response: {buf}")))
}

/// An HTTP client bound to one server, token and language.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub token: Option<String>,
    pub lang: Option<String>,
    /// The server's log file, quoted when a request gets a 5xx.
    pub log: Option<PathBuf>,
}

impl Api {
    pub fn with_token(&self, token: Option<&str>) -> Api {
        Api {
            token: token.map(str::to_string),
            ..self.clone()
        }
    }

    pub fn english(&self) -> Api {
        Api {
            lang: Some("en".into()),
            ..self.clone()
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut rb = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            rb = rb.header("authorization", format!("Bearer {t}"));
        }
        if let Some(l) = &self.lang {
            rb = rb.header("accept-language", l.as_str());
        }
        rb
    }

    /// Sends a request with an optional JSON body.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        let mut rb = self.request(method.clone(), path);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        Resp::from(method, path, rb.send().await, self.log.as_deref()).await
    }

    /// Like [`Api::call`] but a transport error (server gone) is returned, not a panic.
    pub async fn try_call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, String), String> {
        let mut rb = self.request(method, path);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let response = rb.send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| e.to_string())?;
        Ok((status, text))
    }

    /// Sends raw bytes with the given content type (for malformed bodies).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> Resp {
        let mut rb = self.request(method.clone(), path).body(body);
        if let Some(ct) = content_type {
            rb = rb.header("content-type", ct);
        }
        Resp::from(method, path, rb.send().await, self.log.as_deref()).await
    }

    /// Sends with extra headers (e.g. a custom Authorization).
    pub async fn with_headers(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Resp {
        let mut rb = self.request(method.clone(), path);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        if let Some(b) = body {
            rb = rb.json(b);
        }
        Resp::from(method, path, rb.send().await, self.log.as_deref()).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.call(Method::DELETE, path, None).await
    }

    /// Every item of a paginated list, following `next_cursor`; `query` may be empty.
    pub async fn list_all(&self, path: &str, query: &str, page_size: u32) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10_000 {
            let mut url = format!("{path}?limite={page_size}");
            if !query.is_empty() {
                url.push('&');
                url.push_str(query);
            }
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let page = self.get(&url).await.ok(200);
            let batch = page["items"].as_array().expect("items").clone();
            assert!(batch.len() <= page_size as usize, "page larger than limite");
            items.extend(batch);
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return items,
            }
        }
        panic!("pagination of {path} never ended");
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub what: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Resp {
    async fn from(
        method: Method,
        path: &str,
        sent: Result<reqwest::Response, reqwest::Error>,
        log: Option<&std::path::Path>,
    ) -> Resp {
        let what = format!("{method} {path}");
        let response = sent.unwrap_or_else(|e| panic!("{what}: request failed: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("{what}: cannot read body: {e}"));
        let resp = Resp {
            what,
            status,
            headers,
            text,
        };
        if status >= 500 {
            // The server's side of the story: the last lines of its log.
            let log = log
                .and_then(|p| std::fs::read_to_string(p).ok())
                .unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            panic!(
                "{}: server error {status} (no 5xx is acceptable): {}\nserver log (last lines):\n{}",
                resp.what,
                resp.text,
                tail.join("\n")
            );
        }
        resp
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("{}: body is not JSON ({e}): {}", self.what, self.text))
    }

    /// Asserts the status and returns the JSON body (`Null` for an empty body).
    pub fn ok(&self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "{}: expected {status}, got {}: {}",
            self.what, self.status, self.text
        );
        if self.text.is_empty() {
            Value::Null
        } else {
            self.json()
        }
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts an `application/problem+json` with `status` and `type` ending in `#kind`;
    /// returns the problem document.
    pub fn problem(&self, status: u16, kind: &str) -> Value {
        assert_eq!(
            self.status, status,
            "{}: expected {status} ({kind}), got {}: {}",
            self.what, self.status, self.text
        );
        assert!(
            self.header("content-type")
                .starts_with("application/problem+json"),
            "{}: content-type is `{}`, not problem+json: {}",
            self.what,
            self.header("content-type"),
            self.text
        );
        let p = self.json();
        assert_eq!(p["status"], status, "{}: {}", self.what, self.text);
        let t = p["type"].as_str().unwrap_or("");
        assert!(
            t.ends_with(&format!("#{kind}")),
            "{}: type `{t}` is not `#{kind}`: {}",
            self.what,
            self.text
        );
        for key in ["title", "detail"] {
            assert!(
                p[key].as_str().is_some_and(|s| !s.is_empty()),
                "{}: problem lacks `{key}`: {}",
                self.what,
                self.text
            );
        }
        p
    }
}

fn counter() -> u64 {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static BASE: OnceLock<u64> = OnceLock::new();
    static N: AtomicU64 = AtomicU64::new(0);
    let base = *BASE.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        (nanos / 1000 + u64::from(std::process::id())) % 50_000_000
    });
    base + N.fetch_add(1, Ordering::Relaxed)
}

/// A unique suffix so tests sharing a server never collide on names, SKUs or e-mails.
pub fn unique() -> String {
    format!("u{}", counter())
}

/// A unique valid Peruvian mobile number (9 digits starting with 9), national format.
pub fn pe_mobile() -> String {
    format!("9{:08}", counter() % 100_000_000)
}
