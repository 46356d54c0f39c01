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

/// The world before the first step.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preconditions {
    /// The pool's PreSignUp Lambda: a Node.js handler file, relative to the scenario file.
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
        for (name, a) in &self.actors {
            if a.identifier().is_none() {
                bail!("actor {name} has neither email nor phone");
            }
        }
        for (i, step) in self.steps.iter().enumerate() {
            let (actor, device) = match step {
                Step::OpenLogin { actor, device } => (Some(actor), Some(device)),
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
        }
        Ok(())
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
