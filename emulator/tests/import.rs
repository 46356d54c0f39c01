//! `emulator import`: recorded-style AWS CLI JSON and a CDK-synthesised template (committed
//! under `fixtures/import/`) each import to the expected config, report every setting the
//! config cannot hold by name, and load; the default config exported through the API and
//! imported again is the same config.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use emulator::Config;
use emulator::import::{Imported, Input, export, import, pools_toml, render};

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/import")
        .join(path)
}

fn inputs(paths: &[&str]) -> Vec<Input> {
    paths
        .iter()
        .map(|p| Input {
            name: (*p).to_owned(),
            text: std::fs::read_to_string(fixture(p)).expect("fixture"),
        })
        .collect()
}

const AWS: &[&str] = &[
    "aws/pool.json",
    "aws/client.json",
    "aws/idp.json",
    "aws/groups.json",
];

/// The notes' paths, and the config the rendered output parses to.
fn load(imported: &Imported) -> Config {
    let text = render(imported, &["test".into()]).expect("render");
    Config::parse(&text, "imported").unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn assert_reported(imported: &Imported, expected: &[&str]) {
    let paths: Vec<String> = imported
        .notes
        .iter()
        .map(|n| format!("{}: {}", n.file, n.path))
        .collect();
    for e in expected {
        assert!(
            paths.iter().any(|p| p == e),
            "{e} not reported; reported: {paths:#?}"
        );
    }
    assert_eq!(paths.len(), expected.len(), "unexpected notes: {paths:#?}");
}

#[test]
fn aws_cli_json_imports_the_guide_pool() {
    let imported = import(&inputs(AWS)).expect("import");
    let config = load(&imported);
    let pool = &config.cognito.pools[0];
    assert_eq!(pool.id, "us-east-1_aB3dE5fG7");
    assert_eq!(pool.username_attributes, ["email"]);
    assert_eq!(pool.domain.as_deref(), Some("mosaic-demo"));
    assert_eq!(pool.groups, ["admins", "beta-testers"]);
    assert_eq!(
        pool.password_policy.as_ref().unwrap().minimum_length,
        Some(12)
    );
    assert_eq!(pool.custom_attributes[0].name, "tenant_id");
    assert_eq!(pool.deletion_protection, Some(true));
    assert_eq!(
        pool.lambda["PreSignUp"],
        "arn:aws:lambda:us-east-1:123456789012:function:mosaic-link-users"
    );
    let idp = &pool.identity_providers[0];
    assert_eq!(
        (idp.name.as_str(), idp.oidc_issuer.as_str()),
        ("Mosaic", "https://userid.security")
    );
    assert_eq!(idp.attributes_request_method, "GET");
    assert_eq!(idp.attribute_mapping["email"], "email");
    let client = &pool.clients[0];
    assert_eq!(client.allowed_oauth_flows, ["code"]);
    assert_eq!(client.supported_identity_providers, ["COGNITO", "Mosaic"]);
    assert_eq!(client.secret.as_deref().map(str::len), Some(52));
    assert_eq!(client.access_token_validity, Some(60));
    assert_reported(
        &imported,
        &[
            "aws/pool.json: UserPool.LambdaConfig.CustomMessage",
            "aws/pool.json: UserPool.Policies.PasswordPolicy.PasswordHistorySize",
            "aws/pool.json: UserPool.SchemaAttributes[10](email).Required",
            "aws/pool.json: UserPool.MfaConfiguration",
            "aws/pool.json: UserPool.AccountRecoverySetting",
            "aws/pool.json: UserPool.AdminCreateUserConfig",
            "aws/pool.json: UserPool.EmailConfiguration",
            "aws/pool.json: UserPool.UserAttributeUpdateSettings",
            "aws/pool.json: UserPool.UserPoolTags",
            "aws/pool.json: UserPool.VerificationMessageTemplate",
            "aws/client.json: UserPoolClient.AnalyticsConfiguration",
            "aws/client.json: UserPoolClient.RefreshTokenRotation",
            "aws/groups.json: Groups[0].Description",
            "aws/groups.json: Groups[0].Precedence",
            "aws/groups.json: Groups[1].RoleArn",
        ],
    );
}

#[test]
fn cdk_template_imports_the_same_setup() {
    let imported = import(&inputs(&["cdk/template.json"])).expect("import");
    let config = load(&imported);
    let pool = &config.cognito.pools[0];
    assert_eq!(pool.id, "us-east-1_UserPool6BA7E5F2");
    assert_eq!(pool.name, "mosaic-demo");
    assert_eq!(pool.domain.as_deref(), Some("mosaic-demo"));
    assert_eq!(pool.groups, ["admins"]);
    assert_eq!(pool.mfa_factors, ["SOFTWARE_TOKEN_MFA"]);
    let webauthn = pool.webauthn.as_ref().unwrap();
    assert_eq!(webauthn.rp_id, None);
    assert_eq!(webauthn.user_verification.as_deref(), Some("preferred"));
    // Fn::GetAtt of the function's Arn, named by its FunctionName.
    assert_eq!(
        pool.lambda["PreSignUp"],
        "arn:aws:lambda:us-east-1:000000000000:function:mosaic-link-users"
    );
    let client = &pool.clients[0];
    assert_eq!(client.id, "UserPoolWebClient2F5A8B9C");
    // The provider's Ref resolved to its ProviderName.
    assert_eq!(client.supported_identity_providers, ["Mosaic", "COGNITO"]);
    assert!(client.secret.is_some());
    assert_eq!(
        pool.identity_providers[0].oidc_issuer,
        "https://userid.security"
    );
    let p = "cdk/template.json: Resources.UserPool6BA7E5F2.Properties";
    let expected = [
        format!("{p}.Policies.PasswordPolicy.PasswordHistorySize"),
        format!("{p}.Schema[0](email).Required"),
        format!("{p}.AccountRecoverySetting"),
        format!("{p}.AdminCreateUserConfig"),
        format!("{p}.EmailVerificationMessage"),
        format!("{p}.EmailVerificationSubject"),
        format!("{p}.SmsVerificationMessage"),
        format!("{p}.UserPoolTags"),
        format!("{p}.VerificationMessageTemplate"),
        format!("{p}.WebAuthnRelyingPartyID"),
        "cdk/template.json: Resources.UserPoolAdminsGroup5B6C7D8E.Properties.Description".into(),
        "cdk/template.json: Resources.UserPoolAdminsGroup5B6C7D8E.Properties.Precedence".into(),
        "cdk/template.json: Resources.UserPoolResourceServerA1B2C3D4".into(),
        "cdk/template.json: Resources.UserPoolWebClient2F5A8B9C.Properties.GenerateSecret".into(),
    ];
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    assert_reported(&imported, &expected);
}

/// The imported config starts an emulator, which then describes what was imported.
#[tokio::test]
async fn imported_config_starts_and_describes_the_settings() {
    let imported = import(&inputs(AWS)).expect("import");
    let mut config = load(&imported);
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:mosaic-link-users";
    config
        .lambda_functions
        .insert(arn.into(), "builtin:link_by_email".into());
    let emu = common::start_with(config).await;
    let pool = emu
        .sdk
        .describe_user_pool()
        .user_pool_id("us-east-1_aB3dE5fG7")
        .send()
        .await
        .unwrap();
    let pool = pool.user_pool.unwrap();
    assert_eq!(
        pool.policies
            .unwrap()
            .password_policy
            .unwrap()
            .minimum_length,
        Some(12)
    );
    assert_eq!(pool.mfa_configuration.unwrap().as_str(), "OPTIONAL");
    assert!(
        pool.schema_attributes
            .unwrap()
            .iter()
            .any(|a| a.name() == Some("custom:tenant_id"))
    );
    let client = emu
        .sdk
        .describe_user_pool_client()
        .user_pool_id("us-east-1_aB3dE5fG7")
        .client_id("4tq8nm2hq0vf6d1bkc7s3lp9ra")
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    assert_eq!(client.access_token_validity, Some(60));
    assert_eq!(
        client.prevent_user_existence_errors.unwrap().as_str(),
        "ENABLED"
    );
    // And the way back gives the same config again.
    let again = export_and_import(emu.url()).await;
    assert_eq!(
        pools_toml(&again.pools).unwrap(),
        pools_toml(&imported.pools).unwrap()
    );
    emu.running.stop().await;
}

/// So does the template's, with the Lambda mapped.
#[tokio::test]
async fn imported_template_starts() {
    let imported = import(&inputs(&["cdk/template.json"])).expect("import");
    let mut config = load(&imported);
    let arn = "arn:aws:lambda:us-east-1:000000000000:function:mosaic-link-users";
    config
        .lambda_functions
        .insert(arn.into(), "builtin:link_by_email".into());
    let emu = common::start_with(config).await;
    let again = export_and_import(emu.url()).await;
    let pool = &again.pools[0];
    assert_eq!(pool.id, "us-east-1_UserPool6BA7E5F2");
    assert_eq!(pool.clients[0].refresh_token_validity, Some(43200));
    emu.running.stop().await;
}

async fn export_and_import(url: &str) -> Imported {
    let docs = export::export(url).await.expect("export");
    let inputs: Vec<Input> = docs
        .iter()
        .map(|d| Input {
            name: d.name.clone(),
            text: d.json.to_string(),
        })
        .collect();
    import(&inputs).expect("import of the export")
}

/// The default config, exported as AWS JSON through the API and imported, is the same config,
/// and nothing is reported. (Without the IdP listener, whose ephemeral port would move the
/// provider's endpoints.)
#[tokio::test]
async fn default_config_round_trips() {
    let mut config = Config::default_config();
    config.idp = None;
    let pools = config.cognito.pools.clone();
    let emu = common::start_with(config).await;
    let imported = export_and_import(emu.url()).await;
    emu.running.stop().await;
    assert_eq!(imported.notes, []);
    assert_eq!(
        pools_toml(&imported.pools).unwrap(),
        pools_toml(&pools).unwrap()
    );
}

fn import_error(files: &[(&str, &str)]) -> String {
    let inputs: Vec<Input> = files
        .iter()
        .map(|(n, t)| Input {
            name: (*n).into(),
            text: (*t).into(),
        })
        .collect();
    match import(&inputs) {
        Ok(_) => panic!("import of {files:?} succeeded"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_input_is_named_by_file_and_path() {
    let client = std::fs::read_to_string(fixture("aws/client.json")).unwrap();
    for (files, expect) in [
        (vec![("bad.json", "{not json")], "bad.json: not valid JSON"),
        (
            vec![("odd.json", r#"{"Foo": 1}"#)],
            "odd.json: (top level): unknown shape",
        ),
        (
            vec![("n.json", r#"{"UserPool": {"Id": 5}}"#)],
            "n.json: UserPool.Id: expected a string",
        ),
        (
            vec![("client.json", client.as_str())],
            "client.json: UserPoolClient.UserPoolId: user pool us-east-1_aB3dE5fG7 is not among the inputs",
        ),
        (
            vec![(
                "t.json",
                r#"{"Resources": {"C": {"Type": "AWS::Cognito::UserPoolClient", "Properties": {"UserPoolId": {"Ref": "Gone"}}}}}"#,
            )],
            "t.json: Resources.C.Properties.UserPoolId.Ref: Gone is not a resource of this template",
        ),
        (
            vec![(
                "t.json",
                r#"{"Resources": {"P": {"Type": "AWS::Cognito::UserPool", "Properties": {"UserPoolName": {"Fn::If": ["c", "a", "b"]}}}}}"#,
            )],
            "t.json: Resources.P.Properties.UserPoolName.Fn::If: Fn::If is not resolved",
        ),
        (
            vec![(
                "i.json",
                r#"{"IdentityProvider": {"UserPoolId": "p_1", "ProviderName": "X", "ProviderType": "OIDC", "ProviderDetails": {"client_id": "c", "authorize_scopes": "openid", "oidc_issuer": "https://x"}}}"#,
            )],
            "i.json: IdentityProvider.ProviderDetails.authorize_url: missing: the emulator does not run OIDC discovery",
        ),
    ] {
        let err = import_error(&files);
        assert!(err.starts_with(expect), "{err}\nexpected: {expect}");
    }
}

#[test]
fn cli_writes_a_config_that_check_config_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("emulator.toml");
    let bin = env!("CARGO_BIN_EXE_emulator");
    let mut args: Vec<PathBuf> = AWS.iter().map(|p| fixture(p)).collect();
    args.push(fixture("cdk/template.json"));
    // Two pools: the describe output's and the template's.
    let run = std::process::Command::new(bin)
        .arg("import")
        .args(&args)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("pool.json: UserPool.EmailConfiguration = "),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("#   ") && text.contains("UserPool.EmailConfiguration"),
        "{text}"
    );
    assert!(
        text.contains("# \"arn:aws:lambda:us-east-1:123456789012:function:mosaic-link-users\"")
    );
    let check = std::process::Command::new(bin)
        .arg("check-config")
        .arg("--config")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let bad = std::process::Command::new(bin)
        .args(["import", "/nonexistent/pool.json"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot read /nonexistent/pool.json"));
}
