"""Offline benchmark: `preflight check --offline` on N variables (default 10,000).

    python3 bench/offline.py [--vars N] [--runs R] [--bin PATH]

Generates a schema and an env file with a realistic mix of types (strings with patterns,
integers with ranges, booleans, enums, arrays, AMI/security-group/subnet ids, secrets), a
handful of broken values so findings are produced, and runs the release binary R times.
Reports the median and min wall time and the peak resident memory (ru_maxrss of the child).
Not a test: numbers go into docs/performance.md by hand, with the machine and date.
"""
import argparse, json, os, pathlib, resource, statistics, subprocess, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--vars", type=int, default=10_000)
ap.add_argument("--runs", type=int, default=7)
ap.add_argument("--bin", default=str(pathlib.Path(__file__).resolve().parent.parent / "target/release/preflight"))
a = ap.parse_args()

work = pathlib.Path(tempfile.mkdtemp(prefix="preflight-bench-"))
props, lines = {}, []
for i in range(a.vars):
    k = i % 8
    name = f"VAR_{i:05d}"
    if k == 0:
        props[name] = {"type": "string", "x-aws": "ec2:image"}; v = f"ami-{i:017x}"
    elif k == 1:
        props[name] = {"type": "array", "items": {"type": "string", "x-aws": "ec2:security-group"}}; v = f"sg-{i:017x}, web-{i}"
    elif k == 2:
        props[name] = {"type": "string", "x-aws": "ec2:subnet"}; v = f"subnet-{i:017x}"
    elif k == 3:
        props[name] = {"type": "integer", "minimum": 0, "maximum": 1_000_000}; v = str(i)
    elif k == 4:
        props[name] = {"type": "boolean"}; v = "true"
    elif k == 5:
        props[name] = {"type": "string", "enum": ["debug", "info", "warn"]}; v = "info"
    elif k == 6:
        name = f"SECRET_TOKEN_{i:05d}"; props[name] = {"type": "string", "minLength": 8}; v = f"'tok-{i:012d}'"
    else:
        props[name] = {"type": "string", "pattern": "^https://[a-z0-9.-]+/"}; v = f"https://svc-{i}.internal/api"
    if i % 997 == 0:
        v = "not-valid"  # a few findings, so rendering is exercised too
    lines.append(f"{name}={v}")
(work / "env.schema.json").write_text(json.dumps({"type": "object", "additionalProperties": False, "required": list(props)[:100], "properties": props}))
(work / "prod.env").write_text("\n".join(lines) + "\n")
(work / "preflight.toml").write_text('schema = "env.schema.json"\n[environments.prod]\nregion = "us-east-1"\nsource = { dotenv = "prod.env" }\n')

def once(fmt):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    p = subprocess.run([a.bin, "check", "--offline", "--format", fmt], cwd=work, capture_output=True)
    dt = time.perf_counter() - t
    assert p.returncode == 1, (p.returncode, p.stderr[-2000:])
    return dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, len(p.stdout)

for fmt in ["json", "human"]:
    once(fmt)  # warm the page cache
    results = [once(fmt) for _ in range(a.runs)]
    times = [r[0] for r in results]
    peak = max(r[1] for r in results)
    print(f"{a.vars} variables, --format {fmt}: median {statistics.median(times)*1000:.0f} ms, "
          f"min {min(times)*1000:.0f} ms, peak RSS {peak/1024:.1f} MiB, report {results[0][2]/1024:.0f} KiB "
          f"({a.runs} runs; env file {os.path.getsize(work/'prod.env')/1024:.0f} KiB)")
