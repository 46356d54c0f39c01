//! Node.js trigger target: a warm `node` worker (`worker.rs`) per handler file running the
//! emulator's runtime (`fixtures/lambda/runtime.js`, embedded). The real AWS SDKs inside the
//! handler reach the emulator through `AWS_ENDPOINT_URL` (v3) and the v2 endpoint the runtime
//! sets; in HTTPS mode Node trusts the emulator's CA besides its own roots
//! (`NODE_EXTRA_CA_CERTS`).

use std::path::Path;

use tokio::process::Command;

use super::worker::{Env, Launch};

const RUNTIME: &str = include_str!("../../../../fixtures/lambda/runtime.js");

/// The command starting `handler`'s worker.
pub fn launch(handler: &Path, env: &Env<'_>) -> Launch {
    let mut command = Command::new("node");
    command.arg("-e").arg(RUNTIME).arg(handler);
    env.apply(&mut command, handler);
    if let Some(ca) = env.ca_file {
        command.env("NODE_EXTRA_CA_CERTS", ca);
    }
    command.env("AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE", "1");
    Launch {
        command,
        runtime: "Node.js",
    }
}
