//! `preflight explain RULE`: prints the documentation declared beside each rule's check.

use crate::checks;
use crate::diag::ToolError;
use crate::report::Verdict;

pub fn run(rule: Option<&str>) -> Result<Verdict, ToolError> {
    let all = checks::all_rules();
    let Some(id) = rule else {
        for r in &all {
            println!("{:<28} {:<8} {}", r.id, r.severity.as_str(), r.summary);
        }
        return Ok(Verdict::Pass);
    };
    match checks::rule(id.trim()) {
        Some(r) => {
            println!("# {} ({}, {} family)\n\n{}\n\n{}", r.id, r.severity.as_str(), r.family, r.summary, r.doc.trim());
            Ok(Verdict::Pass)
        }
        None => {
            let known: Vec<&str> = all.iter().map(|r| r.id).collect();
            Err(ToolError::new(format!("unknown rule `{id}`")).with_help(format!("known rules: {}", known.join(", "))))
        }
    }
}
