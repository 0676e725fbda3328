//! The PWA's first paint, measured by Lighthouse (npm, pinned; installed under
//! `target/lighthouse/` when missing) in Debian's Chromium with Lighthouse's default mobile
//! emulation (a mid-range phone, simulated slow 4G and 4× CPU slowdown), for `cargo xtask bench`.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, ensure};
use serde_json::Value;

use crate::{processes, steps, tools};

/// 13.x needs Node ≥ 22; Debian 12 has Node 20 (see /work/shared/TOOLCHAIN.md).
pub const VERSION: &str = "12.8.2";
/// Runs whose median is reported (Lighthouse's own advice against one noisy run).
pub const RUNS: usize = 3;
/// Root-safe, quiet headless Chromium on a machine without network.
const CHROME_FLAGS: &str = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --disable-background-networking --disable-component-update --disable-sync --no-first-run \
    --disable-quic";

/// One run's figures.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    pub lcp_ms: f64,
    pub tbt_ms: f64,
    pub cls: f64,
    /// 0–100.
    pub performance: f64,
    /// 0–100.
    pub accessibility: f64,
}

/// Lighthouse's command, installed first if missing.
fn ensure_installed(root: &Path) -> anyhow::Result<std::path::PathBuf> {
    let prefix = root.join("target/lighthouse");
    tools::ensure_npm_package(&prefix, "lighthouse", VERSION)?;
    Ok(prefix.join("node_modules/.bin/lighthouse"))
}

/// Runs Lighthouse [`RUNS`] times against `url` and returns the median of each figure.
pub fn measure(root: &Path, scratch: &Path, url: &str) -> anyhow::Result<Figures> {
    tools::ensure_chromium()?;
    let lighthouse = ensure_installed(root)?;
    let mut runs = Vec::with_capacity(RUNS);
    for run in 1..=RUNS {
        let report = scratch.join(format!("lighthouse-{run}.json"));
        let output = processes::output(
            Command::new(&lighthouse)
                .arg(url)
                .args([
                    "--only-categories=performance,accessibility",
                    "--output=json",
                    "--quiet",
                ])
                .arg(format!("--output-path={}", report.display()))
                .arg(format!("--chrome-flags={CHROME_FLAGS}"))
                .env("CHROME_PATH", tools::CHROMIUM),
        )?;
        ensure!(
            output.status.success(),
            "lighthouse failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let json: Value = serde_json::from_slice(
            &std::fs::read(&report).with_context(|| format!("reading {}", report.display()))?,
        )?;
        let figures = figures(&json)?;
        steps::say(&format!(
            "    run {run}: LCP {:.0} ms, TBT {:.0} ms, CLS {:.3}, performance {:.0}, accessibility {:.0}",
            figures.lcp_ms, figures.tbt_ms, figures.cls, figures.performance, figures.accessibility
        ));
        runs.push(figures);
    }
    let median = |pick: fn(&Figures) -> f64| {
        let mut values: Vec<f64> = runs.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    Ok(Figures {
        lcp_ms: median(|f| f.lcp_ms),
        tbt_ms: median(|f| f.tbt_ms),
        cls: median(|f| f.cls),
        performance: median(|f| f.performance),
        accessibility: median(|f| f.accessibility),
    })
}

/// The figures of one Lighthouse JSON report.
fn figures(report: &Value) -> anyhow::Result<Figures> {
    let audit = |id: &str| {
        report["audits"][id]["numericValue"]
            .as_f64()
            .with_context(|| format!("the Lighthouse report has no `{id}`"))
    };
    let score = |category: &str| {
        report["categories"][category]["score"]
            .as_f64()
            .map(|score| (score * 100.0).round())
            .with_context(|| format!("the Lighthouse report has no `{category}` score"))
    };
    Ok(Figures {
        lcp_ms: audit("largest-contentful-paint")?,
        tbt_ms: audit("total-blocking-time")?,
        cls: audit("cumulative-layout-shift")?,
        performance: score("performance")?,
        accessibility: score("accessibility")?,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::figures;

    #[test]
    fn a_report_gives_its_paint_figures_and_scores_out_of_100() {
        let report = json!({
            "audits": {
                "largest-contentful-paint": { "numericValue": 1180.5 },
                "total-blocking-time": { "numericValue": 40.0 },
                "cumulative-layout-shift": { "numericValue": 0.0 },
            },
            "categories": {
                "performance": { "score": 0.99 },
                "accessibility": { "score": 1.0 },
            },
        });
        let figures = figures(&report).expect("a complete report");
        assert_eq!(
            (figures.lcp_ms, figures.tbt_ms, figures.cls),
            (1180.5, 40.0, 0.0)
        );
        assert_eq!((figures.performance, figures.accessibility), (99.0, 100.0));
    }

    #[test]
    fn a_report_without_a_figure_is_an_error_naming_it() {
        let report = json!({ "audits": {}, "categories": {} });
        let error = figures(&report).expect_err("nothing to read");
        assert!(error.to_string().contains("largest-contentful-paint"));
    }
}
