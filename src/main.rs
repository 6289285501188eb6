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
    match autonomo::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
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
