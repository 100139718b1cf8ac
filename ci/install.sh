#!/bin/sh
# Installs a prebuilt preflight from a GitHub release, in seconds instead of a 15-minute build.
#
#   sh ci/install.sh [--version X.Y.Z] [--to DIR] [--target TRIPLE] [--no-cargo-fallback]
#                    [--source DIR] [--plan]
#
# It picks the archive for this platform (the names dist gives them, see dist-workspace.toml):
#
#   Linux  x86_64 / aarch64, glibc >= 2.35     preflight-<arch>-unknown-linux-gnu.tar.gz
#   Linux  x86_64 / aarch64, musl or old glibc  preflight-<arch>-unknown-linux-musl.tar.gz (static)
#   macOS  x86_64 / arm64                       preflight-<arch>-apple-darwin.tar.gz
#
# downloads it from RELEASE_URL/v<version>/, checks its sha256 against the <archive>.sha256 that
# dist published beside it (or against sha256.sum) and refuses, installing nothing, when they
# differ. Then it runs the new binary once and puts it in DIR as DIR/preflight.
#
# Where the release has no archive for this platform (HTTP 404) or the platform is not one of
# the above, it says so and builds that version from source instead:
#   cargo install --locked --git <git url> --tag v<version> preflight
# (preflight is not published on crates.io, so --git at the release tag is the source), or,
# with --source DIR, cargo install --locked --path DIR (the GitHub Action passes its checkout).
#
# Options and their environment variables (an option wins over its variable):
#   --version X.Y.Z   PREFLIGHT_VERSION        the release to install, with or without a leading
#                                              "v"; default: the version this script came with
#   --to DIR          PREFLIGHT_INSTALL_DIR    where to put preflight; default: ~/.local/bin
#   --target TRIPLE   PREFLIGHT_INSTALL_TARGET an archive's target triple, instead of detecting it
#   --no-cargo-fallback  PREFLIGHT_CARGO_FALLBACK=0   fail instead of building from source
#   --source DIR      PREFLIGHT_SOURCE_DIR     the fallback builds this checkout, not the git tag
#   --plan            print version=, target=, archive= and url= lines, and install nothing
#                     PREFLIGHT_REPO           GitHub owner/name; default: OWNER/preflight
#                     PREFLIGHT_RELEASE_URL    the releases' root, the part before /v<version>/;
#                                              default: https://github.com/$PREFLIGHT_REPO/releases/download
#                     PREFLIGHT_GIT_URL        the fallback's source; default: https://github.com/$PREFLIGHT_REPO
#                     PREFLIGHT_DOWNLOADER     curl or wget; default: curl if it exists, else wget
#                     PREFLIGHT_DOWNLOAD_RETRIES  retries of a failed download (not of a 404); default 3
#
# Messages go to stderr; with --plan the lines go to stdout. Exit status: 0 when preflight was
# installed, non-zero (with the reason) otherwise. The whole script is a function called on its
# last line, so a download cut short runs nothing.

set -eu

# The version of this copy of the script: Cargo.toml's version (ci/test_install.py checks it).
default_version="0.1.0"
default_repo="OWNER/preflight"
# The gnu archives are built on ubuntu-22.04: older glibc gets the static musl archive.
min_glibc="2.35"

say() {
    printf 'preflight-install: %s\n' "$*" >&2
}

die() {
    say "error: $*"
    exit 1
}

usage() {
    cat <<EOF
Usage: install.sh [--version X.Y.Z] [--to DIR] [--target TRIPLE] [--no-cargo-fallback]
                  [--source DIR] [--plan]

Downloads preflight's prebuilt archive for this platform from its GitHub release, verifies its
sha256, and installs DIR/preflight. Where the release has no archive for the platform, builds
that version with cargo install --git instead (unless --no-cargo-fallback).

  --version X.Y.Z      PREFLIGHT_VERSION         release to install (default: $default_version)
  --to DIR             PREFLIGHT_INSTALL_DIR     install directory (default: ~/.local/bin)
  --target TRIPLE      PREFLIGHT_INSTALL_TARGET  archive target instead of the detected one
  --no-cargo-fallback  PREFLIGHT_CARGO_FALLBACK=0
  --source DIR         PREFLIGHT_SOURCE_DIR      the fallback builds this checkout instead
  --plan               print version=, target=, archive=, url= and install nothing
                       PREFLIGHT_REPO            GitHub owner/name (default: $default_repo)
                       PREFLIGHT_RELEASE_URL     releases root, before /v<version>/
                       PREFLIGHT_GIT_URL         source for the cargo fallback
                       PREFLIGHT_DOWNLOADER      curl or wget
                       PREFLIGHT_DOWNLOAD_RETRIES  retries of a failed download (default 3)
EOF
}

# version_ge A B: true when version A (X.Y) is at least B (X.Y).
version_ge() {
    a_major=${1%%.*}
    a_minor=${1#*.}
    a_minor=${a_minor%%.*}
    b_major=${2%%.*}
    b_minor=${2#*.}
    b_minor=${b_minor%%.*}
    case "$a_major$a_minor$b_major$b_minor" in
        '' | *[!0-9]*) return 1 ;;
    esac
    [ "$a_major" -gt "$b_major" ] || { [ "$a_major" -eq "$b_major" ] && [ "$a_minor" -ge "$b_minor" ]; }
}

# Sets libc (gnu or musl) and libc_desc for Linux.
detect_libc() {
    glibc=""
    if command -v getconf >/dev/null 2>&1; then
        glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null || true)
        case "$glibc" in
            "glibc "*) glibc=${glibc#glibc } ;;
            *) glibc="" ;;
        esac
    fi
    if [ -z "$glibc" ] && command -v ldd >/dev/null 2>&1; then
        # glibc's ldd: "ldd (Debian GLIBC 2.36-9) 2.36"; musl's ldd names musl.
        first=$(ldd --version 2>&1 | sed -n 1p || true)
        case "$first" in
            *GLIBC* | *"GNU libc"*) glibc=${first##* } ;;
        esac
    fi
    if [ -z "$glibc" ]; then
        libc=musl
        libc_desc="no glibc found"
    elif version_ge "$glibc" "$min_glibc"; then
        libc=gnu
        libc_desc="glibc $glibc"
    else
        libc=musl
        libc_desc="glibc $glibc, older than $min_glibc"
    fi
}

# Sets target (empty when no archive is built for this platform) and platform_desc.
detect_target() {
    os=$(uname -s)
    arch=$(uname -m)
    platform_desc="$os $arch"
    target=""
    case "$arch" in
        x86_64 | amd64) arch=x86_64 ;;
        aarch64 | arm64) arch=aarch64 ;;
        *) return 0 ;;
    esac
    case "$os" in
        Linux)
            detect_libc
            platform_desc="$platform_desc ($libc_desc)"
            target="$arch-unknown-linux-$libc"
            ;;
        Darwin) target="$arch-apple-darwin" ;;
    esac
}

pick_downloader() {
    downloader=${PREFLIGHT_DOWNLOADER:-}
    if [ -z "$downloader" ]; then
        if command -v curl >/dev/null 2>&1; then
            downloader=curl
        elif command -v wget >/dev/null 2>&1; then
            downloader=wget
        else
            die "neither curl nor wget is installed: install one of them"
        fi
    fi
    retries=${PREFLIGHT_DOWNLOAD_RETRIES:-3}
    case "$retries" in
        '' | *[!0-9]*) die "PREFLIGHT_DOWNLOAD_RETRIES must be a number, not '$retries'" ;;
    esac
    case "$downloader" in
        curl | wget) command -v "$downloader" >/dev/null 2>&1 || die "$downloader is not installed" ;;
        *) die "PREFLIGHT_DOWNLOADER must be curl or wget, not '$downloader'" ;;
    esac
}

# fetch URL FILE: 0 when downloaded, 2 when the server says 404, 1 on any other failure.
fetch() {
    case "$downloader" in
        curl)
            code=$(curl -sSL --retry "$retries" --connect-timeout 20 -o "$2" -w '%{http_code}' "$1") || {
                say "download failed: $1"
                return 1
            }
            case "$code" in
                200) return 0 ;;
                404) return 2 ;;
                *)
                    say "download failed: $1: HTTP $code"
                    return 1
                    ;;
            esac
            ;;
        wget)
            # No -T: BusyBox wget may lack it (Debian's crashes on it); -t it accepts.
            if wget -q -S -t "$((retries + 1))" -O "$2" "$1" 2>"$tmp/wget.err"; then
                return 0
            fi
            if grep -q 'HTTP/[0-9.]* 404' "$tmp/wget.err"; then
                return 2
            fi
            say "download failed: $1"
            sed 's/^/    /' "$tmp/wget.err" >&2
            return 1
            ;;
    esac
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d ' ' -f 1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d ' ' -f 1
    elif command -v openssl >/dev/null 2>&1; then
        openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
    else
        die "no sha256sum, shasum or openssl to verify the download with: install one of them"
    fi
}

# expected_sha256 FILE NAME: the checksum of NAME in a checksum file ("<hex> *<name>" lines).
expected_sha256() {
    awk -v name="$2" '{ f = $2; sub(/^\*/, "", f); if (f == name) { print tolower($1); exit } }' "$1"
}

# install_binary FILE HOW: runs FILE --version, then puts it in $dir as preflight.
install_binary() {
    name=preflight
    case "$1" in
        *.exe) name=preflight.exe ;;
    esac
    chmod 755 "$1"
    if ran=$("$1" --version 2>&1); then
        :
    elif [ -n "$target_given" ]; then
        say "warning: the $target binary does not run here ($ran); installing it as asked"
        ran="(not run)"
    else
        die "the downloaded binary does not run on this machine: $ran"
    fi
    mkdir -p "$dir" || die "cannot create $dir"
    cp "$1" "$dir/.$name.$$" || die "cannot write to $dir"
    chmod 755 "$dir/.$name.$$"
    mv -f "$dir/.$name.$$" "$dir/$name" || die "cannot write $dir/$name"
    say "installed $dir/$name ($2): $ran"
    case ":${PATH:-}:" in
        *":$dir:"*) ;;
        *) say "note: $dir is not on PATH; add it, or run $dir/$name" ;;
    esac
}

cargo_fallback() {
    reason=$1
    if [ "$fallback" != 1 ]; then
        die "$reason; not building from source (cargo fallback is off)"
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        die "$reason, and cargo is not installed to build it from source: install Rust (https://rustup.rs) or use a platform with an archive"
    fi
    if [ -n "$source_dir" ]; then
        [ -f "$source_dir/Cargo.toml" ] || die "$reason, and --source $source_dir has no Cargo.toml"
        from="the source in $source_dir"
        set -- --path "$source_dir"
    else
        git_url=${PREFLIGHT_GIT_URL:-https://github.com/$repo}
        from="$git_url tag v$version"
        set -- --git "$git_url" --tag "v$version" preflight
    fi
    say "$reason: falling back to building preflight from $from with cargo (about 15 minutes)"
    say "running: cargo install --locked $* --root $tmp/cargo"
    cargo install --locked "$@" --root "$tmp/cargo" || die "cargo install failed; nothing was installed"
    built="$tmp/cargo/bin/preflight"
    if [ ! -f "$built" ] && [ -f "$built.exe" ]; then
        built="$built.exe"
    fi
    [ -f "$built" ] || die "cargo install left no preflight binary in $tmp/cargo/bin"
    install_binary "$built" "built from $from"
}

main() {
    version=${PREFLIGHT_VERSION:-}
    dir=${PREFLIGHT_INSTALL_DIR:-}
    target_given=${PREFLIGHT_INSTALL_TARGET:-}
    fallback=${PREFLIGHT_CARGO_FALLBACK:-1}
    source_dir=${PREFLIGHT_SOURCE_DIR:-}
    plan=0
    while [ $# -gt 0 ]; do
        case "$1" in
            --version | --to | --target | --source)
                [ $# -ge 2 ] || die "$1 needs a value"
                case "$1" in
                    --version) version=$2 ;;
                    --to) dir=$2 ;;
                    --target) target_given=$2 ;;
                    --source) source_dir=$2 ;;
                esac
                shift 2
                ;;
            --version=*) version=${1#*=} && shift ;;
            --to=*) dir=${1#*=} && shift ;;
            --target=*) target_given=${1#*=} && shift ;;
            --source=*) source_dir=${1#*=} && shift ;;
            --no-cargo-fallback) fallback=0 && shift ;;
            --plan) plan=1 && shift ;;
            -h | --help)
                usage
                exit 0
                ;;
            *) die "unknown argument '$1' (see --help)" ;;
        esac
    done

    version=${version:-$default_version}
    version=${version#v}
    case "$version" in
        '' | *[!0-9A-Za-z.+-]*) die "not a version: '$version' (expected X.Y.Z)" ;;
    esac
    repo=${PREFLIGHT_REPO:-$default_repo}
    release_root=${PREFLIGHT_RELEASE_URL:-https://github.com/$repo/releases/download}
    base="${release_root%/}/v$version"
    if [ -z "$dir" ]; then
        [ -n "${HOME:-}" ] || die "HOME is not set: give --to DIR or PREFLIGHT_INSTALL_DIR"
        dir="$HOME/.local/bin"
    fi

    if [ -n "$target_given" ]; then
        target=$target_given
        platform_desc="target given"
    else
        detect_target
    fi
    archive=""
    url=""
    if [ -n "$target" ]; then
        archive="preflight-$target.tar.gz"
        url="$base/$archive"
    fi
    if [ "$plan" = 1 ]; then
        printf 'version=%s\ntarget=%s\narchive=%s\nurl=%s\n' "$version" "$target" "$archive" "$url"
        exit 0
    fi

    tmp=$(mktemp -d 2>/dev/null || mktemp -d -t preflight-install)
    trap 'rm -rf "$tmp"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    if [ -z "$target" ]; then
        cargo_fallback "no prebuilt archive for this platform ($platform_desc)"
        return 0
    fi
    say "platform: $platform_desc -> $target"
    pick_downloader
    say "downloading $url ($downloader)"
    rc=0
    fetch "$url" "$tmp/$archive" || rc=$?
    case "$rc" in
        0) ;;
        2)
            cargo_fallback "the release v$version has no $archive (HTTP 404 at $url)"
            return 0
            ;;
        *) die "could not download $url; nothing was installed" ;;
    esac

    rc=0
    fetch "$url.sha256" "$tmp/$archive.sha256" || rc=$?
    sums="$archive.sha256"
    if [ "$rc" = 2 ]; then
        rc=0
        fetch "$base/sha256.sum" "$tmp/$archive.sha256" || rc=$?
        sums="sha256.sum"
    fi
    case "$rc" in
        0) ;;
        2) die "the release v$version publishes no checksum for $archive ($archive.sha256 or sha256.sum): refusing to install it unverified" ;;
        *) die "could not download the checksum for $archive; nothing was installed" ;;
    esac
    expected=$(expected_sha256 "$tmp/$archive.sha256" "$archive")
    case "$expected" in
        '' | *[!0-9a-f]*) die "$sums has no sha256 for $archive: refusing to install it unverified" ;;
    esac
    actual=$(sha256_of "$tmp/$archive")
    if [ "$actual" != "$expected" ]; then
        say "error: checksum mismatch for $archive"
        say "    expected $expected ($sums)"
        say "    got      $actual ($url)"
        die "refusing to install a download that does not match its published checksum; nothing was installed"
    fi
    say "sha256 verified against $sums: $actual"

    mkdir "$tmp/unpacked"
    tar -xzf "$tmp/$archive" -C "$tmp/unpacked" || die "cannot unpack $archive; nothing was installed"
    # dist's tarballs hold one directory named like the archive; accept a flat one too.
    bin="$tmp/unpacked/preflight-$target/preflight"
    [ -f "$bin" ] || bin="$tmp/unpacked/preflight"
    [ -f "$bin" ] || die "$archive holds no preflight binary; nothing was installed"
    install_binary "$bin" "release v$version, $target"
}

main "$@"
