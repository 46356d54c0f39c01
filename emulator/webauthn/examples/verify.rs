//! The verifier's CLI on its own, until `emulator webauthn ...` is wired:
//! `cargo run -p emulator-webauthn --example verify -- verify registration --options ...`

use std::process::ExitCode;

use clap::Parser;
use emulator_webauthn::cli::{WebauthnArgs, run};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: WebauthnArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli.args, &mut std::io::stdout().lock()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
