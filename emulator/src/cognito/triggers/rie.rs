//! A trigger target speaking the Lambda Runtime Interface Emulator's invoke API:
//! `POST {base}/2015-03-31/functions/function/invocations` with the event as the body. A
//! function error is the `X-Amz-Function-Error` header or an `{errorMessage, errorType}` body.

use std::time::Duration;

use serde_json::Value;

use super::Attempt;

pub const INVOKE_PATH: &str = "/2015-03-31/functions/function/invocations";

pub async fn invoke(
    http: &reqwest::Client,
    base: &str,
    event: &Value,
    timeout: Duration,
) -> Attempt {
    let url = if base.contains("/2015-03-31/") {
        base.to_owned()
    } else {
        format!("{}{INVOKE_PATH}", base.trim_end_matches('/'))
    };
    let sent = http.post(&url).timeout(timeout).json(event).send().await;
    let resp = match sent {
        Ok(r) => r,
        Err(e) if e.is_timeout() => return Attempt::TimedOut { logs: Vec::new() },
        Err(e) => return Attempt::Failed(format!("invoking {url}: {e}")),
    };
    let status = resp.status();
    let function_error = resp.headers().contains_key("x-amz-function-error");
    let body = match resp.bytes().await {
        Ok(b) => b,
        Err(e) if e.is_timeout() => return Attempt::TimedOut { logs: Vec::new() },
        Err(e) => return Attempt::Failed(format!("reading the answer of {url}: {e}")),
    };
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let error_message = parsed.as_ref().and_then(|v| {
        let obj = v.as_object()?;
        let shaped = obj.contains_key("errorMessage") && !obj.contains_key("response");
        (function_error || shaped).then(|| {
            obj.get("errorMessage")
                .and_then(Value::as_str)
                .unwrap_or("Unhandled")
                .to_owned()
        })
    });
    if let Some(m) = error_message {
        return Attempt::Answered {
            result: Err(m),
            logs: Vec::new(),
        };
    }
    if !status.is_success() {
        return Attempt::Failed(format!("{url} answered {status}"));
    }
    match parsed {
        Some(v @ Value::Object(_)) => Attempt::Answered {
            result: Ok(v),
            logs: Vec::new(),
        },
        _ => Attempt::Answered {
            result: Err("Unrecognizable lambda output".into()),
            logs: Vec::new(),
        },
    }
}
