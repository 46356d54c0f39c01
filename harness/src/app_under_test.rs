//! What a scenario's app under test needs before its first step: served by the harness (its
//! `[app]` directory, over HTTPS in an HTTPS run) or a team's own server (`--app-url`), and,
//! for an Amplify app, an app client of the pool registered for the app's origin and
//! federated to Mosaic, written into the app's Amplify config.

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use crate::app_server::AppServer;
use crate::driver::cognito::CognitoClient;
use crate::driver::{Drivers, POOL, PROVIDER, Target};
use crate::scenario::Scenario;

const SCOPES: [&str; 4] = [
    "openid",
    "email",
    "profile",
    "aws.cognito.signin.user.admin",
];

/// Points `target` at the app under test; the server the harness started for it, if any.
pub async fn start(
    scenario: &Scenario,
    target: &mut Target,
    drivers: &Drivers,
) -> anyhow::Result<Option<AppServer>> {
    if let Some(url) = &drivers.app_url {
        target.app_url = Some(url.trim_end_matches('/').to_owned());
        return Ok(None);
    }
    let (Some(app), Some(dir)) = (&scenario.app, scenario.app_dir()) else {
        return Ok(None);
    };
    let https = target.cognito_url.starts_with("https://");
    if app.amplify_config.is_some() && !https {
        bail!(
            "the app's Amplify config needs the emulator over HTTPS (Amplify builds https:// hosted-UI URLs): run with --tls"
        );
    }
    let ca = drivers.tls.as_ref().and_then(|t| t.authority.as_ref());
    let server = AppServer::start(&dir, ca.filter(|_| https)).await?;
    target.app_url = Some(server.url.clone());
    if let Some(path) = &app.amplify_config {
        let cognito = CognitoClient::trusting(&target.cognito_url, target.trust.as_ref())?;
        let client_id = register(&cognito, &server.url).await?;
        let config = amplify_config(&target.cognito_url, &client_id, &server.url);
        server.put(path.trim_start_matches('/'), config.to_string());
    }
    Ok(Some(server))
}

/// A public app client for the app's origin: the code flow, Mosaic, and the scopes Amplify
/// asks for.
async fn register(cognito: &CognitoClient, app: &str) -> anyhow::Result<String> {
    let created = cognito
        .call(
            "CreateUserPoolClient",
            json!({
                "UserPoolId": POOL, "ClientName": "app-under-test",
                "CallbackURLs": [format!("{app}/")], "LogoutURLs": [format!("{app}/")],
                "AllowedOAuthFlows": ["code"], "AllowedOAuthFlowsUserPoolClient": true,
                "AllowedOAuthScopes": SCOPES, "SupportedIdentityProviders": [PROVIDER],
                "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
            }),
        )
        .await
        .context("registering the app under test as an app client")?;
    created["UserPoolClient"]["ClientId"]
        .as_str()
        .map(str::to_owned)
        .context("CreateUserPoolClient answered no ClientId")
}

/// Amplify JS v6's own config for the app: the pool, the client, the Cognito endpoint, and
/// the hosted UI's domain (host and port: Amplify adds `https://`) and redirect URLs.
pub fn amplify_config(cognito: &str, client_id: &str, app: &str) -> Value {
    let domain = cognito.trim_start_matches("https://");
    json!({"Auth": {"Cognito": {
        "userPoolId": POOL,
        "userPoolClientId": client_id,
        "userPoolEndpoint": cognito,
        "loginWith": {"oauth": {
            "domain": domain,
            "scopes": SCOPES,
            "redirectSignIn": [format!("{app}/")],
            "redirectSignOut": [format!("{app}/")],
            "responseType": "code",
        }},
    }}})
}
