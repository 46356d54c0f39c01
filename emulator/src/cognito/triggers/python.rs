//! Python trigger target: a warm `python3` worker (`worker.rs`) per handler file and function
//! running the emulator's runtime (`fixtures/lambda/runtime.py`, embedded), with Lambda's
//! calling convention `handler(event, context)`. boto3 inside the handler reaches the emulator
//! through `AWS_ENDPOINT_URL` (boto3 1.28 and later); in HTTPS mode it trusts the emulator's
//! CA (`AWS_CA_BUNDLE`).

use std::path::Path;

use tokio::process::Command;

use super::worker::{Env, Launch};

const RUNTIME: &str = include_str!("../../../../fixtures/lambda/runtime.py");

/// Functions looked up when the target names none: the handler name this emulator's
/// fixtures use, then the name of Lambda's default Python handler (`lambda_function.lambda_handler`).
pub const DEFAULT_FUNCTIONS: [&str; 2] = ["handler", "lambda_handler"];

/// The command starting the worker of `function` (or a default one) in `handler`.
pub fn launch(handler: &Path, function: Option<&str>, env: &Env<'_>) -> Launch {
    let mut command = Command::new("python3");
    // -u: unbuffered, so each result line reaches the emulator when it is written.
    command.arg("-u").arg("-c").arg(RUNTIME).arg(handler);
    command.arg(function.map_or_else(|| DEFAULT_FUNCTIONS.join(","), str::to_owned));
    env.apply(&mut command, handler);
    if let Some(ca) = env.ca_file {
        command.env("AWS_CA_BUNDLE", ca);
    }
    command
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    Launch {
        command,
        runtime: "Python",
    }
}

/// Whether `name` can be a Python function's name (what `python:<file>:<function>` names).
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// `python:<file>[:<function>]` after its prefix: the file and the function, if named.
pub fn split_target(rest: &str) -> (&str, Option<&str>) {
    match rest.rsplit_once(':') {
        Some((file, function)) if is_identifier(function) && !file.is_empty() => {
            (file, Some(function))
        }
        _ => (rest, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_a_file_and_maybe_a_function() {
        let check = |rest: &str, want: (&str, Option<&str>)| assert_eq!(split_target(rest), want);
        check("a/b.py", ("a/b.py", None));
        check("a/b.py:lambda_handler", ("a/b.py", Some("lambda_handler")));
        check("a/b.py:_h2", ("a/b.py", Some("_h2")));
        check("c:/x/b.py", ("c:/x/b.py", None));
        check("a/b.py:2h", ("a/b.py:2h", None));
        check(":handler", (":handler", None));
    }
}
