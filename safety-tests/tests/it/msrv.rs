//! The declared `rust-version` holds for syntax too. Clippy's
//! `incompatible_msrv` lint (on under `-D warnings`) catches std APIs newer
//! than the MSRV, but not syntax, and only one toolchain can be installed to
//! build with: this test parses every source file of the published crates
//! and refuses let-chains (`if let .. && ..`), stable only since Rust 1.88.

use std::path::{Path, PathBuf};

use quote::ToTokens;
use syn::visit::Visit;

/// The published crates' folders; each is checked whole (src, tests, examples, benches).
const PUBLISHED: [&str; 8] =
    ["client-core", "nomad-client", "consul-client", "vault-client", "patroni-client", "walg", "recipes", "ops-sdk"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether a condition is a chain of `&&` that holds a `let`.
fn is_let_chain(cond: &syn::Expr) -> bool {
    fn has_let(e: &syn::Expr) -> bool {
        match e {
            syn::Expr::Let(_) => true,
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => has_let(&b.left) || has_let(&b.right),
            syn::Expr::Paren(p) => has_let(&p.expr),
            _ => false,
        }
    }
    matches!(cond, syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_))) && has_let(cond)
}

#[derive(Default)]
struct LetChains {
    /// Each let-chain's condition, as tokens.
    conditions: Vec<String>,
}

impl<'ast> Visit<'ast> for LetChains {
    fn visit_expr_if(&mut self, node: &'ast syn::ExprIf) {
        if is_let_chain(&node.cond) {
            self.conditions.push(node.cond.to_token_stream().to_string());
        }
        syn::visit::visit_expr_if(self, node);
    }

    fn visit_expr_while(&mut self, node: &'ast syn::ExprWhile) {
        if is_let_chain(&node.cond) {
            self.conditions.push(node.cond.to_token_stream().to_string());
        }
        syn::visit::visit_expr_while(self, node);
    }
}

fn let_chains_in(source: &str) -> Vec<String> {
    let file = syn::parse_file(source).expect("the source parses");
    let mut found = LetChains::default();
    found.visit_file(&file);
    found.conditions
}

#[test]
fn the_check_finds_let_chains_and_only_them() {
    let source = "fn f(a: Option<u8>, b: bool) {\n\
                  if let Some(x) = a && b { let _ = x; }\n\
                  while b && let Some(_) = a {}\n\
                  if let Some(_) = a { if b {} }\n\
                  if b && (a.is_some() || b) {}\n\
                  }";
    assert_eq!(let_chains_in(source), ["let Some (x) = a && b", "b && let Some (_) = a"]);
}

#[test]
fn published_crates_use_no_let_chains() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in PUBLISHED {
        rust_files(&root.join(krate), &mut files);
    }
    assert!(files.len() > 100, "the published crates' sources were found ({} files)", files.len());
    let mut found = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        for condition in let_chains_in(&source) {
            found.push(format!("{}: `{condition}`", file.strip_prefix(&root).unwrap_or(file).display()));
        }
    }
    assert!(
        found.is_empty(),
        "let-chains need Rust 1.88 but the crates declare rust-version 1.85; rewrite them as nested ifs or \
         raise rust-version (a minor release, see CHANGELOG.md): {found:?}"
    );
}
