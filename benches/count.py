#!/usr/bin/env python3
"""Instruction counts per ceremony case, under valgrind's callgrind (repeatable whatever else
the machine is doing, unlike wall-clock time on a shared 2-core box).

Usage: python3 benches/count.py [N]     (from the repository root; N defaults to 200)

Builds `count` with the bench profile, runs each case with 0 and N iterations, and prints
instructions per iteration (the difference / N, so setup cancels out) and the ratios the
issue targets: (b)/(a) = auth-ours / raw-aws-lc, (c)/(b) = auth-webauthn-rs / auth-ours."""
import os
import re
import subprocess
import sys
import tempfile

CASES = ["raw-aws-lc", "raw-aws-lc-unparsed", "raw-ring", "auth-ours", "auth-webauthn-rs",
         "reg-none-ours", "reg-none-webauthn-rs", "reg-x5c-ours", "reg-x5c-webauthn-rs"]


def build() -> str:
    subprocess.run(["cargo", "build", "-q", "--profile", "bench", "-p", "benches", "--bin", "count"],
                   check=True)
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    return os.path.join(target, "release", "count")


def instructions(binary: str, case: str, n: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                              binary, case, str(n)], capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(f"{case} {n}: {run.stderr[-2000:]}")
        match = re.search(r"Collected : (\d+)", run.stderr)
        if not match:
            raise SystemExit(f"no instruction count for {case}")
        return int(match.group(1))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    binary = build()
    per = {}
    for case in CASES:
        per[case] = (instructions(binary, case, n) - instructions(binary, case, 0)) / n
        print(f"{case:24} {per[case]:>12,.0f} instructions/iteration", flush=True)
    print(f"(b)/(a) auth-ours / raw-aws-lc        = {per['auth-ours'] / per['raw-aws-lc']:.3f}")
    print(f"(c)/(b) auth-webauthn-rs / auth-ours  = {per['auth-webauthn-rs'] / per['auth-ours']:.2f}")
    print(f"registration none: webauthn-rs / ours = {per['reg-none-webauthn-rs'] / per['reg-none-ours']:.2f}")
    print(f"registration x5c:  webauthn-rs / ours = {per['reg-x5c-webauthn-rs'] / per['reg-x5c-ours']:.2f}")


if __name__ == "__main__":
    main()
