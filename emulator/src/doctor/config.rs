//! Static checks of a parsed [`Config`]: the pools' app clients and identity providers, and
//! (when a provider's endpoints are the emulated IdP's) the IdP app and tenant it uses.

use super::Finding;
use crate::config::{ClientConfig, Config, IdpConfig, PoolConfig};
use crate::idp::config::{AppConfig, PkceMode, TenantConfig};

/// Every config finding, pool by pool.
pub fn check(config: &Config) -> Vec<Finding> {
    let mut out = Vec::new();
    for pool in &config.cognito.pools {
        for idp in &pool.identity_providers {
            provider(config, pool, idp, &mut out);
        }
        for client in &pool.clients {
            client_checks(pool, client, &mut out);
        }
        triggers(config, pool, &mut out);
    }
    out.sort_by_key(|f| super::rank(f.id));
    out
}

fn here(pool: &PoolConfig, idp: &IdpConfig) -> String {
    format!("pool {}, identity provider {}", pool.id, idp.name)
}

/// Whether the pool's users are identified by a phone number only (then `email` matters less).
fn phone_only(pool: &PoolConfig) -> bool {
    let ids: Vec<&String> = pool
        .username_attributes
        .iter()
        .chain(&pool.alias_attributes)
        .collect();
    ids.iter().any(|a| *a == "phone_number") && !ids.iter().any(|a| *a == "email")
}

fn provider(config: &Config, pool: &PoolConfig, idp: &IdpConfig, out: &mut Vec<Finding>) {
    let at = here(pool, idp);
    let mapping = &idp.attribute_mapping;
    if !phone_only(pool) && !mapping.contains_key("email") {
        out.push(Finding::new(
            "attribute-mapping-missing-email",
            &at,
            format!(
                "Provider {}'s attribute_mapping maps {:?}, not `email`.",
                idp.name,
                mapping.keys().collect::<Vec<_>>()
            ),
        ));
    }
    // Only a linking set-up (a PreSignUp trigger) suffers from it: without one the pool is
    // used as configured in the guide, where federated users are unverified by design.
    if mapping.contains_key("email")
        && !mapping.contains_key("email_verified")
        && pool.lambda.contains_key("PreSignUp")
    {
        out.push(Finding::new(
            "email-verified-not-mapped",
            &at,
            format!(
                "Provider {} maps email but not email_verified, and the pool links users in a PreSignUp trigger.",
                idp.name
            ),
        ));
    }
    let scopes: Vec<&str> = idp.authorize_scopes.split_whitespace().collect();
    if !phone_only(pool) && !scopes.contains(&"email") {
        out.push(Finding::new(
            "scopes-missing-email",
            &at,
            format!(
                "Provider {}'s authorize_scopes are {:?}, without `email`.",
                idp.name, idp.authorize_scopes
            ),
        ));
    }
    let method = idp.attributes_request_method.as_str();
    if method != "GET" && method != "POST" {
        out.push(Finding::new(
            "attributes-request-method",
            &at,
            format!(
                "Provider {}'s attributes_request_method is {method:?}.",
                idp.name
            ),
        ));
    }
    let enabled = pool
        .clients
        .iter()
        .any(|c| c.supported_identity_providers.contains(&idp.name));
    if !enabled && !pool.clients.is_empty() {
        let near = pool
            .clients
            .iter()
            .flat_map(|c| &c.supported_identity_providers)
            .find(|p| p.eq_ignore_ascii_case(&idp.name));
        let hint = near.map_or(String::new(), |p| {
            format!(" (a client names {p:?}: names are case-sensitive)")
        });
        out.push(Finding::new(
            "idp-not-enabled-on-client",
            &at,
            format!(
                "No app client of pool {} lists {} in supported_identity_providers{hint}.",
                pool.id, idp.name
            ),
        ));
    }
    emulated_idp(config, idp, &at, out);
}

/// The configured origins as written in the file (before ports or HTTPS moved them): redirect
/// URIs and endpoints in the file name these.
fn origins(config: &Config) -> (String, Option<String>) {
    let rebased = config.idp.as_ref().and_then(|i| i.rebase_from.clone());
    let cognito = rebased
        .as_ref()
        .map(|(c, _)| c.clone())
        .or_else(|| config.cognito.public_url.clone())
        .unwrap_or_else(|| format!("http://localhost:{}", config.cognito.bind.port()));
    let idp = rebased
        .map(|(_, i)| i)
        .or_else(|| config.idp.as_ref().and_then(|i| i.public_url.clone()));
    (
        cognito.trim_end_matches('/').to_owned(),
        idp.map(|i| i.trim_end_matches('/').to_owned()),
    )
}

/// The tenant and app of the emulated IdP that `client_id` names.
fn app_of<'a>(config: &'a Config, client_id: &str) -> Option<(&'a TenantConfig, &'a AppConfig)> {
    let section = config.idp.as_ref()?;
    section.tenants.iter().find_map(|t| {
        t.apps
            .iter()
            .find(|a| a.client_id == client_id)
            .map(|a| (t, a))
    })
}

/// Checks that apply when the provider's endpoints are the emulated IdP's.
fn emulated_idp(config: &Config, idp: &IdpConfig, at: &str, out: &mut Vec<Finding>) {
    let (cognito_origin, idp_origin) = origins(config);
    let Some(idp_origin) = idp_origin else { return };
    let section = match &config.idp {
        Some(s) => s,
        None => return,
    };
    if !idp.authorize_url.starts_with(&format!("{idp_origin}/")) {
        return;
    }
    let Some((tenant, app)) = app_of(config, &idp.client_id) else {
        out.push(Finding::new(
            "idp-app-unknown-client",
            at,
            format!(
                "Provider {}'s endpoints are the emulated IdP's ({idp_origin}), but no [idp] app has client_id {:?}.",
                idp.name, idp.client_id
            ),
        ));
        return;
    };
    let issuer = match tenant.issuer.as_deref() {
        Some(crate::idp::SELF_ISSUER) => crate::idp::self_issuer(&idp_origin, &tenant.id),
        Some(pinned) => pinned.to_owned(),
        None => section.issuer.clone(),
    };
    if idp.oidc_issuer != issuer {
        let slash = if idp.oidc_issuer.trim_end_matches('/') == issuer.trim_end_matches('/') {
            " (they differ by a trailing slash, which counts)"
        } else {
            ""
        };
        out.push(Finding::new(
            "oidc-issuer-mismatch",
            at,
            format!(
                "Provider {}'s oidc_issuer is {:?}; tenant {} (app {}) issues tokens as {issuer:?}{slash}.",
                idp.name, idp.oidc_issuer, tenant.id, app.client_id
            ),
        ));
    }
    let idpresponse = format!("{cognito_origin}/oauth2/idpresponse");
    if !app.redirect_uris.contains(&idpresponse) {
        out.push(Finding::new(
            "idp-redirect-uri-not-idpresponse",
            format!("[idp] tenant {}, app {}", tenant.id, app.client_id),
            format!(
                "The IdP app {} (used by provider {}) allows {:?}, not {idpresponse}.",
                app.client_id, idp.name, app.redirect_uris
            ),
        ));
    }
    let secret_needed =
        app.client_secret.is_some() && app.pkce != PkceMode::RequiredInsteadOfSecret;
    if secret_needed && idp.client_secret != app.client_secret {
        out.push(Finding::new(
            "idp-client-secret-mismatch",
            at,
            format!(
                "Provider {}'s client_secret is not the secret of IdP app {} (tenant {}).",
                idp.name, app.client_id, tenant.id
            ),
        ));
    }
    let refused: Vec<&str> = idp
        .authorize_scopes
        .split_whitespace()
        .filter(|s| !app.scopes.iter().any(|a| a == s))
        .collect();
    if !refused.is_empty() {
        out.push(Finding::new(
            "idp-scope-not-allowed",
            at,
            format!(
                "Provider {} asks for {refused:?}; IdP app {} allows {:?}.",
                idp.name, app.client_id, app.scopes
            ),
        ));
    }
}

fn client_checks(pool: &PoolConfig, client: &ClientConfig, out: &mut Vec<Finding>) {
    let at = format!(
        "pool {}, app client {} ({})",
        pool.id, client.id, client.name
    );
    let redirects = client
        .allowed_oauth_flows
        .iter()
        .any(|f| f == "code" || f == "implicit");
    if redirects && client.callback_urls.is_empty() {
        out.push(Finding::new(
            "callback-url-not-registered",
            &at,
            format!(
                "App client {} allows the {:?} flows but has no callback_urls.",
                client.id, client.allowed_oauth_flows
            ),
        ));
    }
    for name in &client.supported_identity_providers {
        if name != "COGNITO" && !pool.identity_providers.iter().any(|p| &p.name == name) {
            out.push(Finding::new(
                "idp-not-enabled-on-client",
                &at,
                format!(
                    "App client {} lists {name:?} in supported_identity_providers, but pool {} has no provider of that name (known: {:?}).",
                    client.id,
                    pool.id,
                    pool.identity_providers
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                ),
            ));
        }
    }
}

/// Triggers naming an ARN the config does not map, or a target no runtime understands.
fn triggers(config: &Config, pool: &PoolConfig, out: &mut Vec<Finding>) {
    for (trigger, target) in &pool.lambda {
        let at = format!("pool {}, {trigger}", pool.id);
        if target.starts_with("arn:") && !config.lambda_functions.contains_key(target) {
            out.push(Finding::new(
                "trigger-target-missing",
                at,
                format!("{trigger} names {target}, which [lambda_functions] does not map."),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(c: &Config) -> Vec<&'static str> {
        check(c).into_iter().map(|f| f.id).collect()
    }

    /// `change` applied to the default config yields exactly `id`; the default yields none.
    fn check_one(id: &str, change: impl FnOnce(&mut Config)) {
        assert_eq!(ids(&Config::default_config()), Vec::<&str>::new());
        let mut c = Config::default_config();
        change(&mut c);
        let found = check(&c);
        assert_eq!(
            found.iter().map(|f| f.id).collect::<Vec<_>>(),
            vec![id],
            "{found:#?}"
        );
        assert!(!found[0].location.is_empty() && !found[0].fix.is_empty());
    }

    fn provider(c: &mut Config) -> &mut IdpConfig {
        &mut c.cognito.pools[0].identity_providers[0]
    }

    fn app(c: &mut Config) -> &mut AppConfig {
        &mut c.idp.as_mut().unwrap().tenants[0].apps[0]
    }

    #[test]
    fn mapping_without_email() {
        check_one("attribute-mapping-missing-email", |c| {
            provider(c).attribute_mapping.remove("email");
        });
    }

    #[test]
    fn email_verified_unmapped_with_a_linking_trigger() {
        let link = |c: &mut Config| {
            c.cognito.pools[0]
                .lambda
                .insert("PreSignUp".into(), "builtin:link_by_email".into());
        };
        check_one("email-verified-not-mapped", link);
        let mut fixed = Config::default_config();
        link(&mut fixed);
        provider(&mut fixed)
            .attribute_mapping
            .insert("email_verified".into(), "email_verified".into());
        assert_eq!(ids(&fixed), Vec::<&str>::new());
    }

    #[test]
    fn client_without_callbacks() {
        check_one("callback-url-not-registered", |c| {
            c.cognito.pools[0].clients[0].callback_urls.clear();
        });
    }

    #[test]
    fn provider_not_enabled_on_any_client() {
        check_one("idp-not-enabled-on-client", |c| {
            c.cognito.pools[0].clients[0].supported_identity_providers = vec!["COGNITO".into()];
        });
    }

    #[test]
    fn client_names_the_provider_in_the_wrong_case() {
        let mut c = Config::default_config();
        c.cognito.pools[0].clients[0].supported_identity_providers =
            vec!["COGNITO".into(), "mosaic".into()];
        let found = check(&c);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found.iter().all(|f| f.id == "idp-not-enabled-on-client"));
        assert!(
            found[0].explanation.contains("case-sensitive"),
            "{found:#?}"
        );
    }

    #[test]
    fn issuer_not_the_tenants() {
        check_one("oidc-issuer-mismatch", |c| {
            provider(c).oidc_issuer = "https://userid.security/".into();
        });
        check_one("oidc-issuer-mismatch", |c| {
            c.idp.as_mut().unwrap().tenants[0].issuer = Some("self".into());
        });
    }

    #[test]
    fn idp_app_without_idpresponse() {
        check_one("idp-redirect-uri-not-idpresponse", |c| {
            app(c).redirect_uris = vec!["http://localhost:3000/callback".into()];
        });
    }

    #[test]
    fn scopes_without_email() {
        check_one("scopes-missing-email", |c| {
            provider(c).authorize_scopes = "openid".into();
        });
    }

    #[test]
    fn request_method_neither_get_nor_post() {
        check_one("attributes-request-method", |c| {
            provider(c).attributes_request_method = "get".into();
        });
        let mut post = Config::default_config();
        provider(&mut post).attributes_request_method = "POST".into();
        assert_eq!(ids(&post), Vec::<&str>::new());
    }

    #[test]
    fn provider_client_id_unknown_to_the_idp() {
        check_one("idp-app-unknown-client", |c| {
            provider(c).client_id = "mosaic-demo".into();
        });
    }

    #[test]
    fn provider_secret_not_the_apps() {
        check_one("idp-client-secret-mismatch", |c| {
            provider(c).client_secret = Some("wrong".into());
        });
    }

    #[test]
    fn scope_the_idp_app_refuses() {
        check_one("idp-scope-not-allowed", |c| {
            provider(c).authorize_scopes = "openid email profile".into();
        });
    }

    #[test]
    fn trigger_arn_not_mapped() {
        check_one("trigger-target-missing", |c| {
            c.cognito.pools[0].lambda.insert(
                "PostConfirmation".into(),
                "arn:aws:lambda:us-east-1:000000000000:function:link".into(),
            );
        });
    }

    #[test]
    fn moved_ports_keep_the_configured_origins() {
        let c = Config::default_config().with_ephemeral_ports();
        assert_eq!(ids(&c), Vec::<&str>::new());
        let mut c = Config::default_config();
        c.use_https();
        assert_eq!(ids(&c), Vec::<&str>::new());
    }
}
