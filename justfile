# Tasks for the Cognito + passwordless IdP emulator. `just --list` shows them.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Start the emulator with its embedded default config (state in ./.emulator-data).
up *ARGS:
    cargo run -p emulator -- {{ARGS}}

# Install what the tests need besides Rust crates: the AWS SDKs for the Lambda fixtures.
setup:
    npm ci --prefix fixtures/lambda --no-audit --no-fund

# Formatting and lints, as CI checks them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Everything: setup, lints, and every test of the workspace.
test: setup lint
    cargo nextest run --workspace --no-fail-fast

# Criterion benchmarks (ceremony verification, the Cognito API). See BENCHMARKS.md.
bench *ARGS:
    cargo bench -p benches {{ARGS}}

# What CI runs (.ci/run): the full test suite.
ci: test
