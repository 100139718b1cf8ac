//! Fault injection: a loopback proxy in front of the emulator drops, resets, delays, truncates
//! and throttles a share of requests. For every mix the verdict is correct (a pass after retries,
//! or exit 3 within the deadline), never a false pass, never a false block, never a hang.

mod support;

use std::time::Duration;

use support::proxy::{Chaos, Mix};
use support::seed;
use support::{Moto, block_on, preflight, repo, run};

const SCHEMA: &str = r#"{"type": "object", "properties": {
    "LAUNCH_AMI": {"type": "string", "x-aws": "ec2:image"},
    "WEB_SG": {"type": "string", "x-aws": "ec2:security-group"},
    "SUBNET": {"type": "string", "x-aws": "ec2:subnet"},
    "DB_HOST": {"type": "string"}
}}"#;

fn check(dir: &std::path::Path, port: u16, timeout: &str) -> support::Run {
    let mut c = preflight(dir);
    c.env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")).args(["check", "--format", "json", "--timeout", timeout]);
    run(c)
}

#[test]
fn every_fault_mix_gives_a_correct_verdict_within_the_deadline() {
    let Some(moto) = Moto::start() else { return };
    let (ami, sg, subnet) = block_on(async {
        let c = seed::cloud(&moto.endpoint, "us-east-1").await;
        let vpc = c.vpc("10.0.0.0/16").await;
        let sub = c.subnet(&vpc, "10.0.1.0/24", 'a').await;
        let sg = c.group("web", &vpc).await;
        c.param("/app/db_host", "db.internal").await;
        (c.image("web-1").await, sg, sub)
    });
    let cfg = "schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"us-east-1\"\nsource = { dotenv = \"prod.env\" }\n";
    let good = repo(&[
        ("preflight.toml", cfg),
        ("env.schema.json", SCHEMA),
        ("prod.env", &format!("LAUNCH_AMI={ami}\nWEB_SG={sg}\nSUBNET={subnet}\nDB_HOST={{{{resolve:ssm:/app/db_host}}}}\n")),
    ]);
    let bad = repo(&[
        ("preflight.toml", cfg),
        ("env.schema.json", SCHEMA),
        ("prod.env", &format!("LAUNCH_AMI=ami-0000000000000dead\nWEB_SG={sg}\nSUBNET={subnet}\nDB_HOST={{{{resolve:ssm:/app/db_host}}}}\n")),
    ]);
    let mixes: [(&str, Mix); 8] = [
        ("throttle 40%", Mix { throttle: 40, ..Mix::default() }),
        ("drop 25%", Mix { drop: 25, ..Mix::default() }),
        ("reset 30%", Mix { reset: 30, ..Mix::default() }),
        ("truncate 25%", Mix { truncate: 25, ..Mix::default() }),
        ("delay 50% by 700 ms", Mix { delay: 50, delay_ms: 700, ..Mix::default() }),
        ("everything 8% each", Mix { drop: 8, reset: 8, throttle: 8, truncate: 8, delay: 8, delay_ms: 500 }),
        ("drop 100%", Mix { drop: 100, ..Mix::default() }),
        ("reset 100%", Mix { reset: 100, ..Mix::default() }),
    ];
    let deadline = Duration::from_secs(12);
    let mut passes = 0;
    // Every mix runs; what went wrong in each is collected and asserted once at the end, so
    // one failing mix does not hide the others.
    let mut wrong: Vec<String> = Vec::new();
    for (seed, (name, mix)) in mixes.iter().enumerate() {
        let proxy = Chaos::start(moto.port, *mix, seed as u64 * 7919 + 1);
        let g = check(good.path(), proxy.port, "12s");
        let b = check(bad.path(), proxy.port, "12s");
        let mut expect = |ok: bool, what: String| {
            if !ok {
                wrong.push(format!("{name}: {what}"));
            }
        };
        expect(g.elapsed < deadline + Duration::from_secs(8), format!("the good environment took {:?}", g.elapsed));
        expect(g.code == 0 || g.code == 3, format!("a good environment must pass or be unverified, got {}:\n{}", g.code, g.stdout));
        if g.code == 0 {
            passes += 1;
            expect(g.json()["unverified"].as_array().is_some_and(|u| u.is_empty()), "a pass lists nothing unverified".into());
        }
        expect(b.elapsed < deadline + Duration::from_secs(8), format!("the missing image took {:?}", b.elapsed));
        expect(b.code == 1 || b.code == 3, format!("a missing image must never pass, got {}:\n{}", b.code, b.stdout));
        if b.code == 1 {
            expect(b.rules() == ["ami-not-found"], format!("no false findings from faults: {:?}", b.rules()));
        }
        if name.ends_with("100%") {
            expect((g.code, b.code) == (3, 3), format!("a cloud that never answers is unverified, got {:?}", (g.code, b.code)));
            // Bounded by --timeout (plus process start and report), not by the test's slack.
            expect(
                g.elapsed < deadline + Duration::from_secs(3) && b.elapsed < deadline + Duration::from_secs(3),
                format!("exit 3 must come within the deadline ({:?}, {:?})", g.elapsed, b.elapsed),
            );
            expect(g.code != 3 || g.json()["unverified"].as_array().is_some_and(|u| !u.is_empty()), "the report lists what was skipped".into());
        }
        if *name == "throttle 40%" {
            expect((g.code, b.code) == (0, 1), format!("throttling is retried to the right verdict, got {:?}", (g.code, b.code)));
        }
        eprintln!(
            "{name:<22} good: exit {} in {:>5} ms   missing image: exit {} in {:>5} ms   ({} requests)",
            g.code,
            g.elapsed.as_millis(),
            b.code,
            b.elapsed.as_millis(),
            proxy.seen.load(std::sync::atomic::Ordering::SeqCst)
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(passes >= 3, "retries should carry most partial-fault mixes to a pass ({passes})");
}
