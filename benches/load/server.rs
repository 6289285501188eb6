//! Driving the real `autonomo` binary: CLI calls, `serve` as a child process, readiness,
//! and what /proc says about it (RSS now and at its peak, CPU time).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The release binary and the environment every call shares.
#[derive(Clone)]
pub struct Binary {
    pub path: PathBuf,
    pub env: Vec<(String, String)>,
}

impl Binary {
    /// Runs `autonomo --data-dir DIR ARGS…`, returning stdout; a failure stops the benchmark.
    pub fn run(&self, data_dir: &Path, args: &[&str]) -> String {
        let out = Command::new(&self.path)
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .envs(self.env.iter().cloned())
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.path.display()));
        assert!(
            out.status.success(),
            "autonomo {args:?} failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts `autonomo serve` on `port`; the clock for the cold start starts here.
    pub fn serve(&self, data_dir: &Path, port: u16, log: &Path) -> Server {
        self.serve_with(data_dir, port, log, &[])
    }

    /// [`Binary::serve`] with `extra` environment variables.
    pub fn serve_with(
        &self,
        data_dir: &Path,
        port: u16,
        log: &Path,
        extra: &[(&str, &str)],
    ) -> Server {
        let log = std::fs::File::create(log).expect("server log");
        let started = Instant::now();
        let child = Command::new(&self.path)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .envs(self.env.iter().cloned())
            .envs(extra.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn autonomo serve");
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            started,
        }
    }
}

/// A child process serving HTTP (Autónomo or the peer).
pub struct Server {
    pub child: Child,
    pub base: String,
    pub started: Instant,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Polls `path` until it answers 200; returns the time since spawn.
    pub async fn wait_ready(
        &mut self,
        http: &reqwest::Client,
        path: &str,
        limit: Duration,
    ) -> Duration {
        let url = format!("{}{path}", self.base);
        loop {
            if let Ok(r) = http.get(&url).send().await
                && r.status().is_success()
            {
                return self.started.elapsed();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("server exited before serving: {status}");
            }
            assert!(
                self.started.elapsed() < limit,
                "{url} not ready after {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// How many brands `/healthz` reports open (`abierta`), out of how many.
    pub async fn open_brands(&self, http: &reqwest::Client) -> (usize, usize) {
        let url = format!("{}/healthz", self.base);
        let Ok(r) = http.get(&url).send().await else {
            return (0, 0);
        };
        let Ok(h) = r.json::<serde_json::Value>().await else {
            return (0, 0);
        };
        let brands = h["marcas"].as_array().cloned().unwrap_or_default();
        let open = brands.iter().filter(|b| b["abierta"] == true).count();
        (open, brands.len())
    }

    /// SIGTERM (graceful: writers flush), then wait.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A bench that panics midway must not leave its server running: the next run copies a seed
/// over the directory that server still writes to.
impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Fields of `/proc/PID/status` given in KiB (`VmRSS`, `RssAnon`, …), in MiB; 0 when absent.
fn status_mib<const N: usize>(pid: u32, names: [&str; N]) -> [f64; N] {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    names.map(|name| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    })
}

/// Resident memory now and at its peak (VmHWM), in MiB.
pub fn rss_mib(pid: u32) -> (f64, f64) {
    let [now, peak] = status_mib(pid, ["VmRSS", "VmHWM"]);
    (now, peak)
}

/// Peaks of RSS already cleared by [`take_peak_mib`], per process.
static CLEARED_PEAKS: std::sync::Mutex<Vec<(u32, f64)>> = std::sync::Mutex::new(Vec::new());

/// The peak RSS (VmHWM) since the last call for `pid`, in MiB; then starts a new peak from
/// the current RSS (`5` to `/proc/PID/clear_refs`), so each workload gets its own peak. What
/// is cleared is kept for [`peak_mib`]. Where the reset is refused the peak only grows.
pub fn take_peak_mib(pid: u32) -> f64 {
    let peak = rss_mib(pid).1;
    let mut cleared = CLEARED_PEAKS.lock().unwrap_or_else(|e| e.into_inner());
    match cleared.iter_mut().find(|(p, _)| *p == pid) {
        Some((_, max)) => *max = max.max(peak),
        None => cleared.push((pid, peak)),
    }
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
    peak
}

/// The peak RSS of `pid` over its whole life, in MiB, despite [`take_peak_mib`]'s resets.
pub fn peak_mib(pid: u32) -> f64 {
    let cleared = CLEARED_PEAKS.lock().unwrap_or_else(|e| e.into_inner());
    let before = cleared
        .iter()
        .find(|(p, _)| *p == pid)
        .map_or(0.0, |(_, max)| *max);
    before.max(rss_mib(pid).1)
}

/// What the resident memory is made of now (VmRSS, RssAnon, RssFile, RssShmem), one line.
pub fn rss_breakdown(pid: u32) -> String {
    let names = ["VmRSS", "RssAnon", "RssFile", "RssShmem"];
    names
        .iter()
        .zip(status_mib(pid, names))
        .map(|(name, mib)| format!("{name} {mib:.1} MiB"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Sum of RSS over a process and its descendants (NocoDB runs through a shell), in MiB.
pub fn tree_rss_mib(pid: u32) -> f64 {
    let mut total = rss_mib(pid).0;
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
        total += tree_rss_mib(child);
    }
    total
}

/// User + system CPU time consumed so far, in seconds.
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at ") ".
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the name.
    (ticks(11) + ticks(12)) / clock_ticks()
}

fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
