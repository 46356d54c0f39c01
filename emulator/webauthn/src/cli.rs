//! `emulator webauthn verify registration|authentication`: verify responses captured from any
//! app against their options, print each check performed and the verdict (or JSON).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use crate::json::{
    AuthenticationResponseJson, CreationOptionsJson, RegistrationResponseJson, RequestOptionsJson,
};
use crate::{
    AttestationPolicy, AuthenticationState, CounterPolicy, CredentialRecord, Error,
    RegistrationState, RelyingParty, RpConfig, Trace,
};

/// `emulator webauthn ...`
#[derive(Debug, Args)]
pub struct WebauthnArgs {
    #[command(subcommand)]
    pub command: WebauthnCommand,
}

#[derive(Debug, Subcommand)]
pub enum WebauthnCommand {
    /// Verify a ceremony response against its options, as a strict relying party would.
    #[command(subcommand)]
    Verify(Ceremony),
}

#[derive(Debug, Subcommand)]
pub enum Ceremony {
    /// Verify a RegistrationResponseJSON against PublicKeyCredentialCreationOptionsJSON.
    Registration(RegistrationArgs),
    /// Verify an AuthenticationResponseJSON against request options and a stored credential.
    Authentication(AuthenticationArgs),
}

/// Inputs and relying-party settings both ceremonies share.
#[derive(Debug, Args)]
pub struct Common {
    /// The options JSON the app sent to the browser.
    #[arg(long)]
    pub options: PathBuf,
    /// The response JSON (`PublicKeyCredential.toJSON()`) the browser returned.
    #[arg(long)]
    pub response: PathBuf,
    /// Allowed origin (repeatable); default `https://<rp id>`.
    #[arg(long = "origin")]
    pub origins: Vec<String>,
    /// RP ID; default the options' `rp.id` / `rpId`.
    #[arg(long)]
    pub rp_id: Option<String>,
    /// Accept `crossOrigin: true`, with these top-level origins (repeatable).
    #[arg(long = "top-origin")]
    pub top_origins: Vec<String>,
    /// The time used for certificate validity, in unix milliseconds; default now.
    #[arg(long)]
    pub now_ms: Option<u64>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write the resulting (new or updated) credential record to this file.
    #[arg(long)]
    pub credential_out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RegistrationArgs {
    #[command(flatten)]
    pub common: Common,
    /// Attestation trust policy.
    #[arg(long, value_enum, default_value_t = Policy::AcceptAny)]
    pub attestation: Policy,
    /// DER or PEM attestation root certificate (repeatable).
    #[arg(long = "trust-root")]
    pub trust_roots: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AuthenticationArgs {
    #[command(flatten)]
    pub common: Common,
    /// The stored credential record (as written by `verify registration --credential-out`).
    #[arg(long)]
    pub credential: PathBuf,
    /// Counter regression: reject, or accept and flag.
    #[arg(long, value_enum, default_value_t = Counter::Reject)]
    pub counter: Counter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Policy {
    AcceptAny,
    RequireTrustedRoot,
    RefuseAttestation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Counter {
    Reject,
    Flag,
}

/// Runs the command, writing its report to `out`. `Ok(true)`: accepted (exit 0); `Ok(false)`:
/// rejected (exit 1); `Err`: the inputs could not be read.
pub fn run(args: &WebauthnArgs, out: &mut dyn Write) -> Result<bool> {
    let WebauthnCommand::Verify(ceremony) = &args.command;
    match ceremony {
        Ceremony::Registration(a) => registration(a, out),
        Ceremony::Authentication(a) => authentication(a, out),
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn config(common: &Common, options_rp_id: Option<&str>) -> Result<RpConfig> {
    let Some(rp_id) = common.rp_id.as_deref().or(options_rp_id) else {
        bail!("no RP ID: the options carry none, pass --rp-id");
    };
    let mut config = RpConfig::new(rp_id, format!("https://{rp_id}"));
    if !common.origins.is_empty() {
        config.origins = common.origins.clone();
    }
    config.allow_cross_origin = !common.top_origins.is_empty();
    config.top_origins = common.top_origins.clone();
    Ok(config)
}

fn now_ms(common: &Common) -> u64 {
    common.now_ms.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    })
}

fn registration(args: &RegistrationArgs, out: &mut dyn Write) -> Result<bool> {
    let c = &args.common;
    let options: CreationOptionsJson = serde_json::from_str(&read(&c.options)?)
        .with_context(|| format!("{}: not creation options JSON", c.options.display()))?;
    let mut config = config(c, options.rp.id.as_deref())?;
    config.attestation = match args.attestation {
        Policy::AcceptAny => AttestationPolicy::AcceptAny,
        Policy::RequireTrustedRoot => AttestationPolicy::RequireTrustedRoot,
        Policy::RefuseAttestation => AttestationPolicy::RefuseAttestation,
    };
    config.trust_roots = args
        .trust_roots
        .iter()
        .map(|p| read_certificate(p))
        .collect::<Result<_>>()?;
    let rp = RelyingParty::new(config)?;
    let state = RegistrationState::from_options(&options);
    let mut trace = Trace::enabled();
    let result = RegistrationResponseJson::from_json(&read(&c.response)?)
        .and_then(|r| rp.verify_registration(&state, &r, now_ms(c), &|_| false, &mut trace));
    report(
        out,
        "registration",
        &rp,
        c,
        &trace,
        result.as_ref().map(|r| (r, None)),
    )?;
    write_record(c, result.as_ref().ok())?;
    Ok(result.is_ok())
}

fn authentication(args: &AuthenticationArgs, out: &mut dyn Write) -> Result<bool> {
    let c = &args.common;
    let options: RequestOptionsJson = serde_json::from_str(&read(&c.options)?)
        .with_context(|| format!("{}: not request options JSON", c.options.display()))?;
    let mut credential = CredentialRecord::from_json(&read(&args.credential)?)
        .with_context(|| format!("{}: not a credential record", args.credential.display()))?;
    let mut config = config(c, options.rp_id.as_deref())?;
    config.counter = match args.counter {
        Counter::Reject => CounterPolicy::Reject,
        Counter::Flag => CounterPolicy::Flag,
    };
    let rp = RelyingParty::new(config)?;
    let state = AuthenticationState::from_options(&options);
    let mut trace = Trace::enabled();
    let result = AuthenticationResponseJson::from_json(&read(&c.response)?)
        .and_then(|r| rp.verify_authentication(&state, &r, &mut credential, now_ms(c), &mut trace));
    let outcome = result
        .as_ref()
        .map(|o| serde_json::to_value(o).unwrap_or_default());
    let verdict = match &outcome {
        Ok(o) => Ok((&credential, Some(o))),
        Err(e) => Err(*e),
    };
    report(out, "authentication", &rp, c, &trace, verdict)?;
    write_record(c, result.is_ok().then_some(&credential))?;
    Ok(result.is_ok())
}

type Verdict<'a> = Result<(&'a CredentialRecord, Option<&'a serde_json::Value>), &'a Error>;

fn report(
    out: &mut dyn Write,
    ceremony: &str,
    rp: &RelyingParty,
    common: &Common,
    trace: &Trace,
    verdict: Verdict<'_>,
) -> Result<()> {
    let config = rp.config();
    if common.json {
        let doc = json!({
            "ceremony": ceremony,
            "rpId": config.rp_id,
            "origins": config.origins,
            "verdict": if verdict.is_ok() { "accepted" } else { "rejected" },
            "checks": trace.steps(),
            "error": verdict.err().map(|e| json!({"check": e.check(), "message": e.to_string()})),
            "credential": verdict.ok().map(|(c, _)| c),
            "outcome": verdict.ok().and_then(|(_, o)| o),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "{ceremony}: rp id {:?}, origins {:?}",
        config.rp_id, config.origins
    )?;
    for step in trace.steps() {
        writeln!(out, "  pass  {:<22} {}", step.check, step.detail)?;
    }
    match verdict {
        Ok((credential, _)) => {
            writeln!(out, "verdict: ACCEPTED")?;
            writeln!(
                out,
                "credential {} ({}, aaguid {}, attestation {} {:?}, signCount {}, BE={} BS={})",
                crate::encoding::b64(&credential.id),
                credential.public_key.alg().name(),
                crate::encoding::uuid(&credential.aaguid),
                credential.attestation_format,
                credential.attestation_type,
                credential.sign_count,
                credential.backup_eligible,
                credential.backup_state,
            )?;
        }
        Err(e) => {
            writeln!(out, "  FAIL  {:<22} {e}", e.check())?;
            writeln!(out, "verdict: REJECTED ({})", e.check())?;
        }
    }
    Ok(())
}

fn write_record(common: &Common, record: Option<&CredentialRecord>) -> Result<()> {
    if let (Some(path), Some(record)) = (&common.credential_out, record) {
        std::fs::write(path, record.to_json() + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// A DER certificate, or the first PEM `CERTIFICATE` block of a text file.
fn read_certificate(path: &Path) -> Result<Vec<u8>> {
    use base64::Engine as _;
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Ok(bytes);
    };
    let Some(start) = text.find("-----BEGIN CERTIFICATE-----") else {
        return Ok(bytes);
    };
    let body: String = text[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .with_context(|| format!("{}: bad PEM", path.display()))
}
