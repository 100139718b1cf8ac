"""Artifact freshness on a large repository, against hashing the same files.

    python3 bench/artifacts.py [--files 50000] [--runs 5] [--bin PATH]

Builds a git repository of N source files (about 2 KiB each, in nested folders), declares one
artifact over the whole source tree, stamps it, then times:
  - `preflight check --offline` (object-id lookups plus a git status of the paths), and
  - `git ls-files -z | xargs -0 sha256sum` (what a content-hashing freshness check does).
Reports median wall times. Not a test: numbers go in docs/performance.md.
"""
import argparse, os, pathlib, statistics, subprocess, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--files", type=int, default=50_000)
ap.add_argument("--runs", type=int, default=5)
ap.add_argument("--bin", default=str(pathlib.Path(__file__).resolve().parent.parent / "target/release/preflight"))
a = ap.parse_args()

root = pathlib.Path(tempfile.mkdtemp(prefix="preflight-bench-git-"))
git = lambda *args: subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", *args], cwd=root, check=True, capture_output=True)
git("init", "-q")
body = ("// generated source line for the benchmark\n" * 48)
for i in range(a.files):
    d = root / "src" / f"m{i // 1000:03d}" / f"p{(i // 50) % 20:02d}"
    d.mkdir(parents=True, exist_ok=True)
    (d / f"f{i:06d}.go").write_text(f"package p{i}\n{body}")
(root / "preflight.toml").write_text('schema = "env.schema.json"\n[environments.prod]\nregion = "us-east-1"\nsource = { dotenv = "prod.env" }\n'
                                     '[[artifacts]]\nname = "app"\npaths = ["src"]\nprovenance = "dist/app.provenance.json"\n')
(root / "env.schema.json").write_text('{"type": "object"}')
(root / "prod.env").write_text("A=1\n")
(root / ".gitignore").write_text("dist/\n")
t = time.perf_counter(); git("add", "-A"); git("commit", "-qm", "bench"); setup = time.perf_counter() - t
subprocess.run([a.bin, "stamp", "--artifact", "app"], cwd=root, check=True, capture_output=True)

def timed(cmd, shell=False):
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=root, shell=shell, capture_output=True)
    assert p.returncode == 0, p.stderr[-1000:]
    return time.perf_counter() - t

size = sum(f.stat().st_size for f in (root / "src").rglob("*.go"))
for name, cmd, shell in [("preflight check --offline", [a.bin, "check", "--offline"], False),
                         ("git ls-files -z | xargs -0 sha256sum", "git ls-files -z | xargs -0 sha256sum > /dev/null", True)]:
    timed(cmd, shell)  # warm the page cache
    times = [timed(cmd, shell) for _ in range(a.runs)]
    print(f"{name}: median {statistics.median(times)*1000:.0f} ms, min {min(times)*1000:.0f} ms ({a.runs} runs)")
print(f"repository: {a.files} files, {size/2**20:.0f} MiB of sources (git add+commit took {setup:.0f} s)")
