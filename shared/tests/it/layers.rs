//! The shape of `shared/src`, kept by a test: imports point one way (domain ← validation ←
//! store ← http, the wiring on top), no two files import each other in a circle, and no file
//! grows past 300 lines. A file-level dependency graph is built from the `crate::`, `super::`
//! and child-module paths each file names outside its `#[cfg(test)]` module (inline, or a
//! sibling `*_tests.rs` file) and comments.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 300;

/// Lower layers first; a file may name only modules of its own layer or below.
const LAYERS: &[&[&str]] = &[
    &["domain"],
    &["validation"],
    &["store"],
    &["http"],
    &["config", "app", "telemetry", "metrics", "embedded", "lambda"],
    &["testing"],
];

struct Source {
    /// Module path: `store/list.rs` is `["store", "list"]`, `store/mod.rs` is `["store"]`.
    module: Vec<String>,
    text: String,
}

fn sources() -> BTreeMap<Vec<String>, Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut stack: Vec<PathBuf> = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&root).unwrap().with_extension("");
            let mut module: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            out.insert(module.clone(), Source { module, text });
        }
    }
    out
}

/// The code of a file without its test module and comments.
fn code(text: &str) -> String {
    let end = text.find("#[cfg(test)]\nmod tests").unwrap_or(text.len());
    text[..end].lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Every `a::b::c` path that starts right after `prefix` in `code`.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        out.push(path.split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect());
    }
    out
}

/// The files each file depends on.
fn graph(sources: &BTreeMap<Vec<String>, Source>) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let resolve = |path: Vec<String>| -> Option<Vec<String>> {
        (1..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| sources.contains_key(p))
    };
    let mut edges = BTreeMap::new();
    for src in sources.values() {
        // A test module in a sibling file (`expiry_tests.rs`, `#[path]`): test code throughout.
        let is_tests = src.module.last().is_some_and(|m| m.ends_with("_tests"));
        let code = if is_tests { String::new() } else { code(&src.text) };
        let mut deps = BTreeSet::new();
        let parent = &src.module[..src.module.len().saturating_sub(1)];
        let mut named: Vec<Vec<String>> = paths_after(&code, "crate::");
        named.extend(paths_after(&code, "super::").into_iter().map(|p| [parent.to_vec(), p].concat()));
        // A mod.rs naming its own children (`pub use list::ListFilter`).
        for line in code.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("pub use ").or_else(|| line.strip_prefix("use ")) {
                let first = rest.split("::").next().unwrap_or_default().to_owned();
                let child = [src.module.clone(), vec![first]].concat();
                if sources.contains_key(&child) {
                    named.push(child);
                }
            }
        }
        for path in named {
            match resolve(path.clone()) {
                Some(target) if target != src.module => {
                    assert!(!target.is_empty(), "{:?} names the crate root's re-export {path:?}", src.module);
                    deps.insert(target);
                }
                _ => {}
            }
        }
        edges.insert(src.module.clone(), deps);
    }
    edges
}

fn layer(module: &[String]) -> usize {
    let top = module.first().map(String::as_str).unwrap_or_default();
    LAYERS.iter().position(|l| l.contains(&top)).unwrap_or_else(|| panic!("{module:?} is in no layer"))
}

#[test]
fn imports_point_down_the_layers() {
    let sources = sources();
    let mut wrong = Vec::new();
    for (from, deps) in graph(&sources) {
        if from.is_empty() {
            continue; // lib.rs declares and re-exports every layer
        }
        for to in deps {
            if layer(&to) > layer(&from) {
                wrong.push(format!("{} -> {}", from.join("/"), to.join("/")));
            }
        }
    }
    assert!(wrong.is_empty(), "imports pointing up a layer: {wrong:#?}");
}

#[test]
fn no_two_files_import_each_other_in_a_circle() {
    let sources = sources();
    let edges = graph(&sources);
    // Depth-first search for a back edge; prints the circle it finds.
    fn visit(
        node: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        stack: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        if let Some(i) = stack.iter().position(|n| n == node) {
            return Some(stack[i..].to_vec());
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, edges, stack, done) {
                return Some(circle);
            }
        }
        stack.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys().filter(|n| !n.is_empty()) {
        let circle = visit(node, &edges, &mut Vec::new(), &mut done);
        let names = circle.map(|c| c.iter().map(|m| m.join("/")).collect::<Vec<_>>());
        assert_eq!(names, None, "a circle of imports");
    }
}

#[test]
fn the_graph_sees_real_imports() {
    // A check that cannot fail is no check: the graph must find known edges.
    let sources = sources();
    let edges = graph(&sources);
    let has = |from: &str, to: &str| {
        let key = |s: &str| s.split('/').map(str::to_owned).collect::<Vec<_>>();
        edges[&key(from)].contains(&key(to))
    };
    assert!(has("store/read/list", "store/dynamo/handle"));
    assert!(has("store", "store/read"));
    assert!(has("http/problem", "store"));
    assert!(has("validation/body", "validation/rules"));
    assert!(has("domain/certification", "domain/status"));
    assert!(!has("domain/status", "domain/certification"));
}

#[test]
fn no_file_is_over_300_lines() {
    let long: Vec<_> = sources()
        .values()
        .map(|s| (s.module.join("/"), s.text.lines().count()))
        .filter(|(_, n)| *n > MAX_LINES)
        .collect();
    assert!(long.is_empty(), "files over {MAX_LINES} lines: {long:?}");
}
