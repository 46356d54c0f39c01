//! Reports of a run: the summary table for people and JUnit XML for CI systems (hand-written:
//! one `<testsuite>` of `<testcase>`s, failures with their message and the transcript).

use std::fmt::Write as _;

use crate::runner::{Outcome, Verdict};

/// A fixed-width table: scenario, verdict, time, and the first line of the reason.
pub fn summary(outcomes: &[Outcome]) -> String {
    let width = outcomes
        .iter()
        .map(|o| o.name.len())
        .max()
        .unwrap_or(0)
        .max("scenario".len());
    let mut out = format!(
        "{:<width$}  {:<16}  {:>7}  note\n",
        "scenario", "verdict", "time"
    );
    let _ = writeln!(out, "{}", "-".repeat(width + 40));
    for o in outcomes {
        let note = match &o.verdict {
            Verdict::Failed(why) | Verdict::ExpectedFailure(why) => {
                why.lines().next().unwrap_or_default().to_owned()
            }
            Verdict::UnexpectedPass => "documented failure no longer happens".to_owned(),
            Verdict::Passed => String::new(),
        };
        let row = format!(
            "{:<width$}  {:<16}  {:>6.2}s  {}",
            o.name,
            o.verdict.label(),
            o.duration.as_secs_f64(),
            truncate(&note, 100)
        );
        let _ = writeln!(out, "{}", row.trim_end());
    }
    let failed = outcomes.iter().filter(|o| !o.verdict.ok()).count();
    let _ = writeln!(
        out,
        "{} scenarios: {} ok, {failed} failed",
        outcomes.len(),
        outcomes.len() - failed
    );
    out
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

/// JUnit XML: a failed scenario is a `<failure>`, a documented failure passes with its reason
/// in `<system-out>`.
pub fn junit(suite: &str, outcomes: &[Outcome]) -> String {
    let failures = outcomes.iter().filter(|o| !o.verdict.ok()).count();
    let total: f64 = outcomes.iter().map(|o| o.duration.as_secs_f64()).sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"{0}\" tests=\"{1}\" failures=\"{failures}\" time=\"{total:.3}\">\n  \
         <testsuite name=\"{0}\" tests=\"{1}\" failures=\"{failures}\" errors=\"0\" time=\"{total:.3}\">",
        escape(suite),
        outcomes.len()
    );
    for o in outcomes {
        let _ = write!(
            x,
            "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" time=\"{:.3}\"",
            escape(&o.name),
            escape(suite),
            escape(&o.file),
            o.duration.as_secs_f64()
        );
        let failure = match &o.verdict {
            Verdict::Failed(why) => Some(why.clone()),
            Verdict::UnexpectedPass => Some("the documented failure no longer happens".into()),
            _ => None,
        };
        x.push_str(">\n");
        if let Some(why) = failure {
            let first = why.lines().next().unwrap_or_default();
            let _ = writeln!(
                x,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                escape(first),
                o.verdict.label(),
                escape(&why)
            );
        }
        let mut out = o.transcript.clone();
        if let Verdict::ExpectedFailure(why) = &o.verdict {
            let _ = write!(out, "\nexpected failure: {why}\n");
        }
        let _ = writeln!(x, "      <system-out>{}</system-out>", escape(&out));
        x.push_str("    </testcase>\n");
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

/// XML text and attribute escaping; characters XML 1.0 forbids are dropped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn outcome(name: &str, verdict: Verdict) -> Outcome {
        Outcome {
            name: name.into(),
            file: format!("scenarios/{name}.toml"),
            verdict,
            transcript: "# t\n  <event> & \"x\"\n".into(),
            duration: Duration::from_millis(1500),
        }
    }

    #[test]
    fn junit_marks_failures_and_escapes() {
        let x = junit(
            "scenarios",
            &[
                outcome("ok", Verdict::Passed),
                outcome("bad", Verdict::Failed("step 2 (x): <no> code\nmore".into())),
                outcome("doc", Verdict::ExpectedFailure("known".into())),
            ],
        );
        assert!(x.contains("tests=\"3\" failures=\"1\""), "{x}");
        assert!(
            x.contains("<failure message=\"step 2 (x): &lt;no&gt; code\" type=\"FAILED\">"),
            "{x}"
        );
        assert_eq!(x.matches("<failure").count(), 1, "{x}");
        assert!(x.contains("&lt;event&gt; &amp; &quot;x&quot;"), "{x}");
        assert!(x.contains("expected failure: known"), "{x}");
        assert!(x.contains("time=\"1.500\""), "{x}");
    }

    #[test]
    fn summary_counts_and_explains() {
        let s = summary(&[
            outcome("register", Verdict::Passed),
            outcome("link", Verdict::Failed("step 5: no code\ndetail".into())),
            outcome("guide", Verdict::UnexpectedPass),
        ]);
        let lines: Vec<&str> = s.lines().collect();
        assert!(lines[2].starts_with("register  passed"), "{s}");
        assert!(lines[2].ends_with("1.50s"), "no trailing blanks: {s:?}");
        assert!(
            lines[3].contains("FAILED") && lines[3].ends_with("step 5: no code"),
            "{s}"
        );
        assert!(
            lines[4].contains("documented failure no longer happens"),
            "{s}"
        );
        assert_eq!(lines[5], "3 scenarios: 1 ok, 2 failed");
    }
}
