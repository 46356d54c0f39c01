#!/usr/bin/env python3
"""Writes a seed corpus for the `responses` fuzz target into corpus/responses/ from the
committed fixtures (W3C vectors, Chromium captures). The first byte of each seed is the mode
the target reads (see fuzz_targets/responses.rs)."""
import base64
import json
from pathlib import Path

HERE = Path(__file__).parent
FIXTURES = HERE.parent.parent.parent / "fixtures" / "webauthn"
OUT = HERE / "corpus" / "responses"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def write(name: str, mode: int, payload: bytes):
    (OUT / name).write_bytes(bytes([mode]) + payload)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for path in sorted((FIXTURES / "w3c").glob("*.json")):
        vector = json.loads(path.read_text())
        reg, auth = vector.get("registration", {}), vector.get("authentication", {})
        if "attestation_object" in reg:
            write(f"{path.stem}-att", 2, bytes.fromhex(reg["attestation_object"]))
            cid = b64(bytes.fromhex(reg.get("credential_id", "")))
            response = {"id": cid, "rawId": cid, "type": "public-key", "response": {
                "clientDataJSON": b64(bytes.fromhex(reg["client_data_json"])),
                "attestationObject": b64(bytes.fromhex(reg["attestation_object"]))}}
            write(f"{path.stem}-reg", 0, json.dumps(response).encode())
        if "authenticator_data" in auth:
            write(f"{path.stem}-authdata", 3, bytes.fromhex(auth["authenticator_data"]))
    for folder in sorted((FIXTURES / "chromium").iterdir()):
        if not folder.is_dir():
            continue
        reg = (folder / "registration-response.json").read_bytes()
        auth = (folder / "authentication-response.json").read_bytes()
        write(f"chromium-{folder.name}-reg", 0, reg)
        write(f"chromium-{folder.name}-auth", 1, auth)
        att = unb64(json.loads(reg)["response"]["attestationObject"])
        write(f"chromium-{folder.name}-att", 2, att)
        data = unb64(json.loads(auth)["response"]["authenticatorData"])
        write(f"chromium-{folder.name}-authdata", 3, data)
    print(f"{len(list(OUT.iterdir()))} seeds in {OUT}")


if __name__ == "__main__":
    main()
