//! The `harness` binary: parses the command line and runs the chosen subcommand.

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    let cli = harness::cli::Cli::parse();
    match harness::cli::run(cli, &mut std::io::stdout()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
