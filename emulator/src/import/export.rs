//! The way back: a running emulator's pools as the AWS CLI prints them (describe-user-pool,
//! describe-user-pool-client, describe-identity-provider, list-groups), read through its own
//! JSON API, so `import` of the result can be checked against the config the emulator started
//! from.

use serde_json::{Value, json};

/// One output, as the AWS CLI would have printed it.
#[derive(Debug)]
pub struct Document {
    /// A file name for it: `<pool>.pool.json`, `<pool>.client.<id>.json`, ...
    pub name: String,
    pub json: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{operation}: {message}")]
    Call { operation: String, message: String },
}

/// Every pool of the emulator at `url` (its Cognito origin).
pub async fn export(url: &str) -> Result<Vec<Document>, ExportError> {
    let api = Api {
        http: reqwest::Client::new(),
        url: url.trim_end_matches('/').to_owned(),
    };
    let mut docs = Vec::new();
    for pool in api.all("ListUserPools", json!({}), "UserPools").await? {
        let id = pool["Id"].as_str().unwrap_or_default().to_owned();
        docs.extend(api.pool_documents(&id).await?);
    }
    Ok(docs)
}

struct Api {
    http: reqwest::Client,
    url: String,
}

impl Api {
    async fn call(&self, operation: &str, input: Value) -> Result<Value, ExportError> {
        let fail = |message: String| ExportError::Call {
            operation: operation.to_owned(),
            message,
        };
        let response = self
            .http
            .post(format!("{}/", self.url))
            .header("content-type", "application/x-amz-json-1.1")
            .header(
                "x-amz-target",
                format!("AWSCognitoIdentityProviderService.{operation}"),
            )
            .body(input.to_string())
            .send()
            .await
            .map_err(|e| fail(e.to_string()))?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|e| fail(e.to_string()))?;
        if !status.is_success() {
            return Err(fail(format!("{status}: {body}")));
        }
        Ok(body)
    }

    /// Every item of a paginated list operation.
    async fn all(
        &self,
        operation: &str,
        input: Value,
        key: &str,
    ) -> Result<Vec<Value>, ExportError> {
        let mut items = Vec::new();
        let mut token: Option<Value> = None;
        loop {
            let mut page_input = input.clone();
            page_input["MaxResults"] = json!(60);
            if let Some(t) = token.take() {
                page_input["NextToken"] = t;
            }
            let page = self.call(operation, page_input).await?;
            items.extend(page[key].as_array().cloned().unwrap_or_default());
            match page.get("NextToken").filter(|t| !t.is_null()) {
                Some(t) => token = Some(t.clone()),
                None => return Ok(items),
            }
        }
    }

    async fn pool_documents(&self, id: &str) -> Result<Vec<Document>, ExportError> {
        let pool = json!({"UserPoolId": id});
        let mut docs = vec![Document {
            name: format!("{id}.pool.json"),
            json: self.call("DescribeUserPool", pool.clone()).await?,
        }];
        for p in self
            .all("ListIdentityProviders", pool.clone(), "Providers")
            .await?
        {
            let name = p["ProviderName"].as_str().unwrap_or_default();
            let input = json!({"UserPoolId": id, "ProviderName": name});
            docs.push(Document {
                name: format!("{id}.idp.{name}.json"),
                json: self.call("DescribeIdentityProvider", input).await?,
            });
        }
        for c in self
            .all("ListUserPoolClients", pool.clone(), "UserPoolClients")
            .await?
        {
            let client = c["ClientId"].as_str().unwrap_or_default();
            let input = json!({"UserPoolId": id, "ClientId": client});
            docs.push(Document {
                name: format!("{id}.client.{client}.json"),
                json: self.call("DescribeUserPoolClient", input).await?,
            });
        }
        let groups = self.all("ListGroups", pool, "Groups").await?;
        docs.push(Document {
            name: format!("{id}.groups.json"),
            json: json!({"Groups": groups}),
        });
        Ok(docs)
    }
}
