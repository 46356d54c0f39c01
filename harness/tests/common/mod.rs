//! A webauthn-rs relying party for the tests: builds options, feeds the virtual
//! authenticator's JSON back, and returns what webauthn-rs concluded.

#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use harness::authenticator::VirtualAuthenticator;
use webauthn_rs::prelude::*;

pub const RP_ID: &str = "example.org";
pub const ORIGIN: &str = "https://example.org";

pub fn user_id(name: &str) -> Uuid {
    let mut bytes = [0u8; 16];
    for (i, b) in name.bytes().enumerate().take(16) {
        bytes[i] = b;
    }
    Uuid::from_bytes(bytes)
}

/// PEM of a DER certificate.
pub fn pem(der: &[u8]) -> String {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

pub struct Rp {
    pub wa: Webauthn,
}

impl Rp {
    pub fn new() -> Self {
        Self::at(RP_ID, ORIGIN)
    }

    pub fn at(rp_id: &str, origin: &str) -> Self {
        let origin = Url::parse(origin).unwrap();
        let wa = WebauthnBuilder::new(rp_id, &origin)
            .unwrap()
            .allow_subdomains(true)
            .rp_name("Example")
            .build()
            .unwrap();
        Self { wa }
    }

    pub fn register_passkey(&self, device: &mut VirtualAuthenticator, name: &str) -> Passkey {
        self.try_register_passkey(device, name, ORIGIN).unwrap()
    }

    pub fn try_register_passkey(
        &self,
        device: &mut VirtualAuthenticator,
        name: &str,
        origin: &str,
    ) -> Result<Passkey, String> {
        let (ccr, state) = self
            .wa
            .start_passkey_registration(user_id(name), name, name, None)
            .unwrap();
        let response = device
            .create(&serde_json::to_string(&ccr).unwrap(), origin)
            .map_err(|e| e.to_string())?;
        let response = serde_json::from_value(response).map_err(|e| e.to_string())?;
        self.wa
            .finish_passkey_registration(&response, &state)
            .map_err(|e| format!("{e:?}"))
    }

    pub fn login(
        &self,
        device: &mut VirtualAuthenticator,
        passkey: &Passkey,
    ) -> Result<AuthenticationResult, WebauthnError> {
        self.login_at(device, passkey, ORIGIN)
    }

    pub fn login_at(
        &self,
        device: &mut VirtualAuthenticator,
        passkey: &Passkey,
        origin: &str,
    ) -> Result<AuthenticationResult, WebauthnError> {
        let (rcr, state) = self
            .wa
            .start_passkey_authentication(std::slice::from_ref(passkey))?;
        let response = device
            .get(&serde_json::to_string(&rcr).unwrap(), origin)
            .map_err(|e| panic!("get failed: {e}"))
            .unwrap();
        self.wa
            .finish_passkey_authentication(&serde_json::from_value(response).unwrap(), &state)
    }

    pub fn register_attested(
        &self,
        device: &mut VirtualAuthenticator,
        root_der: &[u8],
        aaguid: Uuid,
    ) -> Result<AttestedPasskey, WebauthnError> {
        let mut builder = AttestationCaListBuilder::new();
        builder
            .insert_device_der(root_der, aaguid, "virtual key".into(), Default::default())
            .unwrap();
        let (ccr, state) = self.wa.start_attested_passkey_registration(
            user_id("attested"),
            "attested",
            "Attested",
            None,
            builder.build(),
            None,
        )?;
        let response = device
            .create(&serde_json::to_string(&ccr).unwrap(), ORIGIN)
            .unwrap();
        self.wa.finish_attested_passkey_registration(
            &serde_json::from_value(response).unwrap(),
            &state,
        )
    }
}
