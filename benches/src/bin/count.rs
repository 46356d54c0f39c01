//! Runs one ceremony case N times, for instruction counting under valgrind (`benches/count.py`):
//! `count <case> <iterations>`. Setup is the same for any N, so the difference between two runs
//! divided by the difference in N is the per-iteration cost, free of the machine's noise.
//! `count interleaved <rounds>` times (a), (b) and (c) in alternating blocks of 200 in one
//! process and prints the median per-round ratios, so load changes hit all three alike.

use std::process::ExitCode;
use std::time::Instant;

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

/// Wall-clock ratios (b)/(a) and (c)/(b), each round timing 200 calls of each case.
fn interleaved(rounds: u32) -> Result<(), String> {
    let none = chromium("none")?;
    let raw = RawVerify::new(&none)?;
    let mut auth = Authentication::new(&none)?;
    let block = |f: &mut dyn FnMut() -> bool| -> Result<f64, String> {
        let start = Instant::now();
        for _ in 0..200 {
            if !f() {
                return Err("a case failed".to_owned());
            }
        }
        Ok(start.elapsed().as_secs_f64() / 200.0 * 1e6)
    };
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        a.push(block(&mut || raw.aws_lc_parsed())?);
        b.push(block(&mut || auth.ours().is_ok())?);
        c.push(block(&mut || auth.theirs().is_ok())?);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let ba: Vec<f64> = a.iter().zip(&b).map(|(a, b)| b / a).collect();
    let cb: Vec<f64> = b.iter().zip(&c).map(|(b, c)| c / b).collect();
    println!(
        "median per call: (a) {:.1} us, (b) {:.1} us, (c) {:.1} us",
        median(a),
        median(b),
        median(c)
    );
    println!(
        "median per-round ratio: (b)/(a) = {:.3}, (c)/(b) = {:.2}",
        median(ba),
        median(cb)
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let (Some("interleaved"), Some(rounds)) = (
        args.get(1).map(String::as_str),
        args.get(2).and_then(|n| n.parse().ok()),
    ) {
        return match interleaved(rounds) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("count: {e}");
                ExitCode::FAILURE
            }
        };
    }
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
