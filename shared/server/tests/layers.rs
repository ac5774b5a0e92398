//! Keeps the hub's layering honest: reads every source file of the server crate, finds which of the
//! crate's top-level modules it names (`crate::x` in `use` lines and paths), and fails when a module
//! reaches a layer above its own or when the modules form an import cycle.
//!
//! The layers, bottom up, are listed in [`LAYERS`]; ARCHITECTURE.md explains them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and its layer. A module may name modules of its own layer or
/// below, never above, and the graph of who names whom has no cycle.
const LAYERS: &[(&str, u8)] = &[
    // The core: shared handles and pure pieces.
    ("time", 0),
    ("config", 0),
    ("lan", 0),
    ("ratelimit", 0),
    ("names", 0),
    ("outbox", 0),
    ("error", 0),
    ("conn", 0),
    ("channels", 0),
    ("presence", 0),
    ("policy", 0),
    ("store", 0),
    ("reply", 0),
    ("listener", 0),
    ("metrics", 0),
    ("core", 0),
    // Services over the core.
    ("auth", 1),
    ("notify", 1),
    ("chat", 1),
    ("party", 1),
    ("status", 1),
    ("discovery", 1),
    ("moderation", 1),
    ("retention", 1),
    ("places", 1),
    ("simulate", 1),
    ("files", 1),
    // The services together.
    ("hub", 2),
    // Front doors.
    ("api", 3),
    ("ws", 3),
    ("dialects", 3),
    ("web", 3),
    ("cli", 3),
    ("export", 3),
    ("lib", 3),
    ("main", 4),
];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/chat/rooms.rs` -> `chat`, `src/hub.rs` -> `hub`.
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src_dir()).expect("file under src");
    let first = rel.components().next().expect("a component").as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_owned()
}

/// The modules a file names as `crate::x`, in code (comments and doc comments left out).
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.insert(name);
            }
            rest = after;
        }
        // `use crate::{a, b::c}` names several at once.
        if let Some(group) = code.trim_start().strip_prefix("use crate::{") {
            for part in group.split(',') {
                let name: String =
                    part.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    out
}

/// Who names whom, among the top-level modules.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let known: BTreeSet<&str> = LAYERS.iter().map(|(m, _)| *m).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let from = module_of(&file);
        let text = std::fs::read_to_string(&file).expect("read source");
        let entry = edges.entry(from.clone()).or_default();
        for to in named_modules(&text) {
            if to != from && known.contains(to.as_str()) {
                entry.insert(to);
            }
        }
    }
    edges
}

fn layer(module: &str) -> u8 {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l).unwrap_or_else(|| {
        panic!("module {module} has no layer: add it to LAYERS here and to ARCHITECTURE.md")
    })
}

#[test]
fn every_module_has_a_layer() {
    for module in graph().keys() {
        layer(module);
    }
}

#[test]
fn no_module_names_a_layer_above_its_own() {
    let mut wrong = Vec::new();
    for (from, tos) in graph() {
        for to in tos {
            if layer(&to) > layer(&from) {
                wrong.push(format!("{from} (layer {}) names {to} (layer {})", layer(&from), layer(&to)));
            }
        }
    }
    assert!(wrong.is_empty(), "modules that reach up:\n{}", wrong.join("\n"));
}

#[test]
fn the_modules_form_no_import_cycle() {
    let edges = graph();
    // Depth-first search with colours: grey on the stack, black done. A grey neighbour is a cycle.
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        colour: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        colour.insert(m.to_owned(), 1);
        stack.push(m.to_owned());
        for next in edges.get(m).into_iter().flatten() {
            match colour.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let start = stack.iter().position(|s| s == next).unwrap_or(0);
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(next, edges, colour, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        colour.insert(m.to_owned(), 2);
        None
    }
    let mut colour = BTreeMap::new();
    for m in edges.keys() {
        if colour.get(m.as_str()).copied().unwrap_or(0) == 0 {
            let cycle = visit(m, &edges, &mut colour, &mut Vec::new());
            assert!(cycle.is_none(), "import cycle: {}", cycle.unwrap_or_default().join(" -> "));
        }
    }
}

#[test]
fn the_reader_finds_what_a_file_names() {
    let text = "use crate::store::{Db, Store};\nuse crate::{chat, hub::Hub};\n// crate::api in a comment\nlet x = crate::time::now_ms();";
    let found: Vec<String> = named_modules(text).into_iter().collect();
    assert_eq!(found, ["chat", "hub", "store", "time"]);
}
