//! The operator console at `/_emulator/ui` on the Cognito listener: server-rendered pages
//! (minijinja templates embedded in the binary, no build step, no CDN) for the pools and app
//! clients, users, the IdP's users and passkeys, the outbox (a small script keeps it live),
//! the journal as flows and each flow as a sequence diagram (`diagram.rs`), and forms for
//! reset and faults.

pub mod diagram;
mod views;

use std::sync::OnceLock;

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Environment, Value as Ctx, context};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::control::Control;

pub fn router(state: Control) -> Router {
    Router::new()
        .route("/_emulator/ui", get(pools_get))
        .route("/_emulator/ui/", get(pools_get))
        .route("/_emulator", get(to_console))
        .route("/_emulator/", get(to_console))
        .route("/_emulator/ui/users", get(users_get))
        .route("/_emulator/ui/idp", get(idp_get))
        .route("/_emulator/ui/outbox", get(outbox_get))
        .route("/_emulator/ui/journal", get(journal_get))
        .route("/_emulator/ui/journal/{flow}", get(flow_get))
        .route("/_emulator/ui/faults", get(faults_get).post(faults_post))
        .route("/_emulator/ui/faults/clear", post(faults_clear_post))
        .route("/_emulator/ui/reset", post(reset_post))
        .with_state(state)
}

/// The sequence diagrams' lifelines, in `diagram`'s order.
const LIFELINES: [&str; 4] = ["App", "Cognito", "IdP", "Lambda"];

const PAGES: &[(&str, &str)] = &[
    ("/_emulator/ui", "Pools"),
    ("/_emulator/ui/users", "Users"),
    ("/_emulator/ui/idp", "IdP users"),
    ("/_emulator/ui/outbox", "Outbox"),
    ("/_emulator/ui/journal", "Journal"),
    ("/_emulator/ui/faults", "Faults"),
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        let templates = [
            ("base.html", include_str!("templates/base.html")),
            ("pools.html", include_str!("templates/pools.html")),
            ("users.html", include_str!("templates/users.html")),
            ("idp.html", include_str!("templates/idp.html")),
            ("outbox.html", include_str!("templates/outbox.html")),
            ("journal.html", include_str!("templates/journal.html")),
            ("flow.html", include_str!("templates/flow.html")),
            ("faults.html", include_str!("templates/faults.html")),
        ];
        for (name, source) in templates {
            if let Err(e) = env.add_template(name, source) {
                eprintln!("emulator: console template {name}: {e}");
            }
        }
        env.add_filter("datetime", datetime);
        env
    })
}

/// `page` rendered with `ctx`, under the navigation with `current` marked.
fn render(page: &str, current: &str, title: &str, ctx: Ctx) -> Response {
    let nav: Vec<Value> = PAGES
        .iter()
        .map(|(href, label)| json!({"href": href, "label": label, "current": *href == current}))
        .collect();
    let ctx = context! { title, nav, ..ctx };
    match env().get_template(page).and_then(|t| t.render(ctx)) {
        Ok(html) => Html(html).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("console page {page}: {e:#}"),
        )
            .into_response(),
    }
}

/// Milliseconds since the epoch as `YYYY-MM-DD HH:MM:SS UTC`.
fn datetime(ms: i64) -> String {
    let (days, ms) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Days to a civil date (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, min, s) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}:{s:02} UTC")
}

/// `/_emulator/` itself: the console.
async fn to_console() -> Redirect {
    Redirect::to("/_emulator/ui")
}

async fn pools_get(State(s): State<Control>) -> Response {
    let pools = views::pools(&s.cognito);
    render(
        "pools.html",
        "/_emulator/ui",
        "Pools and app clients",
        context! { pools },
    )
}

async fn users_get(State(s): State<Control>) -> Response {
    let pools = views::users(&s.cognito);
    render(
        "users.html",
        "/_emulator/ui/users",
        "Users",
        context! { pools },
    )
}

async fn idp_get(State(s): State<Control>) -> Response {
    let users = views::idp_users(&s);
    let has_idp = s.idp.is_some();
    render(
        "idp.html",
        "/_emulator/ui/idp",
        "IdP users and passkeys",
        context! { users, has_idp },
    )
}

async fn outbox_get(State(s): State<Control>) -> Response {
    let messages = s.cognito.outbox.list(None);
    render(
        "outbox.html",
        "/_emulator/ui/outbox",
        "Outbox",
        context! { messages },
    )
}

fn events(s: &Control) -> Vec<crate::journal::Event> {
    s.cognito.journal.query(&crate::journal::Query::default())
}

async fn journal_get(State(s): State<Control>) -> Response {
    let flows = diagram::flows(&events(&s));
    render(
        "journal.html",
        "/_emulator/ui/journal",
        "Journal",
        context! { flows },
    )
}

async fn flow_get(State(s): State<Control>, Path(id): Path<String>) -> Response {
    let arrows: Vec<Value> = diagram::arrows(&events(&s), &id)
        .into_iter()
        .map(|a| {
            let (left, span) = (a.from.min(a.to), a.from.abs_diff(a.to) + 1);
            let dir = match a.to.cmp(&a.from) {
                std::cmp::Ordering::Greater => "right",
                std::cmp::Ordering::Less => "left",
                std::cmp::Ordering::Equal => "self",
            };
            let mut v = serde_json::to_value(&a).unwrap_or(Value::Null);
            v["left"] = left.into();
            v["span"] = span.into();
            v["dir"] = dir.into();
            v
        })
        .collect();
    let lifelines = LIFELINES;
    let title = format!("Flow {id}");
    render(
        "flow.html",
        "/_emulator/ui/journal",
        &title,
        context! { id, arrows, lifelines },
    )
}

/// Faults to set with one button.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "IdP token endpoint answers 503",
        r#"{"fault": "idp_endpoint", "endpoint": "token", "status": 503}"#,
    ),
    (
        "IdP userinfo endpoint answers 401",
        r#"{"fault": "idp_endpoint", "endpoint": "userinfo", "status": 401}"#,
    ),
    (
        "IdP JWKS malformed",
        r#"{"fault": "idp_endpoint", "endpoint": "jwks", "malformed": true}"#,
    ),
    (
        "IdP signing key rotated, JWKS not updated",
        r#"{"fault": "idp_key_rotated"}"#,
    ),
    (
        "PreSignUp trigger throws",
        r#"{"fault": "trigger", "trigger": "PreSignUp", "error": "injected"}"#,
    ),
    (
        "OTPs dropped",
        r#"{"fault": "otp_delivery", "dropped": true}"#,
    ),
    (
        "OTPs 10 minutes late",
        r#"{"fault": "otp_delivery", "delay_secs": 600}"#,
    ),
    (
        "IdP clock 2 hours behind",
        r#"{"fault": "clock", "idp_secs": -7200}"#,
    ),
];

fn faults_page(s: &Control, error: Option<String>) -> Response {
    let faults: Vec<Value> = s
        .cognito
        .faults
        .list()
        .iter()
        .map(crate::faults::http::listed)
        .collect();
    let examples: Vec<Value> = EXAMPLES
        .iter()
        .map(|(label, spec)| json!({"label": label, "spec": spec}))
        .collect();
    let mut r = render(
        "faults.html",
        "/_emulator/ui/faults",
        "Faults",
        context! { faults, examples, error },
    );
    if error.is_some() {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    r
}

async fn faults_get(State(s): State<Control>) -> Response {
    faults_page(&s, None)
}

#[derive(Debug, Deserialize)]
struct FaultForm {
    spec: String,
}

/// The form's fault, set as `POST /_emulator/faults` sets it; then back to the page.
async fn faults_post(State(s): State<Control>, Form(f): Form<FaultForm>) -> Response {
    match crate::faults::http::set_json(&s, f.spec.as_bytes()) {
        Ok(_) => Redirect::to("/_emulator/ui/faults").into_response(),
        Err(e) => faults_page(&s, Some(e)),
    }
}

async fn faults_clear_post(State(s): State<Control>) -> Response {
    crate::faults::http::clear_all(&s);
    Redirect::to("/_emulator/ui/faults").into_response()
}

async fn reset_post(State(s): State<Control>) -> Response {
    let r = crate::control::reset_post(State(s)).await;
    if r.status().is_success() {
        return Redirect::to("/_emulator/ui").into_response();
    }
    r
}
