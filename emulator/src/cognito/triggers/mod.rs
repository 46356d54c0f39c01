//! Lambda triggers: Cognito's events, the invocation contract (5 s per attempt, three attempts
//! on timeout, handler errors mapped to Cognito's messages, every attempt and its logs in the
//! journal) and the targets that run them: warm Node.js and Python workers (`node.rs`,
//! `python.rs`, sharing `worker.rs`), the Lambda Runtime Interface Emulator invoke API
//! (`rie.rs`) and built-in handlers (`builtin.rs`).
//!
//! A trigger is configured like in AWS, in the pool's `LambdaConfig` (`PreSignUp`,
//! `PostConfirmation`, `PreAuthentication`, `PostAuthentication`, `PreTokenGeneration`). Its
//! value is a Lambda ARN, looked up in the config's `[lambda_functions]` table, or an emulator
//! target written directly: `node:<handler file>`, `python:<handler file>[:<function>]`,
//! `http://...` (an RIE base URL) or `builtin:link_by_email`.

mod builtin;
pub mod events;
mod node;
mod python;
mod rie;
mod typed;
mod worker;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::Cognito;
use super::model::Pool;
use crate::journal::{EventKind, Service};
pub use events::PreSignUpAnswer;
pub use typed::{
    authentication, custom_auth, post_authentication, post_confirmation, pre_authentication,
    pre_sign_up, pre_token,
};

/// Cognito waits this long for each attempt.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts before Cognito gives up on a function that times out.
pub const ATTEMPTS: u32 = 3;

/// A handler refused (threw) or could not be run; `message` is what Cognito reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerError {
    pub message: String,
    /// The handler answered with an error (as opposed to timing out or not being reachable).
    pub handler_error: bool,
}

impl TriggerError {
    fn handler(message: String) -> Self {
        Self {
            message,
            handler_error: true,
        }
    }
    fn unavailable(message: String) -> Self {
        Self {
            message,
            handler_error: false,
        }
    }
    /// The JSON API's exception: `UserLambdaValidationException` for a handler's error,
    /// `UnexpectedLambdaException` for a timeout or an unreachable target.
    pub fn api_error(&self, trigger: &str) -> super::error::CognitoError {
        use super::error::{CognitoError, Exception};
        if self.handler_error {
            CognitoError::new(Exception::UserLambdaValidation, self.api_message(trigger))
        } else {
            CognitoError::new(Exception::UnexpectedLambda, self.api_message(trigger))
        }
    }
    /// The hosted UI's `error_description`: `PreSignUp failed with error <message>. ` (sic).
    pub fn redirect_message(&self, trigger: &str) -> String {
        format!("{trigger} failed with error {}. ", self.message)
    }
    /// The JSON API's `UserLambdaValidationException` message.
    pub fn api_message(&self, trigger: &str) -> String {
        format!("{trigger} failed with error {}.", self.message)
    }
}

/// Where a trigger runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Node(PathBuf),
    /// The handler file and the function it names (`None`: `handler`, then `lambda_handler`).
    Python(PathBuf, Option<String>),
    Rie(String),
    Builtin(String),
}

/// The result of one attempt: the returned event or the handler's error, and its logs.
#[derive(Debug)]
pub enum Attempt {
    Answered {
        result: Result<Value, String>,
        logs: Vec<String>,
    },
    TimedOut {
        logs: Vec<String>,
    },
    Failed(String),
}

/// The invokers and their warm workers, shared by the pool's handlers.
#[derive(Debug)]
pub struct Triggers {
    /// Lambda ARN -> emulator target (the config's `[lambda_functions]`).
    functions: BTreeMap<String, String>,
    /// Node.js and Python workers by target and access key (two functions running one file
    /// have two roles); each has its own async lock (one invocation at a time).
    workers: Mutex<HashMap<(Target, String), Slot>>,
    http: reqwest::Client,
    timeout: Duration,
    /// HTTPS mode: the CA file the workers trust (`NODE_EXTRA_CA_CERTS`, `AWS_CA_BUNDLE`).
    ca_file: Option<PathBuf>,
    /// The flow of the trigger running for each pool: API calls a handler makes back into the
    /// pool (they carry no flow id) are journaled under it. Best effort: with two flows of
    /// one pool in triggers at once, the later one wins.
    active: Mutex<HashMap<String, String>>,
}

/// A target's worker, started on first use.
type Slot = Arc<tokio::sync::Mutex<Option<worker::Worker>>>;

/// Clears a pool's active flow when the invocation ends.
struct ActiveFlow<'a> {
    triggers: &'a Triggers,
    pool_id: String,
}

impl Drop for ActiveFlow<'_> {
    fn drop(&mut self) {
        let mut map = self
            .triggers
            .active
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        map.remove(&self.pool_id);
    }
}

impl Triggers {
    pub fn new(functions: BTreeMap<String, String>, http: reqwest::Client) -> Self {
        Self {
            functions,
            workers: Mutex::new(HashMap::new()),
            http,
            timeout: TIMEOUT,
            ca_file: None,
            active: Mutex::new(HashMap::new()),
        }
    }

    /// Each attempt's limit (Cognito's is [`TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// In HTTPS mode, the CA's file for the Node.js and Python workers.
    pub fn with_ca_file(mut self, ca_file: Option<PathBuf>) -> Self {
        self.ca_file = ca_file;
        self
    }

    fn enter(&self, pool_id: &str, flow: &str) -> ActiveFlow<'_> {
        let mut map = self.active.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(pool_id.to_owned(), flow.to_owned());
        ActiveFlow {
            triggers: self,
            pool_id: pool_id.to_owned(),
        }
    }

    /// The flow of a trigger now running for `pool_id`, if any.
    pub fn active_flow(&self, pool_id: &str) -> Option<String> {
        let map = self.active.lock().unwrap_or_else(|p| p.into_inner());
        map.get(pool_id).cloned()
    }

    /// Resolve a configured value (ARN or target) to a target.
    pub fn resolve(&self, configured: &str) -> Result<Target, String> {
        let target = if configured.starts_with("arn:") {
            self.functions.get(configured).ok_or_else(|| {
                format!(
                    "Lambda function {configured} is not in the emulator's [lambda_functions] table"
                )
            })?
        } else {
            configured
        };
        parse_target(target)
    }

    fn worker_slot(&self, target: &Target, access_key: &str) -> Slot {
        let mut map = self.workers.lock().unwrap_or_else(|p| p.into_inner());
        let key = (target.clone(), access_key.to_owned());
        map.entry(key).or_default().clone()
    }

    /// One attempt of `configured` (an ARN or a target), resolved to `target`.
    async fn attempt(
        &self,
        cx: &Cognito,
        configured: &str,
        target: &Target,
        event: &Value,
    ) -> Attempt {
        let access_key = match configured.starts_with("arn:") {
            true => super::iam::Roles::access_key(configured),
            false => super::iam::ANONYMOUS_KEY.to_owned(),
        };
        let env = worker::Env {
            endpoint: &cx.base_url,
            region: &cx.region,
            ca_file: self.ca_file.as_deref(),
            timeout: self.timeout,
            access_key: &access_key,
        };
        match target {
            Target::Node(path) => {
                let launch = || node::launch(path, &env);
                self.on_worker((target, &access_key), path, launch, event)
                    .await
            }
            Target::Python(path, function) => {
                let launch = || python::launch(path, function.as_deref(), &env);
                self.on_worker((target, &access_key), path, launch, event)
                    .await
            }
            Target::Rie(url) => rie::invoke(&self.http, url, event, self.timeout).await,
            Target::Builtin(name) => builtin::invoke(cx, name, event).await,
        }
    }

    /// One attempt on `target`'s worker, waiting for the invocation before it to end.
    async fn on_worker(
        &self,
        (target, access_key): (&Target, &str),
        handler: &Path,
        launch: impl FnOnce() -> worker::Launch,
        event: &Value,
    ) -> Attempt {
        let slot = self.worker_slot(target, access_key);
        let mut guard = slot.lock().await;
        worker::invoke(&mut guard, handler, launch, event, self.timeout).await
    }

    /// Stop every worker and wait for its process to end (a graceful server stop: no
    /// invocation is in flight any more).
    pub async fn stop_workers(&self) {
        let slots: Vec<Slot> = {
            let mut map = self.workers.lock().unwrap_or_else(|p| p.into_inner());
            map.drain().map(|(_, slot)| slot).collect()
        };
        for slot in slots {
            if let Some(mut w) = slot.lock().await.take() {
                w.stop().await;
            }
        }
    }

    /// Stop every worker without waiting (the server dropped).
    pub fn shutdown(&self) {
        let mut map = self.workers.lock().unwrap_or_else(|p| p.into_inner());
        for slot in map.values() {
            if let Ok(mut w) = slot.try_lock() {
                if let Some(w) = w.as_mut() {
                    w.kill();
                }
                *w = None;
            }
        }
        map.clear();
    }
}

/// Check every trigger the config names: its ARN is in `[lambda_functions]`, its target
/// parses, and a Node.js or Python handler file exists; and every role of
/// `[lambda_permissions]` belongs to a function whose calls the emulator signs. Run at start,
/// so a typo fails loudly (a mistyped ARN there would otherwise mean "allow everything").
pub fn check_config(config: &crate::config::Config) -> Result<(), String> {
    let triggers = Triggers::new(config.lambda_functions.clone(), reqwest::Client::new());
    for arn in config.lambda_permissions.keys() {
        let fail = |e: &str| format!("[lambda_permissions] {arn}: {e}");
        if !arn.starts_with("arn:") {
            return Err(fail("not a Lambda ARN"));
        }
        match triggers.resolve(arn) {
            Ok(Target::Node(_) | Target::Python(..)) => {}
            Ok(_) => {
                return Err(fail(
                    "a role applies to node: and python: targets, whose calls the emulator signs with the function's key (a built-in handler or an RIE container is not restricted)",
                ));
            }
            Err(e) => return Err(fail(&e)),
        }
    }
    for pool in &config.cognito.pools {
        for (trigger, configured) in &pool.lambda {
            let fail = |e: String| format!("pool {} trigger {trigger}: {e}", pool.id);
            match triggers.resolve(configured).map_err(fail)? {
                Target::Node(path) | Target::Python(path, _) if !path.is_file() => {
                    return Err(fail(format!(
                        "handler file {} does not exist",
                        path.display()
                    )));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

pub fn parse_target(target: &str) -> Result<Target, String> {
    if let Some(p) = target.strip_prefix("node:") {
        return Ok(Target::Node(PathBuf::from(p)));
    }
    if let Some(rest) = target.strip_prefix("python:") {
        let (file, function) = python::split_target(rest);
        return Ok(Target::Python(
            PathBuf::from(file),
            function.map(str::to_owned),
        ));
    }
    if let Some(b) = target.strip_prefix("builtin:") {
        return match b {
            "link_by_email" => Ok(Target::Builtin(b.to_owned())),
            other => Err(format!(
                "unknown built-in handler {other} (known: link_by_email)"
            )),
        };
    }
    if target.starts_with("http://") || target.starts_with("https://") {
        return Ok(Target::Rie(target.to_owned()));
    }
    Err(format!(
        "trigger target {target:?} is neither an ARN, node:<file>, python:<file>[:<function>], http(s)://<RIE> nor builtin:<name>"
    ))
}

/// Run the pool's `trigger` with `event`, under Cognito's contract. `Ok(None)` when the pool
/// has no such trigger.
pub async fn invoke(
    cx: &Cognito,
    pool: &Pool,
    trigger: &str,
    event: Value,
    flow: &str,
) -> Result<Option<Value>, TriggerError> {
    let Some(configured) = pool.lambda(trigger) else {
        return Ok(None);
    };
    let source = event["triggerSource"]
        .as_str()
        .unwrap_or(trigger)
        .to_owned();
    // The event and the answer as the journal keeps them: a custom challenge's expected and
    // given answers are secrets.
    let record = |detail: Value| {
        cx.journal.record(
            Service::Cognito,
            EventKind::Trigger,
            &source,
            Some(flow),
            crate::redact::trigger(detail),
        )
    };
    let _active = cx.services.triggers.enter(&pool.id, flow);
    let target = match cx.services.triggers.resolve(&configured) {
        Ok(t) => t,
        Err(e) => {
            record(json!({"trigger": trigger, "target": configured, "error": e}));
            return Err(TriggerError::unavailable(e));
        }
    };
    // Why the last attempt did not answer: Cognito's timeout message, or (the function could
    // not be started at all) the runtime's own reason.
    let mut last_failure: Option<String> = None;
    let fault = cx.faults.trigger(trigger);
    for attempt in 1..=ATTEMPTS {
        let started = Instant::now();
        let outcome = match faulted(fault.as_ref(), cx.services.triggers.timeout).await {
            Some(outcome) => outcome,
            None => {
                let triggers = &cx.services.triggers;
                triggers.attempt(cx, &configured, &target, &event).await
            }
        };
        let ms = started.elapsed().as_millis() as u64;
        let mut base = json!({"trigger": trigger, "target": configured, "attempt": attempt, "duration_ms": ms, "event": event});
        if let Some(f) = &fault {
            base["fault"] = crate::faults::Fault::Trigger(f.clone()).label().into();
        }
        match outcome {
            Attempt::Answered {
                result: Ok(answer),
                logs,
            } => {
                record(merge(
                    base,
                    json!({"outcome": "ok", "response": answer["response"], "logs": logs}),
                ));
                return Ok(Some(answer));
            }
            Attempt::Answered {
                result: Err(message),
                logs,
            } => {
                record(merge(
                    base,
                    json!({"outcome": "error", "error": message, "logs": logs}),
                ));
                return Err(TriggerError::handler(message));
            }
            Attempt::TimedOut { logs } => {
                record(merge(base, json!({"outcome": "timeout", "logs": logs})));
                last_failure = None;
            }
            Attempt::Failed(why) => {
                record(merge(base, json!({"outcome": "unavailable", "error": why})));
                last_failure = Some(why);
            }
        }
    }
    Err(TriggerError::unavailable(match last_failure {
        Some(why) => format!("the function could not run ({ATTEMPTS} attempts): {why}"),
        None => format!(
            "Task timed out after {:.2} seconds ({ATTEMPTS} attempts)",
            cx.services.triggers.timeout.as_secs_f64()
        ),
    }))
}

/// An attempt under a trigger fault: its delay first (an attempt that would outlast the
/// timeout times out), then its error; `None` when the function should run after all.
async fn faulted(
    fault: Option<&crate::faults::TriggerFault>,
    timeout: Duration,
) -> Option<Attempt> {
    let f = fault?;
    let delay = Duration::from_millis(f.delay_ms);
    // The fault's effect, not a synchronisation: the function is slow.
    tokio::time::sleep(delay.min(timeout)).await;
    let logs = vec![format!(
        "injected fault: {}",
        crate::faults::Fault::Trigger(f.clone()).label()
    )];
    if delay >= timeout {
        return Some(Attempt::TimedOut { logs });
    }
    f.error.as_ref().map(|e| Attempt::Answered {
        result: Err(e.clone()),
        logs,
    })
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Value::Object(a), Value::Object(b)) = (&mut a, b) {
        a.extend(b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_name_functions_whose_calls_the_emulator_signs() {
        let with = |arn: &str, target: &str| {
            let mut c = crate::config::Config::default_config();
            c.lambda_functions.insert(
                "arn:aws:lambda:us-east-1:0:function:f".into(),
                target.into(),
            );
            c.lambda_permissions.insert(arn.into(), vec![]);
            check_config(&c)
        };
        let arn = "arn:aws:lambda:us-east-1:0:function:f";
        assert_eq!(with(arn, "node:h.js"), Ok(()));
        assert_eq!(with(arn, "python:h.py:go"), Ok(()));
        let typo = with("arn:aws:lambda:us-east-1:0:function:g", "node:h.js").unwrap_err();
        assert!(
            typo.contains("not in the emulator's [lambda_functions]"),
            "{typo}"
        );
        let builtin = with(arn, "builtin:link_by_email").unwrap_err();
        assert!(builtin.contains("is not restricted"), "{builtin}");
        assert!(
            with("node:h.js", "node:h.js")
                .unwrap_err()
                .contains("not a Lambda ARN")
        );
    }

    #[test]
    fn targets_parse() {
        assert_eq!(
            parse_target("node:a/b.js"),
            Ok(Target::Node(PathBuf::from("a/b.js")))
        );
        assert_eq!(
            parse_target("http://127.0.0.1:9001"),
            Ok(Target::Rie("http://127.0.0.1:9001".into()))
        );
        assert_eq!(
            parse_target("builtin:link_by_email"),
            Ok(Target::Builtin("link_by_email".into()))
        );
        assert!(parse_target("builtin:nope").is_err());
        assert_eq!(
            parse_target("python:x.py"),
            Ok(Target::Python(PathBuf::from("x.py"), None))
        );
        assert_eq!(
            parse_target("python:d/x.py:lambda_handler"),
            Ok(Target::Python(
                PathBuf::from("d/x.py"),
                Some("lambda_handler".into())
            ))
        );
        assert!(parse_target("ruby:x.rb").is_err());
        let t = Triggers::new(
            [(
                "arn:aws:lambda:x".to_owned(),
                "builtin:link_by_email".to_owned(),
            )]
            .into(),
            reqwest::Client::new(),
        );
        assert_eq!(
            t.resolve("arn:aws:lambda:x"),
            Ok(Target::Builtin("link_by_email".into()))
        );
        assert!(
            t.resolve("arn:aws:lambda:y")
                .unwrap_err()
                .contains("[lambda_functions]")
        );
        let e = TriggerError::handler("boom".into());
        assert_eq!(
            e.redirect_message("PreSignUp"),
            "PreSignUp failed with error boom. "
        );
        assert_eq!(
            e.api_error("PreSignUp").message,
            "PreSignUp failed with error boom."
        );
    }
}
