//! `emulator import FILES... [--out FILE]` and `emulator export --url URL --out-dir DIR`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use super::{Input, import, render};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// JSON files: the output of `aws cognito-idp describe-user-pool`,
    /// `describe-user-pool-client`, `describe-identity-provider`, `list-groups`, or a
    /// CloudFormation template (`cdk synth`). Recognised by their content.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Write the config here (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The running emulator's Cognito origin, e.g. http://localhost:9229.
    #[arg(long)]
    url: String,
    /// Directory for the JSON files (one per describe/list output).
    #[arg(long)]
    out_dir: PathBuf,
}

/// Import; every setting not imported is also printed on standard error.
pub fn run_import(args: &ImportArgs) -> anyhow::Result<()> {
    let mut inputs = Vec::new();
    for path in &args.files {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
        inputs.push(Input { name, text });
    }
    let imported = import(&inputs)?;
    let mut err = std::io::stderr().lock();
    for note in &imported.notes {
        let _ = writeln!(err, "emulator import: {note}");
    }
    let names: Vec<String> = inputs.into_iter().map(|i| i.name).collect();
    let text = render(&imported, &names)?;
    // The output must load: a failure here is the importer's bug, reported rather than written.
    crate::Config::parse(&text, "(imported config)")?;
    match &args.out {
        Some(path) => std::fs::write(path, &text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(())
}

/// Export every pool of a running emulator as describe/list JSON files.
pub fn run_export(args: &ExportArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let docs = runtime.block_on(super::export::export(&args.url))?;
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("cannot create {}", args.out_dir.display()))?;
    for doc in docs {
        let path = args.out_dir.join(&doc.name);
        let text = serde_json::to_string_pretty(&doc.json)?;
        std::fs::write(&path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(())
}
