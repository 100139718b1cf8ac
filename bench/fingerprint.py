"""What one guess at a secret costs an attacker who holds a published fingerprint.

    python3 bench/fingerprint.py [--bin PATH] [--runs R]

Times `check --offline` on the same one-variable environment three ways, in the same run:
the variable plain (its value enters as SHA-256, as every value did before), the variable secret
without PREFLIGHT_FINGERPRINT_KEY (Argon2id, 19 MiB, 2 passes), and secret with a key (HMAC).
The difference between the secret and the plain medians is the cost of one Argon2id
derivation: the work an attacker repeats for every guess. A SHA-256 guess is also timed in
Python, for scale. Not a test: numbers go into docs/performance.md by hand.
"""
import argparse, hashlib, json, os, pathlib, statistics, subprocess, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--bin", default=str(pathlib.Path(__file__).resolve().parent.parent / "target/release/preflight"))
ap.add_argument("--runs", type=int, default=15)
a = ap.parse_args()

work = pathlib.Path(tempfile.mkdtemp(prefix="preflight-fp-"))
(work / "preflight.toml").write_text('schema = "env.schema.json"\n[environments.prod]\nregion = "us-east-1"\nsource = { dotenv = "prod.env" }\n')
(work / "prod.env").write_text("V=abcd\n")


def median(write_only, key=None):
    (work / "env.schema.json").write_text(json.dumps({"properties": {"V": {"type": "string", "writeOnly": write_only}}}))
    env = dict(os.environ)
    env.pop("PREFLIGHT_FINGERPRINT_KEY", None)
    if key:
        env["PREFLIGHT_FINGERPRINT_KEY"] = key
    times = []
    for _ in range(a.runs + 1):
        t = time.perf_counter()
        subprocess.run([a.bin, "check", "--offline", "--format", "json"], cwd=work, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times[1:])


plain, slow, keyed = median(False), median(True), median(True, "ci-key")
t = time.perf_counter()
for i in range(100_000):
    hashlib.sha256(f"{i:04d}".encode()).digest()
sha = (time.perf_counter() - t) / 100_000
print(f"plain (SHA-256): {plain * 1000:.1f} ms per run")
print(f"secret, no key (Argon2id): {slow * 1000:.1f} ms per run -> one guess costs ~{(slow - plain) * 1000:.0f} ms and 19 MiB")
print(f"secret, keyed (HMAC): {keyed * 1000:.1f} ms per run (a guess cannot be checked without the key)")
print(f"for scale, one SHA-256 guess in Python: {sha * 1e9:.0f} ns ({(slow - plain) / sha:,.0f}x cheaper than Argon2id)")
