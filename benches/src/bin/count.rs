//! Runs one ceremony case N times, for instruction counting under valgrind (`benches/count.py`):
//! `count <case> <iterations>`. Setup is the same for any N, so the difference between two runs
//! divided by the difference in N is the per-iteration cost, free of the machine's noise.

use std::process::ExitCode;

use benches::ceremony::{Authentication, RawVerify, Registration};
use benches::chromium;

const CASES: &str = "raw-aws-lc | raw-aws-lc-unparsed | raw-ring | auth-ours | auth-webauthn-rs | \
                     reg-none-ours | reg-none-webauthn-rs | reg-x5c-ours | reg-x5c-webauthn-rs";

fn run(case: &str, n: u32) -> Result<(), String> {
    let none = chromium("none")?;
    let direct = chromium("direct")?;
    let raw = RawVerify::new(&none)?;
    let mut auth = Authentication::new(&none)?;
    let reg_none = Registration::new(&none)?;
    let reg_x5c = Registration::new(&direct)?;
    for _ in 0..n {
        let ok = match case {
            "raw-aws-lc" => raw.aws_lc_parsed(),
            "raw-aws-lc-unparsed" => raw.aws_lc_unparsed(),
            "raw-ring" => raw.ring_unparsed(),
            "auth-ours" => auth.ours().is_ok(),
            "auth-webauthn-rs" => auth.theirs().is_ok(),
            "reg-none-ours" => reg_none.ours().is_ok(),
            "reg-none-webauthn-rs" => reg_none.theirs().is_ok(),
            "reg-x5c-ours" => reg_x5c.ours().is_ok(),
            "reg-x5c-webauthn-rs" => reg_x5c.theirs().is_ok(),
            other => return Err(format!("unknown case {other:?}; one of: {CASES}")),
        };
        if !ok {
            return Err(format!("{case} failed"));
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(case), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse().ok())) else {
        eprintln!("usage: count <case> <iterations>\ncases: {CASES}");
        return ExitCode::FAILURE;
    };
    match run(case, n) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("count: {e}");
            ExitCode::FAILURE
        }
    }
}
