//! The scenario file format (TOML, one flow per file in `scenarios/`): actors, devices,
//! preconditions, steps in the user's words and expectations. Parsed strictly (unknown keys
//! refused), then checked: every step names a declared actor and device.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::Deserialize;

use crate::authenticator::{Attachment, AuthenticatorConfig};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// Seed of the emulator's random source (ids, codes, keys): fixed, so transcripts repeat.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// When set, the scenario documents a known failure: it passes only if a step or an
    /// expectation fails, and the report shows this text with the journal's reason.
    #[serde(default)]
    pub expected_failure: Option<String>,
    #[serde(default)]
    pub preconditions: Preconditions,
    pub actors: BTreeMap<String, Actor>,
    #[serde(default)]
    pub devices: BTreeMap<String, Device>,
    pub steps: Vec<Step>,
    #[serde(default)]
    pub expect: Expect,
    /// The app under test, when the steps drive one (`open_app`, `click`, ...).
    #[serde(default)]
    pub app: Option<AppUnderTest>,
    /// The file it came from (set by [`Scenario::parse`]).
    #[serde(skip)]
    pub path: PathBuf,
}

fn default_seed() -> u64 {
    20261123
}

/// A user of the app: identified at the IdP by email or phone.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

impl Actor {
    /// What the user types as the identifier, and where their OTP goes.
    pub fn identifier(&self) -> Option<&str> {
        self.email.as_deref().or(self.phone.as_deref())
    }
}

/// A device with a virtual authenticator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    #[serde(default)]
    pub kind: DeviceKind,
    /// Seed of the authenticator's RNG (keys and credential ids).
    #[serde(default)]
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceKind {
    /// A phone or laptop with a platform passkey provider (biometrics).
    #[default]
    Platform,
    /// A FIDO2 USB security key.
    SecurityKey,
    /// A desktop without a platform authenticator: only the QR code will do.
    NoPlatformAuthenticator,
}

impl Device {
    pub fn config(&self) -> AuthenticatorConfig {
        match self.kind {
            DeviceKind::Platform => AuthenticatorConfig::platform_passkey(),
            DeviceKind::SecurityKey => AuthenticatorConfig::security_key(),
            DeviceKind::NoPlatformAuthenticator => AuthenticatorConfig {
                attachment: Attachment::CrossPlatform,
                uv_capable: false,
                ..AuthenticatorConfig::platform_passkey()
            },
        }
    }
}

/// An app under test: served by the harness from a directory (or a team's own dev server,
/// `harness run --app-url`), signing in through the emulator's hosted UI.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppUnderTest {
    /// The directory the harness serves, relative to the scenario file (a single-page app's
    /// build).
    pub dir: PathBuf,
    /// Where the harness writes Amplify JS v6's config for the app (a path under the app's
    /// origin, e.g. `amplify-config.json`), with a new app client of the pool registered for
    /// the app's origin and federated to Mosaic. Amplify builds `https://` hosted-UI URLs, so
    /// such a scenario needs an HTTPS run (`harness run --tls`).
    #[serde(default)]
    pub amplify_config: Option<String>,
}

/// The world before the first step.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preconditions {
    /// The pool's PreSignUp Lambda: a Node.js handler file, or a Python one (`.py`, its
    /// `handler` or `lambda_handler` function), relative to the scenario file.
    #[serde(default)]
    pub pre_sign_up_lambda: Option<PathBuf>,
    /// Native Cognito users (confirmed, with a password) created through the API.
    #[serde(default)]
    pub native_users: Vec<NativeUser>,
    /// Passwordless first factors the pool allows besides PASSWORD (`WEB_AUTHN`,
    /// `EMAIL_OTP`, `SMS_OTP`): the pool's `Policies.SignInPolicy`, set through the API.
    #[serde(default)]
    pub first_factors: Vec<String>,
    /// Injected faults, as `POST /_emulator/faults` takes them (`{ fault = "idp_endpoint",
    /// endpoint = "userinfo", status = 503 }`), set before the first step.
    #[serde(default)]
    pub faults: Vec<serde_json::Value>,
    /// Changes to the emulator's config (the default, or `harness run --config`'s) before it
    /// starts: a scenario that reproduces a mistaken set-up.
    #[serde(default)]
    pub config_edits: Vec<ConfigEdit>,
    /// The actions the PreSignUp Lambda's execution role allows (`[lambda_permissions]`);
    /// absent: all.
    #[serde(default)]
    pub lambda_permissions: Option<Vec<String>>,
}

/// One change to the config's TOML document: the value at `at` (a JSON Pointer, RFC 6901,
/// over the document: `/cognito/pools/0/clients/0/callback_urls`) set, or removed.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConfigEdit {
    pub at: String,
    #[serde(default)]
    pub set: Option<toml::Value>,
    #[serde(default)]
    pub remove: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NativeUser {
    pub email: String,
    pub password: String,
}

/// One thing the user does or sees, in their words. (Variants without fields are written
/// `{}` so that a stray key, e.g. a misspelt `device`, is refused rather than ignored.)
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// The app's "Sign in" button, pressed in a new browser session on `device` (its
    /// authenticator decides whether the IdP's page offers biometrics or the QR code):
    /// Cognito's hosted login page.
    OpenLogin { actor: String, device: String },
    /// On Cognito's login page, "Continue with Mosaic" (biometrics): the IdP's login page.
    ChooseBiometrics {},
    /// Types the actor's email or phone; `next` is what the page asks for then.
    EnterIdentifier { next: NextStep },
    /// Reads the code from the outbox (email or SMS) and types it.
    ReadOtp {},
    /// Creates a passkey on the device (navigator.credentials.create).
    CreatePasskey { device: String },
    /// Signs in with the device's passkey (navigator.credentials.get).
    UsePasskey { device: String },
    /// "Use another device": the page shows a QR code, the phone scans it and runs the
    /// ceremony, the page (polling) continues.
    ContinueOnPhone { device: String },
    /// Time passes (the emulator's manual clock).
    Wait { seconds: i64 },
    /// The app's callback receives an error (`error_description` contains `description`).
    ExpectError { error: String, description: String },
    /// The app's callback receives a code, exchanged for Cognito tokens.
    ExpectTokens {},
    /// On Cognito's own login page: the actor's email and password (a native user of the
    /// preconditions), "Sign in".
    SignInWithPassword {},
    /// On Cognito's page offering a passkey after a sign-in: "Add a passkey", created on the
    /// device.
    AddPasskey { device: String },
    /// On that page: "Not now".
    SkipPasskey {},
    /// On Cognito's login page: the email, "Sign in with a passkey", the device's passkey.
    SignInWithPasskey { device: String },
    /// On Cognito's login page: the email, "Email me a sign-in code", the code from the
    /// outbox.
    SignInWithEmailCode {},
    /// The app under test opened by `actor` in a new browser session on `device`.
    OpenApp { actor: String, device: String },
    /// Clicks the element with this visible text (a button or link), the field with this
    /// label, or the element this CSS selector finds: exactly one of them.
    Click {
        #[serde(default)]
        text: Option<String>,
        #[serde(default)]
        label: Option<String>,
        #[serde(default)]
        selector: Option<String>,
    },
    /// Types `value` into the field with this label or the one this CSS selector finds.
    Fill {
        #[serde(default)]
        label: Option<String>,
        #[serde(default)]
        selector: Option<String>,
        value: String,
    },
    /// The browser's address starts with `prefix` (a path like `/` is on the app's origin).
    ExpectUrl { prefix: String },
    /// The page shows `text`.
    ExpectText { text: String },
}

impl Step {
    /// Whether the step acts on the app's page (the app's script then goes on by itself).
    pub fn sets_off_the_app(&self) -> bool {
        matches!(
            self,
            Step::OpenApp { .. } | Step::Click { .. } | Step::Fill { .. }
        )
    }

    /// Whether the step drives the app under test's page (only the browser driver can).
    pub fn drives_the_app(&self) -> bool {
        matches!(
            self,
            Step::OpenApp { .. }
                | Step::Click { .. }
                | Step::Fill { .. }
                | Step::ExpectUrl { .. }
                | Step::ExpectText { .. }
        )
    }
}

/// What the IdP's page asks for after the identifier.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NextStep {
    Otp,
    Passkey,
}

/// Checked after the last step.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Claims of the last ID token: a value, or a string ending in `*` (prefix match).
    #[serde(default)]
    pub id_token: BTreeMap<String, toml::Value>,
    /// The ID token's `sub` is the native user's with this email.
    #[serde(default)]
    pub signed_in_as_native: Option<String>,
    /// Users in the pool.
    #[serde(default)]
    pub pool_users: Option<usize>,
    /// Journal events (by name) that occurred, with how many times.
    #[serde(default)]
    pub events: BTreeMap<String, usize>,
    /// The ids of what `emulator doctor` finds in the run (the config and handler files it
    /// started with, and the journal), exactly: checked whether the steps passed or not.
    #[serde(default)]
    pub doctor: Option<Vec<String>>,
}

impl Scenario {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text, path)
    }

    /// Parse and check a scenario's text; `origin` is the file it came from (relative paths
    /// in it are resolved from there, and errors name it).
    pub fn parse(text: &str, origin: &Path) -> anyhow::Result<Self> {
        let mut s: Scenario =
            toml::from_str(text).with_context(|| format!("in {}", origin.display()))?;
        s.path = origin.to_owned();
        s.check()
            .with_context(|| format!("in {}", origin.display()))?;
        Ok(s)
    }

    fn check(&self) -> anyhow::Result<()> {
        for (i, e) in self.preconditions.config_edits.iter().enumerate() {
            if e.set.is_some() == e.remove || !e.at.starts_with('/') {
                bail!(
                    "config edit {}: `at` is a JSON Pointer (/a/0/b) with either `set` or `remove = true`",
                    i + 1
                );
            }
        }
        let p = &self.preconditions;
        if p.lambda_permissions.is_some() && p.pre_sign_up_lambda.is_none() {
            bail!("lambda_permissions is the role of the pre_sign_up_lambda, which is not set");
        }
        if let Some(ids) = &self.expect.doctor
            && let Some(id) = ids
                .iter()
                .find(|id| emulator::doctor::mistake(id).is_none())
        {
            bail!("expect.doctor: {id} is not in the doctor's catalogue");
        }
        for (name, a) in &self.actors {
            if a.identifier().is_none() {
                bail!("actor {name} has neither email nor phone");
            }
        }
        for (i, step) in self.steps.iter().enumerate() {
            let (actor, device) = match step {
                Step::OpenLogin { actor, device } | Step::OpenApp { actor, device } => {
                    (Some(actor), Some(device))
                }
                Step::CreatePasskey { device }
                | Step::UsePasskey { device }
                | Step::ContinueOnPhone { device }
                | Step::AddPasskey { device }
                | Step::SignInWithPasskey { device } => (None, Some(device)),
                _ => (None, None),
            };
            if let Some(a) = actor.filter(|a| !self.actors.contains_key(*a)) {
                bail!("step {}: unknown actor {a}", i + 1);
            }
            if let Some(d) = device.filter(|d| !self.devices.contains_key(*d)) {
                bail!("step {}: unknown device {d}", i + 1);
            }
            match step {
                Step::Click {
                    text,
                    label,
                    selector,
                } if [text, label, selector]
                    .iter()
                    .filter(|t| t.is_some())
                    .count()
                    != 1 =>
                {
                    bail!("step {}: click needs one of text, label or selector", i + 1)
                }
                Step::Fill {
                    label, selector, ..
                } if label.is_some() == selector.is_some() => {
                    bail!("step {}: fill needs one of label or selector", i + 1)
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The app under test's directory as an absolute path (relative to the scenario file).
    pub fn app_dir(&self) -> Option<PathBuf> {
        let dir = &self.app.as_ref()?.dir;
        let joined = self.path.parent().unwrap_or(Path::new(".")).join(dir);
        Some(std::path::absolute(&joined).unwrap_or(joined))
    }

    /// The PreSignUp handler as an absolute path (relative paths are from the scenario file).
    pub fn lambda_path(&self) -> Option<PathBuf> {
        let rel = self.preconditions.pre_sign_up_lambda.as_ref()?;
        let base = self.path.parent().unwrap_or(Path::new("."));
        let joined = base.join(rel);
        Some(std::path::absolute(&joined).unwrap_or(joined))
    }
}

impl Step {
    /// The step as the transcript names it.
    pub fn title(&self) -> String {
        match self {
            Step::OpenLogin { actor, device } => {
                format!("{actor} opens the app's login on the {device}")
            }
            Step::ChooseBiometrics {} => "chooses biometrics (Continue with Mosaic)".into(),
            Step::EnterIdentifier { .. } => "enters the identifier".into(),
            Step::ReadOtp {} => "reads the OTP and types it".into(),
            Step::CreatePasskey { device } => format!("creates a passkey on the {device}"),
            Step::UsePasskey { device } => format!("signs in with the {device}'s passkey"),
            Step::ContinueOnPhone { device } => {
                format!("continues on the {device} with the QR code")
            }
            Step::Wait { seconds } => format!("waits {seconds} s"),
            Step::ExpectError { error, .. } => format!("the app receives error {error}"),
            Step::ExpectTokens {} => "the app receives tokens".into(),
            Step::SignInWithPassword {} => "signs in to the pool with a password".into(),
            Step::AddPasskey { device } => format!("adds a passkey to the pool on the {device}"),
            Step::SkipPasskey {} => "declines to add a passkey".into(),
            Step::SignInWithPasskey { device } => {
                format!("signs in to the pool with the {device}'s passkey")
            }
            Step::SignInWithEmailCode {} => "signs in to the pool with an emailed code".into(),
            Step::OpenApp { actor, device } => format!("{actor} opens the app on the {device}"),
            Step::Click {
                text,
                label,
                selector,
            } => {
                let what = text.as_ref().or(label.as_ref()).or(selector.as_ref());
                format!("clicks \"{}\"", what.map_or("", String::as_str))
            }
            Step::Fill {
                label,
                selector,
                value,
            } => {
                let what = label.as_ref().or(selector.as_ref());
                format!("types {value} into \"{}\"", what.map_or("", String::as_str))
            }
            Step::ExpectUrl { prefix } => format!("the browser is at {prefix}"),
            Step::ExpectText { text } => format!("the page shows \"{text}\""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<Scenario> {
        Scenario::parse(text, Path::new("test.toml"))
    }

    const BASE: &str = "name = \"n\"\ndescription = \"d\"\n[actors.a]\nemail = \"a@example.com\"\n\
                        [devices.phone]\n";

    fn check(steps: &str, expect: Result<usize, &str>) {
        let r = parse(&format!("{BASE}{steps}"));
        match (r, expect) {
            (Ok(s), Ok(n)) => assert_eq!(s.steps.len(), n),
            (Err(e), Err(want)) => {
                let got = format!("{e:#}");
                assert!(got.contains(want), "{got}");
            }
            (r, want) => panic!("{steps}: {:?} vs {want:?}", r.map(|s| s.steps)),
        }
    }

    #[test]
    fn steps_are_checked() {
        check(
            "[[steps]]\ndo = \"open_login\"\nactor = \"a\"\ndevice = \"phone\"\n[[steps]]\ndo = \"choose_biometrics\"",
            Ok(2),
        );
        check(
            "[[steps]]\ndo = \"open_login\"\nactor = \"b\"\ndevice = \"phone\"",
            Err("step 1: unknown actor b"),
        );
        check(
            "[[steps]]\ndo = \"open_login\"\nactor = \"a\"",
            Err("missing field `device`"),
        );
        check(
            "[[steps]]\ndo = \"use_passkey\"\ndevice = \"key\"",
            Err("unknown device key"),
        );
        check("[[steps]]\ndo = \"fly\"", Err("unknown variant `fly`"));
        check(
            "[[steps]]\ndo = \"read_otp\"\nfast = true",
            Err("unknown field `fast`"),
        );
        check(
            "[[steps]]\ndo = \"enter_identifier\"\nnext = \"sms\"",
            Err("unknown variant `sms`"),
        );
        check("[[steps]]\ndo = \"wait\"", Err("missing field `seconds`"));
        check(
            "[[steps]]\ndo = \"open_app\"\nactor = \"a\"\ndevice = \"phone\"\n\
             [[steps]]\ndo = \"click\"\ntext = \"Sign in\"\n\
             [[steps]]\ndo = \"fill\"\nlabel = \"Email\"\nvalue = \"a@example.com\"\n\
             [[steps]]\ndo = \"expect_text\"\ntext = \"Hello\"",
            Ok(4),
        );
        check(
            "[[steps]]\ndo = \"click\"\ntext = \"Go\"\nselector = \"#go\"",
            Err("step 1: click needs one of text, label or selector"),
        );
        check(
            "[[steps]]\ndo = \"fill\"\nvalue = \"x\"",
            Err("step 1: fill needs one of label or selector"),
        );
    }

    #[test]
    fn actors_need_an_identifier_and_devices_a_known_kind() {
        let no_id = "name = \"n\"\ndescription = \"d\"\nsteps = []\n[actors.a]\n";
        assert!(format!("{:#}", parse(no_id).unwrap_err()).contains("neither email nor phone"));
        let bad_kind = format!("steps = []\n{BASE}kind = \"watch\"");
        assert!(parse(&bad_kind).is_err());
        let d = Device {
            kind: DeviceKind::NoPlatformAuthenticator,
            seed: 0,
        };
        assert_eq!(d.config().attachment, Attachment::CrossPlatform);
        assert!(!d.config().uv_capable);
    }

    #[test]
    fn lambda_paths_are_relative_to_the_scenario_file() {
        let mut s = parse(&format!("steps = []\n{BASE}")).unwrap();
        assert_eq!(s.lambda_path(), None);
        s.path = PathBuf::from("/x/scenarios/s.toml");
        s.preconditions.pre_sign_up_lambda = Some("../fixtures/lambda/l.js".into());
        assert_eq!(
            s.lambda_path(),
            Some(PathBuf::from("/x/scenarios/../fixtures/lambda/l.js"))
        );
    }
}
