//! `harness init DIR`: a starting point for gating a team's CI on its integration: the
//! emulator's config (the team's own, e.g. from `emulator import`, or the default), a starter
//! scenario, a justfile running the scenarios with transcript snapshots and JUnit, and CI jobs
//! for GitHub Actions and GitLab. Never overwrites a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::Args;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The directory to write into (created if needed).
    pub dir: PathBuf,
    /// The emulator config to start from (e.g. `emulator import`'s output); default: the
    /// embedded config that mirrors the integration guide.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// The files `init` writes, relative to the directory, with their text.
fn files(config: String) -> Vec<(&'static str, String)> {
    vec![
        ("emulator.toml", config),
        (
            "scenarios/sign-up-and-sign-in.toml",
            include_str!("../templates/sign-up-and-sign-in.toml").to_owned(),
        ),
        ("justfile", include_str!("../templates/justfile").to_owned()),
        (
            ".github/workflows/e2e.yml",
            include_str!("../templates/github-e2e.yml").to_owned(),
        ),
        (
            ".gitlab-ci.yml",
            include_str!("../templates/gitlab-ci.yml").to_owned(),
        ),
    ]
}

pub fn init(args: &InitArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            emulator::Config::parse(&text, &path.display().to_string())?;
            text
        }
        None => emulator::config::DEFAULT_TOML.to_owned(),
    };
    let files = files(config);
    let existing: Vec<String> = files
        .iter()
        .map(|(name, _)| args.dir.join(name))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        bail!("not overwriting: {}", existing.join(", "));
    }
    for (name, text) in &files {
        write(&args.dir.join(name), text)?;
        writeln!(out, "wrote {}", args.dir.join(name).display())?;
    }
    writeln!(
        out,
        "\nnext: cd {} && just e2e-record (records the transcripts), then just e2e",
        args.dir.display()
    )?;
    Ok(())
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
