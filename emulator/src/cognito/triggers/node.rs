//! Node.js trigger target: one warm `node` process per handler file running the emulator's
//! runtime (`fixtures/lambda/runtime.js`, embedded), invocations as JSON lines on stdin,
//! console output and results as lines on stdout. The real AWS SDKs inside the handler reach
//! the emulator through `AWS_ENDPOINT_URL` (v3) and the v2 endpoint the runtime sets.
//! A worker that times out is killed (as Lambda discards a timed-out sandbox); workers die
//! with the server (`kill_on_drop`).

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::Attempt;

const RUNTIME: &str = include_str!("../../../../fixtures/lambda/runtime.js");
const RESULT_PREFIX: &str = "@@emulator-result@@ ";

#[derive(Debug)]
pub struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    /// stderr lines (Node warnings, crashes), drained by a task and attached to the next answer.
    stderr: Arc<Mutex<Vec<String>>>,
    /// The task draining stderr: it ends when the process does.
    stderr_task: tokio::task::JoinHandle<()>,
    next_id: u64,
}

/// What a worker's process is told about the emulator.
#[derive(Debug)]
pub struct Env<'a> {
    /// The Cognito origin its AWS SDKs call.
    pub endpoint: &'a str,
    pub region: &'a str,
    /// HTTPS mode: the CA it trusts, besides Node's own roots.
    pub ca_file: Option<&'a Path>,
}

impl Worker {
    fn spawn(handler: &Path, env: &Env<'_>) -> Result<Self, String> {
        let name = handler
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("handler");
        let (endpoint, region) = (env.endpoint, env.region);
        let mut command = Command::new("node");
        if let Some(ca) = env.ca_file {
            command.env("NODE_EXTRA_CA_CERTS", ca);
        }
        let mut child = command
            .arg("-e")
            .arg(RUNTIME)
            .arg(handler)
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_REGION", region)
            .env("AWS_DEFAULT_REGION", region)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting node for {}: {e}", handler.display()))?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err("node started without pipes".into());
        };
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        let stderr_task = tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(format!("STDERR\t{l}"));
            }
        });
        Ok(Self {
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
            stderr: buf,
            stderr_task,
            next_id: 1,
        })
    }

    pub fn kill(&mut self) {
        let _ = self.child.start_kill();
    }

    /// Kill and reap the process (no zombie left behind while the server runs).
    async fn stop(&mut self) {
        self.kill();
        let _ = tokio::time::timeout(Duration::from_secs(1), self.child.wait()).await;
    }

    /// After the process ended: everything it wrote to stderr (a loader's error, say).
    async fn drain_stderr(&mut self, logs: &mut Vec<String>) {
        let _ = tokio::time::timeout(Duration::from_secs(1), &mut self.stderr_task).await;
        self.take_stderr(logs);
    }

    fn take_stderr(&self, logs: &mut Vec<String>) {
        logs.append(&mut self.stderr.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// Send one invocation and read lines until its result.
    async fn call(&mut self, event: &Value, logs: &mut Vec<String>) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let line = format!("{}\n", json!({"id": id, "event": event}));
        self.stdin
            .write_all(line.as_bytes())
            .await
            .map_err(|e| format!("writing to the worker: {e}"))?;
        self.stdin
            .flush()
            .await
            .map_err(|e| format!("writing to the worker: {e}"))?;
        loop {
            let next = self
                .stdout
                .next_line()
                .await
                .map_err(|e| format!("reading from the worker: {e}"))?;
            let Some(l) = next else {
                self.take_stderr(logs);
                return Err("the Node.js worker exited".into());
            };
            match l.strip_prefix(RESULT_PREFIX) {
                Some(r) => {
                    let v: Value =
                        serde_json::from_str(r).map_err(|e| format!("bad result line: {e}"))?;
                    if v["id"] == id {
                        return Ok(v);
                    }
                }
                None => logs.push(l.replace('\r', "\n")),
            }
        }
    }
}

/// One attempt on the handler's worker (started on first use, restarted after a timeout).
pub async fn invoke(
    slot: &mut Option<Worker>,
    handler: &Path,
    env: &Env<'_>,
    event: &Value,
    timeout: Duration,
) -> Attempt {
    if slot.is_none() {
        match Worker::spawn(handler, env) {
            Ok(w) => *slot = Some(w),
            Err(e) => return Attempt::Failed(e),
        }
    }
    let Some(worker) = slot.as_mut() else {
        return Attempt::Failed("no worker".into());
    };
    let mut logs = Vec::new();
    let outcome = tokio::time::timeout(timeout, worker.call(event, &mut logs)).await;
    worker.take_stderr(&mut logs);
    match outcome {
        Err(_) => {
            worker.stop().await;
            *slot = None;
            Attempt::TimedOut { logs }
        }
        Ok(Err(e)) => {
            worker.stop().await;
            worker.drain_stderr(&mut logs).await;
            *slot = None;
            // Node names why it could not run the handler (a module it cannot load) in an
            // `Error:` line of its stderr.
            let reason = logs
                .iter()
                .map(|l| l.trim_start_matches("STDERR\t"))
                .find(|l| l.contains("Error:") || l.contains("Error ["))
                .map(str::to_owned);
            Attempt::Failed(match reason {
                Some(r) => format!("{e}: {r}"),
                None => format!("{e}; logs: {}", logs.join(" | ")),
            })
        }
        Ok(Ok(v)) if v["ok"] == true => match &v["result"] {
            r @ Value::Object(_) => Attempt::Answered {
                result: Ok(r.clone()),
                logs,
            },
            _ => Attempt::Answered {
                result: Err("Unrecognizable lambda output".into()),
                logs,
            },
        },
        Ok(Ok(v)) => Attempt::Answered {
            result: Err(v["errorMessage"].as_str().unwrap_or("Unhandled").to_owned()),
            logs,
        },
    }
}
