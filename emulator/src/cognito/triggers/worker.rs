//! Warm worker processes, shared by the Node.js (`node.rs`) and Python (`python.rs`) targets:
//! one long-lived process per handler running the emulator's runtime script, invocations as
//! JSON lines `{"id", "event"}` on stdin, the handler's console output as plain lines and each
//! result as one line prefixed with [`RESULT_PREFIX`] on stdout, anything else on stderr.
//! The handler's AWS SDK reaches the emulator through `AWS_ENDPOINT_URL`. A worker that times
//! out or dies is stopped and started again on the next attempt (as Lambda discards a
//! sandbox); workers die with the server (`kill_on_drop`, `Triggers::shutdown`).

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::Attempt;

/// What the runtimes put before a result line (`runtime.js`, `runtime.py`).
pub const RESULT_PREFIX: &str = "@@emulator-result@@ ";

/// What a worker's process is told about the emulator.
#[derive(Debug)]
pub struct Env<'a> {
    /// The Cognito origin its AWS SDK calls.
    pub endpoint: &'a str,
    pub region: &'a str,
    /// HTTPS mode: the CA it trusts.
    pub ca_file: Option<&'a Path>,
    /// Each attempt's limit (the handler's `getRemainingTimeInMillis`).
    pub timeout: Duration,
    /// The access key its calls are signed with: the function's role (`cognito::iam`).
    pub access_key: &'a str,
}

impl Env<'_> {
    /// The environment every runtime gets: the endpoint, region, the role's credentials, the
    /// function's name (the handler file's stem) and the time limit.
    pub fn apply(&self, command: &mut Command, handler: &Path) {
        let name = handler
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("handler");
        command
            .env("AWS_ENDPOINT_URL", self.endpoint)
            .env("AWS_REGION", self.region)
            .env("AWS_DEFAULT_REGION", self.region)
            .env("AWS_ACCESS_KEY_ID", self.access_key)
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env(
                "EMULATOR_TRIGGER_TIMEOUT_MS",
                self.timeout.as_millis().to_string(),
            );
    }
}

/// How to start a worker: its command (program, runtime script, environment) and the
/// runtime's name for messages ("the Python worker exited").
#[derive(Debug)]
pub struct Launch {
    pub command: Command,
    pub runtime: &'static str,
}

#[derive(Debug)]
pub struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    /// stderr lines (warnings, crashes), drained by a task and attached to the next answer.
    stderr: Arc<Mutex<Vec<String>>>,
    /// The task draining stderr: it ends when the process does.
    stderr_task: tokio::task::JoinHandle<()>,
    runtime: &'static str,
    next_id: u64,
}

impl Worker {
    fn spawn(launch: Launch, handler: &Path) -> Result<Self, String> {
        let Launch {
            mut command,
            runtime,
        } = launch;
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                format!(
                    "starting the {runtime} worker for {}: {e}",
                    handler.display()
                )
            })?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(format!("the {runtime} worker started without pipes"));
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
            runtime,
            next_id: 1,
        })
    }

    pub fn kill(&mut self) {
        let _ = self.child.start_kill();
    }

    /// Kill and reap the process (no zombie left behind while the server runs).
    pub async fn stop(&mut self) {
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
        let sent = match self.stdin.write_all(line.as_bytes()).await {
            Ok(()) => self.stdin.flush().await,
            Err(e) => Err(e),
        };
        sent.map_err(|e| format!("writing to the {} worker: {e}", self.runtime))?;
        loop {
            let next = self
                .stdout
                .next_line()
                .await
                .map_err(|e| format!("reading from the {} worker: {e}", self.runtime))?;
            let Some(l) = next else {
                self.take_stderr(logs);
                return Err(format!("the {} worker exited", self.runtime));
            };
            match l.strip_prefix(RESULT_PREFIX) {
                Some(r) => {
                    let v: Value = serde_json::from_str(r).map_err(|e| {
                        format!("bad result line from the {} worker: {e}", self.runtime)
                    })?;
                    if v["id"] == id {
                        return Ok(v);
                    }
                }
                None => logs.push(l.replace('\r', "\n")),
            }
        }
    }
}

/// One attempt on the handler's worker (started on first use, restarted after a timeout or a
/// crash). `launch` is called only when the slot has no worker.
pub async fn invoke(
    slot: &mut Option<Worker>,
    handler: &Path,
    launch: impl FnOnce() -> Launch,
    event: &Value,
    timeout: Duration,
) -> Attempt {
    if slot.is_none() {
        match Worker::spawn(launch(), handler) {
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
            Attempt::Failed(match crash_reason(&logs) {
                Some(r) => format!("{e}: {r}"),
                None => format!("{e}; logs: {}", logs.join(" | ")),
            })
        }
        Ok(Ok(v)) => answer(&v, logs),
    }
}

/// Why a worker could not run its handler: Node names it in an `Error:` line of its stderr
/// (a module it cannot load), `runtime.py` in a `Runtime.ImportModuleError: ...` line.
fn crash_reason(logs: &[String]) -> Option<String> {
    logs.iter()
        .map(|l| l.trim_start_matches("STDERR\t"))
        .find(|l| l.contains("Error:") || l.contains("Error ["))
        .map(str::to_owned)
}

/// A result line as an attempt: the returned event (an object, as Cognito requires) or the
/// handler's error message.
fn answer(v: &Value, logs: Vec<String>) -> Attempt {
    let result = if v["ok"] == true {
        match &v["result"] {
            r @ Value::Object(_) => Ok(r.clone()),
            _ => Err("Unrecognizable lambda output".into()),
        }
    } else {
        Err(v["errorMessage"].as_str().unwrap_or("Unhandled").to_owned())
    };
    Attempt::Answered { result, logs }
}
