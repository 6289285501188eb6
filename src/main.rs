//! `autonomo`: parse the command line and hand over to the library.

use clap::Parser;

/// mimalloc for every allocation, SQLite's included (the `override` feature replaces
/// `malloc` itself): it hands freed memory back to the system within milliseconds, where
/// glibc's per-thread arenas kept tens of MiB of it (docs/benchmarks.md, session 6 memory).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    quiet_output_errors();
    let cli = autonomo::cli::Cli::parse();
    if matches!(cli.command, autonomo::cli::Command::Serve { .. }) {
        serve_with_allocator_settings();
    }
    match autonomo::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// mimalloc's settings for a long-running server, each unless the operator set it: arenas
/// are committed as they are used instead of up front. Idle with the three demo brands:
/// 68–76 → 44–50 MiB, at no cost in throughput (docs/benchmarks.md, session 11).
///
/// Not `MIMALLOC_PURGE_DELAY=0`: it saves another 7 MiB idle, but hands freed pages back
/// at once and faults them in again on the next allocation; under webhook load a quarter of
/// the CPU went to page faults and `madvise`, and messages processed per second fell by a
/// third (527 → 332–364).
const ALLOCATOR_SETTINGS: [(&str, &str); 1] = [("MIMALLOC_ARENA_EAGER_COMMIT", "0")];

/// mimalloc reads its settings from the environment once, as the process starts, and setting
/// them from code would take `unsafe` (FFI or `set_var`). So when one is missing, `serve`
/// replaces itself (same pid, same arguments) with a copy of the binary that has them; the
/// exec'd process finds them set and goes on. Should the exec fail, the server runs anyway,
/// with mimalloc's defaults.
fn serve_with_allocator_settings() {
    use std::os::unix::process::CommandExt;
    let missing: Vec<_> = ALLOCATOR_SETTINGS
        .iter()
        .filter(|(name, _)| std::env::var_os(name).is_none())
        .collect();
    if missing.is_empty() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
    let error = std::process::Command::new(&exe)
        .arg0(argv0)
        .args(args)
        .envs(missing.iter().map(|(name, value)| (name, value)))
        .exec();
    eprintln!(
        "aviso / warning: sin ajustes de memoria / without the allocator settings ({error}): {}",
        exe.display()
    );
}

/// `println!` panics when stdout goes away. `autonomo jobs list | head` closing the pipe is
/// normal use, not a crash: stop quietly. A full disk or a closed terminal gets one clear
/// line instead of a backtrace. Everything already written to the databases is committed.
fn quiet_output_errors() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let text = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.starts_with("failed printing to std") {
            if text.contains("Broken pipe") {
                std::process::exit(0);
            }
            eprintln!("error: no se pudo escribir la salida / cannot write output: {text}");
            std::process::exit(1);
        }
        default(info);
    }));
}
