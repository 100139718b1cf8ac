#!/usr/bin/env bash
# CodeDeploy AppSpec hook (EC2/on-premises), BeforeAllowTraffic: the last moment before the
# load balancer sends traffic to the new instances. It runs
#
#   preflight check --env "${PREFLIGHT_ENV:-production}" --expect-fingerprint FP
#
# from the deployed revision, and fails the deployment unless preflight exits 0: exit 1
# (blocked, e.g. fingerprint-mismatch: the environment changed since the CI gate passed it),
# 2 (tool error) and 3 (a check could not complete: fail closed) all stop the traffic switch.
# See appspec-snippet.yml for the hooks entry, and README "The blue/green gate".
#
# Inputs (environment):
#   PREFLIGHT_DIR                 where preflight.toml is; default: the folder above this script's
#                                 (the revision root when the script is in scripts/)
#   PREFLIGHT_ENV                 the environment to check; default production
#   PREFLIGHT_EXPECT_FINGERPRINT  the fingerprint the CI gate reported. CodeDeploy does not pass
#                                 your pipeline's variables to hooks, so the usual way is a file
#                                 in the revision: PREFLIGHT_FINGERPRINT_FILE, default
#                                 $PREFLIGHT_DIR/.preflight/expected-fingerprint, written by CI:
#                                 jq -r .fingerprint preflight.json > .preflight/expected-fingerprint
#   PREFLIGHT_BIN                 the preflight binary; default: `preflight` on PATH
# Every other PREFLIGHT_* variable (PREFLIGHT_OFFLINE, PREFLIGHT_TIMEOUT, PREFLIGHT_AGAINST, ...)
# is read by preflight itself. Setting PREFLIGHT_ALLOW_UNVERIFIED=true lets exit 3 through:
# don't, unless you mean it.
#
# The fingerprint covers the git commit, so the revision must carry the commit the gate
# checked: bundle .git (`aws deploy push` does unless --ignore-hidden-files), or set
# PREFLIGHT_REV to the full 40-hex commit id. With
# `tested_as` set for the environment, bundle the tested lock too (.preflight/NAME.lock.json).
set -uo pipefail   # no -e: the exit code of preflight is examined below

log() { printf 'preflight hook: %s\n' "$*" >&2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${PREFLIGHT_DIR:-$here/..}
if ! dir=$(cd "$dir" 2>/dev/null && pwd); then
  log "PREFLIGHT_DIR ${PREFLIGHT_DIR:-} is not a directory; failing the deployment"
  exit 2
fi
export PREFLIGHT_DIR="$dir"   # preflight reads it as -C DIR; now absolute
cd "$dir" || exit 2
env_name=${PREFLIGHT_ENV:-production}
bin=${PREFLIGHT_BIN:-preflight}

fingerprint=${PREFLIGHT_EXPECT_FINGERPRINT:-}
fp_file=${PREFLIGHT_FINGERPRINT_FILE:-$dir/.preflight/expected-fingerprint}
if [ -z "$fingerprint" ] && [ -r "$fp_file" ]; then
  fingerprint=$(tr -d '[:space:]' <"$fp_file")
fi
if [ -z "$fingerprint" ]; then
  log "no expected fingerprint: set PREFLIGHT_EXPECT_FINGERPRINT, or write the CI gate's fingerprint to $fp_file in the revision; failing the deployment"
  exit 2
fi
if ! command -v "$bin" >/dev/null 2>&1; then
  log "$bin not found (PATH=$PATH); install preflight on the instance or set PREFLIGHT_BIN; failing the deployment"
  exit 2
fi

log "checking $env_name in $dir against $fingerprint (${LIFECYCLE_EVENT:-BeforeAllowTraffic}, deployment ${DEPLOYMENT_ID:-unknown})"
"$bin" check --env "$env_name" --expect-fingerprint "$fingerprint"
status=$?

case $status in
  0)
    log "pass: $env_name is the environment the gate checked; allowing traffic"
    exit 0
    ;;
  1) why="blocked: an error finding (above); fingerprint-mismatch means $env_name changed since the gate passed it" ;;
  2) why="preflight could not run: bad flags, or an unreadable or malformed preflight.toml, schema or lock (above)" ;;
  3) why="unverified: a check could not complete (cloud unreachable, timeout, credentials); failing closed" ;;
  *) why="preflight exited with $status" ;;
esac
log "exit $status: $why"
# A commit-less check cannot match a fingerprint taken in a git checkout.
gitdir=$dir
while [ "$gitdir" != / ] && [ ! -e "$gitdir/.git" ]; do gitdir=$(dirname "$gitdir"); done
if [ "$status" -eq 1 ] && [ ! -e "$gitdir/.git" ]; then
  log "note: $dir is not in a git repository: without PREFLIGHT_REV this check's fingerprint has no commit, and cannot match one taken in a git checkout (as in CI); bundle .git in the revision, or set PREFLIGHT_REV (preflight's --rev) to the full 40-hex commit id the gate checked"
fi
log "failing the deployment"
exit "$status"
