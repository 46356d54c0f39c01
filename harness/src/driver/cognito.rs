//! What the app's backend and the test's operator do at Cognito: the JSON API (preconditions
//! and pool state), the code exchange at `/oauth2/token`, ID token verification against the
//! pool's JWKS, and the control plane's journal.

use anyhow::{Context as _, anyhow, bail};
use serde_json::{Map, Value, json};

use super::{CALLBACK, CLIENT, POOL};

/// A client of one Cognito origin.
#[derive(Debug, Clone)]
pub struct CognitoClient {
    pub base: String,
    http: reqwest::Client,
}

impl CognitoClient {
    pub fn new(base: &str) -> anyhow::Result<Self> {
        Self::trusting(base, None)
    }

    /// A client of an HTTPS origin whose certificate chains to `trust`'s CA.
    pub fn trusting(base: &str, trust: Option<&super::Trust>) -> anyhow::Result<Self> {
        let http = super::client_builder(trust)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// One AWS JSON 1.1 operation; a refusal becomes an error naming the exception.
    pub async fn call(&self, operation: &str, body: Value) -> anyhow::Result<Value> {
        let resp = self
            .http
            .post(format!("{}/", self.base))
            .header(
                "x-amz-target",
                format!("AWSCognitoIdentityProviderService.{operation}"),
            )
            .header("content-type", "application/x-amz-json-1.1")
            .body(body.to_string())
            .send()
            .await?;
        let ok = resp.status().is_success();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if !ok {
            bail!("{operation}: {} {}", v["__type"], v["message"]);
        }
        Ok(v)
    }

    /// Injects a fault through the control plane (`/_emulator/faults`).
    pub async fn set_fault(&self, fault: &Value) -> anyhow::Result<()> {
        let resp = self
            .http
            .post(format!("{}/_emulator/faults", self.base))
            .json(fault)
            .send()
            .await?;
        let ok = resp.status().is_success();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if !ok {
            bail!("setting the fault {fault}: {}", v["error"]);
        }
        Ok(())
    }

    /// Allow passwordless first factors besides PASSWORD (the pool's sign-in policy).
    pub async fn allow_first_factors(&self, factors: &[String]) -> anyhow::Result<()> {
        let mut all = vec!["PASSWORD".to_owned()];
        all.extend(factors.iter().cloned());
        self.call(
            "UpdateUserPool",
            json!({"UserPoolId": POOL, "AutoVerifiedAttributes": ["email"],
                "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": all}}}),
        )
        .await
        .map(drop)
    }

    /// A confirmed native user with a permanent password.
    pub async fn create_native_user(&self, email: &str, password: &str) -> anyhow::Result<()> {
        self.call(
            "AdminCreateUser",
            json!({"UserPoolId": POOL, "Username": email, "MessageAction": "SUPPRESS",
                "UserAttributes": [{"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"}]}),
        )
        .await?;
        self.call(
            "AdminSetUserPassword",
            json!({"UserPoolId": POOL, "Username": email, "Password": password, "Permanent": true}),
        )
        .await?;
        Ok(())
    }

    pub async fn user_count(&self) -> anyhow::Result<usize> {
        let v = self.call("ListUsers", json!({"UserPoolId": POOL})).await?;
        Ok(v["Users"].as_array().map_or(0, Vec::len))
    }

    /// The `sub` of the user with this email (a native user: signed in by email).
    pub async fn sub_of(&self, email: &str) -> anyhow::Result<String> {
        let v = self
            .call(
                "AdminGetUser",
                json!({"UserPoolId": POOL, "Username": email}),
            )
            .await?;
        v["UserAttributes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["Name"] == "sub")
            .and_then(|a| a["Value"].as_str())
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("{email} has no sub"))
    }

    /// The app's backend: exchanges the callback's code; returns the token response.
    pub async fn exchange(&self, code: &str) -> anyhow::Result<Value> {
        let resp = self
            .http
            .post(format!("{}/oauth2/token", self.base))
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", CLIENT),
                ("code", code),
                ("redirect_uri", CALLBACK),
            ])
            .send()
            .await?;
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("the token endpoint answered {status}: {v}");
        }
        Ok(v)
    }

    /// Checks the ID token's signature against the served JWKS, its issuer and audience;
    /// returns its claims. `exp` is checked against `iat`: the emulator's clock is not ours.
    pub async fn verify_id_token(&self, token: &str) -> anyhow::Result<Map<String, Value>> {
        use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
        let jwks: jsonwebtoken::jwk::JwkSet = self
            .http
            .get(format!("{}/{POOL}/.well-known/jwks.json", self.base))
            .send()
            .await?
            .json()
            .await?;
        let kid = decode_header(token)?
            .kid
            .ok_or_else(|| anyhow!("no kid in the ID token"))?;
        let jwk = jwks
            .find(&kid)
            .ok_or_else(|| anyhow!("kid {kid} not in the JWKS"))?;
        let mut v = Validation::new(Algorithm::RS256);
        v.set_issuer(&[format!("{}/{POOL}", self.base)]);
        v.set_audience(&[CLIENT]);
        v.validate_exp = false;
        v.required_spec_claims.clear();
        let claims = decode::<Map<String, Value>>(token, &DecodingKey::from_jwk(jwk)?, &v)
            .context("the ID token does not verify")?
            .claims;
        let (iat, exp) = (claims["iat"].as_i64(), claims["exp"].as_i64());
        if !matches!((iat, exp), (Some(i), Some(e)) if e > i) {
            bail!("the ID token's exp is not after its iat");
        }
        Ok(claims)
    }

    /// Journal events after `after` (a sequence number), oldest first.
    pub async fn journal_after(&self, after: u64) -> anyhow::Result<Vec<Value>> {
        let v: Value = self
            .http
            .get(format!("{}/_emulator/journal?after={after}", self.base))
            .send()
            .await?
            .json()
            .await?;
        Ok(v["events"].as_array().cloned().unwrap_or_default())
    }

    /// Journal events matching a query string (`kind=rejected&name=...`).
    pub async fn journal(&self, query: &str) -> anyhow::Result<Vec<Value>> {
        let v: Value = self
            .http
            .get(format!("{}/_emulator/journal?{query}", self.base))
            .send()
            .await?
            .json()
            .await?;
        Ok(v["events"].as_array().cloned().unwrap_or_default())
    }
}
