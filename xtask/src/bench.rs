//! `cargo xtask bench`: measurements side by side in one run (issue: benchmark suite).

use anyhow::bail;

pub fn run(_args: &[String]) -> anyhow::Result<()> {
    bail!(
        "the benchmark suite is not written yet: it arrives with the executable-specification \
         issue (see README.md, \"Benchmarks\")"
    )
}
