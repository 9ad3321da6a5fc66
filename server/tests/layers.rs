//! The server's modules form layers without cycles (ARCHITECTURE.md): a
//! top-level module may use modules of lower layers, or of its own layer
//! as long as no cycle forms, never a higher one. Reads the sources.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Lowest first. A new module must be placed here.
const LAYERS: &[&[&str]] = &[
    // Leaves.
    &["busy_poll", "config", "crash", "log", "ops", "time"],
    // State types owning their data, composed into `state::Shared`.
    &["state"],
    // Services acting on the state.
    &["after", "apply", "eviction", "persistence", "replication"],
    // The command table, checks, handlers and sessions.
    &["commands"],
    // Tasks: connections, the master link, the cron; then listeners.
    &["connection", "cron", "master_link"],
    &["listener"],
];

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| l.contains(&module))
        .unwrap_or_else(|| panic!("module `{module}` is in no layer of tests/layers.rs"))
}

/// Source text without comments (doc links may name any module).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn sources(dir: &Path, out: &mut Vec<(std::path::PathBuf, String)>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("read file");
            out.push((path, code(&text)));
        }
    }
}

/// The top-level module a file belongs to (`None` for main.rs).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next()?.as_os_str().to_string_lossy();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "main").then_some(name)
}

/// `crate::x` uses in `text`, as module names.
fn crate_uses(text: &str) -> BTreeSet<String> {
    text.match_indices("crate::")
        .filter(|(i, _)| {
            let before = text[..*i].chars().next_back();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
        })
        .map(|(i, m)| {
            text[i + m.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| name.chars().next().is_some_and(|c| c.is_lowercase()))
        .collect()
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|(f, _)| module_of(&src, f))
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in &files {
        let Some(from) = module_of(&src, file) else {
            continue;
        };
        let entry = edges.entry(from.clone()).or_default();
        for to in crate_uses(text) {
            if to != from && modules.contains(&to) {
                entry.insert(to);
            }
        }
    }
    edges
}

#[test]
fn modules_only_use_lower_or_same_layers() {
    let mut wrong = Vec::new();
    for (from, tos) in graph() {
        for to in tos {
            if layer_of(&to) > layer_of(&from) {
                wrong.push(format!("{from} -> {to}"));
            }
        }
    }
    assert!(wrong.is_empty(), "uses of a higher layer: {wrong:?}");
}

#[test]
fn no_import_cycle_between_modules() {
    let edges = graph();
    // Depth-first search for a back edge, reporting the cycle found.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        let cycle = visit(node, &edges, &mut Vec::new(), &mut done);
        assert!(
            cycle.is_none(),
            "import cycle: {}",
            cycle.unwrap().join(" -> ")
        );
    }
}

#[test]
fn the_check_sees_uses() {
    let uses = crate_uses("use crate::state::Shared; x = crate::time::unix_ms(); my_crate::no");
    assert_eq!(uses, BTreeSet::from(["state".into(), "time".into()]));
}
