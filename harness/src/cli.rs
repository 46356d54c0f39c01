//! The command line: `harness authenticator init|create|get|list|export|import|root`, over a
//! JSON device file, and `harness run` / `harness login` (in `commands.rs`).

use std::io::{Read as _, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::authenticator::device::CredentialFile;
use crate::authenticator::{AuthenticatorConfig, ClientContext, Credential, VirtualAuthenticator};

#[derive(Debug, Parser)]
#[command(
    name = "harness",
    version,
    about = "Virtual authenticators, drivers and scenarios"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// A virtual WebAuthn authenticator kept in a JSON device file.
    #[command(subcommand)]
    Authenticator(AuthenticatorCommand),
    /// Run scenario files and report: a progress line each, a summary table, JUnit XML.
    Run(crate::commands::RunArgs),
    /// Sign in through Cognito and the IdP headlessly; prints Cognito's tokens as JSON.
    Login(crate::commands::LoginArgs),
    /// Write a starter for gating CI on your integration: config, scenario, justfile, CI jobs.
    Init(crate::init::InitArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Preset {
    /// Phone or laptop passkey provider (platform, synced, `none` attestation).
    Platform,
    /// FIDO2 USB key (cross-platform, packed x5c attestation, per-credential counter).
    SecurityKey,
    /// U2F-only key (fido-u2f attestation, no discoverable credentials, global counter).
    U2f,
}

#[derive(Debug, Args)]
pub struct DeviceArgs {
    /// The device file (created with the preset and seed when it does not exist).
    #[arg(long)]
    pub device: PathBuf,
    #[arg(long, value_enum, default_value = "platform")]
    pub preset: Preset,
    /// Seed of the device's RNG (keys, credential ids, certificates).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

#[derive(Debug, Subcommand)]
pub enum AuthenticatorCommand {
    /// Create a device file (fails if it exists).
    Init(DeviceArgs),
    /// navigator.credentials.create(): prints the registration response JSON.
    Create {
        #[command(flatten)]
        device: DeviceArgs,
        /// PublicKeyCredentialCreationOptionsJSON (bare or under "publicKey"); `-` for stdin.
        #[arg(long)]
        options: PathBuf,
        /// The calling page's origin, e.g. http://idp.localhost:9230.
        #[arg(long)]
        origin: String,
    },
    /// navigator.credentials.get(): prints the authentication response JSON.
    Get {
        #[command(flatten)]
        device: DeviceArgs,
        /// PublicKeyCredentialRequestOptionsJSON (bare or under "publicKey"); `-` for stdin.
        #[arg(long)]
        options: PathBuf,
        #[arg(long)]
        origin: String,
        /// base64url id of the credential the user picks when several are eligible.
        #[arg(long)]
        credential: Option<String>,
    },
    /// Lists the device's credentials (without private keys).
    List(DeviceArgs),
    /// Prints one credential: as a device-file entry, or as WebDriver "Add Credential" JSON.
    Export {
        #[command(flatten)]
        device: DeviceArgs,
        /// base64url credential id.
        #[arg(long)]
        credential: String,
        #[arg(long)]
        webdriver: bool,
    },
    /// Adds a credential (a device-file entry or WebDriver JSON) to the device: a synced copy.
    Import {
        #[command(flatten)]
        device: DeviceArgs,
        /// File with the credential JSON; `-` for stdin.
        #[arg(long)]
        credential: PathBuf,
    },
    /// Prints the attestation root CA certificate (base64 DER) to register as trusted.
    Root(DeviceArgs),
}

fn read_input(path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

pub(crate) fn open(args: &DeviceArgs) -> anyhow::Result<VirtualAuthenticator> {
    if args.device.exists() {
        let text = read_input(&args.device)?;
        return VirtualAuthenticator::from_json(&text)
            .with_context(|| format!("reading device {}", args.device.display()));
    }
    let config = match args.preset {
        Preset::Platform => AuthenticatorConfig::platform_passkey(),
        Preset::SecurityKey => AuthenticatorConfig::security_key(),
        Preset::U2f => AuthenticatorConfig::u2f_key(),
    };
    Ok(VirtualAuthenticator::with_seed(config, args.seed)?)
}

/// Writes the device file through a temporary file and a rename, so a crash leaves the old one.
pub(crate) fn save(args: &DeviceArgs, device: &VirtualAuthenticator) -> anyhow::Result<()> {
    let tmp = args.device.with_extension("json.tmp");
    std::fs::write(&tmp, device.to_json() + "\n")
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &args.device)
        .with_context(|| format!("replacing {}", args.device.display()))
}

fn print_json(out: &mut dyn Write, value: &serde_json::Value) -> anyhow::Result<()> {
    writeln!(out, "{}", serde_json::to_string_pretty(value)?)?;
    Ok(())
}

/// Runs a parsed command line, printing results to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<()> {
    let command = match cli.command {
        Command::Authenticator(command) => command,
        Command::Run(args) => return crate::commands::run(&args, out),
        Command::Login(args) => return crate::commands::login(&args, out),
        Command::Init(args) => return crate::init::init(&args, out),
    };
    match command {
        AuthenticatorCommand::Init(args) => {
            if args.device.exists() {
                bail!("{} already exists", args.device.display());
            }
            save(&args, &open(&args)?)
        }
        AuthenticatorCommand::Create {
            device,
            options,
            origin,
        } => {
            let mut authenticator = open(&device)?;
            let response = authenticator.create(&read_input(&options)?, &origin)?;
            save(&device, &authenticator)?;
            print_json(out, &response)
        }
        AuthenticatorCommand::Get {
            device,
            options,
            origin,
            credential,
        } => get(&device, &options, &origin, credential.as_deref(), out),
        AuthenticatorCommand::List(args) => list(&args, out),
        AuthenticatorCommand::Export {
            device,
            credential,
            webdriver,
        } => export(&device, &credential, webdriver, out),
        AuthenticatorCommand::Import { device, credential } => import(&device, &credential),
        AuthenticatorCommand::Root(args) => root(&args, out),
    }
}

fn get(
    device: &DeviceArgs,
    options: &Path,
    origin: &str,
    credential: Option<&str>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut authenticator = open(device)?;
    let mut ctx = ClientContext::same_origin(origin);
    if let Some(id) = credential {
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(id);
        ctx.pick_credential = Some(id.context("--credential is not base64url")?);
    }
    let response = authenticator.get_in(&read_input(options)?, &ctx)?;
    save(device, &authenticator)?;
    print_json(out, &response)
}

fn list(device: &DeviceArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut list = Vec::new();
    for credential in open(device)?.credentials() {
        let mut entry = serde_json::to_value(credential.to_file())?;
        if let Some(map) = entry.as_object_mut() {
            map.remove("private_key");
        }
        list.push(entry);
    }
    print_json(out, &serde_json::Value::Array(list))
}

fn export(
    device: &DeviceArgs,
    credential: &str,
    webdriver: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let authenticator = open(device)?;
    let mut credentials = authenticator.credentials().iter();
    let Some(found) = credentials.find(|c| c.to_file().id == credential) else {
        bail!("no credential {credential} on {}", device.device.display());
    };
    match webdriver {
        true => print_json(out, &found.to_webdriver()),
        false => print_json(out, &serde_json::to_value(found.to_file())?),
    }
}

/// Imports a device-file entry, or WebDriver JSON (recognised by its `credentialId`).
fn import(device: &DeviceArgs, credential: &Path) -> anyhow::Result<()> {
    let mut authenticator = open(device)?;
    let value: serde_json::Value = serde_json::from_str(&read_input(credential)?)?;
    let imported = match value.get("credentialId") {
        Some(_) => Credential::from_webdriver(&value)?,
        None => Credential::from_file(&serde_json::from_value::<CredentialFile>(value)?)?,
    };
    authenticator.import_credential(imported);
    save(device, &authenticator)
}

fn root(device: &DeviceArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut authenticator = open(device)?;
    let Some(root) = authenticator.attestation_root_der()? else {
        bail!("this device's attestation format has no certificate chain");
    };
    save(device, &authenticator)?;
    let text = base64::engine::general_purpose::STANDARD.encode(root);
    writeln!(out, "{text}")?;
    Ok(())
}
