//! The release build of the PWA into `target/dist` (`cargo xtask dist`; also the end-to-end
//! tests and the benchmark): the app's wasm split into what the first screen needs and the
//! pages loaded later (frontend/README.md, "Loaded later").
//!
//! Trunk cannot split a wasm, so it builds everything else: index.html, the CSS, the static
//! files, and the app itself compiled with the `split` feature and `--emit-relocs` (the split
//! follows the relocations). Its wasm-bindgen output is then replaced: `wasm-split-cli` cuts the
//! raw wasm at the `later!` split points, wasm-bindgen (with `--keep-lld-exports`, which the
//! chunks import) processes the main part, wasm-opt shrinks every part, and the files get one
//! content hash, index.html the new names and Subresource Integrity hashes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use base64::Engine as _;
use sha2::{Digest, Sha256, Sha384};

use crate::steps;
use crate::tools;

/// The name of the split's JS glue (loads the chunks) and the prefix of every chunk loaded
/// later in the release folder: `split-<hash>.js`, `later-<name>-<hash>.wasm`.
pub const SPLIT_GLUE: &str = "split";
pub const LATER_PREFIX: &str = "later";

/// Builds the release PWA into `root/target/dist`; returns how long it took.
pub fn build(root: &Path) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let dist = root.join(tools::RELEASE_DIST);
    steps::run(
        "release PWA build (trunk, feature `split`)",
        tools::tool("trunk")
            .current_dir(root)
            .args(["build", "--release", "--features", "split", "--dist"])
            .arg(&dist)
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
                "-Clink-args=--emit-relocs",
            ),
    )?;
    split(root, &dist)?;
    Ok(started.elapsed())
}

/// Replaces Trunk's wasm and JS glue in `dist` with the split ones.
fn split(root: &Path, dist: &Path) -> anyhow::Result<()> {
    let raw = root.join("target/wasm32-unknown-unknown/wasm-release/frontend.wasm");
    let work = root.join("target/wasm-split");
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    steps::run(
        "splitting the wasm at its `later!` split points (wasm-split-cli)",
        tools::tool("wasm-split-cli")
            .arg(&raw)
            .arg(&work)
            .args(["--out-name", "frontend"]),
    )?;
    let bindgen = work.join("bindgen");
    steps::run(
        "wasm-bindgen of the main part",
        tools::tool("wasm-bindgen")
            .args(["--target", "web", "--no-typescript", "--keep-lld-exports"])
            .args(["--out-name", "frontend", "--out-dir"])
            .arg(&bindgen)
            .arg(work.join("frontend.wasm")),
    )?;
    let mut chunks = Vec::new();
    for entry in std::fs::read_dir(&work)? {
        let path = entry?.path();
        let name = file_name(&path);
        if name.ends_with(".wasm") && name != "frontend.wasm" {
            chunks.push(path);
        }
    }
    chunks.sort();
    if chunks.is_empty() {
        bail!("wasm-split-cli found no split point (was the `split` feature on?)");
    }
    let main = optimize(&bindgen.join("frontend_bg.wasm"))?;
    let mut later = Vec::new();
    for chunk in &chunks {
        later.push((file_name(chunk), optimize(chunk)?));
    }
    let glue = std::fs::read_to_string(bindgen.join("frontend.js"))?;
    let loader = std::fs::read_to_string(work.join("__wasm_split.js"))?;

    // One hash for the whole build: the glue and the loader import each other.
    let mut hasher = Sha256::new();
    for part in [&main[..], glue.as_bytes(), loader.as_bytes()]
        .into_iter()
        .chain(later.iter().map(|(_, bytes)| &bytes[..]))
    {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let hash: String = hasher.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();

    let names = Names::new(&hash);
    let glue = glue.replace(
        "from \"./__wasm_split.js\"",
        &format!("from \"./{}\"", names.loader),
    );
    let mut loader = loader.replace("\"./frontend.js\"", &format!("\"./{}\"", names.glue));
    let mut later_paths = Vec::new();
    for (old, bytes) in &later {
        // `split_account_page.wasm` (one split point's own code) → `later-account_page-<hash>.wasm`,
        // `chunk_7.wasm` (code some split points share) → `later-chunk_7-<hash>.wasm`.
        let stem = old.trim_end_matches(".wasm");
        let stem = stem.strip_prefix("split_").unwrap_or(stem);
        let new = format!("{LATER_PREFIX}-{stem}-{hash}.wasm");
        let quoted = format!("\"./{old}\"");
        if !loader.contains(&quoted) {
            // An empty part: the loader has nothing to fetch for it.
            println!("    {old} is not loaded by the split's loader: left out");
            continue;
        }
        loader = loader.replace(&quoted, &format!("\"./{new}\""));
        std::fs::write(dist.join(&new), bytes)?;
        later_paths.push(format!("/{new}"));
    }
    if !glue.contains(&names.loader) {
        bail!("wasm-bindgen's glue does not import the split's loader");
    }

    let index_path = dist.join("index.html");
    let mut index = std::fs::read_to_string(&index_path)?;
    let (old_glue, old_wasm) = trunk_files(&index)?;
    for (old, new, bytes) in [
        (&old_glue, &names.glue, glue.as_bytes()),
        (&old_wasm, &names.wasm, &main[..]),
    ] {
        let old_bytes = std::fs::read(dist.join(old))?;
        index = index.replace(&integrity(&old_bytes), &integrity(bytes));
        index = index.replace(&format!("/{old}"), &format!("/{new}"));
        std::fs::remove_file(dist.join(old))?;
        std::fs::write(dist.join(new), bytes)?;
    }
    index = fetch_wasm_after_first_paint(&index, &names.wasm, &integrity(&main))?;
    std::fs::write(dist.join(&names.loader), &loader)?;
    // The loader is part of the first screen (the glue imports it); the chunks are named for the
    // service worker, which caches them with the rest (sw.js), and fetched when first needed.
    let head_end = index.find("</head>").context("index.html has no </head>")?;
    index.insert_str(
        head_end,
        &format!(
            "<link crossorigin href=/{} integrity={} rel=modulepreload>\
             <meta name=later-assets content=\"{}\">",
            names.loader,
            integrity(loader.as_bytes()),
            later_paths.join(" ")
        ),
    );
    std::fs::write(&index_path, index)?;
    println!(
        "    split into {} (first screen), {} and {}",
        names.wasm,
        names.loader,
        later_paths.join(", ")
    );
    Ok(())
}

/// What Trunk's start script awaits instead of the wasm's path: the wasm fetched (with the
/// integrity value `INTEGRITY`) once the shell has painted, or at once where nothing will paint
/// (a hidden tab, no paint timing); at the latest after 3 s.
const AFTER_FIRST_PAINT: &str = "new Promise((painted) => { \
    if (document.visibilityState === 'hidden' \
        || !(PerformanceObserver.supportedEntryTypes || []).includes('paint')) { painted(); return; } \
    new PerformanceObserver((list, observer) => { \
        if (list.getEntriesByName('first-contentful-paint').length) { observer.disconnect(); painted(); } \
    }).observe({ type: 'paint', buffered: true }); \
    setTimeout(painted, 3000); \
}).then(() => fetch('/WASM', { integrity: 'INTEGRITY' }))";

/// Trunk preloads the wasm next to the CSS, so the first paint shares a slow network with the
/// app's largest file. The shell (index.html's own sign-in form) needs only the CSS, so the wasm
/// waits for the first paint: Trunk's preload goes and its start script gets
/// [`AFTER_FIRST_PAINT`], with the wasm's `integrity` value, instead of the wasm's path. The
/// cost is about one round trip before the app takes over, while the shell already keeps what
/// is typed.
fn fetch_wasm_after_first_paint(
    index: &str,
    wasm: &str,
    integrity: &str,
) -> anyhow::Result<String> {
    let href = format!("href=/{wasm} ");
    let at = index
        .find(&href)
        .context("index.html has no preload of the wasm")?;
    let start = index[..at].rfind('<').context("a broken preload tag")?;
    let end = at + index[at..].find('>').context("a broken preload tag")? + 1;
    let preload = &index[start..end];
    ensure!(
        preload.contains("rel=preload"),
        "index.html names the wasm outside a preload: {preload}"
    );
    let path = format!("module_or_path: '/{wasm}'");
    ensure!(
        index.contains(&path),
        "Trunk's start script does not name /{wasm}"
    );
    let fetch = AFTER_FIRST_PAINT
        .replace("WASM", wasm)
        .replace("INTEGRITY", integrity);
    Ok(index
        .replacen(preload, "", 1)
        .replacen(&path, &format!("module_or_path: {fetch}"), 1))
}

/// The release folder's names for the main wasm, its glue and the chunks' loader.
struct Names {
    wasm: String,
    glue: String,
    loader: String,
}

impl Names {
    fn new(hash: &str) -> Self {
        Self {
            wasm: format!("frontend-{hash}_bg.wasm"),
            glue: format!("frontend-{hash}.js"),
            loader: format!("{SPLIT_GLUE}-{hash}.js"),
        }
    }
}

/// Trunk's `frontend-<hash>.js` and `frontend-<hash>_bg.wasm`, as index.html names them.
fn trunk_files(index: &str) -> anyhow::Result<(String, String)> {
    let find = |suffix: &str| {
        index
            .split(['/', '\'', '"', ' ', '>'])
            .find(|part| part.starts_with("frontend-") && part.ends_with(suffix))
            .map(str::to_owned)
            .with_context(|| format!("index.html names no frontend-…{suffix} (Trunk's output)"))
    };
    Ok((find(".js")?, find("_bg.wasm")?))
}

/// `wasm-opt -Oz` (what Trunk's `data-wasm-opt="z"` runs) of `input`, returning the result.
fn optimize(input: &Path) -> anyhow::Result<Vec<u8>> {
    let output = input.with_extension("opt.wasm");
    steps::run(
        &format!("wasm-opt -Oz {}", file_name(input)),
        tools::tool("wasm-opt")
            .arg("-Oz")
            .arg(input)
            .arg("-o")
            .arg(&output),
    )?;
    Ok(std::fs::read(&output)?)
}

/// A Subresource Integrity value, the way Trunk writes them (SHA-384).
fn integrity(bytes: &[u8]) -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The files of `dist` the first screen loads (wasm, JS, CSS; not the service worker, not the
/// chunks loaded later), and the chunks loaded later, each sorted.
pub fn first_screen_and_later(dist: &Path) -> anyhow::Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let mut first = Vec::new();
    let mut later = Vec::new();
    for entry in std::fs::read_dir(dist).with_context(|| format!("reading {}", dist.display()))? {
        let path = entry?.path();
        let name = file_name(&path);
        let Some((_, extension)) = name.rsplit_once('.') else {
            continue;
        };
        if !matches!(extension, "wasm" | "js" | "css") || name == "sw.js" {
            continue;
        }
        if name.starts_with(LATER_PREFIX) {
            later.push(path);
        } else {
            first.push(path);
        }
    }
    first.sort();
    later.sort();
    Ok((first, later))
}

/// `cargo xtask dist`: the tools, then the build.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    if let Some(unknown) = args.first() {
        bail!("dist takes no options (got `{unknown}`)");
    }
    let root = crate::workspace_root();
    tools::ensure_wasm_toolchain(&root)?;
    let took = build(&root)?;
    println!(
        "==> the release PWA is in {} ({})",
        root.join(tools::RELEASE_DIST).display(),
        steps::human(took)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use testkit::ScratchDir;

    use super::{fetch_wasm_after_first_paint, first_screen_and_later, integrity, trunk_files};

    #[test]
    fn integrity_is_sha384_in_base64_as_browsers_check_it() {
        // The SHA-384 of nothing, as `openssl dgst -sha384 -binary | base64` prints it.
        assert_eq!(
            integrity(b""),
            "sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb"
        );
    }

    #[test]
    fn trunks_glue_and_wasm_are_found_in_its_minified_index() {
        let index = "<link crossorigin href=/frontend-c52a56ecbf9fe0c.js integrity=sha384-x \
                     rel=modulepreload><link as=fetch crossorigin \
                     href=/frontend-c52a56ecbf9fe0c_bg.wasm rel=preload type=application/wasm>\
                     <script type=module>import init from '/frontend-c52a56ecbf9fe0c.js';</script>";
        let (glue, wasm) = trunk_files(index).expect("both named");
        assert_eq!(glue, "frontend-c52a56ecbf9fe0c.js");
        assert_eq!(wasm, "frontend-c52a56ecbf9fe0c_bg.wasm");
        assert!(trunk_files("<html></html>").is_err(), "nothing to find");
    }

    #[test]
    fn the_wasm_is_fetched_after_the_first_paint_with_its_integrity_value() {
        let index = "<script type=module>import init from '/frontend-ab12.js';\n\
                     const wasm = await init({ module_or_path: '/frontend-ab12_bg.wasm' });</script>\
                     <link href=/style.css rel=stylesheet><link as=fetch crossorigin \
                     href=/frontend-ab12_bg.wasm integrity=sha384-old rel=preload \
                     type=application/wasm><link href=/split.js rel=modulepreload>";
        let rewritten = fetch_wasm_after_first_paint(index, "frontend-ab12_bg.wasm", "sha384-abc")
            .expect("rewritten");
        assert!(!rewritten.contains("rel=preload"), "{rewritten}");
        assert!(rewritten.contains("<link href=/style.css rel=stylesheet><link href=/split.js"));
        assert!(rewritten.contains("'first-contentful-paint'"));
        assert!(
            rewritten.contains(
                "fetch('/frontend-ab12_bg.wasm', { integrity: 'sha384-abc' })) });</script>"
            ),
            "{rewritten}"
        );
        let error =
            fetch_wasm_after_first_paint("<html></html>", "frontend-ab12_bg.wasm", "sha384-abc")
                .expect_err("no preload to move");
        assert!(error.to_string().contains("preload"));
    }

    #[test]
    fn the_first_screen_counts_wasm_js_and_css_but_not_the_worker_or_the_chunks() {
        let dist = ScratchDir::new("dist-sizes").expect("a scratch directory");
        for name in [
            "frontend-ab12cd34ef56ab78_bg.wasm",
            "frontend-ab12cd34ef56ab78.js",
            "split-ab12cd34ef56ab78.js",
            "style-ac24e16c1c6ae7b5.css",
            "pwa.js",
            "sw.js",
            "index.html",
            "later-account_page-ab12cd34ef56ab78.wasm",
            "later-chunk_7-ab12cd34ef56ab78.wasm",
        ] {
            std::fs::write(dist.path().join(name), b"x").expect("a file");
        }
        let (first, later) = first_screen_and_later(dist.path()).expect("readable");
        let names = |paths: Vec<std::path::PathBuf>| -> Vec<String> {
            paths.iter().map(|p| super::file_name(p)).collect()
        };
        assert_eq!(
            names(first),
            [
                "frontend-ab12cd34ef56ab78.js",
                "frontend-ab12cd34ef56ab78_bg.wasm",
                "pwa.js",
                "split-ab12cd34ef56ab78.js",
                "style-ac24e16c1c6ae7b5.css",
            ]
        );
        assert_eq!(
            names(later),
            [
                "later-account_page-ab12cd34ef56ab78.wasm",
                "later-chunk_7-ab12cd34ef56ab78.wasm",
            ]
        );
    }
}
