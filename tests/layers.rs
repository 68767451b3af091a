//! The layering of `src/` that README.md's ARCHITECTURE table describes, checked on the source:
//! a folder (or top-level module) names only those below it, never one above. Reading the
//! source is the one thing this suite does without the binary, because the layering is a
//! property of the source.

use std::path::Path;

/// Top to bottom, as in README.md. Modules of one layer may use each other.
const LAYERS: &[&[&str]] = &[
    &["main", "cli", "lib", "fuzzing"],
    &["setup"],
    &["api", "web", "dav"],
    &["state"],
    &["scan"],
    &["fs"],
    &["thumb_cache"],
    &["config"],
    &["http"],
    &["media"],
    &["db"],
    &["password"],
    &["clock", "random", "error", "model", "numbers", "sync", "logging", "allocator"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level module a source file belongs to (`src/http/reply.rs` → `http`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("under src");
    let first = relative.components().next().expect("a component").as_os_str().to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::<module>` a file names.
fn named_modules(text: &str) -> Vec<String> {
    text.match_indices("crate::")
        .map(|(at, _)| text[at + 7..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect())
        .collect()
}

#[test]
fn every_module_of_src_belongs_to_a_layer_and_names_only_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        let own = layer_of(&module)
            .unwrap_or_else(|| panic!("{module} (of {}) is in no layer of README's table", file.display()));
        let text = std::fs::read_to_string(file).expect("readable source");
        for named in named_modules(&text) {
            let Some(other) = layer_of(&named) else { continue }; // an item of main, e.g. a macro
            if other < own {
                upward.push(format!("{} ({module}) uses crate::{named}", file.display()));
            }
        }
    }
    assert!(files.len() > 50, "found only {} source files", files.len());
    assert!(upward.is_empty(), "dependencies that point up:\n{}", upward.join("\n"));
}

#[test]
fn the_layer_check_sees_an_upward_dependency() {
    assert_eq!(named_modules("use crate::api::Api; crate::db::open(x)"), ["api", "db"]);
    assert!(layer_of("api") < layer_of("http"), "api sits above http");
}
