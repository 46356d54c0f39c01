//! The `emulator` command: start the emulated services, or run a tool.

use std::io::Write;
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
    /// Seed the random source (overrides the config's `seed`): reproducible ids and codes for
    /// tests; with a data directory, each start draws its own stream of the seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Address for the Cognito listener (overrides the config; loopback by default).
    #[arg(long)]
    bind: Option<std::net::SocketAddr>,
    /// Address for the IdP listener (overrides the config; port 0 picks a free one).
    #[arg(long)]
    idp_bind: Option<std::net::SocketAddr>,
    /// Serve both listeners over HTTPS, with a certificate from a local CA kept in the data
    /// directory (`emulator ca` prints it).
    #[arg(long)]
    tls: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a config file and exit.
    CheckConfig,
    /// Print the HTTPS mode's CA certificate (its path, then its PEM), creating the CA in the
    /// data directory if it does not exist yet.
    Ca,
    /// WebAuthn tools: `webauthn verify registration|authentication`.
    Webauthn(Box<emulator::webauthn::cli::WebauthnArgs>),
    /// Write a config from a pool's `aws cognito-idp describe-*` JSON or a CloudFormation template.
    Import(emulator::import::cli::ImportArgs),
    /// Write a running emulator's pools as `aws cognito-idp describe-*` JSON files.
    Export(emulator::import::cli::ExportArgs),
    /// Print a running emulator's journal, one line per event.
    Journal(JournalArgs),
    /// Look for known integration mistakes: the config and its trigger handlers, and with
    /// `--url` the running emulator's journal. Exits non-zero when it finds any.
    Doctor(DoctorArgs),
}

#[derive(Debug, clap::Args)]
struct DoctorArgs {
    /// A running emulator (`http://localhost:9229`): also check its journal.
    #[arg(long)]
    url: Option<String>,
    /// The CA of an emulator in HTTPS mode (`emulator ca` prints its path).
    #[arg(long, requires = "url")]
    ca: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct JournalArgs {
    /// Keep printing new events as they happen.
    #[arg(long, short)]
    follow: bool,
    /// Only the events of this flow.
    #[arg(long)]
    flow: Option<String>,
    /// The emulator's Cognito origin.
    #[arg(long, default_value = "http://localhost:9229")]
    url: String,
    /// The CA of an emulator in HTTPS mode (`emulator ca` prints its path).
    #[arg(long)]
    ca: Option<PathBuf>,
}

/// `emulator journal`: coloured when stdout is a terminal (and `NO_COLOR` is unset).
async fn journal(args: &JournalArgs) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let tail = emulator::journal::tail::Tail {
        url: args.url.clone(),
        flow: args.flow.clone(),
        follow: args.follow,
        color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        ca: args.ca.clone(),
    };
    emulator::journal::tail::run(&tail, &mut std::io::stdout()).await
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let mut config = match &cli.config {
        Some(path) => Config::load(path)?,
        None => Config::parse(emulator::config::DEFAULT_TOML, "(embedded default)")?,
    };
    if let Some(idp) = &config.idp {
        idp.validate()
            .map_err(|e| anyhow::anyhow!("invalid [idp] config: {e}"))?;
    }
    if let Some(seed) = cli.seed {
        config.seed = Some(seed);
    }
    if cli.tls {
        config.tls.enabled = true;
    }
    Ok(config.with_binds(cli.bind, cli.idp_bind))
}

fn data_dir(cli: &Cli) -> PathBuf {
    cli.data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(".emulator-data"))
}

/// `emulator ca`: the CA's path on one line (for `NODE_EXTRA_CA_CERTS=$(emulator ca | head -1)`),
/// then its PEM.
fn print_ca(cli: &Cli) -> anyhow::Result<()> {
    if cli.ephemeral {
        anyhow::bail!("an --ephemeral emulator makes a new CA each start; use a data directory");
    }
    let dir = data_dir(cli).join("tls");
    let now = emulator::clock::Clock::now_secs(&emulator::clock::SystemClock);
    let ca = emulator::tls::Authority::load_or_create(&dir, now)?;
    let path = ca.cert_path().unwrap_or_else(|| dir.join("ca.pem"));
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    say(&[
        path.display().to_string(),
        ca.cert_pem().trim_end().to_owned(),
    ]);
    Ok(())
}

async fn serve(cli: Cli) -> anyhow::Result<()> {
    let config = load_config(&cli)?;
    let storage = if cli.ephemeral {
        Storage::Ephemeral
    } else {
        Storage::Dir(data_dir(&cli))
    };
    let pools: Vec<String> = config.cognito.pools.iter().map(|p| p.id.clone()).collect();
    let options = Options {
        storage: storage.clone(),
        ..Options::default()
    };
    let running = emulator::start_with(config, options).await?;
    let url = &running.cognito_url;
    let mut lines = vec![format!("Cognito user pool API  {url}/  (AWS_ENDPOINT_URL)")];
    lines.extend(pools.iter().map(|id| {
        let issuer = running.cognito.issuer(id);
        if issuer == format!("{url}/{id}") {
            format!("  pool {id}: issuer {issuer}")
        } else {
            // Production's form: discovery and the JWKS are still here.
            format!("  pool {id}: issuer {issuer}, JWKS {url}/{id}/.well-known/jwks.json")
        }
    }));
    lines.push(format!("Control plane          {url}/_emulator/health"));
    lines.push(format!("Console                {url}/_emulator/ui"));
    if let (Some(idp), Some(config)) = (&running.idp_url, &running.idp) {
        lines.push(format!(
            "Passwordless IdP       {idp}/cis/oidc/.well-known/openid-configuration"
        ));
        lines.push(format!(
            "  issuer {}, WebAuthn RP ID {}",
            config.settings.issuer,
            config.settings.rp.config().rp_id
        ));
        for (tenant, issuer) in &config.settings.tenant_issuers {
            if *issuer != config.settings.issuer {
                lines.push(format!("  tenant {tenant}: issuer {issuer}"));
            }
        }
        lines.push(format!("  users: {idp}/_emulator/idp/users"));
    }
    if let Some(ca) = &running.tls {
        lines.push(match ca.cert_path() {
            Some(path) => format!("HTTPS CA               {}", path.display()),
            None => "HTTPS CA               in memory (this run only)".to_owned(),
        });
    }
    lines.push(match storage {
        Storage::Ephemeral => "State                  in memory".to_owned(),
        Storage::Dir(d) => format!(
            "State                  {}",
            d.join("emulator.sqlite").display()
        ),
    });
    say(&lines);
    wait_for_signal().await;
    say(&["shutting down".to_owned()]);
    running.stop().await;
    Ok(())
}

/// Print to stdout, ignoring a closed pipe (e.g. `emulator | head -1`): the server keeps going.
fn say(lines: &[String]) {
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
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
        Some(Command::Ca) => print_ca(&cli),
        Some(Command::Import(args)) => emulator::import::cli::run_import(args),
        Some(Command::Export(args)) => emulator::import::cli::run_export(args),
        Some(Command::Doctor(args)) => {
            let mut stdout = std::io::stdout();
            let run = emulator::doctor::cli::run(
                cli.config.as_deref(),
                args.url.as_deref(),
                args.ca.as_deref(),
                &mut stdout,
            );
            let result = match tokio::runtime::Runtime::new() {
                Ok(rt) => rt.block_on(run),
                Err(e) => Err(e.into()),
            };
            return match result {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("emulator doctor: {e:#}");
                    ExitCode::from(2)
                }
            };
        }
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
        Some(Command::Journal(args)) => match tokio::runtime::Runtime::new() {
            Ok(rt) => rt.block_on(journal(args)),
            Err(e) => Err(e.into()),
        },
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
