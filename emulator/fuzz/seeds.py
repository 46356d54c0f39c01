#!/usr/bin/env python3
"""Writes the seed corpora into seeds/<target>/ and the JSON API's dictionary, api.dict.

Sources: the filters of emulator/src/cognito/filter.rs's tests and of the integration tests;
one body per operation, built from its input type in emulator/src/cognito/api/*.rs (every
member, with values for the default config's pool, client and users), plus the bodies the
tests and the SDKs send for sign-in, sign-up and ListUsers; the OAuth/OIDC requests the
hosted UI, the apps and Cognito's federation make against the default config; the
fixtures' config and the scenario files; pagination tokens, federation states and access
token claims. The first byte of an `api`, `oauth` or `tokens` seed is the mode the target
reads (see fuzz_targets/*.rs); `@access`, `@refresh`, `@secret-block`,
`@new-password-session` and `@user` are placeholders the targets replace by live values
(fuzz_targets/common/mod.rs). The seeds are committed; rerun this when the API changes."""
import base64
import json
import re
import shutil
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
API = ROOT / "emulator" / "src" / "cognito" / "api"
SEEDS = HERE / "seeds"

POOL = "us-east-1_Mosaic001"
CLIENT = "1example23456789abcdefghij"
USER = "guide@example.com"
PASSWORD = "Passw0rd!"
CALLBACK = "http://localhost:3000/callback"
ISSUER = f"http://localhost:9229/{POOL}"
IDP_CLIENT = "mosaic-demo-client"
IDP_SECRET = "mosaic-demo-secret"
IDP_REDIRECT = "http://localhost:9229/oauth2/idpresponse"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 appendix B
VERIFIER = "dBjftJeZ4CVP-mJ92IXCUICH44-Ex9xJ_oNwYVJbabo"
# A JWT of the right shape (header {"alg":"RS256","kid":"k"}, claims of an access token);
# its signature is not the pool's.
JWT = ".".join(
    base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
    for part in (
        {"alg": "RS256", "kid": "k"},
        {"sub": "s", "iss": ISSUER, "token_use": "access", "client_id": CLIENT,
         "username": USER, "exp": 1_700_003_600, "origin_jti": "o"},
        "sig",
    )
)


def write(target: str, name: str, payload: bytes, mode: int | None = None):
    folder = SEEDS / target
    folder.mkdir(parents=True, exist_ok=True)
    data = payload if mode is None else bytes([mode]) + payload
    (folder / name).write_bytes(data)


# --- filter -------------------------------------------------------------------------------

def filters():
    found = set()
    text = (ROOT / "emulator" / "src" / "cognito" / "filter.rs").read_text()
    for m in re.finditer(r'\(r#"(.*?)"#,', text):
        found.add(m.group(1))
    for m in re.finditer(r'^\s*r#"(.*?)"#,', text, re.M):
        found.add(m.group(1))
    for path in sorted((ROOT / "emulator" / "tests").glob("*.rs")):
        for m in re.finditer(r'"((?:[a-z_:]+) \^?= \\"[^"\\]*\\")"', path.read_text()):
            found.add(m.group(1).replace('\\"', '"'))
    found |= {"", "   ", 'email = "{}"'.format("a" * 250), "custom:foo = \"x\""}
    for i, f in enumerate(sorted(found)):
        write("filter", f"filter-{i:03}", f.encode())


# --- api ----------------------------------------------------------------------------------

def operations():
    """`Operation::ALL` in order: the macro table's sync block, then its async block."""
    text = (API / "mod.rs").read_text()
    table = text[text.index("operations! {"):]
    return re.findall(r"^\s*(\w+) => (\w+)::(\w+),", table, re.M)


def structs():
    """Every input struct of the api modules: name -> [(wire name, type, flatten)]."""
    out = {}
    for path in sorted(API.glob("*.rs")):
        text = path.read_text()
        for m in re.finditer(r"((?:#\[[^\n]*\]\n)*)pub struct (\w+) \{(.*?)\n\}", text, re.S):
            pascal = "PascalCase" in m.group(1)
            members = []
            for fm in re.finditer(r"((?:\s*#\[[^\n]*\]\n)*)\s*(?:pub )?(\w+): ([^\n]+),", m.group(3)):
                attrs, name, ty = fm.groups()
                rename = re.search(r'rename = "(\w+)"', attrs)
                wire = rename.group(1) if rename else (
                    "".join(p[:1].upper() + p[1:] for p in name.split("_")) if pascal else name)
                members.append((wire, ty.strip(), "flatten" in attrs))
            out[(path.stem, m.group(2))] = members
    return out


def input_type(module: str, func: str):
    text = (API / f"{module}.rs").read_text()
    m = re.search(rf"pub (?:async )?fn {func}\(\s*cx: &Cognito,\s*input: (\w+)", text)
    return m.group(1) if m else None


NAMED = {
    "UserPoolId": POOL, "ClientId": CLIENT, "Username": USER, "Password": PASSWORD,
    "ProposedPassword": "Passw0rd!2", "PreviousPassword": PASSWORD,
    "TemporaryPassword": "Temp0rary!", "AccessToken": "@access", "Session": "session",
    "ConfirmationCode": "123456", "Code": "123456", "UserCode": "123456",
    "AttributeName": "email", "GroupName": "admins", "ProviderName": "Mosaic",
    "ProviderType": "OIDC", "Identifier": "https://api.example.com", "Name": "fuzz",
    "PoolName": "fuzz-pool", "ClientName": "fuzz-client", "Domain": "fuzz-domain",
    "DeviceKey": "us-east-1_0123abcd-0123-4567-89ab-0123456789ab", "DeviceName": "phone",
    "DeviceRememberedStatus": "remembered", "CredentialId": "AAAA", "Filter": 'email ^= "g"',
    "AuthFlow": "USER_PASSWORD_AUTH", "ChallengeName": "NEW_PASSWORD_REQUIRED",
    "MessageAction": "SUPPRESS", "Token": "@refresh", "RefreshToken": "@refresh",
    "FriendlyDeviceName": "phone", "SecretHash": "c2VjcmV0", "NextToken": "YWZ0ZXI6MQ",
    "PaginationToken": "YWZ0ZXI6MQ",
}


def value(wire: str, ty: str, types):
    if wire in NAMED and ty in ("String", "Option<String>"):
        return NAMED[wire]
    inner = re.fullmatch(r"Option<(.*)>", ty)
    if inner:
        return value(wire, inner.group(1), types)
    if ty == "String":
        return "x"
    if ty in ("i64", "i32", "u32", "usize"):
        return 10
    if ty == "bool":
        return True
    if ty == "Vec<AttributeIn>":
        return [{"Name": "email", "Value": USER}, {"Name": "email_verified", "Value": "true"}]
    if ty == "Vec<String>":
        return ["email"]
    if ty.startswith("HashMap<"):
        return {"USERNAME": USER, "PASSWORD": PASSWORD}
    if ty == "Setting":
        return {"Enabled": True, "PreferredMfa": False}
    if ty == "ProviderUser":
        return {"ProviderName": "Mosaic", "ProviderAttributeName": "Cognito_Subject",
                "ProviderAttributeValue": "sub-1"}
    for (_, name), members in types.items():
        if name == ty:
            return {w: value(w, t, types) for w, t, flat in members if not flat}
    return {}


# Bodies as the tests and the SDKs send them (besides the generated ones).
REAL = {
    "CreateUserPool": [
        {"PoolName": "p", "UsernameAttributes": ["email"], "AutoVerifiedAttributes": ["email"],
         "Policies": {"PasswordPolicy": {"MinimumLength": 8, "RequireNumbers": True},
                      "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}},
         "Schema": [{"Name": "tier", "AttributeDataType": "String", "Mutable": True}],
         "MfaConfiguration": "OPTIONAL", "UserPoolTier": "ESSENTIALS",
         "LambdaConfig": {"PreSignUp": "builtin:link_by_email"}},
    ],
    "UpdateUserPool": [
        {"UserPoolId": POOL, "MfaConfiguration": "OFF", "AutoVerifiedAttributes": ["email"],
         "Policies": {"PasswordPolicy": {"MinimumLength": 6}}},
    ],
    "CreateUserPoolClient": [
        {"UserPoolId": POOL, "ClientName": "c", "GenerateSecret": True,
         "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
         "AllowedOAuthFlows": ["code", "client_credentials"], "AllowedOAuthFlowsUserPoolClient": True,
         "AllowedOAuthScopes": ["openid", "email"], "CallbackURLs": [CALLBACK],
         "LogoutURLs": ["http://localhost:3000/"], "SupportedIdentityProviders": ["COGNITO", "Mosaic"],
         "RefreshTokenValidity": 30, "TokenValidityUnits": {"RefreshToken": "days"}},
    ],
    "CreateIdentityProvider": [
        {"UserPoolId": POOL, "ProviderName": "Other", "ProviderType": "OIDC",
         "ProviderDetails": {"client_id": "c", "client_secret": "s", "authorize_scopes": "openid",
                             "attributes_request_method": "GET", "oidc_issuer": "https://issuer.example"},
         "AttributeMapping": {"email": "email"}, "IdpIdentifiers": ["example.com"]},
    ],
    "CreateResourceServer": [
        {"UserPoolId": POOL, "Identifier": "https://api.example.com", "Name": "api",
         "Scopes": [{"ScopeName": "read", "ScopeDescription": "read"}]},
    ],
    "AdminCreateUser": [
        {"UserPoolId": POOL, "Username": USER, "MessageAction": "SUPPRESS",
         "UserAttributes": [{"Name": "email", "Value": USER}, {"Name": "email_verified", "Value": "true"}]},
        {"UserPoolId": POOL, "Username": "x@example.com",
         "UserAttributes": [{"Name": "favourite_colour", "Value": "red"}]},
        {"UserPoolId": POOL, "Username": USER, "TemporaryPassword": "Temp0rary!",
         "DesiredDeliveryMediums": ["EMAIL"]},
    ],
    "SignUp": [
        {"ClientId": CLIENT, "Username": "new@example.com", "Password": PASSWORD,
         "UserAttributes": [{"Name": "email", "Value": "new@example.com"}],
         "ClientMetadata": {"k": "v"}},
    ],
    "ListUsers": [
        {"UserPoolId": POOL},
        {"UserPoolId": POOL, "Filter": f'email = "{USER}"', "Limit": 60,
         "AttributesToGet": ["email"]},
        {"UserPoolId": POOL, "Filter": 'cognito:user_status = "CONFIRMED"', "Limit": 1,
         "PaginationToken": "YWZ0ZXI6MQ"},
        {"UserPoolId": POOL, "Filter": 'status ^= "Enab"'},
    ],
    "AdminListGroupsForUser": [
        {"UserPoolId": POOL, "Username": USER, "NextToken": "YWZ0ZXI6LTE"},
    ],
    "InitiateAuth": [
        {"ClientId": CLIENT, "AuthFlow": "USER_PASSWORD_AUTH",
         "AuthParameters": {"USERNAME": USER, "PASSWORD": PASSWORD}},
        {"ClientId": CLIENT, "AuthFlow": "USER_SRP_AUTH",
         "AuthParameters": {"USERNAME": USER, "SRP_A": "0" * 767 + "2"}},
        {"ClientId": CLIENT, "AuthFlow": "REFRESH_TOKEN_AUTH",
         "AuthParameters": {"REFRESH_TOKEN": "@refresh"}},
        {"ClientId": CLIENT, "AuthFlow": "CUSTOM_AUTH", "AuthParameters": {"USERNAME": USER}},
        {"ClientId": CLIENT, "AuthFlow": "USER_AUTH",
         "AuthParameters": {"USERNAME": USER, "PREFERRED_CHALLENGE": "EMAIL_OTP"}},
    ],
    "AdminInitiateAuth": [
        {"UserPoolId": POOL, "ClientId": CLIENT, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
         "AuthParameters": {"USERNAME": USER, "PASSWORD": PASSWORD}},
    ],
    "RespondToAuthChallenge": [
        {"ClientId": CLIENT, "ChallengeName": "NEW_PASSWORD_REQUIRED",
         "Session": "@new-password-session",
         "ChallengeResponses": {"USERNAME": "@user", "NEW_PASSWORD": "Passw0rd!2",
                                "userAttributes.name": "n"}},
        {"ClientId": CLIENT, "ChallengeName": "PASSWORD_VERIFIER",
         "ChallengeResponses": {"USERNAME": "@user", "PASSWORD_CLAIM_SECRET_BLOCK": "@secret-block",
                                "PASSWORD_CLAIM_SIGNATURE": "AAAA",
                                "TIMESTAMP": "Tue Nov 14 22:13:20 UTC 2023"}},
        {"ClientId": CLIENT, "ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": "session",
         "ChallengeResponses": {"USERNAME": USER, "SOFTWARE_TOKEN_MFA_CODE": "123456"}},
        {"ClientId": CLIENT, "ChallengeName": "SELECT_CHALLENGE", "Session": "session",
         "ChallengeResponses": {"USERNAME": USER, "ANSWER": "WEB_AUTHN"}},
    ],
    "GetUser": [{"AccessToken": JWT}],
    "AdminGetUser": [{"UserPoolId": POOL, "Username": "@user"}],
    "GetTokensFromRefreshToken": [{"ClientId": CLIENT, "RefreshToken": "@refresh"}],
    "AdminRespondToAuthChallenge": [
        {"UserPoolId": POOL, "ClientId": CLIENT, "ChallengeName": "NEW_PASSWORD_REQUIRED",
         "Session": "@new-password-session",
         "ChallengeResponses": {"USERNAME": "@user", "NEW_PASSWORD": "Passw0rd!2"}},
    ],
    "SetUserPoolMfaConfig": [
        {"UserPoolId": POOL, "MfaConfiguration": "OPTIONAL",
         "SoftwareTokenMfaConfiguration": {"Enabled": True},
         "EmailMfaConfiguration": {"Message": "{####}", "Subject": "code"},
         "WebAuthnConfiguration": {"RelyingPartyId": "localhost", "UserVerification": "preferred"}},
    ],
    "CompleteWebAuthnRegistration": [
        {"AccessToken": JWT, "Credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key",
                                             "response": {"clientDataJSON": "e30",
                                                          "attestationObject": "oA"}}},
    ],
}


def api():
    ops = operations()
    types = structs()
    names = set()
    for index, (op, module, func) in enumerate(ops):
        ty = input_type(module, func)
        members = types.get((module, ty), [])
        full = {w: value(w, t, types) for w, t, flat in members if not flat}
        required = {w: v for (w, t, flat), v in zip(
            [m for m in members if not m[2]], full.values()) if not t.startswith("Option<")}
        names |= {w for w, _, _ in members}
        bodies = [required, full] + REAL.get(op, [])
        seen = []
        for body in bodies:
            if body not in seen:
                seen.append(body)
        for i, body in enumerate(seen):
            write("api", f"{op}-{i}", json.dumps(body).encode(), index)
    for body in REAL.values():
        for b in body:
            names |= set(b)
    # A dictionary of member names and values the decoder and validation look for.
    words = sorted(names) + ["USERNAME", "PASSWORD", "SRP_A", "SECRET_HASH", "NEW_PASSWORD",
                             "REFRESH_TOKEN", "DEVICE_KEY", "ANSWER", "EMAIL_OTP", "SMS_OTP",
                             "WEB_AUTHN", "PASSWORD_VERIFIER", "USER_SRP_AUTH", "USER_AUTH",
                             "CUSTOM_AUTH", POOL, CLIENT, "@access", "@refresh", "@secret-block",
                             "@new-password-session", "@user"]
    lines = [f'"{w}"' for w in dict.fromkeys(words) if '"' not in w and "\\" not in w]
    (HERE / "api.dict").write_text("# Generated by seeds.py: member names and values.\n"
                                   + "\n".join(lines) + "\n")


# --- oauth --------------------------------------------------------------------------------

# Endpoint indices in fuzz_targets/oauth.rs's ENDPOINTS.
AUTHORIZE, TOKEN, IDPRESPONSE_GET, IDPRESPONSE_POST, LOGOUT, LOGIN_GET, LOGIN_POST = range(7)
CHALLENGE_POST, PASSKEY_POST, USERINFO, REVOKE = range(7, 11)
IDP_AUTH_GET, IDP_AUTH_POST, IDP_TOKEN, IDP_ME, IDP_END, IDP_REVOKE = range(11, 17)


def basic(user: str, secret: str) -> bytes:
    return b"Basic " + base64.b64encode(f"{user}:{secret}".encode())


def oauth():
    authorize = (f"client_id={CLIENT}&redirect_uri={CALLBACK}&response_type=code"
                 f"&scope=openid+email&state=st&nonce=n")
    pkce = f"&code_challenge={CHALLENGE}&code_challenge_method=S256"
    state = (base64.urlsafe_b64encode(f"{POOL}\nflow".encode()).rstrip(b"=").decode()
             + ".AAAA")
    idp_auth = (f"client_id={IDP_CLIENT}&redirect_uri={IDP_REDIRECT}&response_type=code"
                f"&scope=openid%20email&state={state}&nonce=n")
    seeds = [
        (AUTHORIZE, authorize.encode()),
        (AUTHORIZE, (authorize + pkce + "&identity_provider=Mosaic").encode()),
        (AUTHORIZE, (authorize + "&identity_provider=COGNITO").encode() + b"\0cognito=s"),
        (AUTHORIZE, (authorize + "&idp_identifier=example.com").encode()),
        (AUTHORIZE, f"client_id={CLIENT}&redirect_uri={CALLBACK}&response_type=token&scope=aws.cognito.signin.user.admin".encode()),
        (TOKEN, f"grant_type=authorization_code&client_id={CLIENT}&code=c&redirect_uri={CALLBACK}&code_verifier={VERIFIER}".encode()),
        (TOKEN, f"grant_type=refresh_token&client_id={CLIENT}&refresh_token=r".encode()),
        (TOKEN, f"grant_type=refresh_token&client_id={CLIENT}&refresh_token=@refresh&scope=openid".encode()),
        (TOKEN, b"grant_type=client_credentials&scope=https://api.example.com/read\0" + basic(CLIENT, "s")),
        (IDPRESPONSE_GET, f"code=c&state={state}".encode()),
        (IDPRESPONSE_GET, f"error=access_denied&error_description=no&state={state}".encode()),
        (IDPRESPONSE_POST, f"code=c&state={state}".encode()),
        (LOGOUT, f"client_id={CLIENT}&logout_uri=http://localhost:3000/".encode() + b"\0cognito=s"),
        (LOGOUT, f"client_id={CLIENT}&redirect_uri={CALLBACK}&response_type=code".encode()),
        (LOGIN_GET, (authorize + pkce).encode()),
        (LOGIN_POST, f"_csrf=fuzz&username={USER}&password={PASSWORD}&flow=f".encode() + b"\0" + authorize.encode()),
        (LOGIN_POST, f"_csrf=fuzz&username={USER}&factor=EMAIL_OTP".encode() + b"\0" + authorize.encode()),
        (CHALLENGE_POST, f"_csrf=fuzz&challenge=EMAIL_OTP&session=s&username={USER}&code=123456".encode() + b"\0" + authorize.encode()),
        (CHALLENGE_POST, b"_csrf=fuzz&challenge=NEW_PASSWORD_REQUIRED&session=s&new_password=Passw0rd!2\0" + authorize.encode()),
        (PASSKEY_POST, b"_csrf=fuzz&offer=o&credential={}\0" + authorize.encode()),
        (USERINFO, ("Bearer " + JWT).encode()),
        (USERINFO, b"Bearer @access"),
        (REVOKE, f"token=r&client_id={CLIENT}".encode()),
        (REVOKE, f"token=@refresh&client_id={CLIENT}".encode()),
        (IDP_AUTH_GET, idp_auth.encode()),
        (IDP_AUTH_GET, (idp_auth + pkce + "&prompt=none&max_age=0&login_hint=a@example.com").encode() + b"\0idp_session=s"),
        (IDP_AUTH_POST, (idp_auth + "&prompt=login&acr_values=mfa").encode()),
        (IDP_TOKEN, f"grant_type=authorization_code&code=c&redirect_uri={IDP_REDIRECT}&client_id={IDP_CLIENT}&client_secret={IDP_SECRET}".encode()),
        (IDP_TOKEN, f"grant_type=authorization_code&code=c&redirect_uri={IDP_REDIRECT}&code_verifier={VERIFIER}".encode() + b"\0" + basic(IDP_CLIENT, IDP_SECRET)),
        (IDP_TOKEN, b"grant_type=refresh_token&refresh_token=r&scope=openid\0" + basic(IDP_CLIENT, IDP_SECRET)),
        (IDP_ME, b"Bearer token"),
        (IDP_END, f"client_id={IDP_CLIENT}&post_logout_redirect_uri={IDP_REDIRECT}&state=s&id_token_hint={JWT}".encode()),
        (IDP_REVOKE, b"token=r&token_type_hint=refresh_token\0" + basic(IDP_CLIENT, IDP_SECRET)),
    ]
    for i, (mode, payload) in enumerate(seeds):
        write("oauth", f"oauth-{i:02}", payload, mode)


# --- config, scenario, tokens -------------------------------------------------------------

def config():
    write("config", "emulator.toml", (ROOT / "fixtures" / "emulator.toml").read_bytes())
    lambda_text = (ROOT / "fixtures" / "emulator.toml").read_text().replace(
        "# [lambda_functions]", "[lambda_functions]").replace(
        '# "arn:aws:lambda', '"arn:aws:lambda').replace(
        "# lambda = {", "lambda = {")
    write("config", "emulator-lambda.toml", lambda_text.encode())
    write("config", "minimal.toml", b'[cognito]\n[[cognito.pools]]\nid = "us-east-1_A"\nname = "a"\n')


def scenario():
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        write("scenario", path.name, path.read_bytes())


def tokens():
    b64 = lambda s: base64.urlsafe_b64encode(s.encode()).rstrip(b"=")
    write("tokens", "page-1", b64("after:1"), 0)
    write("tokens", "page-negative", b64("after:-1"), 0)
    write("tokens", "page-big", b64("after:9223372036854775807"), 0)
    write("tokens", "page-roundtrip", (42).to_bytes(8, "little"), 1)
    write("tokens", "state", b64(f"{POOL}\nflow") + b".AAAA", 2)
    write("tokens", "state-sign", f"{POOL}\nflow".encode(), 3)
    write("tokens", "access", JWT.encode(), 4)
    claims = {"sub": "s", "iss": ISSUER, "token_use": "access", "client_id": CLIENT,
              "username": USER, "exp": 1_700_003_600, "iat": 1_700_000_000, "origin_jti": "o"}
    write("tokens", "claims", json.dumps(claims).encode(), 5)
    write("tokens", "claims-expired", json.dumps(dict(claims, exp=1)).encode(), 5)


def main():
    shutil.rmtree(SEEDS, ignore_errors=True)
    filters()
    api()
    oauth()
    config()
    scenario()
    tokens()
    for folder in sorted(SEEDS.iterdir()):
        print(f"{len(list(folder.iterdir())):4} seeds in seeds/{folder.name}")


if __name__ == "__main__":
    main()
