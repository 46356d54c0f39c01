//! The `emulator` command: start the emulated services, or run a tool.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use emulator::{Config, Options, Storage};

#[derive(Debug, Parser)]
#[command(
    name = "emulator",
    version,
    about = "Offline Amazon Cognito + passwordless IdP emulator"
)]
struct Cli {
    /// TOML config file (default: the embedded config that mirrors the integration guide).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Directory for the state database (default: ./.emulator-data).
    #[arg(long, conflicts_with = "ephemeral")]
    data_dir: Option<PathBuf>,
    /// Keep all state in memory.
    #[arg(long)]
    ephemeral: bool,
    /// Address for the Cognito listener (overrides the config; loopback by default).
    #[arg(long)]
    bind: Option<std::net::SocketAddr>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a config file and exit.
    CheckConfig,
    /// WebAuthn tools: `webauthn verify registration|authentication`.
    Webauthn(emulator::webauthn::cli::WebauthnArgs),
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let mut config = match &cli.config {
        Some(path) => Config::load(path)?,
        None => Config::parse(emulator::config::DEFAULT_TOML, "(embedded default)")?,
    };
    if let Some(bind) = cli.bind {
        config.cognito.bind = bind;
        config.cognito.public_url = None;
    }
    Ok(config)
}

async fn serve(cli: Cli) -> anyhow::Result<()> {
    let config = load_config(&cli)?;
    let storage = if cli.ephemeral {
        Storage::Ephemeral
    } else {
        Storage::Dir(
            cli.data_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(".emulator-data")),
        )
    };
    let pools: Vec<String> = config.cognito.pools.iter().map(|p| p.id.clone()).collect();
    let running = emulator::start_with(
        config,
        Options {
            storage: storage.clone(),
            ..Options::default()
        },
    )
    .await?;
    println!(
        "Cognito user pool API  {}/  (AWS_ENDPOINT_URL)",
        running.cognito_url
    );
    for id in pools {
        println!("  pool {id}: issuer {}/{id}", running.cognito_url);
    }
    println!(
        "Control plane          {}/_emulator/health",
        running.cognito_url
    );
    match storage {
        Storage::Ephemeral => println!("State                  in memory"),
        Storage::Dir(d) => println!(
            "State                  {}",
            d.join("emulator.sqlite").display()
        ),
    }
    wait_for_signal().await;
    println!("shutting down");
    running.stop().await;
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::CheckConfig) => load_config(&cli).map(|_| println!("config ok")),
        Some(Command::Webauthn(args)) => {
            return match emulator::webauthn::cli::run(args, &mut std::io::stdout()) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("emulator webauthn: {e:#}");
                    ExitCode::from(2)
                }
            };
        }
        None => match tokio::runtime::Runtime::new() {
            Ok(rt) => rt.block_on(serve(cli)),
            Err(e) => Err(e.into()),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("emulator: {e:#}");
            ExitCode::FAILURE
        }
    }
}
