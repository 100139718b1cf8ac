"""Artifact freshness on a large repository, against hashing the same files.

    python3 bench/artifacts.py [--files 50000] [--runs 5] [--bin PATH]

Builds a git repository of N source files (about 2 KiB each, in nested folders) and times, in
the same run:
  - `preflight check --offline` with one artifact over the whole source tree (`src`), and with
    one over a tool's folder plus two root files (`src/m000`, `go.mod`, `go.sum`: paths with no
    common prefix, the launcher's shape);
  - `git status --porcelain` (the whole work tree), the bar to meet, and the ratio to it;
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
def config(paths):
    (root / "preflight.toml").write_text('schema = "env.schema.json"\n[environments.prod]\nregion = "us-east-1"\nsource = { dotenv = "prod.env" }\n'
                                         f'[[artifacts]]\nname = "app"\npaths = {paths}\nprovenance = "dist/app.provenance.json"\n')
config('["src"]')
(root / "go.mod").write_text("module bench\n")
(root / "go.sum").write_text("")
(root / "env.schema.json").write_text('{"type": "object"}')
(root / "prod.env").write_text("A=1\n")
(root / ".gitignore").write_text("dist/\n")
t = time.perf_counter(); git("add", "-A"); git("commit", "-qm", "bench"); setup = time.perf_counter() - t

def timed(cmd, shell=False):
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=root, shell=shell, capture_output=True)
    assert p.returncode == 0, p.stderr[-1000:]
    return time.perf_counter() - t

size = sum(f.stat().st_size for f in (root / "src").rglob("*.go"))

def median(cmd, shell=False):
    timed(cmd, shell)  # warm the page cache
    return statistics.median(timed(cmd, shell) for _ in range(a.runs))

git_status = median(["git", "status", "--porcelain"])
rows = []
for paths in ('["src"]', '["src/m000", "go.mod", "go.sum"]'):
    config(paths)
    subprocess.run([a.bin, "stamp", "--artifact", "app"], cwd=root, check=True, capture_output=True)
    rows.append((f"preflight check --offline, paths = {paths}", median([a.bin, "check", "--offline"])))
rows.append(("git status --porcelain (whole work tree)", git_status))
rows.append(("git ls-files -z | xargs -0 sha256sum", median("git ls-files -z | xargs -0 sha256sum > /dev/null", shell=True)))
for name, t in rows:
    print(f"{name}: median {t*1000:.0f} ms ({a.runs} runs), {t/git_status:.2f}x git status")
print(f"repository: {a.files} files, {size/2**20:.0f} MiB of sources (git add+commit took {setup:.0f} s)")
