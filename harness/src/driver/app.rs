//! The app's side of a sign-in, the same for every driver: where Cognito sent the browser
//! back (the callback URL), the code exchange by the app's backend, and the tokens it holds.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, ensure};
use serde_json::{Map, Value};

use super::cognito::CognitoClient;
use super::{CALLBACK, CLIENT};

#[derive(Debug)]
pub struct App {
    pub cognito: CognitoClient,
    /// Where Cognito last sent the browser back to the app.
    callback: Option<String>,
    /// Claims of the last verified ID token.
    pub claims: Option<Map<String, Value>>,
    /// The last token response of Cognito's token endpoint.
    pub tokens: Option<Value>,
}

impl App {
    pub fn new(target: &super::Target) -> anyhow::Result<Self> {
        Ok(Self {
            cognito: CognitoClient::trusting(&target.cognito_url, target.trust.as_ref())?,
            callback: None,
            claims: None,
            tokens: None,
        })
    }

    /// A new sign-in starts (the browser is not back yet): the URL of the app's "Sign in"
    /// button, Cognito's authorize without `identity_provider` (the hosted login page).
    pub fn sign_in(&mut self) -> String {
        self.callback = None;
        format!(
            "{}/oauth2/authorize?client_id={CLIENT}&redirect_uri={CALLBACK}&response_type=code\
             &scope=openid+email&state=app-state",
            self.cognito.base
        )
    }

    /// The browser arrived at `url`, which must be the app's callback.
    pub fn arrived(&mut self, url: &str) -> anyhow::Result<()> {
        ensure!(
            url.starts_with(CALLBACK),
            "Cognito sent the browser to {url}, not the app"
        );
        self.callback = Some(url.to_owned());
        Ok(())
    }

    fn callback_params(&self) -> anyhow::Result<BTreeMap<String, String>> {
        let cb = self
            .callback
            .as_deref()
            .ok_or_else(|| anyhow!("the browser is not back at the app"))?;
        Ok(url::Url::parse(cb)?.query_pairs().into_owned().collect())
    }

    pub fn expect_error(&self, error: &str, description: &str) -> anyhow::Result<()> {
        let p = self.callback_params()?;
        match p.get("error") {
            Some(e) if e == error => {
                let d = p.get("error_description").cloned().unwrap_or_default();
                ensure!(d.contains(description), "error_description is {d:?}");
                Ok(())
            }
            Some(e) => bail!(
                "the app received error {e}: {:?}",
                p.get("error_description")
            ),
            None => bail!("the app received a code, not error {error}"),
        }
    }

    /// The callback has a code and the app's state: the backend exchanges the code and
    /// verifies the ID token against the pool's JWKS.
    pub async fn expect_tokens(&mut self) -> anyhow::Result<()> {
        let p = self.callback_params()?;
        if let Some(e) = p.get("error") {
            bail!(
                "the app received error {e}: {:?}",
                p.get("error_description")
            );
        }
        ensure!(
            p.get("state").map(String::as_str) == Some("app-state"),
            "the app's state did not come back"
        );
        let code = p.get("code").ok_or_else(|| anyhow!("no code"))?;
        let tokens = self.cognito.exchange(code).await?;
        let id = tokens["id_token"]
            .as_str()
            .ok_or_else(|| anyhow!("no id_token in {tokens}"))?;
        self.claims = Some(self.cognito.verify_id_token(id).await?);
        self.tokens = Some(tokens);
        Ok(())
    }
}
