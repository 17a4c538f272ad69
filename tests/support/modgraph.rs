//! Which source file of a crate imports which, and the circles among them (`tests/layering.rs`).
//!
//! A node is a source file of one crate target (its root file and every file its `mod x;`
//! declarations reach). An edge A → B is drawn for every path in A that names something in B:
//! `crate::…`, `super::…`, `self::…`, and paths that start with a child module of A
//! (`child::item`), in `use` lines (groups `{a, b::c}` included) and in code. A path through a
//! name that a file imports (`pub use forward::Sink` in `sink/mod.rs`, then `crate::sink::Sink`
//! elsewhere) leads to the file that defines it, and the importing file keeps its own edge to
//! it. `mod x;` declares the tree and is no edge. Items under `#[cfg(test)]` (test modules) are
//! left out: a test may use its parent. Comments and literals are skipped by a small lexer, so
//! the reading is exact for the paths the code writes; what it cannot see (macros that expand to
//! paths, names brought in by glob imports) makes no edge.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// One token of Rust source: what the import reader needs, literals and comments dropped.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// An identifier or keyword (`crate`, `super`, `mod`, `use`, names).
    Ident(String),
    /// `::`.
    Sep,
    /// Any other single punctuation character.
    Punct(char),
    /// A string, character or number literal.
    Lit,
}

/// A token and the line it starts on.
#[derive(Debug, Clone)]
struct Token {
    /// The token.
    tok: Tok,
    /// 1-based line number.
    line: usize,
}

impl Token {
    fn is_ident(&self, s: &str) -> bool {
        matches!(&self.tok, Tok::Ident(i) if i == s)
    }
    fn is_punct(&self, c: char) -> bool {
        self.tok == Tok::Punct(c)
    }
    fn ident(&self) -> Option<&str> {
        match &self.tok {
            Tok::Ident(i) => Some(i),
            _ => None,
        }
    }
}

/// Splits Rust source into tokens, skipping white space, comments (nested block comments too)
/// and the insides of string, raw string, byte string and character literals.
fn lex(src: &str) -> Vec<Token> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    while i < c.len() {
        let ch = c[i];
        let start_line = line;
        let mut push = |tok: Tok| out.push(Token { tok, line: start_line });
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(c[i] == '\n');
                    i += 1;
                }
            }
        } else if ch == '"' {
            i = skip_string(&c, i + 1, &mut line);
            push(Tok::Lit);
        } else if ch == '\'' {
            // A character literal ('a', '\n', '{') or a lifetime ('a).
            if at(i + 1) == '\\' {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
                push(Tok::Lit);
            } else if at(i + 2) == '\'' {
                i += 3;
                push(Tok::Lit);
            } else {
                i += 1;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
            }
        } else if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || (c[i] == '.' && at(i + 1).is_ascii_digit())) {
                i += 1;
            }
            push(Tok::Lit);
        } else if ch.is_alphabetic() || ch == '_' {
            let s = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[s..i].iter().collect();
            let raw_prefix = matches!(word.as_str(), "r" | "br" | "cr");
            if raw_prefix && at(i) == '#' && (at(i + 1).is_alphabetic() || at(i + 1) == '_') && word == "r" {
                // A raw identifier: r#type.
                let s = i + 1;
                i = s;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
                push(Tok::Ident(c[s..i].iter().collect()));
            } else if raw_prefix && (at(i) == '"' || at(i) == '#') {
                let mut hashes = 0;
                while at(i) == '#' {
                    hashes += 1;
                    i += 1;
                }
                i += 1; // the opening quote
                loop {
                    if i >= c.len() {
                        break;
                    }
                    if c[i] == '"' && (1..=hashes).all(|k| at(i + k) == '#') {
                        i += 1 + hashes;
                        break;
                    }
                    line += usize::from(c[i] == '\n');
                    i += 1;
                }
                push(Tok::Lit);
            } else if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                i = skip_string(&c, i + 1, &mut line);
                push(Tok::Lit);
            } else if word == "b" && at(i) == '\'' {
                i += 1;
                while i < c.len() && c[i] != '\'' {
                    i += if c[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                push(Tok::Lit);
            } else {
                push(Tok::Ident(word));
            }
        } else if ch == ':' && at(i + 1) == ':' {
            i += 2;
            push(Tok::Sep);
        } else {
            i += 1;
            push(Tok::Punct(ch));
        }
    }
    out
}

/// Skips a (non-raw) string body from just after its opening quote; returns the index after the
/// closing quote.
fn skip_string(c: &[char], mut i: usize, line: &mut usize) -> usize {
    while i < c.len() {
        match c[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            ch => {
                *line += usize::from(ch == '\n');
                i += 1;
            }
        }
    }
    i
}

/// The index just after the bracketed group that opens at `open` (`(`, `[` or `{`).
fn after_group(t: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while i < t.len() {
        match t[i].tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}

/// `#[cfg(test)]` (outer, `inner == false`) or `#![cfg(test)]` starting at `i`.
fn is_cfg_test(t: &[Token], i: usize, inner: bool) -> bool {
    let want: &[&str] = if inner { &["#", "!", "[", "cfg", "(", "test", ")", "]"] } else { &["#", "[", "cfg", "(", "test", ")", "]"] };
    want.iter().enumerate().all(|(k, w)| {
        t.get(i + k).is_some_and(|tok| match &tok.tok {
            Tok::Ident(s) => s == w,
            Tok::Punct(p) => w.len() == 1 && w.starts_with(*p),
            _ => false,
        })
    })
}

/// Drops every item under `#[cfg(test)]` (and the whole file under `#![cfg(test)]`).
fn strip_test_items(t: Vec<Token>) -> Vec<Token> {
    if (0..t.len()).any(|i| is_cfg_test(&t, i, true)) {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(t.len());
    let mut i = 0;
    while i < t.len() {
        if !is_cfg_test(&t, i, false) {
            out.push(t[i].clone());
            i += 1;
            continue;
        }
        // Skip this attribute, any further attributes, then the item: up to a `;` outside brackets
        // or the end of its first top-level `{ … }` block.
        i += 1;
        i = after_group(&t, i);
        while i < t.len() && t[i].is_punct('#') {
            i = after_group(&t, i + 1);
        }
        while i < t.len() {
            match t[i].tok {
                Tok::Punct(';') => {
                    i += 1;
                    break;
                }
                Tok::Punct('{') => {
                    i = after_group(&t, i);
                    break;
                }
                Tok::Punct('(' | '[') => i = after_group(&t, i),
                _ => i += 1,
            }
        }
    }
    out
}

/// A module path from the crate root (`["sink", "forward"]`; empty for the root).
type ModPath = Vec<String>;

/// One leaf of a path or `use` tree: its segments as written and the name it binds, if any.
#[derive(Debug)]
struct Leaf {
    /// The segments as written, starting with `crate`, `super`, `self` or a child module.
    segs: Vec<String>,
    /// The name a `use` binds (`as` alias or the last segment); `None` for globs.
    binds: Option<String>,
}

/// Reads a path or use tree at `i`; pushes its leaves and returns the index after it.
fn read_tree(t: &[Token], mut i: usize, prefix: Vec<String>, leaves: &mut Vec<Leaf>) -> usize {
    let mut segs = prefix;
    loop {
        let Some(tok) = t.get(i) else {
            leaves.push(Leaf { binds: segs.last().cloned(), segs });
            return i;
        };
        match &tok.tok {
            Tok::Ident(name) if name == "self" && !segs.is_empty() => {
                // `a::{self, b}`: the module `a` itself.
                i += 1;
            }
            Tok::Ident(name) => {
                segs.push(name.clone());
                i += 1;
                if t.get(i).is_some_and(|x| x.tok == Tok::Sep) {
                    i += 1;
                    continue;
                }
            }
            Tok::Punct('{') => {
                i += 1;
                while i < t.len() && !t[i].is_punct('}') {
                    i = read_tree(t, i, segs.clone(), leaves);
                    if t.get(i).is_some_and(|x| x.is_punct(',')) {
                        i += 1;
                    }
                }
                return i + 1;
            }
            Tok::Punct('*') => {
                leaves.push(Leaf { segs, binds: None });
                return i + 1;
            }
            _ => {}
        }
        let binds = if t.get(i).is_some_and(|x| x.is_ident("as")) {
            let alias = t.get(i + 1).and_then(Token::ident).map(str::to_string);
            i += 2;
            alias
        } else {
            segs.last().cloned()
        };
        leaves.push(Leaf { segs, binds });
        return i;
    }
}

/// One source file of a crate target, read.
#[derive(Debug)]
struct File {
    /// Its module path.
    module: ModPath,
    /// The file on disk.
    path: PathBuf,
    /// Paths it names: (line, absolute segments as written, resolved from its own module).
    paths: Vec<(usize, Vec<String>)>,
    /// Names its `use` lines bind, per (inline) module path: (module, name) → absolute path.
    binds: HashMap<(ModPath, String), Vec<String>>,
}

/// `segs` (starting with `crate`, `super`, `self` or a child's name) from module `cur`, as an
/// absolute path from the crate root.
fn absolute(cur: &[String], segs: &[String]) -> Vec<String> {
    match segs.first().map(String::as_str) {
        Some("crate") => segs[1..].to_vec(),
        Some("self") => cur.iter().cloned().chain(segs[1..].iter().cloned()).collect(),
        Some("super") => {
            let ups = segs.iter().take_while(|s| *s == "super").count();
            let base = &cur[..cur.len().saturating_sub(ups)];
            base.iter().cloned().chain(segs[ups..].iter().cloned()).collect()
        }
        _ => cur.iter().cloned().chain(segs.iter().cloned()).collect(),
    }
}

/// The directory where the children of a module declared in `file` live.
fn child_dir(file: &Path) -> PathBuf {
    let dir = file.parent().expect("a source file is in a directory");
    match file.file_stem().and_then(|s| s.to_str()) {
        Some("mod" | "lib" | "main") => dir.to_path_buf(),
        Some(stem) => dir.join(stem),
        None => dir.to_path_buf(),
    }
}

/// Reads the file of module `module` and, recursively, the files its `mod x;` lines declare.
fn read_module(module: ModPath, path: PathBuf, files: &mut Vec<File>) {
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let t = strip_test_items(lex(&src));
    let dir = child_dir(&path);

    // Pass 1: the module tree inside this file (inline `mod x { … }`) and its `mod x;` children.
    // `scope[i]` is the (inline) module path token `i` is in.
    let mut scope: Vec<ModPath> = Vec::with_capacity(t.len());
    let mut stack: Vec<(String, usize)> = Vec::new(); // (inline module, brace depth it opened at)
    let mut depth = 0usize;
    let mut children: Vec<(ModPath, PathBuf)> = Vec::new();
    let mut child_names: BTreeSet<ModPath> = BTreeSet::new(); // modules declared in this file
    let mut i = 0;
    while i < t.len() {
        let cur: ModPath = module.iter().cloned().chain(stack.iter().map(|(n, _)| n.clone())).collect();
        scope.push(cur.clone());
        if t[i].is_ident("mod")
            && let Some(name) = t.get(i + 1).and_then(Token::ident)
        {
            let mut child = cur.clone();
            child.push(name.to_string());
            if t.get(i + 2).is_some_and(|x| x.is_punct(';')) {
                let sub = stack.iter().fold(dir.clone(), |d, (n, _)| d.join(n));
                let flat = sub.join(format!("{name}.rs"));
                let nested = sub.join(name).join("mod.rs");
                let file = if flat.exists() { flat } else { nested };
                if file.exists() {
                    children.push((child.clone(), file));
                }
                child_names.insert(child);
            } else if t.get(i + 2).is_some_and(|x| x.is_punct('{')) {
                child_names.insert(child);
                scope.push(cur.clone());
                scope.push(cur);
                stack.push((name.to_string(), depth));
                depth += 1;
                i += 3;
                continue;
            }
        }
        match t[i].tok {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth = depth.saturating_sub(1);
                if stack.last().is_some_and(|(_, d)| *d == depth) {
                    stack.pop();
                }
            }
            _ => {}
        }
        i += 1;
    }

    // Pass 2: every path that starts with `crate`, `super`, `self` or a child module's name.
    let mut paths = Vec::new();
    let mut binds = HashMap::new();
    let mut i = 0;
    while i < t.len() {
        let Some(word) = t[i].ident() else {
            i += 1;
            continue;
        };
        let cur = &scope[i];
        let prev_sep = i > 0 && (t[i - 1].tok == Tok::Sep || t[i - 1].is_ident("in") || t[i - 1].is_punct('$') && word != "crate");
        let starts = matches!(word, "crate" | "super" | "self") || child_names.contains(&[cur.as_slice(), &[word.to_string()]].concat());
        let is_use = i > 0 && t[i - 1].is_ident("use");
        let group_use = t[i].is_ident("use") && t.get(i + 1).is_some_and(|x| x.is_punct('{'));
        if group_use {
            // `use {crate::a, super::b};`
            let mut leaves = Vec::new();
            let end = read_tree(&t, i + 1, Vec::new(), &mut leaves);
            record(&t[i], cur, leaves, true, &child_names, &mut paths, &mut binds);
            i = end;
            continue;
        }
        if prev_sep || !starts || !t.get(i + 1).is_some_and(|x| x.tok == Tok::Sep) {
            i += 1;
            continue;
        }
        let mut leaves = Vec::new();
        let end = read_tree(&t, i, Vec::new(), &mut leaves);
        record(&t[i], cur, leaves, is_use, &child_names, &mut paths, &mut binds);
        i = end.max(i + 1);
    }

    files.push(File { module, path, paths, binds });
    for (child, file) in children {
        read_module(child, file, files);
    }
}

/// Records the leaves of one path or use tree read at `at` in module `cur`.
fn record(
    at: &Token,
    cur: &[String],
    leaves: Vec<Leaf>,
    is_use: bool,
    child_names: &BTreeSet<ModPath>,
    paths: &mut Vec<(usize, Vec<String>)>,
    binds: &mut HashMap<(ModPath, String), Vec<String>>,
) {
    for leaf in leaves {
        let Some(first) = leaf.segs.first() else { continue };
        let local = matches!(first.as_str(), "crate" | "super" | "self")
            || child_names.contains(&[cur, std::slice::from_ref(first)].concat());
        if !local {
            continue; // another crate, std, or a name the reader cannot place
        }
        let abs = absolute(cur, &leaf.segs);
        if is_use && let Some(name) = leaf.binds {
            binds.insert((cur.to_vec(), name), abs.clone());
        }
        paths.push((at.line, abs));
    }
}

/// An import of one node (a file, or a top-level module) by another: where it is written.
#[derive(Debug, Clone)]
pub struct Edge {
    /// The importing node.
    pub from: PathBuf,
    /// The imported node.
    pub to: PathBuf,
    /// The file the first path that names `to` is written in (`from` itself for files).
    pub file: PathBuf,
    /// Its line in `file`.
    pub line: usize,
    /// That path, as `crate::a::b` from the crate root.
    pub path: String,
}

/// The import graph of one crate target.
#[derive(Debug)]
pub struct Graph {
    /// Every node: the target's files (or its top-level modules, by their files).
    pub files: Vec<PathBuf>,
    /// Module path of each node, from the crate root.
    modules: Vec<ModPath>,
    /// Every edge, at most one per ordered pair of nodes.
    pub edges: Vec<Edge>,
}

/// Reads the target whose root file is `root` (`src/lib.rs`, `src/main.rs`).
pub fn read(root: &Path) -> Graph {
    let mut files = Vec::new();
    read_module(Vec::new(), root.to_path_buf(), &mut files);
    let by_module: HashMap<&ModPath, usize> = files.iter().enumerate().map(|(k, f)| (&f.module, k)).collect();

    // The file a path leads to: its longest prefix that is a file's module, through `use` names.
    let resolve = |mut p: Vec<String>| -> Option<usize> {
        for _ in 0..32 {
            let k = (0..=p.len()).rev().find(|k| by_module.contains_key(&p[..*k].to_vec()))?;
            let file = by_module[&p[..k].to_vec()];
            let Some(next) = p.get(k) else { return Some(file) };
            let key = (p[..k].to_vec(), next.clone());
            match files[file].binds.get(&key) {
                Some(target) if *target != p[..=k] => p = target.iter().cloned().chain(p[k + 1..].iter().cloned()).collect(),
                _ => return Some(file),
            }
        }
        None
    };

    let mut edges: BTreeMap<(usize, usize), Edge> = BTreeMap::new();
    for (from, f) in files.iter().enumerate() {
        for (line, p) in &f.paths {
            if let Some(to) = resolve(p.clone())
                && to != from
            {
                edges.entry((from, to)).or_insert_with(|| Edge {
                    from: f.path.clone(),
                    to: files[to].path.clone(),
                    file: f.path.clone(),
                    line: *line,
                    path: format!("crate::{}", p.join("::")),
                });
            }
        }
    }
    let modules = files.iter().map(|f| f.module.clone()).collect();
    Graph { files: files.into_iter().map(|f| f.path).collect(), modules, edges: edges.into_values().collect() }
}

impl Graph {
    /// The graph of the target's top-level modules (`alarm`, `notify`, …; the crate root file is
    /// one more): a file belongs to the top-level module it is in, and each node is named by that
    /// module's own file (`alarm/mod.rs`). Imports inside one module are dropped.
    pub fn modules(&self) -> Graph {
        let node_of = |k: usize| -> usize {
            let top = self.modules[k].first().map(|m| vec![m.clone()]).unwrap_or_default();
            self.modules.iter().position(|m| *m == top).unwrap_or(k)
        };
        let index: HashMap<&PathBuf, usize> = self.files.iter().enumerate().map(|(k, f)| (f, k)).collect();
        let mut edges: BTreeMap<(usize, usize), Edge> = BTreeMap::new();
        for e in &self.edges {
            let (a, b) = (node_of(index[&e.from]), node_of(index[&e.to]));
            if a != b {
                edges.entry((a, b)).or_insert_with(|| Edge { from: self.files[a].clone(), to: self.files[b].clone(), ..e.clone() });
            }
        }
        let nodes: BTreeSet<usize> = (0..self.files.len()).map(node_of).collect();
        Graph {
            files: nodes.iter().map(|&k| self.files[k].clone()).collect(),
            modules: nodes.iter().map(|&k| self.modules[k].clone()).collect(),
            edges: edges.into_values().collect(),
        }
    }

    /// Every circle: each strongly connected component of more than one file, as its files
    /// (sorted) and the edges between them.
    pub fn circles(&self) -> Vec<(Vec<PathBuf>, Vec<Edge>)> {
        let index: HashMap<&PathBuf, usize> = self.files.iter().enumerate().map(|(k, f)| (f, k)).collect();
        let n = self.files.len();
        let mut adj = vec![Vec::new(); n];
        for e in &self.edges {
            adj[index[&e.from]].push(index[&e.to]);
        }
        // Tarjan's algorithm.
        struct State {
            next: usize,
            index: Vec<Option<usize>>,
            low: Vec<usize>,
            stack: Vec<usize>,
            on: Vec<bool>,
            sccs: Vec<Vec<usize>>,
        }
        fn visit(v: usize, adj: &[Vec<usize>], s: &mut State) {
            s.index[v] = Some(s.next);
            s.low[v] = s.next;
            s.next += 1;
            s.stack.push(v);
            s.on[v] = true;
            for &w in &adj[v] {
                match s.index[w] {
                    None => {
                        visit(w, adj, s);
                        s.low[v] = s.low[v].min(s.low[w]);
                    }
                    Some(iw) if s.on[w] => s.low[v] = s.low[v].min(iw),
                    _ => {}
                }
            }
            if Some(s.low[v]) == s.index[v] {
                let mut comp = Vec::new();
                while let Some(w) = s.stack.pop() {
                    s.on[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    s.sccs.push(comp);
                }
            }
        }
        let mut s = State { next: 0, index: vec![None; n], low: vec![0; n], stack: Vec::new(), on: vec![false; n], sccs: Vec::new() };
        for v in 0..n {
            if s.index[v].is_none() {
                visit(v, &adj, &mut s);
            }
        }
        let mut out: Vec<(Vec<PathBuf>, Vec<Edge>)> = s
            .sccs
            .into_iter()
            .map(|comp| {
                let set: BTreeSet<usize> = comp.into_iter().collect();
                let mut files: Vec<PathBuf> = set.iter().map(|&k| self.files[k].clone()).collect();
                files.sort();
                let edges = self
                    .edges
                    .iter()
                    .filter(|e| set.contains(&index[&e.from]) && set.contains(&index[&e.to]))
                    .cloned()
                    .collect();
                (files, edges)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}
