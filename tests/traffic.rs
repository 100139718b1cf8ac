//! Where the traffic goes: load balancers, target groups and the DNS records that fail over to
//! them, end to end through the binary against moto (real ELBv2's strict `Names=` lookups and
//! Route 53's throttling reproduced by a gate in front of it). Under CI=true a missing
//! emulator fails.

mod support;

use support::proxy::{Gate, error_response};
use support::seed::{self, Target};
use support::{Moto, block_on, preflight, repo, run};

const EAST: &str = "us-east-1";
const WEST: &str = "us-west-2";

/// The environment's world: a new VPC and staging's old one in us-east-1, a twin in us-west-2,
/// the web and API load balancers, and the hosted zone example.com.
struct World {
    vpc: String,
    subnets: Vec<String>,
    /// A subnet of the new VPC in us-east-1c, where no load balancer serves.
    subnet_c: String,
    web_dns: String,
    api_dns: String,
    west_dns: String,
    zone: String,
}

fn world(moto: &Moto) -> World {
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let vpc = east.vpc("10.1.0.0/16").await;
        let old = east.vpc("10.2.0.0/16").await;
        let subnets = vec![east.subnet(&vpc, "10.1.1.0/24", 'a').await, east.subnet(&vpc, "10.1.2.0/24", 'b').await];
        let subnet_c = east.subnet(&vpc, "10.1.3.0/24", 'c').await;
        let old_subnets = vec![east.subnet(&old, "10.2.1.0/24", 'a').await, east.subnet(&old, "10.2.2.0/24", 'b').await];
        let (web_arn, web_dns) = east.load_balancer("web-prod", &subnets).await;
        let (_, api_dns) = east.load_balancer("api-prod", &subnets).await;
        east.load_balancer("web-staging-lb", &old_subnets).await;
        let blue = east.target_group("web-blue", &vpc).await;
        east.listener(&web_arn, &blue).await;
        east.target_group("web-green", &vpc).await;
        east.target_group("web-staging", &old).await;

        let west = seed::cloud(&moto.endpoint, WEST).await;
        let west_vpc = west.vpc("10.3.0.0/16").await;
        let west_subnets = vec![west.subnet(&west_vpc, "10.3.1.0/24", 'a').await, west.subnet(&west_vpc, "10.3.2.0/24", 'b').await];
        let (west_arn, west_dns) = west.load_balancer("web-prod", &west_subnets).await;
        let west_blue = west.target_group("web-blue", &west_vpc).await;
        west.listener(&west_arn, &west_blue).await;
        let zone = east.hosted_zone("example.com").await;
        World { vpc, subnets, subnet_c, web_dns, api_dns, west_dns, zone }
    })
}

const SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "WEB_LB": {"type": "string", "x-aws": "elbv2:load-balancer"},
    "WEB_TARGET_GROUP": {"type": "string", "x-aws": "elbv2:target-group", "x-routes-to": "WEB_LB"},
    "WEB_DNS": {"type": "string", "x-aws": "route53:record", "x-routes-to": "WEB_LB"},
    "APP_SUBNETS": {"type": "array", "items": {"type": "string", "x-aws": "ec2:subnet"}}
  },
  "additionalProperties": {"type": "string"}
}"#;

fn config(vpc: &str, failover: &[&str]) -> String {
    let fo = if failover.is_empty() { String::new() } else { format!("failover_regions = {failover:?}\n") };
    format!("schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"{EAST}\"\n{fo}vpc = \"{vpc}\"\nsource = {{ dotenv = \"prod.env\" }}\n")
}

fn check_at(dir: &std::path::Path, endpoint: &str) -> support::Run {
    let mut c = preflight(dir);
    c.env("AWS_ENDPOINT_URL", endpoint).args(["check", "--env", "production", "--format", "json", "--timeout", "30s"]);
    run(c)
}

/// (rule, variable) of every finding, sorted, without `lb-provisioning` (moto's load balancers
/// may stay `provisioning`; the unit tests judge the states).
fn found(r: &support::Run) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = r.findings().into_iter().filter(|(rule, _, _)| rule != "lb-provisioning").map(|(rule, key, _)| (rule, key)).collect();
    f.sort();
    f
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    v.sort();
    v
}

fn message<'a>(j: &'a serde_json::Value, rule: &str, key: &str) -> &'a str {
    j["findings"].as_array().unwrap().iter().find(|f| f["rule"] == rule && f["key"] == key).and_then(|f| f["message"].as_str()).unwrap_or("")
}

#[test]
fn traffic_that_leads_where_it_claims_passes() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        east.record(&w.zone, "www.example.com", Target::Alias { dns_name: &w.web_dns, evaluate: true }, Some("PRIMARY"), None).await;
        let secondary = format!("dualstack.{}.", w.west_dns);
        east.record(&w.zone, "www.example.com", Target::Alias { dns_name: &secondary, evaluate: true }, Some("SECONDARY"), None).await;
    });
    let env = format!("WEB_LB=web-prod\nWEB_TARGET_GROUP=web-blue\nWEB_DNS=www.example.com\nAPP_SUBNETS={}\n", w.subnets.join(","));
    let dir = repo(&[("preflight.toml", &config(&w.vpc, &[WEST])), ("env.schema.json", SCHEMA), ("prod.env", &env)]);
    let r = check_at(dir.path(), &moto.endpoint);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.findings(), [], "{}", r.stdout);
    let j = r.json();
    assert_eq!(j["checked"]["load_balancers"], 1);
    assert_eq!(j["checked"]["target_groups"], 1);
    assert_eq!(j["checked"]["dns_records"], 1);
    assert!(j["unverified"].as_array().unwrap().is_empty(), "{}", r.stdout);
}

/// A target group copied from staging's VPC, a load balancer that is not there, zones the load
/// balancer does not serve, and names missing from the failover region.
#[test]
fn load_balancer_and_target_group_rules_fire_where_they_should() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    let env = format!(
        "WEB_LB=web-prod\nOTHER_LB=gone-lb\nAPI_LB=api-prod\nOLD_LB=web-staging-lb\nWEB_TARGET_GROUP=web-staging\nGREEN_TG=web-green\nBLUE_TG=web-blue\nAPP_SUBNETS={},{}\n",
        w.subnets[0], w.subnet_c
    );
    let schema = SCHEMA.replace(
        r#""APP_SUBNETS""#,
        r#""OTHER_LB": {"type": "string", "x-aws": "elbv2:load-balancer"},
    "API_LB": {"type": "string", "x-aws": "elbv2:load-balancer"},
    "OLD_LB": {"type": "string", "x-aws": "elbv2:load-balancer"},
    "GREEN_TG": {"type": "string", "x-aws": "elbv2:target-group"},
    "BLUE_TG": {"type": "string", "x-aws": "elbv2:target-group"},
    "APP_SUBNETS""#,
    );
    let dir = repo(&[("preflight.toml", &config(&w.vpc, &[WEST])), ("env.schema.json", &schema), ("prod.env", &env)]);
    let r = check_at(dir.path(), &moto.endpoint);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let expected = pairs(&[
        ("lb-not-found", "OTHER_LB"),
        ("lb-zone-not-enabled", "WEB_LB"),
        ("lb-zone-not-enabled", "API_LB"),
        ("lb-not-in-failover-region", "API_LB"),
        ("lb-wrong-vpc", "OLD_LB"),
        ("lb-zone-not-enabled", "OLD_LB"),
        ("lb-not-in-failover-region", "OLD_LB"),
        ("target-group-wrong-vpc", "WEB_TARGET_GROUP"),
        ("target-group-unattached", "WEB_TARGET_GROUP"),
        ("target-group-unattached", "GREEN_TG"),
        ("target-group-not-in-failover-region", "WEB_TARGET_GROUP"),
        ("target-group-not-in-failover-region", "GREEN_TG"),
        ("routes-to-mismatch", "WEB_TARGET_GROUP"),
    ]);
    assert_eq!(found(&r), expected, "{}", r.stdout);
    let j = r.json();
    assert!(message(&j, "lb-zone-not-enabled", "WEB_LB").contains("us-east-1c"), "{}", r.stdout);
    assert!(message(&j, "target-group-wrong-vpc", "WEB_TARGET_GROUP").contains(&w.vpc), "{}", r.stdout);
    assert!(message(&j, "routes-to-mismatch", "WEB_TARGET_GROUP").contains("web-prod"), "{}", r.stdout);
}

/// The demo's outage: the failover record's SECONDARY points at a load balancer deleted last
/// month (through a `dualstack.` alias with a trailing dot, as consoles write them).
#[test]
fn a_secondary_pointing_at_a_deleted_load_balancer_dangles() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    block_on(async {
        let west = seed::cloud(&moto.endpoint, WEST).await;
        let vpc = west.vpc("10.4.0.0/16").await;
        let subnets = vec![west.subnet(&vpc, "10.4.1.0/24", 'a').await, west.subnet(&vpc, "10.4.2.0/24", 'b').await];
        let (arn, dns) = west.load_balancer("web-old", &subnets).await;
        west.delete_load_balancer(&arn).await;
        let east = seed::cloud(&moto.endpoint, EAST).await;
        east.record(&w.zone, "www.example.com", Target::Alias { dns_name: &w.web_dns, evaluate: true }, Some("PRIMARY"), None).await;
        east.record(&w.zone, "www.example.com", Target::Alias { dns_name: &format!("dualstack.{dns}."), evaluate: true }, Some("SECONDARY"), None).await;
    });
    let dir = repo(&[("preflight.toml", &config(&w.vpc, &[WEST])), ("env.schema.json", SCHEMA), ("prod.env", "WEB_LB=web-prod\nWEB_DNS=www.example.com\n")]);
    let r = check_at(dir.path(), &moto.endpoint);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(found(&r), pairs(&[("dns-dangling-target", "WEB_DNS")]), "{}", r.stdout);
    let m = message(&r.json(), "dns-dangling-target", "WEB_DNS").to_string();
    assert!(m.contains("failover SECONDARY") && m.contains(WEST) && m.contains("web-old"), "{m}");
    // The finding is about the failover region, where the load balancer is missing.
    assert!(r.findings().iter().any(|(rule, _, region)| rule == "dns-dangling-target" && region == WEST), "{}", r.stdout);
}

/// The DNS incident: a failover driven by a stale configuration sent the website's traffic to
/// the API's load balancer. `x-routes-to` says where it must go; the help says where it goes.
#[test]
fn a_record_leading_to_the_wrong_load_balancer_is_a_routes_to_mismatch() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        east.record(&w.zone, "www.example.com", Target::Alias { dns_name: &w.api_dns, evaluate: true }, Some("PRIMARY"), None).await;
        east.record(&w.zone, "www.example.com", Target::Alias { dns_name: &w.west_dns, evaluate: true }, Some("SECONDARY"), None).await;
    });
    let dir = repo(&[("preflight.toml", &config(&w.vpc, &[WEST])), ("env.schema.json", SCHEMA), ("prod.env", "WEB_LB=web-prod\nWEB_DNS=www.example.com\n")]);
    let r = check_at(dir.path(), &moto.endpoint);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(found(&r), pairs(&[("routes-to-mismatch", "WEB_DNS")]), "{}", r.stdout);
    let j = r.json();
    let f = j["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "routes-to-mismatch").unwrap();
    assert!(f["message"].as_str().unwrap().contains("api-prod"), "{f}");
    assert!(f["help"].as_str().unwrap().contains("api-prod") && f["help"].as_str().unwrap().contains("web-prod"), "{f}");
}

/// Every DNS rule, and what is not a load balancer listed as not checked.
#[test]
fn dns_records_are_followed_to_their_targets() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let z = &w.zone;
        // A CNAME to the load balancer's dualstack name: it exists.
        east.record(z, "api.example.com", Target::Cname(&format!("dualstack.{}", w.web_dns)), None, None).await;
        // A PRIMARY with no SECONDARY, no health check, not evaluating its target.
        east.record(z, "pay.example.com", Target::Alias { dns_name: &w.web_dns, evaluate: false }, Some("PRIMARY"), None).await;
        // A PRIMARY naming a health check that was deleted; its SECONDARY in the primary region.
        east.record(
            z,
            "shop.example.com",
            Target::Alias { dns_name: &w.web_dns, evaluate: true },
            Some("PRIMARY"),
            Some("0f3c2d9e-1111-2222-3333-444455556666"),
        )
        .await;
        east.record(z, "shop.example.com", Target::Alias { dns_name: &w.api_dns, evaluate: true }, Some("SECONDARY"), None).await;
        // A wildcard, and a CDN.
        east.record(z, "*.apps.example.com", Target::A("192.0.2.10"), None, None).await;
        east.record(z, "cdn.example.com", Target::Cname("d111111abcdef8.cloudfront.net"), None, None).await;
    });
    let env = "WEB_LB=web-prod\nDNS_API=api.example.com\nDNS_PAY=pay.example.com\nDNS_SHOP=shop.example.com.\nDNS_MISSING=missing.example.com\n\
               DNS_ORG=www.example.org\nDNS_APP=billing.apps.example.com\nDNS_CDN=cdn.example.com\n";
    let mut schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
    for var in ["DNS_API", "DNS_PAY", "DNS_SHOP", "DNS_MISSING", "DNS_ORG", "DNS_APP", "DNS_CDN"] {
        schema["properties"][var] = serde_json::json!({"type": "string", "x-aws": "route53:record"});
    }
    let dir = repo(&[("preflight.toml", &config(&w.vpc, &[WEST])), ("env.schema.json", &schema.to_string()), ("prod.env", env)]);
    let mut c = preflight(dir.path());
    c.env("AWS_ENDPOINT_URL", &moto.endpoint).args(["check", "--env", "production", "--format", "json"]);
    let r = run(c);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let expected = pairs(&[
        ("dns-failover-incomplete", "DNS_PAY"),
        ("dns-failover-never-triggers", "DNS_PAY"),
        ("dns-health-check-not-found", "DNS_SHOP"),
        ("dns-failover-region", "DNS_SHOP"),
        ("dns-record-not-found", "DNS_MISSING"),
        ("dns-record-not-found", "DNS_ORG"),
    ]);
    assert_eq!(found(&r), expected, "{}", r.stdout);
    let j = r.json();
    assert!(message(&j, "dns-record-not-found", "DNS_MISSING").contains("hosted zone example.com"), "{}", r.stdout);
    assert!(message(&j, "dns-record-not-found", "DNS_ORG").contains("no hosted zone"), "{}", r.stdout);
    assert!(message(&j, "dns-failover-region", "DNS_SHOP").contains(EAST), "{}", r.stdout);
    // The notes (JSON and human) say what was found by wildcard and what was not checked.
    let json_notes = j["notes"].to_string();
    assert!(json_notes.contains("*.apps.example.com") && json_notes.contains("d111111abcdef8.cloudfront.net"), "{json_notes}");
    let mut c = preflight(dir.path());
    c.env("AWS_ENDPOINT_URL", &moto.endpoint).args(["check", "--env", "production"]);
    let human = run(c);
    let notes = format!("{}{}", human.stdout, human.stderr);
    assert!(notes.contains("*.apps.example.com"), "the wildcard is said: {notes}");
    assert!(notes.contains("192.0.2.10") && notes.contains("d111111abcdef8.cloudfront.net"), "what is not a load balancer is listed: {notes}");
    assert_eq!(j["checked"]["dns_records"], 7);
}

/// SPEC section 5: ELBv2 calls grow with regions, Route 53 calls with the fewer of distinct
/// names or zone pages; neither with variables that repeat a name.
#[test]
fn traffic_lookups_are_batched_for_200_variables_across_three_regions() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        for i in 0..4 {
            east.record(&w.zone, &format!("www{i}.example.com"), Target::Alias { dns_name: &w.web_dns, evaluate: true }, None, None).await;
        }
    });
    let mut env = String::new();
    let mut props = serde_json::Map::new();
    for i in 0..80 {
        env.push_str(&format!("LB_{i:03}=web-prod\nTG_{i:03}=web-blue\n"));
        props.insert(format!("LB_{i:03}"), serde_json::json!({"type": "string", "x-aws": "elbv2:load-balancer"}));
        props.insert(format!("TG_{i:03}"), serde_json::json!({"type": "string", "x-aws": "elbv2:target-group"}));
    }
    for i in 0..40 {
        env.push_str(&format!("DNS_{i:03}=www{}.example.com\n", i % 4));
        props.insert(format!("DNS_{i:03}"), serde_json::json!({"type": "string", "x-aws": "route53:record"}));
    }
    let schema = serde_json::json!({"type": "object", "properties": props}).to_string();
    let dir = repo(&[("preflight.toml", &config(&w.vpc, &[WEST, "eu-west-1"])), ("env.schema.json", &schema), ("prod.env", &env)]);
    moto.start_recording();
    let r = check_at(dir.path(), &moto.endpoint);
    let actions = moto.recorded_actions();
    assert!(r.json()["unverified"].as_array().unwrap().is_empty(), "{}", r.stdout);
    let count = |a: &str| actions.iter().filter(|x| *x == a).count();
    assert_eq!(count("elasticloadbalancing:DescribeLoadBalancers"), 3, "one listing per region: {actions:?}");
    assert_eq!(count("elasticloadbalancing:DescribeTargetGroups"), 3, "{actions:?}");
    assert_eq!(count("route53:ListHostedZones"), 1, "{actions:?}");
    assert_eq!(count("route53:ListResourceRecordSets"), 1, "the zone's one page, fewer than its 4 names: {actions:?}");
    assert_eq!(count("route53:ListHealthChecks"), 0, "no record set names one: {actions:?}");
}

/// In a zone of three pages, two names cost two listings (one per name), not three.
#[test]
fn record_names_are_asked_one_by_one_when_they_are_fewer_than_the_zones_pages() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    block_on(async {
        use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType};
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let changes: Vec<Change> = (0..650)
            .map(|i| {
                let set = ResourceRecordSet::builder()
                    .name(format!("host{i:04}.example.com"))
                    .r#type(RrType::A)
                    .ttl(60)
                    .resource_records(ResourceRecord::builder().value("192.0.2.1").build().unwrap())
                    .build()
                    .unwrap();
                Change::builder().action(ChangeAction::Upsert).resource_record_set(set).build().unwrap()
            })
            .collect();
        for batch in changes.chunks(250) {
            let batch = ChangeBatch::builder().set_changes(Some(batch.to_vec())).build().unwrap();
            east.r53.change_resource_record_sets().hosted_zone_id(&w.zone).change_batch(batch).send().await.unwrap();
        }
        east.record(&w.zone, "www.example.com", Target::Alias { dns_name: &w.web_dns, evaluate: true }, None, None).await;
    });
    let mut schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
    schema["properties"]["HOST"] = serde_json::json!({"type": "string", "x-aws": "route53:record"});
    let dir = repo(&[
        ("preflight.toml", &config(&w.vpc, &[])),
        ("env.schema.json", &schema.to_string()),
        ("prod.env", "WEB_DNS=www.example.com\nHOST=host0321.example.com\nWEB_LB=web-prod\n"),
    ]);
    moto.start_recording();
    let r = check_at(dir.path(), &moto.endpoint);
    let actions = moto.recorded_actions();
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(actions.iter().filter(|a| *a == "route53:ListResourceRecordSets").count(), 2, "{actions:?}");
}

/// Real ELBv2 fails a whole `Names=` call over one missing name (moto does not): a gate answers
/// every named lookup that way, and the check still tells the missing name from the present one.
#[test]
fn strict_named_elbv2_lookups_never_hide_the_names_that_exist() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    fn strict(req: &str, _: usize) -> Option<(u16, String)> {
        let named = req.contains("Names.member");
        if named && req.contains("Action=DescribeLoadBalancers") {
            return Some((400, error_response("LoadBalancerNotFound", "One or more load balancers not found")));
        }
        if named && req.contains("Action=DescribeTargetGroups") {
            return Some((400, error_response("TargetGroupNotFound", "One or more target groups not found")));
        }
        None
    }
    let gate = Gate::start(moto.port, strict);
    let dir = repo(&[
        ("preflight.toml", &config(&w.vpc, &[])),
        ("env.schema.json", &SCHEMA.replace(r#""APP_SUBNETS""#, r#""OTHER_LB": {"type": "string", "x-aws": "elbv2:load-balancer"}, "APP_SUBNETS""#)),
        ("prod.env", "WEB_LB=web-prod\nOTHER_LB=gone-lb\nWEB_TARGET_GROUP=web-blue\n"),
    ]);
    let r = check_at(dir.path(), &format!("http://127.0.0.1:{}", gate.port));
    assert_eq!(found(&r), pairs(&[("lb-not-found", "OTHER_LB")]), "{}\n{}", r.stdout, r.stderr);
    assert_eq!(gate.answered.load(std::sync::atomic::Ordering::SeqCst), 0, "no named lookup was made");
}

/// Route 53's throttling answers are retried within the deadline; AccessDenied is unverified.
#[test]
fn route53_throttling_is_retried_and_access_denied_is_unverified() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        east.record(&w.zone, "www.example.com", Target::Alias { dns_name: &w.web_dns, evaluate: true }, None, None).await;
    });
    let dir = repo(&[("preflight.toml", &config(&w.vpc, &[])), ("env.schema.json", SCHEMA), ("prod.env", "WEB_LB=web-prod\nWEB_DNS=www.example.com\n")]);
    fn busy(req: &str, seen: usize) -> Option<(u16, String)> {
        let route53 = req.contains("/2013-04-01/");
        match seen {
            0 | 1 if route53 => Some((400, error_response("Throttling", "Rate exceeded"))),
            2 | 3 if route53 => Some((400, error_response("PriorRequestNotComplete", "still processing a prior request"))),
            _ => None,
        }
    }
    let gate = Gate::start(moto.port, busy);
    let r = check_at(dir.path(), &format!("http://127.0.0.1:{}", gate.port));
    assert_eq!(r.code, 0, "throttling retried to an answer: {}\n{}", r.stdout, r.stderr);
    assert!(gate.answered.load(std::sync::atomic::Ordering::SeqCst) >= 1, "the gate throttled something");

    fn denied(req: &str, _: usize) -> Option<(u16, String)> {
        req.contains("/2013-04-01/").then(|| (403, error_response("AccessDenied", "User is not authorized to perform route53:ListHostedZones")))
    }
    let gate = Gate::start(moto.port, denied);
    let r = check_at(dir.path(), &format!("http://127.0.0.1:{}", gate.port));
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    let unverified = r.json()["unverified"].to_string();
    assert!(unverified.contains("route53") && unverified.contains("AccessDenied"), "{unverified}");
    assert!(r.findings().iter().all(|(rule, _, _)| rule == "lb-provisioning"), "never a finding from a denial: {}", r.stdout);
}

/// A cloud that hangs is unverified well inside the deadline, never a pass or a hang.
#[test]
fn a_hanging_route53_is_unverified_inside_the_deadline() {
    let silent = support::proxy::Silent::start();
    let schema = r#"{"type": "object", "properties": {"WEB_DNS": {"type": "string", "x-aws": "route53:record"}}}"#;
    let cfg = format!("schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"{EAST}\"\nsource = {{ dotenv = \"prod.env\" }}\n");
    let dir = repo(&[("preflight.toml", &cfg), ("env.schema.json", schema), ("prod.env", "WEB_DNS=www.example.com\n")]);
    let started = std::time::Instant::now();
    let mut c = preflight(dir.path());
    c.env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{}", silent.port)).args(["check", "--env", "production", "--format", "json", "--timeout", "4s"]);
    let r = run(c);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "took {:?}", started.elapsed());
}

#[test]
fn x_routes_to_must_name_a_load_balancer_property() {
    let schema = r#"{"type": "object", "properties": {
        "WEB_LB": {"type": "string"},
        "WEB_DNS": {"type": "string", "x-aws": "route53:record", "x-routes-to": "WEB_LB"}}}"#;
    let cfg = format!("schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"{EAST}\"\nsource = {{ dotenv = \"prod.env\" }}\n");
    let dir = repo(&[("preflight.toml", &cfg), ("env.schema.json", schema), ("prod.env", "WEB_DNS=www.example.com\n")]);
    let mut c = preflight(dir.path());
    c.args(["check", "--env", "production", "--offline"]);
    let r = run(c);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("x-routes-to") && r.stderr.contains("WEB_LB"), "{}", r.stderr);
}

#[test]
fn offline_traffic_names_are_checked_for_shape() {
    let schema = r#"{"type": "object", "properties": {
        "WEB_LB": {"type": "string", "x-aws": "elbv2:load-balancer"},
        "WEB_TG": {"type": "string", "x-aws": "elbv2:target-group"},
        "WEB_DNS": {"type": "string", "x-aws": "route53:record"}}}"#;
    let cfg = format!("schema = \"env.schema.json\"\n\n[environments.production]\nregion = \"{EAST}\"\nsource = {{ dotenv = \"prod.env\" }}\n");
    let dir = repo(&[("preflight.toml", &cfg), ("env.schema.json", schema), ("prod.env", "WEB_LB=internal-web\nWEB_TG=web blue\nWEB_DNS=not a name\n")]);
    let mut c = preflight(dir.path());
    c.args(["check", "--env", "production", "--offline", "--format", "json"]);
    let r = run(c);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let mut f: Vec<(String, String)> = r.findings().into_iter().map(|(rule, key, _)| (rule, key)).collect();
    f.sort();
    assert_eq!(f, pairs(&[("lb-not-found", "WEB_LB"), ("target-group-not-found", "WEB_TG"), ("dns-record-not-found", "WEB_DNS")]));
}

/// `x-parity: resource` compares a target group's protocol and port with the tested one; the
/// fingerprint holds each record's targets, so retargeting a record after the check changes it.
#[test]
fn drift_compares_target_groups_and_retargeting_a_record_changes_the_fingerprint() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    block_on(async {
        use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;
        let east = seed::cloud(&moto.endpoint, EAST).await;
        east.elb.create_target_group().name("web-8080").protocol(ProtocolEnum::Http).port(8080).vpc_id(&w.vpc).send().await.unwrap();
        east.record(&w.zone, "www.example.com", Target::Alias { dns_name: &w.web_dns, evaluate: true }, None, None).await;
    });
    let cfg = format!(
        "schema = \"env.schema.json\"\n\n[environments.staging]\nregion = \"{EAST}\"\nvpc = \"{vpc}\"\nsource = {{ dotenv = \"staging.env\" }}\n\n\
         [environments.production]\nregion = \"{EAST}\"\nvpc = \"{vpc}\"\nsource = {{ dotenv = \"prod.env\" }}\ntested_as = \"staging\"\n",
        vpc = w.vpc
    );
    let dir = repo(&[
        ("preflight.toml", &cfg),
        ("env.schema.json", SCHEMA),
        ("staging.env", "WEB_LB=web-prod\nWEB_TARGET_GROUP=web-blue\nWEB_DNS=www.example.com\n"),
        ("prod.env", "WEB_LB=web-prod\nWEB_TARGET_GROUP=web-8080\nWEB_DNS=www.example.com\n"),
    ]);
    let live = |args: &[&str]| {
        let mut c = preflight(dir.path());
        c.env("AWS_ENDPOINT_URL", &moto.endpoint).args(args);
        run(c)
    };
    let snap = live(&["snapshot", "--env", "staging"]);
    assert_eq!(snap.code, 0, "{}\n{}", snap.stdout, snap.stderr);
    // The lock records the traffic attributes in the shape its published schema describes.
    let lock: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join(".preflight/staging.lock.json")).unwrap()).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(support::manifest_dir().join("schemas/lock.schema.json")).unwrap()).unwrap();
    let errors: Vec<String> = jsonschema::validator_for(&schema).unwrap().iter_errors(&lock).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:?}\n{lock:#}");
    assert_eq!(lock["variables"]["WEB_LB"]["kind"], "elbv2:load-balancer", "{lock:#}");
    let r = live(&["check", "--env", "production", "--format", "json"]);
    let j = r.json();
    let drift: Vec<&serde_json::Value> = j["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "drift-resource").collect();
    assert_eq!(drift.len(), 1, "{}", r.stdout);
    assert_eq!(drift[0]["key"], "WEB_TARGET_GROUP");
    assert!(drift[0]["message"].as_str().unwrap().contains("HTTP:8080"), "{}", drift[0]);

    let before = live(&["check", "--env", "staging", "--format", "json"]).json()["fingerprint"].clone();
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        east.record(&w.zone, "www.example.com", Target::Alias { dns_name: &w.api_dns, evaluate: true }, None, None).await;
    });
    let after = live(&["check", "--env", "staging", "--format", "json"]).json()["fingerprint"].clone();
    assert_ne!(before, after, "the record now leads elsewhere: the environment is not the one checked");
}

/// A DNS name held by a secret variable (`writeOnly`) never reaches the report in any form:
/// not whole, and not as the hosted zone or wildcard that is a suffix of it.
#[test]
fn a_secret_record_name_is_never_printed_not_even_its_zone() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        let zone = east.hosted_zone("hidden-tenant.example.net").await;
        east.record(&zone, "*.apps.hidden-tenant.example.net", Target::A("192.0.2.10"), None, None).await;
    });
    let schema = r#"{"type": "object", "properties": {
        "TENANT_HOST": {"type": "string", "x-aws": "route53:record", "writeOnly": true},
        "TENANT_MISSING": {"type": "string", "x-aws": "route53:record", "writeOnly": true}}}"#;
    let env = "TENANT_HOST=billing.apps.hidden-tenant.example.net\nTENANT_MISSING=gone.hidden-tenant.example.net\n";
    let dir = repo(&[("preflight.toml", &config(&w.vpc, &[])), ("env.schema.json", schema), ("prod.env", env)]);
    for format in ["json", "human", "sarif", "junit", "github"] {
        let mut c = preflight(dir.path());
        c.env("AWS_ENDPOINT_URL", &moto.endpoint).args(["check", "--env", "production", "--format", format]);
        let r = run(c);
        assert_eq!(r.code, 1, "{format}: {}\n{}", r.stdout, r.stderr);
        let all = format!("{}{}", r.stdout, r.stderr);
        assert!(!all.contains("hidden-tenant"), "{format}: a secret's suffix leaked:\n{all}");
        assert!(all.contains("dns-record-not-found"), "{format}:\n{all}");
    }
}

/// A secret load balancer name (writeOnly) is not quoted in x-routes-to's help either, though
/// the load balancer's own name and DNS name hold it.
#[test]
fn a_secret_load_balancer_name_stays_out_of_routes_to_help() {
    let Some(moto) = Moto::start() else { return };
    let w = world(&moto);
    block_on(async {
        let east = seed::cloud(&moto.endpoint, EAST).await;
        east.record(&w.zone, "www.example.com", Target::Alias { dns_name: &w.api_dns, evaluate: true }, None, None).await;
    });
    let schema = SCHEMA.replace(
        r#""WEB_LB": {"type": "string", "x-aws": "elbv2:load-balancer"}"#,
        r#""WEB_LB": {"type": "string", "x-aws": "elbv2:load-balancer", "writeOnly": true}"#,
    );
    let dir = repo(&[("preflight.toml", &config(&w.vpc, &[])), ("env.schema.json", &schema), ("prod.env", "WEB_LB=web-prod\nWEB_DNS=www.example.com\n")]);
    let r = check_at(dir.path(), &moto.endpoint);
    assert_eq!(found(&r), pairs(&[("routes-to-mismatch", "WEB_DNS")]), "{}", r.stdout);
    assert!(!r.stdout.contains("web-prod"), "{}", r.stdout);
    assert!(r.stdout.contains("the load balancer WEB_LB names"), "{}", r.stdout);
}
