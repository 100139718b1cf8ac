#!/usr/bin/env python3
"""Tests of ci/install.sh against a fake release served from 127.0.0.1.

    python3 ci/test_install.py [-v]
    PREFLIGHT_TEST_SH="busybox sh" python3 ci/test_install.py   # under another shell (default: sh)

Python standard library only. A temporary directory holds a fake GitHub release per version
(v<version>/preflight-<target>.tar.gz, laid out as dist lays them out: one directory
preflight-<target>/ with the binary and README.md inside, and <archive>.sha256 beside each in
dist's "<hex> *<name>" format). The binary is a shell script that prints its version and target.
http.server serves that directory on 127.0.0.1 (port 0: a free one) in a thread and records
every request; it is shut down when the tests end, whatever happens. PATH shims stand in for
`uname` (the platform), `getconf` and `ldd` (the libc) and `cargo` (records its arguments and
"builds" a stub), so nothing is built and nothing is downloaded from the internet: every URL the
script asks for is on 127.0.0.1 (the tests check the request log), and the cargo fallback only
reaches the shim.
"""

import hashlib
import http.server
import io
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import threading
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "ci", "install.sh")
SHELL = os.environ.get("PREFLIGHT_TEST_SH", "sh").split()

TARGETS = [
    "aarch64-apple-darwin",
    "aarch64-unknown-linux-gnu",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "x86_64-unknown-linux-gnu",
    "x86_64-unknown-linux-musl",
]

# What each version of the fake release holds.
FULL = ["0.1.0", "0.2.0"]  # every target, each with its .sha256
BAD_SUM = "0.3.0"  # x86_64-unknown-linux-gnu only, its .sha256 is of other bytes
UNIFIED_SUM = "0.4.0"  # x86_64-unknown-linux-gnu only, checksum in sha256.sum alone
NO_SUM = "0.5.0"  # x86_64-unknown-linux-gnu only, no checksum at all
SERVER_ERROR = "0.6.0"  # every request under it answers 500

state = {}


def fake_binary(version, target):
    return f'#!/bin/sh\necho "preflight {version} ({target})"\n'.encode()


def make_archive(version, target):
    """A .tar.gz laid out as dist makes it: preflight-<target>/{preflight,README.md}."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        top = f"preflight-{target}"
        d = tarfile.TarInfo(top)
        d.type = tarfile.DIRTYPE
        d.mode = 0o755
        tar.addfile(d)
        for name, data, mode in [
            ("preflight", fake_binary(version, target), 0o755),
            ("README.md", b"# preflight\n", 0o644),
        ]:
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            info.mode = mode
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def checksum_line(data, name):
    # dist's format (write_checksum_file): "<hex> *<name>\n", then one more newline.
    return f"{hashlib.sha256(data).hexdigest()} *{name}\n\n"


def build_release(root):
    def write(version, name, data):
        d = os.path.join(root, f"v{version}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    for version in FULL:
        lines = []
        for target in TARGETS:
            name = f"preflight-{target}.tar.gz"
            data = make_archive(version, target)
            write(version, name, data)
            write(version, f"{name}.sha256", checksum_line(data, name))
            lines.append(checksum_line(data, name).rstrip("\n") + "\n")
        write(version, "sha256.sum", "".join(lines) + "\n")
    gnu = "preflight-x86_64-unknown-linux-gnu.tar.gz"
    data = make_archive(BAD_SUM, "x86_64-unknown-linux-gnu")
    write(BAD_SUM, gnu, data)
    write(BAD_SUM, f"{gnu}.sha256", checksum_line(data + b"tampered", gnu))
    data = make_archive(UNIFIED_SUM, "x86_64-unknown-linux-gnu")
    write(UNIFIED_SUM, gnu, data)
    write(UNIFIED_SUM, "sha256.sum", checksum_line(b"other", "source.tar.gz").rstrip("\n") + "\n"
          + checksum_line(data, gnu))
    write(NO_SUM, gnu, make_archive(NO_SUM, "x86_64-unknown-linux-gnu"))


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=state["release"], **kwargs)

    def do_GET(self):
        with state["lock"]:
            state["requests"].append(self.path)
        if self.path.startswith(f"/v{SERVER_ERROR}/"):
            self.send_error(500, "broken on purpose")
            return
        super().do_GET()

    def log_message(self, *args):
        pass


def setUpModule():
    # unittest skips tearDownModule when this raises: clean up here then.
    try:
        state["tmp"] = tempfile.mkdtemp(prefix="preflight-install-test-")
        state["release"] = os.path.join(state["tmp"], "release")
        state["requests"] = []
        state["lock"] = threading.Lock()
        build_release(state["release"])
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        state["server"] = server
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        state["thread"] = thread
        state["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    server, thread = state.pop("server", None), state.pop("thread", None)
    if server is not None:
        if thread is not None:
            server.shutdown()  # waits for serve_forever to return
            thread.join(timeout=5)
        server.server_close()
    if state.get("tmp"):
        shutil.rmtree(state.pop("tmp"), ignore_errors=True)


def write_exe(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


class InstallTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="case-", dir=state["tmp"])
        self.shims = os.path.join(self.dir, "shims")
        self.home = os.path.join(self.dir, "home")
        self.to = os.path.join(self.dir, "bin")
        self.cargo_log = os.path.join(self.dir, "cargo-args")
        os.makedirs(self.shims)
        os.makedirs(self.home)
        with state["lock"]:
            state["requests"].clear()
        self.platform("Linux", "x86_64", glibc="2.36")
        # A cargo that records its arguments and leaves a stub where --root says.
        write_exe(os.path.join(self.shims, "cargo"), f"""#!/bin/sh
printf '%s\\n' "$@" > '{self.cargo_log}'
root=""
while [ $# -gt 0 ]; do
    [ "$1" = --root ] && root=$2
    shift
done
mkdir -p "$root/bin"
printf '#!/bin/sh\\necho "preflight built-from-source"\\n' > "$root/bin/preflight"
chmod +x "$root/bin/preflight"
""")

    def platform(self, os_name, machine, glibc=None, getconf_knows_glibc=True):
        """uname, getconf and ldd shims: the platform and libc the script sees."""
        write_exe(os.path.join(self.shims, "uname"), f"""#!/bin/sh
case "$1" in
    -s) echo '{os_name}' ;;
    -m) echo '{machine}' ;;
    *) echo '{os_name}' ;;
esac
""")
        if glibc and getconf_knows_glibc:
            getconf = f"#!/bin/sh\n[ \"$1\" = GNU_LIBC_VERSION ] && echo 'glibc {glibc}' && exit 0\nexit 1\n"
            ldd = f"#!/bin/sh\necho 'ldd (GNU libc) {glibc}'\n"
        elif glibc:  # no getconf answer: ldd --version tells, as on Debian
            getconf = "#!/bin/sh\nexit 1\n"
            ldd = f"#!/bin/sh\necho 'ldd (Debian GLIBC {glibc}-9) {glibc}'\necho 'Copyright (C) 2022'\n"
        else:
            getconf = "#!/bin/sh\necho \"getconf: $1: invalid variable\" >&2\nexit 1\n"
            ldd = "#!/bin/sh\necho 'musl libc (x86_64)' >&2\necho 'Version 1.2.4' >&2\nexit 1\n"
        write_exe(os.path.join(self.shims, "getconf"), getconf)
        write_exe(os.path.join(self.shims, "ldd"), ldd)

    def run_install(self, *args, env=None, to=True):
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("PREFLIGHT_")}
        full_env.update({
            "PATH": self.shims + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "PREFLIGHT_RELEASE_URL": state["url"],
        })
        # No proxy may turn 127.0.0.1 into a request elsewhere.
        for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
            full_env.pop(k, None)
        full_env["no_proxy"] = full_env["NO_PROXY"] = "*"
        full_env.update(env or {})
        argv = [*SHELL, SCRIPT, *args]
        if to:
            argv += ["--to", self.to]
        return subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=60)

    def requests(self):
        with state["lock"]:
            return list(state["requests"])

    def installed(self, path=None):
        path = path or os.path.join(self.to, "preflight")
        return subprocess.run([path], capture_output=True, text=True, timeout=10).stdout.strip()

    def assert_ok(self, r):
        self.assertEqual(r.returncode, 0, f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}")

    def assert_nothing_installed(self):
        self.assertFalse(os.path.exists(self.to) and os.listdir(self.to), os.listdir(self.to) if os.path.exists(self.to) else None)

    # The platform picks the archive.

    def test_linux_x86_64_glibc_gets_gnu_archive(self):
        r = self.run_install()
        self.assert_ok(r)
        self.assertEqual(self.installed(), "preflight 0.1.0 (x86_64-unknown-linux-gnu)")
        self.assertEqual(self.requests(), [
            "/v0.1.0/preflight-x86_64-unknown-linux-gnu.tar.gz",
            "/v0.1.0/preflight-x86_64-unknown-linux-gnu.tar.gz.sha256",
        ])
        self.assertIn("sha256 verified", r.stderr)
        self.assertIn(f"installed {self.to}/preflight", r.stderr)
        self.assertFalse(os.path.exists(self.cargo_log), "cargo must not run when an archive exists")

    def test_platforms_map_to_dist_targets(self):
        cases = [
            (("Linux", "aarch64", "2.39"), "aarch64-unknown-linux-gnu"),
            (("Linux", "arm64", "2.35"), "aarch64-unknown-linux-gnu"),
            (("Linux", "amd64", "2.35"), "x86_64-unknown-linux-gnu"),
            (("Linux", "x86_64", "2.31"), "x86_64-unknown-linux-musl"),  # glibc older than the build's
            (("Linux", "x86_64", None), "x86_64-unknown-linux-musl"),  # Alpine: musl
            (("Linux", "aarch64", None), "aarch64-unknown-linux-musl"),
            (("Darwin", "arm64", None), "aarch64-apple-darwin"),
            (("Darwin", "x86_64", None), "x86_64-apple-darwin"),
        ]
        for (os_name, machine, glibc), target in cases:
            with self.subTest(os=os_name, machine=machine, glibc=glibc):
                self.platform(os_name, machine, glibc)
                to = os.path.join(self.dir, f"{os_name}-{machine}-{glibc}")
                r = self.run_install("--to", to, to=False)
                self.assert_ok(r)
                self.assertEqual(self.installed(os.path.join(to, "preflight")), f"preflight 0.1.0 ({target})")
                self.assertIn(f"/v0.1.0/preflight-{target}.tar.gz", self.requests())

    def test_glibc_version_from_ldd_when_getconf_cannot_tell(self):
        for glibc, target in [("2.36", "x86_64-unknown-linux-gnu"), ("2.28", "x86_64-unknown-linux-musl")]:
            with self.subTest(glibc=glibc):
                self.platform("Linux", "x86_64", glibc, getconf_knows_glibc=False)
                r = self.run_install("--plan")
                self.assert_ok(r)
                self.assertIn(f"target={target}\n", r.stdout)

    def test_target_can_be_given(self):
        r = self.run_install("--plan", env={"PREFLIGHT_INSTALL_TARGET": "x86_64-unknown-linux-musl"}, to=False)
        self.assert_ok(r)
        self.assertIn("target=x86_64-unknown-linux-musl\n", r.stdout)
        r = self.run_install("--target", "x86_64-unknown-linux-musl")
        self.assert_ok(r)
        self.assertEqual(self.installed(), "preflight 0.1.0 (x86_64-unknown-linux-musl)")

    def test_default_install_dir_is_home_local_bin(self):
        r = self.run_install(to=False)
        self.assert_ok(r)
        self.assertEqual(self.installed(os.path.join(self.home, ".local", "bin", "preflight")),
                         "preflight 0.1.0 (x86_64-unknown-linux-gnu)")
        r = self.run_install(to=False, env={"PREFLIGHT_INSTALL_DIR": self.to})
        self.assert_ok(r)
        self.assertEqual(self.installed(), "preflight 0.1.0 (x86_64-unknown-linux-gnu)")

    def test_plan_prints_and_installs_nothing(self):
        r = self.run_install("--plan", "--version", "v0.2.0")
        self.assert_ok(r)
        self.assertEqual(r.stdout, (
            "version=0.2.0\ntarget=x86_64-unknown-linux-gnu\n"
            "archive=preflight-x86_64-unknown-linux-gnu.tar.gz\n"
            f"url={state['url']}/v0.2.0/preflight-x86_64-unknown-linux-gnu.tar.gz\n"))
        self.assertEqual(self.requests(), [])
        self.assert_nothing_installed()

    def test_default_url_is_the_github_release(self):
        r = self.run_install("--plan", env={"PREFLIGHT_RELEASE_URL": ""})
        self.assert_ok(r)
        self.assertIn("url=https://github.com/OWNER/preflight/releases/download/v0.1.0/"
                      "preflight-x86_64-unknown-linux-gnu.tar.gz\n", r.stdout)
        r = self.run_install("--plan", env={"PREFLIGHT_RELEASE_URL": "", "PREFLIGHT_REPO": "acme/preflight"})
        self.assertIn("url=https://github.com/acme/preflight/releases/download/v0.1.0/", r.stdout)

    # The checksum.

    def test_checksum_mismatch_is_refused_and_nothing_installed(self):
        os.makedirs(self.to)
        old = os.path.join(self.to, "preflight")
        write_exe(old, "#!/bin/sh\necho old\n")
        r = self.run_install("--version", BAD_SUM)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("checksum mismatch", r.stderr)
        self.assertIn("nothing was installed", r.stderr)
        self.assertEqual(sorted(os.listdir(self.to)), ["preflight"])
        self.assertEqual(self.installed(), "old")
        self.assertFalse(os.path.exists(self.cargo_log), "a bad checksum must not fall back to cargo")

    def test_sha256_sum_is_used_when_no_per_archive_checksum(self):
        r = self.run_install("--version", UNIFIED_SUM)
        self.assert_ok(r)
        self.assertIn("verified against sha256.sum", r.stderr)
        self.assertEqual(self.installed(), f"preflight {UNIFIED_SUM} (x86_64-unknown-linux-gnu)")

    def test_no_checksum_is_refused(self):
        r = self.run_install("--version", NO_SUM)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("unverified", r.stderr)
        self.assert_nothing_installed()

    # The cargo fallback.

    def test_missing_archive_falls_back_to_cargo(self):
        self.platform("Linux", "aarch64", "2.36")  # BAD_SUM's release has only the x86_64 gnu archive
        r = self.run_install("--version", BAD_SUM)
        self.assert_ok(r)
        self.assertIn("HTTP 404", r.stderr)
        self.assertIn("falling back", r.stderr)
        with open(self.cargo_log) as f:
            args = f.read().splitlines()
        root = args[args.index("--root") + 1]
        self.assertEqual(args, ["install", "--locked", "--git", "https://github.com/OWNER/preflight",
                                "--tag", f"v{BAD_SUM}", "preflight", "--root", root])
        self.assertEqual(self.installed(), "preflight built-from-source")
        self.assertEqual(self.requests(), [f"/v{BAD_SUM}/preflight-aarch64-unknown-linux-gnu.tar.gz"])

    def test_unknown_platform_falls_back_without_downloading(self):
        self.platform("FreeBSD", "amd64")
        r = self.run_install("--version", "0.2.0", env={"PREFLIGHT_GIT_URL": "https://example.invalid/preflight.git"})
        self.assert_ok(r)
        self.assertIn("no prebuilt archive for this platform (FreeBSD amd64)", r.stderr)
        with open(self.cargo_log) as f:
            args = f.read().splitlines()
        self.assertEqual(args[:6], ["install", "--locked", "--git", "https://example.invalid/preflight.git",
                                    "--tag", "v0.2.0"])
        self.assertEqual(self.requests(), [])
        self.assertEqual(self.installed(), "preflight built-from-source")

    def test_fallback_builds_the_source_dir_when_given(self):
        self.platform("Linux", "riscv64", "2.36")
        src = os.path.join(self.dir, "src")
        os.makedirs(src)
        with open(os.path.join(src, "Cargo.toml"), "w") as f:
            f.write('[package]\nname = "preflight"\n')
        for args, env in [(["--source", src], {}), ([], {"PREFLIGHT_SOURCE_DIR": src})]:
            with self.subTest(args=args, env=env):
                r = self.run_install(*args, env=env)
                self.assert_ok(r)
                self.assertIn(f"falling back to building preflight from the source in {src}", r.stderr)
                with open(self.cargo_log) as f:
                    args_seen = f.read().splitlines()
                root = args_seen[args_seen.index("--root") + 1]
                self.assertEqual(args_seen, ["install", "--locked", "--path", src, "--root", root])
                self.assertEqual(self.installed(), "preflight built-from-source")
        r = self.run_install("--source", self.home)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("has no Cargo.toml", r.stderr)

    def test_fallback_can_be_refused(self):
        self.platform("Linux", "riscv64", "2.36")
        for r in (self.run_install("--no-cargo-fallback"),
                  self.run_install(env={"PREFLIGHT_CARGO_FALLBACK": "0"})):
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("not building from source", r.stderr)
        self.assertFalse(os.path.exists(self.cargo_log))
        self.assert_nothing_installed()

    def test_fallback_without_cargo_says_so(self):
        os.remove(os.path.join(self.shims, "cargo"))
        self.platform("Linux", "riscv64", "2.36")
        path = self.shims + os.pathsep + os.pathsep.join(
            d for d in os.environ.get("PATH", "").split(os.pathsep) if not os.path.exists(os.path.join(d, "cargo")))
        if not all(shutil.which(tool, path=path) for tool in (SHELL[0], "mktemp", "rm")):
            self.skipTest("cargo shares a directory with sh or mktemp: it cannot be hidden from PATH")
        r = self.run_install(env={"PATH": path})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("cargo is not installed", r.stderr)
        self.assert_nothing_installed()

    def test_server_error_fails_without_fallback(self):
        # curl retries a 500 (1 s, 2 s, 4 s apart by default): no retries keeps the test fast.
        r = self.run_install("--version", SERVER_ERROR, env={"PREFLIGHT_DOWNLOAD_RETRIES": "0"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("HTTP 500", r.stderr)
        self.assertEqual(self.requests(), [f"/v{SERVER_ERROR}/preflight-x86_64-unknown-linux-gnu.tar.gz"])
        self.assertFalse(os.path.exists(self.cargo_log), "only a 404 falls back to cargo")
        self.assert_nothing_installed()

    # The version pin.

    def test_version_pin_is_honoured(self):
        for how, args, env in [
            ("--version", ["--version", "0.2.0"], {}),
            ("--version=v", ["--version=v0.2.0"], {}),
            ("PREFLIGHT_VERSION", [], {"PREFLIGHT_VERSION": "v0.2.0"}),
            ("option wins", ["--version", "0.2.0"], {"PREFLIGHT_VERSION": "0.1.0"}),
        ]:
            with self.subTest(how=how):
                with state["lock"]:
                    state["requests"].clear()
                r = self.run_install(*args, env=env)
                self.assert_ok(r)
                self.assertEqual(self.requests(), [
                    "/v0.2.0/preflight-x86_64-unknown-linux-gnu.tar.gz",
                    "/v0.2.0/preflight-x86_64-unknown-linux-gnu.tar.gz.sha256",
                ])
                self.assertEqual(self.installed(), "preflight 0.2.0 (x86_64-unknown-linux-gnu)")

    def test_bad_version_is_refused(self):
        r = self.run_install("--version", "1.0;rm -rf /")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not a version", r.stderr)
        self.assertEqual(self.requests(), [])

    def test_default_version_is_cargo_toml_version(self):
        with open(os.path.join(ROOT, "Cargo.toml")) as f:
            cargo = re.search(r'^version\s*=\s*"([^"]+)"', f.read(), re.M).group(1)
        with open(SCRIPT) as f:
            script = re.search(r'^default_version="([^"]+)"', f.read(), re.M).group(1)
        self.assertEqual(script, cargo, "bump default_version in ci/install.sh with Cargo.toml's version")

    # wget instead of curl.

    @unittest.skipUnless(shutil.which("wget"), "wget is not installed")
    def test_wget_downloads_and_404_falls_back(self):
        r = self.run_install(env={"PREFLIGHT_DOWNLOADER": "wget"})
        self.assert_ok(r)
        self.assertIn("(wget)", r.stderr)
        self.assertEqual(self.installed(), "preflight 0.1.0 (x86_64-unknown-linux-gnu)")
        self.platform("Linux", "aarch64", "2.36")
        r = self.run_install("--version", BAD_SUM, env={"PREFLIGHT_DOWNLOADER": "wget"})
        self.assert_ok(r)
        self.assertIn("HTTP 404", r.stderr)
        self.assertEqual(self.installed(), "preflight built-from-source")

    @unittest.skipUnless(shutil.which("wget"), "wget is not installed")
    def test_wget_checksum_mismatch_is_refused(self):
        r = self.run_install("--version", BAD_SUM, env={"PREFLIGHT_DOWNLOADER": "wget"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("checksum mismatch", r.stderr)
        self.assert_nothing_installed()

    def test_script_is_posix_sh(self):
        r = subprocess.run([*SHELL, "-n", SCRIPT], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    result = unittest.main(exit=False).result
    sys.stderr.flush()
    ran = result.testsRun
    failed = len(result.failures) + len(result.errors)
    print(f"{ran - failed - len(result.skipped)} passed, {failed} failed, {len(result.skipped)} skipped", flush=True)
    sys.exit(0 if result.wasSuccessful() else 1)
