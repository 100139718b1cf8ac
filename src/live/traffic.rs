//! Where the traffic goes, asked in batches (SPEC section 5): one paginated load balancer
//! listing and one target group listing per region (never `Names=`: real ELBv2 fails the whole
//! call over one missing name), and Route 53 (one global API, 5 requests a second per account):
//! one `ListHostedZones`; per hosted zone involved, whichever is fewer of one
//! `ListResourceRecordSets` per distinct record name or the zone's pages; one `ListHealthChecks`
//! when a record set names a health check. Load balancers of regions only the records point
//! at are listed once those targets are known.

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;
use futures::future::join_all;
use tokio::time::Instant;

use super::{Answer, Progress, bounded};
use crate::cloud::{Cloud, HostedZone, LoadBalancer, RecordSet, TargetGroup};

/// Route 53 answers 300 record sets a page.
pub const RECORD_PAGE: i64 = 300;

/// Route 53 allows 5 requests a second per account: at most this many are in flight.
const ROUTE53_IN_FLIGHT: usize = 4;

/// What the traffic checks ask.
#[derive(Debug, Default)]
pub struct TrafficPlan {
    /// Regions whose load balancers are listed.
    pub lb_regions: BTreeSet<String>,
    /// Regions whose target groups are listed.
    pub tg_regions: BTreeSet<String>,
    /// DNS record names (normalised: lowercase, no trailing dot).
    pub records: BTreeSet<String>,
}

/// One record name's answer.
#[derive(Debug, Clone, Default)]
pub struct RecordAnswer {
    /// The longest hosted zone(s) of the account whose name holds the record (a public and a
    /// private zone may share a name); empty when none does.
    pub zones: Vec<HostedZone>,
    /// The zone the record sets were found in.
    pub zone: Option<HostedZone>,
    /// The record sets of that name, or of the wildcard that answers it.
    pub sets: Vec<RecordSet>,
    /// The wildcard record (`*.example.com`) that answers the name, when no record has it.
    pub wildcard: Option<String>,
    /// Alias targets in the same zone (another record), followed once: name -> its sets.
    pub followed: BTreeMap<String, Vec<RecordSet>>,
}

/// Everything the traffic checks were answered.
#[derive(Debug, Default)]
pub struct TrafficAnswers {
    pub load_balancers: BTreeMap<String, Answer<Vec<LoadBalancer>>>,
    pub target_groups: BTreeMap<String, Answer<Vec<TargetGroup>>>,
    pub records: BTreeMap<String, Answer<RecordAnswer>>,
    /// Health check ids, when a record set names one.
    pub health_checks: Option<Answer<Vec<String>>>,
}

/// A DNS name as compared: lowercase, without the trailing dot.
pub fn normalise(name: &str) -> String {
    crate::cloud::aws::dns_name(name)
}

/// The region of a load balancer's DNS name (`[dualstack.][internal-]NAME-ID.REGION.elb.amazonaws.com`,
/// `NAME-ID.elb.REGION.amazonaws.com`), or `None` when the name is not a load balancer's.
pub fn elb_region(dns: &str) -> Option<String> {
    let n = normalise(dns);
    let labels: Vec<&str> = n.split('.').collect();
    let i = labels.iter().position(|l| *l == "elb")?;
    let after = &labels[i + 1..];
    let region = match after {
        ["amazonaws", "com"] | ["amazonaws", "com", "cn"] if i >= 2 => labels[i - 1],
        [r, "amazonaws", "com"] | [r, "amazonaws", "com", "cn"] if i >= 1 => r,
        _ => return None,
    };
    let looks_like_region = region.split('-').count() >= 3 && region.ends_with(|c: char| c.is_ascii_digit());
    looks_like_region.then(|| region.to_string())
}

/// A load balancer DNS name without the `dualstack.` prefix an alias may carry.
pub fn elb_key(dns: &str) -> String {
    let n = normalise(dns);
    n.strip_prefix("dualstack.").map(str::to_string).unwrap_or(n)
}

/// The zones of `zones` with the longest name that holds `name`.
fn longest_zones(zones: &[HostedZone], name: &str) -> Vec<HostedZone> {
    let holds = |z: &HostedZone| name == z.name || name.ends_with(&format!(".{}", z.name));
    let best = zones.iter().filter(|z| holds(z)).map(|z| z.name.len()).max();
    zones.iter().filter(|z| holds(z) && Some(z.name.len()) == best).cloned().collect()
}

/// The wildcard names that could answer `name` in a zone, nearest first (`a.b.example.com`:
/// `*.b.example.com`, then `*.example.com`).
fn wildcards(name: &str, zone: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = name;
    while let Some((_, parent)) = rest.split_once('.') {
        if parent.len() < zone.len() {
            break;
        }
        out.push(format!("*.{parent}"));
        rest = parent;
    }
    out
}

/// The record sets of a zone, by name: either the whole zone (when its pages are fewer than the
/// names asked) or one listing per name, at most [`ROUTE53_IN_FLIGHT`] in flight.
struct ZoneRecords<'a, C: Cloud> {
    cloud: &'a C,
    zone: HostedZone,
    whole: Option<Answer<BTreeMap<String, Vec<RecordSet>>>>,
    by_name: BTreeMap<String, Answer<Vec<RecordSet>>>,
    deadline: Instant,
    progress: &'a Progress,
}

impl<'a, C: Cloud> ZoneRecords<'a, C> {
    async fn new(cloud: &'a C, zone: HostedZone, names: &BTreeSet<String>, deadline: Instant, progress: &'a Progress) -> ZoneRecords<'a, C> {
        let pages = ((zone.record_count.max(1) + RECORD_PAGE - 1) / RECORD_PAGE) as usize;
        let mut z = ZoneRecords { cloud, zone, whole: None, by_name: BTreeMap::new(), deadline, progress };
        if pages <= names.len() {
            let all = bounded(deadline, progress, "route53:ListResourceRecordSets", cloud.record_sets(&z.zone.id, None)).await;
            z.whole = Some(all.map(|sets| {
                let mut by: BTreeMap<String, Vec<RecordSet>> = BTreeMap::new();
                for s in sets {
                    by.entry(s.name.clone()).or_default().push(s);
                }
                by
            }));
        } else {
            z.ask(names).await;
        }
        z
    }

    /// Asks for names not yet answered (only when the zone was not listed whole).
    async fn ask(&mut self, names: &BTreeSet<String>) {
        if self.whole.is_some() {
            return;
        }
        let todo: Vec<&String> = names.iter().filter(|n| !self.by_name.contains_key(*n)).collect();
        let (cloud, zone, d, p) = (self.cloud, self.zone.id.clone(), self.deadline, self.progress);
        let answers: Vec<(String, Answer<Vec<RecordSet>>)> = futures::stream::iter(todo.into_iter().map(|n| {
            let zone = zone.clone();
            async move { (n.clone(), bounded(d, p, "route53:ListResourceRecordSets", cloud.record_sets(&zone, Some(n))).await) }
        }))
        .buffer_unordered(ROUTE53_IN_FLIGHT)
        .collect()
        .await;
        self.by_name.extend(answers);
    }

    fn get(&self, name: &str) -> Answer<Vec<RecordSet>> {
        match &self.whole {
            Some(Ok(all)) => Ok(all.get(name).cloned().unwrap_or_default()),
            Some(Err(e)) => Err(e.clone()),
            None => self.by_name.get(name).cloned().unwrap_or_else(|| Ok(Vec::new())),
        }
    }
}

/// Asks Route 53 for the plan's records: zones, record sets (then the wildcards of missing
/// names and the same-zone aliases, only for those), and health checks when one is named.
async fn records<C: Cloud>(
    cloud: &C,
    names: &BTreeSet<String>,
    deadline: Instant,
    progress: &Progress,
) -> (BTreeMap<String, Answer<RecordAnswer>>, Option<Answer<Vec<String>>>) {
    let mut out = BTreeMap::new();
    if names.is_empty() {
        return (out, None);
    }
    let zones = match bounded(deadline, progress, "route53:ListHostedZones", cloud.hosted_zones()).await {
        Ok(z) => z,
        Err(e) => return (names.iter().map(|n| (n.clone(), Err(e.clone()))).collect(), None),
    };
    let mut by_zone: BTreeMap<String, (HostedZone, BTreeSet<String>)> = BTreeMap::new();
    for name in names {
        let longest = longest_zones(&zones, name);
        for z in &longest {
            by_zone.entry(z.id.clone()).or_insert_with(|| (z.clone(), BTreeSet::new())).1.insert(name.clone());
        }
        out.insert(name.clone(), Ok(RecordAnswer { zones: longest, ..Default::default() }));
    }
    let listed = join_all(by_zone.values().map(|(zone, names)| ZoneRecords::new(cloud, zone.clone(), names, deadline, progress))).await;
    for mut zr in listed {
        let names = &by_zone[&zr.zone.id].1;
        // Names without a record: the wildcards that could answer them (asked only for those).
        let missing: Vec<&String> = names.iter().filter(|n| zr.get(n).is_ok_and(|s| s.is_empty())).collect();
        let cards: BTreeSet<String> = missing.iter().flat_map(|n| wildcards(n, &zr.zone.name)).collect();
        zr.ask(&cards).await;
        // Aliases to another record of the same zone, followed once.
        let mut aliased = BTreeSet::new();
        for n in names.iter().chain(&cards) {
            for s in zr.get(n).unwrap_or_default() {
                if let Some(a) = &s.alias
                    && elb_region(&a.dns_name).is_none()
                    && (a.dns_name == zr.zone.name || a.dns_name.ends_with(&format!(".{}", zr.zone.name)))
                {
                    aliased.insert(a.dns_name.clone());
                }
            }
        }
        zr.ask(&aliased).await;
        for name in names {
            let Some(Ok(answer)) = out.get_mut(name) else { continue };
            if answer.zone.is_some() {
                continue;
            }
            let mut sets = match zr.get(name) {
                Ok(s) => s,
                Err(e) => {
                    out.insert(name.clone(), Err(e));
                    continue;
                }
            };
            if sets.is_empty()
                && let Some((card, found)) = wildcards(name, &zr.zone.name).into_iter().find_map(|c| zr.get(&c).ok().filter(|s| !s.is_empty()).map(|s| (c, s)))
            {
                answer.wildcard = Some(card);
                sets = found;
            }
            if sets.is_empty() {
                continue;
            }
            for s in &sets {
                if let Some(a) = &s.alias
                    && aliased.contains(&a.dns_name)
                {
                    answer.followed.insert(a.dns_name.clone(), zr.get(&a.dns_name).unwrap_or_default());
                }
            }
            answer.zone = Some(zr.zone.clone());
            answer.sets = sets;
        }
    }
    let named = out.values().flatten().any(|a| a.sets.iter().chain(a.followed.values().flatten()).any(|s| s.health_check.is_some()));
    let checks = if named { Some(bounded(deadline, progress, "route53:ListHealthChecks", cloud.health_checks()).await) } else { None };
    (out, checks)
}

/// Lists the load balancers of these regions, all concurrently.
async fn list_load_balancers<C: Cloud>(
    cloud: &C,
    regions: impl Iterator<Item = String>,
    deadline: Instant,
    progress: &Progress,
) -> BTreeMap<String, Answer<Vec<LoadBalancer>>> {
    let regions: Vec<String> = regions.collect();
    let answers = join_all(regions.iter().map(|r| bounded(deadline, progress, "elasticloadbalancing:DescribeLoadBalancers", cloud.load_balancers(r)))).await;
    regions.into_iter().zip(answers).collect()
}

/// The load balancer regions the records' targets name.
fn target_regions(records: &BTreeMap<String, Answer<RecordAnswer>>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for a in records.values().flatten() {
        for s in a.sets.iter().chain(a.followed.values().flatten()) {
            let targets =
                s.alias.iter().map(|a| a.dns_name.as_str()).chain(if s.kind == "CNAME" { s.values.iter().map(String::as_str).collect() } else { Vec::new() });
            out.extend(targets.filter_map(elb_region));
        }
    }
    out
}

/// Asks everything the plan names: listings and Route 53 concurrently, then the load balancers
/// of regions only the records' targets name.
pub async fn run<C: Cloud>(cloud: &C, plan: &TrafficPlan, deadline: Instant, progress: &Progress) -> TrafficAnswers {
    let lbs = list_load_balancers(cloud, plan.lb_regions.iter().cloned(), deadline, progress);
    let tgs = async {
        let regions: Vec<&String> = plan.tg_regions.iter().collect();
        let answers = join_all(regions.iter().map(|r| bounded(deadline, progress, "elasticloadbalancing:DescribeTargetGroups", cloud.target_groups(r)))).await;
        regions.into_iter().cloned().zip(answers).collect::<BTreeMap<_, _>>()
    };
    let dns = records(cloud, &plan.records, deadline, progress);
    let (mut load_balancers, target_groups, (records, health_checks)) = tokio::join!(lbs, tgs, dns);
    let more: Vec<String> = target_regions(&records).into_iter().filter(|r| !load_balancers.contains_key(r)).collect();
    if !more.is_empty() {
        load_balancers.extend(list_load_balancers(cloud, more.into_iter(), deadline, progress).await);
    }
    TrafficAnswers { load_balancers, target_groups, records, health_checks }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_balancer_dns_names_give_their_region() {
        assert_eq!(elb_region("web-1234567890.us-east-1.elb.amazonaws.com").as_deref(), Some("us-east-1"));
        assert_eq!(elb_region("dualstack.internal-web-1.eu-west-1.elb.amazonaws.com.").as_deref(), Some("eu-west-1"));
        assert_eq!(elb_region("net-0123456789abcdef.elb.ap-southeast-2.amazonaws.com").as_deref(), Some("ap-southeast-2"));
        assert_eq!(elb_region("WEB-1.CN-NORTH-1.ELB.AMAZONAWS.COM.CN").as_deref(), Some("cn-north-1"));
        assert_eq!(elb_region("d111111abcdef8.cloudfront.net"), None);
        assert_eq!(elb_region("elb.amazonaws.com"), None);
        assert_eq!(elb_key("DualStack.Web-1.us-east-1.elb.amazonaws.com."), "web-1.us-east-1.elb.amazonaws.com");
    }

    #[test]
    fn the_longest_zone_holds_a_name_and_wildcards_run_up_to_it() {
        let z = |id: &str, name: &str| HostedZone { id: id.into(), name: name.into(), ..Default::default() };
        let zones = [z("A", "example.com"), z("B", "api.example.com"), z("C", "ample.com")];
        assert_eq!(longest_zones(&zones, "v1.api.example.com")[0].id, "B");
        assert_eq!(longest_zones(&zones, "www.example.com")[0].id, "A");
        assert!(longest_zones(&zones, "example.org").is_empty());
        assert_eq!(wildcards("a.b.example.com", "example.com"), ["*.b.example.com", "*.example.com"]);
        assert!(wildcards("example.com", "example.com").is_empty());
    }
}
