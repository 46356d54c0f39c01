//! Cognito's Lambda contract, through the JSON API and the hosted UI, for Node.js and Python
//! handlers alike: a handler that sleeps past 5 s (three attempts, then
//! UnexpectedLambdaException), one that throws (UserLambdaValidationException, nothing
//! written), one that cannot be loaded, autoConfirm/autoVerify flags honoured, pre token
//! generation overrides, a handler's own API calls journaled in its flow; and the Runtime
//! Interface Emulator target against wiremock.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod oauth_support;

use emulator::Config;
use oauth_support::*;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{CLIENT, POOL};

const ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:contract";

/// The runtimes of the worker targets: each contract fixture exists as `<name>.js` and
/// `<name>.py`.
#[derive(Debug, Clone, Copy)]
enum Runtime {
    Node,
    Python,
}

/// The target running the contract fixture `name` (`contract/<name>.js` or `.py`).
fn contract(runtime: Runtime, name: &str) -> String {
    match runtime {
        Runtime::Node => format!("node:{}", fixture(&format!("contract/{name}.js"))),
        Runtime::Python => format!("python:{}", fixture(&format!("contract/{name}.py"))),
    }
}

async fn start(trigger: &str, target: &str) -> common::Emu {
    let mut config = Config::default_config();
    with_trigger(&mut config, trigger, ARN, target);
    common::start_with(config).await
}

async fn sign_up(emu: &common::Emu, email: &str) -> Result<bool, (String, String)> {
    emu.sdk
        .sign_up()
        .client_id(CLIENT)
        .username(email)
        .password("Passw0rd!")
        .user_attributes(common::attr("email", email))
        .send()
        .await
        .map(|o| o.user_confirmed())
        .map_err(|e| (common::code(&e), common::message(&e)))
}

async fn user_count(emu: &common::Emu) -> usize {
    emu.sdk
        .list_users()
        .user_pool_id(POOL)
        .send()
        .await
        .unwrap()
        .users()
        .len()
}

/// A handler the runtime cannot load (a missing dependency) is reported as that, with the
/// loader's reason, not as a timeout; nothing is written.
async fn a_handler_that_cannot_be_loaded(runtime: Runtime, reason: &str) {
    let emu = start("PreSignUp", &contract(runtime, "missing-module")).await;
    let (code, message) = sign_up(&emu, "noload@example.com").await.unwrap_err();
    assert_eq!(code, "UnexpectedLambdaException");
    assert!(
        message.contains("could not run") && message.contains(reason),
        "{message}"
    );
    assert!(!message.contains("timed out"), "{message}");
    assert_eq!(user_count(&emu).await, 0);
}

#[tokio::test]
async fn a_node_handler_that_cannot_be_loaded_is_reported_with_the_loaders_reason() {
    let reason = "Cannot find module 'no-such-module-for-the-emulator-test'";
    a_handler_that_cannot_be_loaded(Runtime::Node, reason).await;
}

#[tokio::test]
async fn a_python_handler_that_cannot_be_imported_is_reported_with_the_importers_reason() {
    let reason = "Runtime.ImportModuleError: Unable to import module 'missing-module': \
                  No module named 'no_such_module_for_the_emulator_test'";
    a_handler_that_cannot_be_loaded(Runtime::Python, reason).await;
}

/// A handler past its time limit is tried three times, then refused as Cognito does. The
/// limit is Cognito's 5 s by default; the test sets 1 s (`trigger_timeout_ms`) so that it
/// does not wait 15 s.
async fn a_handler_past_its_time_limit_is_tried_three_times(runtime: Runtime) {
    assert_eq!(emulator::Config::default_config().trigger_timeout_ms, None);
    assert_eq!(
        emulator::cognito::triggers::TIMEOUT,
        std::time::Duration::from_secs(5)
    );
    let mut config = Config::default_config();
    with_trigger(&mut config, "PreSignUp", ARN, &contract(runtime, "sleepy"));
    config.trigger_timeout_ms = Some(1000);
    let emu = common::start_with(config).await;
    let started = std::time::Instant::now();
    let (code, message) = sign_up(&emu, "slow@example.com").await.unwrap_err();
    assert_eq!(code, "UnexpectedLambdaException");
    assert!(
        message.contains("timed out after 1.00 seconds"),
        "{message}"
    );
    assert!(started.elapsed().as_millis() >= 3000);
    assert_eq!(user_count(&emu).await, 0);
    let runs = journal(emu.url(), "kind=trigger&name=PreSignUp_SignUp").await;
    let outcomes: Vec<&Value> = runs.iter().map(|r| &r["detail"]["outcome"]).collect();
    assert_eq!(outcomes, [&json!("timeout"); 3]);
    assert_eq!(runs[2]["detail"]["attempt"], 3);
    // The handler's console output is journaled with the attempt that printed it (each attempt
    // starts a new worker; with 300 ms, a loaded machine could time out all three before the
    // runtime had run the handler once).
    assert!(
        runs.iter().any(|r| r["detail"]["logs"]
            .to_string()
            .contains("sleepy invoked for")),
        "{runs:?}"
    );
}

#[tokio::test]
async fn a_node_handler_past_its_time_limit_is_tried_three_times() {
    a_handler_past_its_time_limit_is_tried_three_times(Runtime::Node).await;
}

#[tokio::test]
async fn a_python_handler_past_its_time_limit_is_tried_three_times() {
    a_handler_past_its_time_limit_is_tried_three_times(Runtime::Python).await;
}

async fn a_handler_that_throws_refuses_the_sign_up(runtime: Runtime) {
    let emu = start("PreSignUp", &contract(runtime, "throws")).await;
    let (code, message) = sign_up(&emu, "no@example.com").await.unwrap_err();
    assert_eq!(code, "UserLambdaValidationException");
    assert_eq!(message, "PreSignUp failed with error Sign-up is closed.");
    assert_eq!(user_count(&emu).await, 0);
    let runs = journal(emu.url(), "kind=trigger&name=PreSignUp_SignUp").await;
    assert_eq!(runs.len(), 1, "handler errors are not retried");
    assert_eq!(
        runs[0]["detail"]["logs"],
        json!(["ERROR\trefusing no@example.com"]),
        "{runs:?}"
    );
    let rejected = journal(emu.url(), "kind=rejected&name=SignUp").await;
    assert_eq!(
        rejected[0]["detail"]["error"],
        "UserLambdaValidationException"
    );
}

#[tokio::test]
async fn a_node_handler_that_throws_refuses_the_sign_up() {
    a_handler_that_throws_refuses_the_sign_up(Runtime::Node).await;
}

#[tokio::test]
async fn a_python_handler_that_raises_refuses_the_sign_up() {
    a_handler_that_throws_refuses_the_sign_up(Runtime::Python).await;
}

async fn auto_confirm_flags_and_pre_token_generation(runtime: Runtime) {
    let target = contract(runtime, "auto-confirm");
    let mut config = Config::default_config();
    with_trigger(&mut config, "PreSignUp", ARN, &target);
    config.cognito.pools[0]
        .lambda
        .insert("PreTokenGeneration".into(), ARN.into());
    let emu = common::start_with(config).await;
    assert_eq!(sign_up(&emu, "auto@example.com").await, Ok(true));
    let u = emu
        .sdk
        .admin_get_user()
        .user_pool_id(POOL)
        .username("auto@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(u.user_status().unwrap().as_str(), "CONFIRMED");
    let verified = u
        .user_attributes()
        .iter()
        .find(|a| a.name() == "email_verified")
        .and_then(|a| a.value());
    assert_eq!(verified, Some("true"));
    let event =
        &journal(emu.url(), "kind=trigger&name=PreSignUp_SignUp").await[0]["detail"]["event"];
    assert_eq!(event["version"], "1");
    assert_eq!(event["userPoolId"], POOL);
    assert_eq!(event["callerContext"]["clientId"], CLIENT);
    assert_eq!(
        event["request"]["userAttributes"]["email"],
        "auto@example.com"
    );
    // console.log in Node.js; logging.info in Python, with the level the handler set.
    let logged = match runtime {
        Runtime::Node => "LOG\tanswered PreSignUp_SignUp",
        Runtime::Python => "INFO\tanswered PreSignUp_SignUp",
    };
    let runs = journal(emu.url(), "kind=trigger&name=PreSignUp_SignUp").await;
    assert_eq!(runs[0]["detail"]["logs"], json!([logged]));

    // Hosted sign-in: pre token generation adds, overrides and suppresses ID token claims.
    let base = emu.url().to_owned();
    let b = browser();
    let r = b.get(format!("{base}/oauth2/authorize?client_id={CLIENT}&redirect_uri={CALLBACK}&response_type=code&scope=openid+email")).send().await.unwrap();
    let login = location(&r);
    let r = submit_login(&base, &login, "auto@example.com", "Passw0rd!").await;
    let code = params(&location(&r))["code"].clone();
    let t: Value = exchange(&base, CLIENT, &code, None)
        .await
        .json()
        .await
        .unwrap();
    let id = verify(&base, POOL, t["id_token"].as_str().unwrap(), Some(CLIENT)).await;
    assert_eq!(id["tenant"], "acme");
    assert_eq!(id["email"], "override@example.com");
    assert!(!id.contains_key("email_verified"), "{id:?}");
    let generated = journal(&base, "kind=trigger&name=TokenGeneration_HostedAuth").await;
    assert_eq!(generated.len(), 1);
}

#[tokio::test]
async fn node_auto_confirm_flags_and_pre_token_generation() {
    auto_confirm_flags_and_pre_token_generation(Runtime::Node).await;
}

/// A handler whose execution role does not allow an operation: its SDK call is refused with
/// IAM's AccessDeniedException (journaled in the trigger's flow, naming the check), the
/// handler's error fails the sign-up, and no user is written; a role allowing the action by a
/// wildcard lets the same handler run.
async fn a_role_without_the_action_is_refused_by_iam(target: &str) {
    let mut config = Config::default_config();
    with_trigger(&mut config, "PreSignUp", ARN, target);
    config
        .lambda_permissions
        .insert(ARN.into(), vec!["cognito-idp:AdminGetUser".into()]);
    let emu = common::start_with(config.clone()).await;
    let (code, message) = sign_up(&emu, "denied@example.com").await.unwrap_err();
    assert_eq!(code, "UserLambdaValidationException");
    assert!(
        message.contains(
            "assumed-role/contract-role/contract is not authorized to perform: \
             cognito-idp:ListUsers on resource: \
             arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_Mosaic001"
        ),
        "{message}"
    );
    assert_eq!(user_count(&emu).await, 0);
    let refused = journal(emu.url(), "kind=rejected&name=ListUsers").await;
    let run = journal(emu.url(), "kind=trigger&name=PreSignUp_SignUp").await;
    assert_eq!((refused.len(), run.len()), (1, 1), "{refused:?}");
    assert_eq!(refused[0]["detail"]["error"], "AccessDeniedException");
    assert_eq!(refused[0]["flow"], run[0]["flow"]);
    assert!(
        refused[0]["detail"]["check"]
            .as_str()
            .unwrap()
            .contains("allows [\"cognito-idp:AdminGetUser\"]"),
        "{refused:?}"
    );
    config
        .lambda_permissions
        .insert(ARN.into(), vec!["cognito-idp:List*".into()]);
    let allowed = common::start_with(config).await;
    assert_eq!(sign_up(&allowed, "allowed@example.com").await, Ok(false));
}

#[tokio::test]
async fn a_node_handler_without_the_permission_gets_access_denied() {
    a_role_without_the_action_is_refused_by_iam(&contract(Runtime::Node, "counts-users")).await;
}

#[tokio::test]
async fn a_python_handler_without_the_permission_gets_access_denied() {
    let target = format!("{}:count", contract(Runtime::Python, "counts-users"));
    a_role_without_the_action_is_refused_by_iam(&target).await;
}

/// The Python fixture's function is `lambda_handler`, Lambda's default name.
#[tokio::test]
async fn python_auto_confirm_flags_and_pre_token_generation() {
    auto_confirm_flags_and_pre_token_generation(Runtime::Python).await;
}

/// A handler calling the pool back through its AWS SDK: the call is journaled under the flow
/// of the trigger that made it, and the worker stays warm (one process, the module loaded
/// once) across invocations.
async fn a_handlers_api_calls_join_its_flow(target: &str) {
    let emu = start("PreSignUp", target).await;
    assert_eq!(sign_up(&emu, "first@example.com").await, Ok(false));
    assert_eq!(sign_up(&emu, "second@example.com").await, Ok(false));
    let runs = journal(emu.url(), "kind=trigger&name=PreSignUp_SignUp").await;
    let calls = journal(emu.url(), "kind=api_call&name=ListUsers").await;
    assert_eq!((runs.len(), calls.len()), (2, 2), "{runs:?} {calls:?}");
    for (n, (run, call)) in runs.iter().zip(&calls).enumerate() {
        assert!(run["flow"].is_string(), "{run:?}");
        assert_eq!(call["flow"], run["flow"], "{call:?}");
        let logs = run["detail"]["logs"].to_string();
        let user = ["first", "second"][n];
        assert!(
            logs.contains(&format!("users before {user}@example.com: {n}")),
            "{logs}"
        );
    }
    assert_ne!(runs[0]["flow"], runs[1]["flow"]);
}

#[tokio::test]
async fn a_node_handlers_api_calls_join_its_flow() {
    a_handlers_api_calls_join_its_flow(&contract(Runtime::Node, "counts-users")).await;
}

/// The target names the function (`python:<file>:count`).
#[tokio::test]
async fn a_python_handlers_boto3_calls_join_its_flow() {
    let target = format!("{}:count", contract(Runtime::Python, "counts-users"));
    a_handlers_api_calls_join_its_flow(&target).await;
}

/// A Python target naming a function its module does not define: Lambda's
/// `Runtime.HandlerNotFound` message, as the handler's error.
#[tokio::test]
async fn a_python_target_naming_a_missing_function_is_refused_by_name() {
    let target = format!("{}:nope", contract(Runtime::Python, "throws"));
    let emu = start("PreSignUp", &target).await;
    let (code, message) = sign_up(&emu, "nofn@example.com").await.unwrap_err();
    assert_eq!(code, "UserLambdaValidationException");
    assert_eq!(
        message,
        "PreSignUp failed with error Handler 'nope' missing on module 'throws'."
    );
}

/// Workers die with the server: once `Running::stop` returns, no process runs the handler
/// (its own copy in a temporary directory, so that other runs of this test do not count).
async fn workers_die_with_the_server(runtime: Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let ext = match runtime {
        Runtime::Node => "js",
        Runtime::Python => "py",
    };
    let file = dir.path().join(format!("auto-confirm.{ext}"));
    std::fs::copy(fixture(&format!("contract/auto-confirm.{ext}")), &file).unwrap();
    let target = match runtime {
        Runtime::Node => format!("node:{}", file.display()),
        Runtime::Python => format!("python:{}", file.display()),
    };
    let emu = start("PreSignUp", &target).await;
    assert_eq!(sign_up(&emu, "warm@example.com").await, Ok(true));
    assert_eq!(processes_running(&file), 1, "one warm worker");
    emu.running.stop().await;
    assert_eq!(
        processes_running(&file),
        0,
        "the worker outlived the server"
    );
}

/// Live processes (not zombies: their command line is empty) with `file` among their
/// arguments.
fn processes_running(file: &std::path::Path) -> usize {
    let want = file.as_os_str().as_encoded_bytes();
    let entries = std::fs::read_dir("/proc").unwrap();
    let cmdlines = entries.filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok());
    cmdlines
        .filter(|c| c.split(|b| *b == 0).any(|arg| arg == want))
        .count()
}

#[tokio::test]
async fn node_workers_die_with_the_server() {
    workers_die_with_the_server(Runtime::Node).await;
}

#[tokio::test]
async fn python_workers_die_with_the_server() {
    workers_die_with_the_server(Runtime::Python).await;
}

#[tokio::test]
async fn runtime_interface_emulator_target() {
    let rie = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2015-03-31/functions/function/invocations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"version": "1", "response": {"autoConfirmUser": true, "autoVerifyEmail": false}})))
        .mount(&rie)
        .await;
    let emu = start("PreSignUp", &rie.uri()).await;
    assert_eq!(sign_up(&emu, "rie@example.com").await, Ok(true));
    let sent = rie.received_requests().await.unwrap();
    let event: Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(event["triggerSource"], "PreSignUp_SignUp");
    assert_eq!(event["userName"], "rie@example.com");

    // A function error (RIE's errorMessage body) refuses the sign-up.
    rie.reset().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errorMessage": "blocked domain", "errorType": "Error"})),
        )
        .mount(&rie)
        .await;
    let (code, message) = sign_up(&emu, "rie2@example.com").await.unwrap_err();
    assert_eq!(code, "UserLambdaValidationException");
    assert_eq!(message, "PreSignUp failed with error blocked domain.");
    assert_eq!(user_count(&emu).await, 1);

    // An unreachable target is retried and reported.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let emu = start("PreSignUp", &format!("http://{closed}")).await;
    let (code, _) = sign_up(&emu, "rie3@example.com").await.unwrap_err();
    assert_eq!(code, "UnexpectedLambdaException");
    let runs = journal(emu.url(), "kind=trigger&name=PreSignUp_SignUp").await;
    assert_eq!(
        runs.iter()
            .filter(|r| r["detail"]["outcome"] == "unavailable")
            .count(),
        3
    );
}

#[tokio::test]
async fn admin_create_user_runs_pre_sign_up() {
    let emu = start("PreSignUp", "builtin:link_by_email").await;
    emu.sdk
        .admin_create_user()
        .user_pool_id(POOL)
        .username("admin-made@example.com")
        .user_attributes(common::attr("email", "admin-made@example.com"))
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    let runs = journal(emu.url(), "kind=trigger&name=PreSignUp_AdminCreateUser").await;
    assert_eq!(runs.len(), 1);
    assert_eq!(
        runs[0]["detail"]["event"]["callerContext"]["clientId"],
        "CLIENT_ID_NOT_APPLICABLE"
    );
    assert_eq!(
        runs[0]["detail"]["logs"][0],
        "not a sign-in with an external provider"
    );
}

#[tokio::test]
async fn a_trigger_config_that_cannot_run_stops_the_start() {
    let mut config = Config::default_config();
    config.cognito.pools[0].lambda.insert(
        "PreSignUp".into(),
        "arn:aws:lambda:us-east-1:000000000000:function:missing".into(),
    );
    let err = emulator::start(config.with_ephemeral_ports())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("[lambda_functions]"), "{err}");
    for target in [
        "node:/nonexistent/handler.js",
        "python:/nonexistent/handler.py:lambda_handler",
    ] {
        let mut config = Config::default_config();
        with_trigger(&mut config, "PreSignUp", ARN, target);
        let err = emulator::start(config.with_ephemeral_ports())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("handler file /nonexistent/handler") && err.contains("does not exist"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn confirm_sign_up_runs_post_confirmation() {
    let mut config = Config::default_config();
    with_trigger(
        &mut config,
        "PostConfirmation",
        ARN,
        "builtin:link_by_email",
    );
    let emu = common::start_with(config).await;
    assert_eq!(sign_up(&emu, "confirm@example.com").await, Ok(false));
    let outbox: Value = reqwest::get(format!(
        "{}/_emulator/outbox?destination=confirm@example.com",
        emu.url()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let code = outbox["messages"][0]["code"].as_str().unwrap().to_owned();
    emu.sdk
        .confirm_sign_up()
        .client_id(CLIENT)
        .username("confirm@example.com")
        .confirmation_code(code)
        .send()
        .await
        .unwrap();
    let runs = journal(
        emu.url(),
        "kind=trigger&name=PostConfirmation_ConfirmSignUp",
    )
    .await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    let event = &runs[0]["detail"]["event"];
    assert_eq!(
        event["request"]["userAttributes"]["cognito:user_status"],
        "CONFIRMED"
    );
    assert_eq!(event["request"]["userAttributes"]["email_verified"], "true");
}
