# Tasks for the Cognito + passwordless IdP emulator. `just --list` shows them.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Start the emulator with its embedded default config (state in ./.emulator-data).
up *ARGS:
    cargo run -p emulator -- {{ARGS}}

# Install what the tests need besides Rust crates: the AWS SDKs for the Lambda fixtures (for
# JavaScript, and boto3 for the Python ones), PyJWT (the HTTPS recipes), the real JavaScript clients
# (amazon-cognito-identity-js, Amplify v6) and botocore's API model.
setup:
    npm ci --prefix fixtures/lambda --no-audit --no-fund
    npm ci --prefix fixtures/clients --no-audit --no-fund
    python3 -c 'import botocore' 2>/dev/null || python3 -m pip install --quiet botocore
    python3 -c 'import boto3' 2>/dev/null || python3 -m pip install --quiet boto3
    python3 -c 'import jwt' 2>/dev/null || python3 -m pip install --quiet pyjwt

# Formatting and lints, as CI checks them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Everything: setup, lints, and every test of the workspace.
test: setup lint
    cargo nextest run --workspace --no-fail-fast

# Every scenario through Chromium (the browser driver), as many at once as there are cores;
# ARGS go to `harness run` (e.g. -j 1, --junit e2e.xml). The harness is the one the test build
# makes (`cargo test --no-run` is what `just test` builds, so after it nothing compiles again;
# a `cargo run -p harness` would build other feature sets of the shared crates), with cargo's
# progress shown.
e2e *ARGS:
    cargo test --workspace --no-run
    "${CARGO_TARGET_DIR:-target}/debug/harness" run --driver browser {{ARGS}}

# Review scenario snapshots: shows changed transcripts as diffs; then `just snapshots accept|reject`.
snapshots ACTION="review":
    #!/usr/bin/env bash
    set -euo pipefail
    dir=scenarios/snapshots
    case "{{ACTION}}" in
      review)
        rm -f "$dir"/*.snap.new
        INSTA_UPDATE=new INSTA_FORCE_PASS=1 cargo nextest run -p harness --test scenarios \
          -E 'test(=scenarios)' --no-fail-fast --status-level fail
        shopt -s nullglob; new=("$dir"/*.snap.new)
        if [ ${#new[@]} -eq 0 ]; then echo "snapshots: no changes"; exit 0; fi
        for f in "${new[@]}"; do diff -u "${f%.new}" "$f" || true; done
        echo "snapshots: ${#new[@]} changed; \`just snapshots accept\` or \`just snapshots reject\`" ;;
      accept) for f in "$dir"/*.snap.new; do [ -e "$f" ] && mv "$f" "${f%.new}"; done; echo accepted ;;
      reject) rm -f "$dir"/*.snap.new; echo rejected ;;
      *) echo "just snapshots [review|accept|reject]" >&2; exit 2 ;;
    esac

# Which cognito-idp operations are implemented (botocore's model vs the emulator and what the
# JavaScript clients call); the table goes to the target directory's tmp/coverage.md.
coverage:
    cargo nextest run -p emulator --test coverage --no-fail-fast --success-output immediate

# Criterion benchmarks (ceremony verification, the Cognito API). See BENCHMARKS.md.
bench *ARGS:
    cargo bench -p benches {{ARGS}}

# What CI runs (.ci/run): the full test suite.
ci: test
