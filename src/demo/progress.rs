//! Progress on stderr: a live line on a terminal, a few plain lines otherwise (logs, tests).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

pub struct Progress {
    label: String,
    unit: &'static str,
    total: u64,
    done: u64,
    rows: u64,
    started: Instant,
    last: Instant,
    tty: bool,
    next_step: u64,
}

impl Progress {
    pub fn new(label: &str, unit: &'static str, total: u64) -> Progress {
        let now = Instant::now();
        Progress {
            label: label.to_string(),
            unit,
            total: total.max(1),
            done: 0,
            rows: 0,
            started: now,
            last: now,
            tty: std::io::stderr().is_terminal(),
            next_step: 25,
        }
    }

    /// `units` more done (orders, rows deleted…) that wrote `rows` rows in total.
    pub fn advance(&mut self, units: u64, rows: u64) {
        self.done += units;
        self.rows += rows;
        let pct = self.done * 100 / self.total;
        if self.tty {
            if self.last.elapsed() >= Duration::from_millis(200) {
                self.last = Instant::now();
                eprint!("\r{}", self.line(pct));
                let _ = std::io::stderr().flush();
            }
        } else if pct >= self.next_step && pct < 100 {
            self.next_step = (pct / 25 + 1) * 25;
            eprintln!("{}", self.line(pct));
        }
    }

    pub fn rows_per_second(&self) -> f64 {
        self.rows as f64 / self.started.elapsed().as_secs_f64().max(1e-6)
    }

    fn line(&self, pct: u64) -> String {
        format!(
            "  {}: {pct:>3}% · {}/{} {} · {} filas/s (rows/s)   ",
            self.label,
            group(self.done),
            group(self.total),
            self.unit,
            group(self.rows_per_second() as u64)
        )
    }

    pub fn finish(&self) {
        let line = self.line(100);
        if self.tty {
            eprintln!("\r{line}");
        } else {
            eprintln!("{line}");
        }
    }
}

/// `1,234,567`, grouped like the prices in the demo.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + 4);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
