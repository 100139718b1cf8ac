//! Loopback endpoints that misbehave on purpose: one that accepts and never answers, a
//! proxy in front of moto that answers the first N requests with an AWS throttling (or any
//! other) error, then forwards, and [`Chaos`], which drops, resets, truncates, delays and
//! throttles a chosen share of requests. Each serves one request per connection and closes it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Accepts connections and holds them open without a byte of answer, until dropped.
pub struct Silent {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl Silent {
    pub fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((c, _)) => held.push(c),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Silent { port, stop }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Answers the first `fail_first` requests with `status` and an EC2-style XML error `code`,
/// then forwards to `upstream`.
pub struct Faulty {
    pub port: u16,
    pub seen: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Faulty {
    pub fn start(upstream: u16, fail_first: usize, status: u16, code: &'static str) -> Faulty {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(AtomicUsize::new(0));
        let (s, n) = (stop.clone(), seen.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((c, _)) => {
                        let i = n.fetch_add(1, Ordering::SeqCst);
                        std::thread::spawn(move || serve(c, upstream, i < fail_first, status, code));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Faulty { port, seen, stop }
    }
}

impl Drop for Faulty {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn read_request(c: &mut TcpStream) -> Option<Vec<u8>> {
    c.set_nonblocking(false).ok()?;
    c.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = c.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = c.read(&mut chunk).ok()?;
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(buf);
        }
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn serve(mut c: TcpStream, upstream: u16, fail: bool, status: u16, code: &str) {
    let Some(req) = read_request(&mut c) else { return };
    if fail {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>injected by the test proxy</Message></Error></Errors><RequestID>00000000-test</RequestID></Response>"
        );
        let _ = write!(c, "HTTP/1.1 {status} Injected\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        return;
    }
    forward(c, upstream, &req);
}

/// Shares (in percent) of requests that meet each fault; the rest are forwarded untouched.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mix {
    /// Read the request, then close without a byte of answer.
    pub drop: u32,
    /// Forward after `delay_ms`.
    pub delay: u32,
    pub delay_ms: u64,
    /// Answer with headers promising a body, send part of it, then close (a reset mid-answer).
    pub truncate: u32,
    /// Answer 503 RequestLimitExceeded.
    pub throttle: u32,
    /// Read the request, then reset the connection (a TCP RST, as a load balancer or a
    /// restarted peer does).
    pub reset: u32,
}

/// A proxy in front of `upstream` that injects the faults of a [`Mix`], chosen per request by
/// a fixed pseudo-random sequence (`seed`), so a failing run can be replayed.
pub struct Chaos {
    pub port: u16,
    pub seen: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Chaos {
    pub fn start(upstream: u16, mix: Mix, seed: u64) -> Chaos {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(AtomicUsize::new(0));
        let (s, n) = (stop.clone(), seen.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((c, _)) => {
                        let i = n.fetch_add(1, Ordering::SeqCst) as u64;
                        let roll = (seed.wrapping_add(i).wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) >> 33) % 100;
                        std::thread::spawn(move || chaos(c, upstream, mix, roll as u32));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Chaos { port, seen, stop }
    }
}

impl Drop for Chaos {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn chaos(mut c: TcpStream, upstream: u16, mix: Mix, roll: u32) {
    let mut edge = mix.drop;
    if roll < edge {
        let _ = read_request(&mut c);
        return;
    }
    edge += mix.throttle;
    if roll < edge {
        serve(c, upstream, true, 503, "RequestLimitExceeded");
        return;
    }
    edge += mix.reset;
    if roll < edge {
        let _ = read_request(&mut c);
        // SO_LINGER 0: close() sends RST instead of FIN.
        let _ = socket2::SockRef::from(&c).set_linger(Some(Duration::ZERO));
        return;
    }
    edge += mix.truncate;
    if roll < edge {
        let _ = read_request(&mut c);
        let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 4096\r\n\r\n<DescribeImagesResponse><reque");
        return;
    }
    edge += mix.delay;
    if roll < edge {
        std::thread::sleep(Duration::from_millis(mix.delay_ms));
    }
    serve(c, upstream, false, 0, "");
}

/// A proxy in front of moto that answers the requests `answer` picks with the (status, body) it
/// gives, and forwards the rest: a test double for AWS behaviour moto does not reproduce (real
/// ELBv2's all-or-nothing `Names=` lookups, Route 53's throttling answers).
pub struct Gate {
    pub port: u16,
    pub answered: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

/// What a gate answers instead of moto: `Some((status, XML body))`, or `None` to forward.
pub type Answerer = fn(request: &str, seen: usize) -> Option<(u16, String)>;

impl Gate {
    pub fn start(upstream: u16, answer: Answerer) -> Gate {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(AtomicUsize::new(0));
        let (s, a) = (stop.clone(), answered.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut c, _)) => {
                        let (a, seen) = (a.clone(), seen.clone());
                        std::thread::spawn(move || {
                            let Some(req) = read_request(&mut c) else { return };
                            let text = String::from_utf8_lossy(&req).into_owned();
                            let n = seen.fetch_add(1, Ordering::SeqCst);
                            if let Some((status, body)) = answer(&text, n) {
                                a.fetch_add(1, Ordering::SeqCst);
                                // JSON protocols (Secrets Manager, SSM, ECS) read `__type`; the others XML.
                                let (kind, extra) = match body.starts_with('{') {
                                    true => ("application/x-amz-json-1.1", format!("x-amzn-ErrorType: {}\r\n", json_error_type(&body))),
                                    false => ("text/xml", String::new()),
                                };
                                let _ = write!(
                                    c,
                                    "HTTP/1.1 {status} Gated\r\nContent-Type: {kind}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                                    body.len()
                                );
                                return;
                            }
                            forward(c, upstream, &req);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Gate { port, answered, stop }
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// An AWS query or REST-XML error body (`ErrorResponse`), as ELBv2 and Route 53 answer.
pub fn error_response(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>00000000-gate</RequestId></ErrorResponse>"
    )
}

/// A JSON-protocol error body (`{"__type": CODE, "message": ...}`), as Secrets Manager answers.
pub fn json_error(code: &str, message: &str) -> String {
    format!("{{\"__type\":\"{code}\",\"message\":\"{message}\"}}")
}

fn json_error_type(body: &str) -> String {
    body.split("\"__type\":\"").nth(1).and_then(|t| t.split('"').next()).unwrap_or("Unknown").to_string()
}

fn forward(mut c: TcpStream, upstream: u16, req: &[u8]) {
    let text = String::from_utf8_lossy(req).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut out = String::new();
    for (i, line) in head.split("\r\n").enumerate() {
        let lower = line.to_ascii_lowercase();
        if i > 0 && (lower.starts_with("connection:") || lower.starts_with("keep-alive:")) {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else { return };
    let _ = up.write_all(out.as_bytes());
    let _ = up.write_all(body.as_bytes());
    let mut resp = Vec::new();
    let _ = up.read_to_end(&mut resp);
    let _ = c.write_all(&resp);
}
