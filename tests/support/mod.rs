//! Shared test support: running the real binary, temporary repositories, and moto's server
//! mode as the cloud (started on 127.0.0.1 on a free port, always stopped on drop).
#![allow(dead_code)]

pub mod proxy;
pub mod seed;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary under test, with an environment that never reaches a real cloud: no profile,
/// no instance metadata, fake static credentials.
pub fn preflight(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_preflight"));
    c.current_dir(dir);
    for var in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ] {
        c.env_remove(var);
    }
    for (k, _) in std::env::vars() {
        if k.starts_with("PREFLIGHT_") || k == "GITHUB_ACTIONS" {
            c.env_remove(k);
        }
    }
    c.env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/preflight-test-config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/preflight-test-credentials")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("NO_COLOR", "1")
        // Never the real cloud: an unreachable endpoint unless a test sets the emulator's.
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    c
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
    /// (rule, key, region) of every finding in a JSON report.
    pub fn findings(&self) -> Vec<(String, String, String)> {
        let j = self.json();
        j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (f["rule"].as_str().unwrap_or("").to_string(), f["key"].as_str().unwrap_or("").to_string(), f["region"].as_str().unwrap_or("").to_string())
            })
            .collect()
    }
    pub fn rules(&self) -> Vec<String> {
        let mut r: Vec<String> = self.findings().into_iter().map(|f| f.0).collect();
        r.sort();
        r
    }
}

pub fn run(mut cmd: Command) -> Run {
    let start = Instant::now();
    let out: Output = cmd.stdin(Stdio::null()).output().expect("run preflight");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: start.elapsed(),
    }
}

/// Writes files (path -> contents) under a new temporary directory.
pub fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The test venv's executables (installed by ci/setup).
pub fn venv_bin(name: &str) -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("PREFLIGHT_TEST_VENV") {
        let p = Path::new(&dir).join("bin").join(name);
        return p.exists().then_some(p);
    }
    let p = manifest_dir().join(".venv/bin").join(name);
    p.exists().then_some(p)
}

/// moto's server mode on a free loopback port; killed on drop.
pub struct Moto {
    child: Child,
    pub port: u16,
    pub endpoint: String,
    pub log: PathBuf,
    _logdir: tempfile::TempDir,
}

impl Moto {
    /// Starts moto, or returns None (after saying so) when it is not installed. Under CI=true a
    /// missing emulator fails the test: a skipped live test must never look like a pass.
    pub fn start() -> Option<Moto> {
        let Some(server) = venv_bin("moto_server") else {
            if in_ci() {
                panic!("moto_server is not installed in .venv: run ci/setup (CI=true makes a missing emulator a failure)");
            }
            eprintln!("SKIPPED: moto_server not found in .venv; run ci/setup to install it");
            return None;
        };
        let logdir = tempfile::tempdir().unwrap();
        let log = logdir.path().join("moto.log");
        let port = free_port();
        let logfile = std::fs::File::create(&log).unwrap();
        // moto's request recorder writes `moto_recording` in its working directory: keep it in
        // the temporary directory, never in the repository.
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .current_dir(logdir.path())
            .env("MOTO_RECORDER_FILEPATH", logdir.path().join("moto_recording"))
            .stdin(Stdio::null())
            .stdout(logfile.try_clone().unwrap())
            .stderr(logfile)
            .spawn()
            .expect("spawn moto_server");
        let mut moto = Moto { child, port, endpoint: format!("http://127.0.0.1:{port}"), log, _logdir: logdir };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited ({status}):\n{}", std::fs::read_to_string(&moto.log).unwrap_or_default());
            }
            if http(port, "GET", "/moto-api/", "").is_some_and(|(code, _)| code == 200) {
                return Some(moto);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto_server did not answer within 60 s:\n{}", std::fs::read_to_string(&moto.log).unwrap_or_default());
    }

    pub fn reset(&self) {
        http(self.port, "POST", "/moto-api/reset", "").expect("reset moto");
    }

    pub fn start_recording(&self) {
        http(self.port, "POST", "/moto-api/recorder/reset-recording", "").expect("reset recording");
        http(self.port, "POST", "/moto-api/recorder/start-recording", "").expect("start recording");
    }

    /// The actions recorded since `start_recording`, as `ec2:DescribeImages`, `ssm:GetParameters`.
    pub fn recorded_actions(&self) -> Vec<String> {
        http(self.port, "POST", "/moto-api/recorder/stop-recording", "").expect("stop recording");
        let (_, body) = http(self.port, "GET", "/moto-api/recorder/download-recording", "").expect("download recording");
        // One JSON object per request; concurrent requests can land on one line, so read them
        // as a stream of objects, and never skip one that does not parse (an undercount would
        // let a test of call counts pass wrongly).
        serde_json::Deserializer::from_str(&body)
            .into_iter::<serde_json::Value>()
            .map(|v| v.unwrap_or_else(|e| panic!("moto's recording does not parse ({e}):\n{body}")))
            .filter_map(|v| action_of(&v))
            .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the action of one recorded request: SSM names it in X-Amz-Target, EC2 in the
/// form-encoded body's Action parameter, Route 53 in its method and path.
fn action_of(v: &serde_json::Value) -> Option<String> {
    let url = v["url"].as_str().unwrap_or("");
    if url.contains("/moto-api/") {
        return None;
    }
    // The signature's credential scope (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`)
    // names the service, whatever the protocol.
    let auth = v["headers"]["Authorization"].as_str().or(v["headers"]["authorization"].as_str()).unwrap_or("");
    let service = auth.split("Credential=").nth(1).and_then(|c| c.split('/').nth(3)).unwrap_or("ec2");
    // Route 53 speaks REST-XML: no Action, no X-Amz-Target; the method and path name the operation.
    if service == "route53" || url.contains("/2013-04-01/") {
        return Some(route53_action(v["method"].as_str().unwrap_or(""), url));
    }
    // JSON protocols (SSM, Secrets Manager, ECS) name the operation in X-Amz-Target.
    if let Some(target) = v["headers"]["X-Amz-Target"].as_str().or(v["headers"]["x-amz-target"].as_str()) {
        let op = target.rsplit('.').next()?;
        return Some(format!("{service}:{op}"));
    }
    let body = v["body"].as_str().unwrap_or("");
    let body = if v["body_encoded"].as_bool() == Some(true) {
        use base64::Engine;
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(body).ok()?).ok()?
    } else {
        body.to_string()
    };
    let action = body.split('&').find_map(|kv| kv.strip_prefix("Action="))?;
    Some(format!("{service}:{action}"))
}

/// The operation of a recorded Route 53 request, from its method and URL path (without scheme,
/// host or query); an unknown one is kept as `route53:METHOD /path`, never dropped.
fn route53_action(method: &str, url: &str) -> String {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
    let path = path.split('?').next().unwrap_or(path);
    let method = method.to_ascii_uppercase();
    let rest = path.trim_end_matches('/').strip_prefix("/2013-04-01/");
    let rrset = rest.and_then(|r| r.strip_prefix("hostedzone/")?.strip_suffix("/rrset")).is_some_and(|id| !id.is_empty() && !id.contains('/'));
    let op = match (method.as_str(), rest) {
        ("GET", Some("hostedzone")) => "ListHostedZones",
        ("GET", Some("hostedzonesbyname")) => "ListHostedZonesByName",
        ("GET", Some("healthcheck")) => "ListHealthChecks",
        ("GET", Some(_)) if rrset => "ListResourceRecordSets",
        _ => return format!("route53:{method} {path}"),
    };
    format!("route53:{op}")
}

/// A minimal HTTP/1.0 request to loopback; returns (status, body).
pub fn http(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(s, "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Some((status, body))
}

/// Commits everything in the work tree (added, changed, deleted) on top of HEAD.
pub fn commit_all(repo: &git2::Repository, message: &str) -> git2::Oid {
    let mut index = repo.index().unwrap();
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
    index.update_all(["*"], None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("test", "test@example.invalid").unwrap();
    let parents: Vec<git2::Commit> = repo.head().ok().and_then(|h| h.peel_to_commit().ok()).into_iter().collect();
    let parents: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents).unwrap()
}

/// Runs an async block on a fresh runtime (tests seed moto through the SDK).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}
