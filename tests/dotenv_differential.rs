//! Differential test of `preflight::env::dotenv` against the real
//! python-dotenv, run from the test venv.
//!
//! Every fixture in `tests/fixtures/dotenv/` and a few hundred generated
//! dotenv-ish inputs are parsed by both. For each input they must agree on
//! - the map `dotenv_values(stream, interpolate=False)` returns (order too),
//! - the full sequence of `(key, value)` bindings `parse_stream` yields,
//! - how many statements could not be parsed (python-dotenv's error
//!   bindings against our `SyntaxError`s, allowing for our cap of 50).
//!
//! Python is fed exactly what `open(path, encoding="utf-8")` would give
//! `dotenv_values(path)`: strict UTF-8 and universal newlines.
//!
//! Python is found through `PREFLIGHT_TEST_PYTHON`, else
//! `<crate>/.venv/bin/python` (made by `ci/setup`). Without it the test is
//! skipped loudly, except in CI (`CI=true`), where it fails.

use preflight::env::dotenv;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The parser is a translation of this exact release's parser.py.
const PINNED_PYTHON_DOTENV: &str = "1.2.4";

const SCRIPT: &str = r#"
import importlib.metadata, io, json, logging, sys
from dotenv import dotenv_values
from dotenv.parser import parse_stream

# python-dotenv logs a warning per bad statement; we count them ourselves.
logging.disable(logging.CRITICAL)

def stream(data):
    # What open(path, encoding="utf-8") hands dotenv_values(path):
    # strict UTF-8 and universal newlines (\r\n and \r become \n).
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=None)

results = []
for case in json.load(sys.stdin):
    data = bytes.fromhex(case)
    values = dotenv_values(stream=stream(data), interpolate=False)
    bindings = list(parse_stream(stream(data)))
    results.append({
        "map": [[k, v] for k, v in values.items()],
        "entries": [[b.key, b.value] for b in bindings if b.key is not None],
        "errors": sum(1 for b in bindings if b.error),
    })
json.dump({"version": importlib.metadata.version("python-dotenv"), "results": results}, sys.stdout)
"#;

type Pairs = Vec<(String, Option<String>)>;

#[derive(Debug, PartialEq)]
struct Outcome {
    map: Pairs,
    entries: Pairs,
    errors: usize,
}

/// The python to use, or `None` (after saying so) when the test must skip.
fn find_python() -> Option<PathBuf> {
    let python = match std::env::var_os("PREFLIGHT_TEST_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"),
    };
    let works = Command::new(&python).args(["-c", "import dotenv"]).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    if works {
        return Some(python);
    }
    let why = format!("python-dotenv venv not found (tried {})", python.display());
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{why}; in CI the differential test must run: ci/test creates the venv (ci/setup)");
    }
    // Straight to the stderr handle: libtest captures `eprintln!` of a
    // passing test, and a skip must not go unnoticed.
    let _ = writeln!(std::io::stderr(), "\n======== SKIPPED: {why}, run ci/test (ci/setup creates .venv) ========\n");
    None
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn run_python(python: &Path, cases: &[Vec<u8>]) -> Vec<Outcome> {
    let input = serde_json::Value::Array(cases.iter().map(|c| hex(c).into()).collect()).to_string();
    let mut child =
        Command::new(python).args(["-c", SCRIPT]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start python");
    {
        let mut stdin = child.stdin.take().expect("python stdin");
        stdin.write_all(input.as_bytes()).expect("write to python");
    }
    let out = child.wait_with_output().expect("wait for python");
    assert!(out.status.success(), "python-dotenv failed: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("python printed JSON");
    let version = json["version"].as_str().unwrap_or("?");
    assert_eq!(
        version, PINNED_PYTHON_DOTENV,
        "the venv has python-dotenv {version}, but the parser mirrors {PINNED_PYTHON_DOTENV}; \
         re-run ci/test or re-check src/env/dotenv.rs against the new parser.py"
    );
    let pairs = |v: &serde_json::Value| -> Pairs {
        v.as_array()
            .expect("array of pairs")
            .iter()
            .map(|p| {
                let key = p[0].as_str().expect("key is a string").to_string();
                (key, p[1].as_str().map(str::to_string))
            })
            .collect()
    };
    let results = json["results"].as_array().expect("results");
    assert_eq!(results.len(), cases.len());
    results
        .iter()
        .map(|r| Outcome { map: pairs(&r["map"]), entries: pairs(&r["entries"]), errors: r["errors"].as_u64().expect("error count") as usize })
        .collect()
}

/// Our side, shaped like python's: the map keeps first-insertion order with
/// the last value winning, like the OrderedDict `dotenv_values` returns.
fn run_ours(input: &[u8]) -> Outcome {
    let parsed = dotenv::parse(input);
    let entries: Pairs = parsed.entries.iter().map(|e| (e.key.clone(), e.value.clone())).collect();
    let mut map: Pairs = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (k, v) in &entries {
        match index.get(k) {
            Some(&i) => map[i].1 = v.clone(),
            None => {
                index.insert(k.clone(), map.len());
                map.push((k.clone(), v.clone()));
            }
        }
    }
    // Undo the cap: the 51st error says how many more there were.
    let mut errors = parsed.errors.len();
    if errors == 51 {
        let more: usize = parsed.errors[50].message.split_whitespace().next().and_then(|n| n.parse().ok()).expect("the 51st error counts the rest");
        errors = 50 + more;
    }
    Outcome { map, entries, errors }
}

fn compare(name: &str, input: &[u8], python: &Outcome) -> Option<String> {
    let ours = run_ours(input);
    if &ours == python {
        return None;
    }
    Some(format!(
        "--- {name}: input {:?}\n  python-dotenv map:     {:?}\n  preflight map:         {:?}\n  \
         python-dotenv entries: {:?}\n  preflight entries:     {:?}\n  \
         python-dotenv errors: {}, preflight errors: {}\n",
        String::from_utf8_lossy(input),
        python.map,
        ours.map,
        python.entries,
        ours.entries,
        python.errors,
        ours.errors,
    ))
}

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dotenv");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "env"))
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
            (name, bytes)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn fixtures_agree_with_python_dotenv() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 45, "expected at least 45 fixtures, found {}", fixtures.len());
    for (name, bytes) in &fixtures {
        assert!(std::str::from_utf8(bytes).is_ok(), "{name}: fixtures must be valid UTF-8 (python cannot read others)");
    }
    let Some(python) = find_python() else { return };
    let cases: Vec<Vec<u8>> = fixtures.iter().map(|(_, b)| b.clone()).collect();
    let results = run_python(&python, &cases);
    let failures: Vec<String> = fixtures.iter().zip(&results).filter_map(|((name, bytes), py)| compare(name, bytes, py)).collect();
    assert!(failures.is_empty(), "{} of {} fixtures disagree:\n{}", failures.len(), fixtures.len(), failures.concat());
    println!("{} fixtures agree with python-dotenv {PINNED_PYTHON_DOTENV}", fixtures.len());
}

/// Inputs stitched together from the tokens python-dotenv's regexes care
/// about; a fixed seed keeps failures reproducible.
fn generated_cases(count: usize, seed: u64) -> Vec<Vec<u8>> {
    const TOKENS: &[&str] = &[
        "A", "b_", "KEY", "é", "日", "x.y", "-", "$", "${A}", "=", "= ", "==", "\"", "'", "\\", "\\\\", "\\\"", "\\'", "\\n", "#", " #", " ", "  ", "\t", "\n",
        "\n", "\n", "\r\n", "\r", "export ", "export", "\u{a0}", "\u{3000}", "\u{1c}", "\u{85}", "\u{2028}", "\u{0b}", "\u{0c}", "\0", "\u{feff}", "='", "=\"",
        "\"\n", "'\n", "# c\n",
    ];
    let mut state = seed;
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    (0..count)
        .map(|_| {
            let len = (next() % 40) as usize;
            let mut s = String::new();
            for _ in 0..len {
                s.push_str(TOKENS[(next() % TOKENS.len() as u64) as usize]);
            }
            s.into_bytes()
        })
        .collect()
}

#[test]
fn generated_inputs_agree_with_python_dotenv() {
    let Some(python) = find_python() else { return };
    let cases = generated_cases(600, 0x5EED_D07E_4E11);
    let results = run_python(&python, &cases);
    let failures: Vec<String> =
        cases.iter().zip(&results).enumerate().filter_map(|(i, (bytes, py))| compare(&format!("generated case {i}"), bytes, py)).collect();
    assert!(failures.is_empty(), "{} of {} generated inputs disagree:\n{}", failures.len(), cases.len(), failures.iter().take(10).cloned().collect::<String>());
}
