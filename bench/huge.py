"""Huge-input benchmark (issue "Trust", item 8): time and peak memory of `check --offline` on
inputs built to be slow, in every format.

    python3 bench/huge.py [--bin PATH] [--cases 60mb,1m-lines,40k-dups]

Cases:
  60mb       15,000,000 duplicate lines `A=1` (60 MB, under the 64 MiB cap): 15M env-duplicate
             findings before the cap; the report keeps 50 of one rule per file and a summary.
  1m-lines   1,000,000 distinct variables, one in every 1,000 invalid (1,000 env-schema findings,
             each with a snippet), against a closed schema.
  40k-dups   40,000 duplicate lines (160 KB): the case that took 16 s when rendering was quadratic.

Reports wall time and peak RSS (ru_maxrss of the child) per format. Not a test: the numbers go
into docs/performance.md by hand, with the machine, the date and the binary's profile.
"""
import argparse, json, pathlib, resource, subprocess, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--bin", default=str(pathlib.Path(__file__).resolve().parent.parent / "target/release/preflight"))
ap.add_argument("--cases", default="40k-dups,1m-lines,60mb")
ap.add_argument("--formats", default="human,json,sarif,junit,github")
a = ap.parse_args()

CONFIG = 'schema = "env.schema.json"\n[environments.prod]\nregion = "us-east-1"\nsource = { dotenv = "prod.env" }\n'


def build(case):
    work = pathlib.Path(tempfile.mkdtemp(prefix=f"preflight-huge-{case}-"))
    (work / "preflight.toml").write_text(CONFIG)
    if case in ("60mb", "40k-dups"):
        n = 15_000_000 if case == "60mb" else 40_000
        (work / "env.schema.json").write_text(json.dumps({"properties": {"A": {"type": "string"}}}))
        with open(work / "prod.env", "wb") as f:
            chunk = b"A=1\n" * 100_000
            for _ in range(n // 100_000):
                f.write(chunk)
            f.write(b"A=1\n" * (n % 100_000))
    else:
        props = {"V": {"type": "string"}}
        (work / "env.schema.json").write_text(json.dumps({"patternProperties": {"^V[0-9]+$": {"type": "string", "pattern": "^ok"}}, "properties": props}))
        with open(work / "prod.env", "w") as f:
            for i in range(1_000_000):
                f.write(f"V{i}={'bad' if i % 1000 == 0 else 'ok'}-{i}\n")
    return work


def once(work, fmt):
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", a.bin, "check", "--offline", "--format", fmt], cwd=work, capture_output=True)
    dt = time.perf_counter() - t
    rss_kib = int(p.stderr.decode().strip().splitlines()[-1])
    assert p.returncode in (0, 1), (p.returncode, p.stderr[-2000:])
    return dt, rss_kib, len(p.stdout)


for case in a.cases.split(","):
    work = build(case)
    size = (work / "prod.env").stat().st_size
    for fmt in a.formats.split(","):
        dt, rss, out = once(work, fmt)
        print(f"{case} ({size / 1e6:.1f} MB), --format {fmt}: {dt:.2f} s, peak RSS {rss / 1024:.0f} MiB, report {out / 1024:.0f} KiB", flush=True)
