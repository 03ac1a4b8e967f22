#!/usr/bin/env bash
# Validates template.yaml and builds every Lambda for arm64 (provided.al2023) with `sam build`,
# then prints each bootstrap's size and the size of the zip SAM uploads.
#
# Prerequisites, installed here when missing:
#   - Rust via rustup (not installed here: https://rustup.rs) and its aarch64-unknown-linux-gnu
#     target (added here with `rustup target add`);
#   - python3 (3.9+) with venv;
#   - cargo-lambda, ziglang (cargo-lambda cross-compiles and links with zig, so no cross
#     toolchain or Docker) and aws-sam-cli, from PyPI into a private venv
#     ($TOOLS_VENV, default ~/.cache/mentor-certifications/tools) unless already on PATH.
#
# Usage: scripts/build-lambdas.sh [extra `sam build` arguments]
# Cargo honours CARGO_TARGET_DIR as usual (default: the workspace's target/); SAM_BUILD_DIR
# moves SAM's artifacts (default: .aws-sam/build).
#
# Fails (exit 1, after the table) when a zip exceeds ZIP_BUDGET_BYTES (default 2500000, issue
# 19's 2.5 MB; README, "Package size" says what keeps them under it).
#
# Every build here reads .cargo/config.toml, which builds AWS-LC without CPU-jitter entropy
# (README, "Cold start, TLS and memory size").
set -euo pipefail
cd "$(dirname "$0")/.."

# The versions this script was tested with (override through the environment).
SAM_CLI_VERSION="${SAM_CLI_VERSION:-1.170.0}"
CARGO_LAMBDA_VERSION="${CARGO_LAMBDA_VERSION:-1.9.2}"
ZIGLANG_VERSION="${ZIGLANG_VERSION:-0.17.1}"
TOOLS_VENV="${TOOLS_VENV:-$HOME/.cache/mentor-certifications/tools}"
SAM_BUILD_DIR="${SAM_BUILD_DIR:-.aws-sam/build}"
ZIP_BUDGET_BYTES="${ZIP_BUDGET_BYTES:-2500000}"
export SAM_CLI_TELEMETRY=0

say() { printf '==> %s\n' "$*" >&2; }

command -v cargo >/dev/null || { echo "cargo not found: install Rust from https://rustup.rs" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 1; }

if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  say "adding the aarch64-unknown-linux-gnu Rust target"
  rustup target add aarch64-unknown-linux-gnu
fi

# Tools already on PATH win, if that `sam` is at least the tested version (an older one, e.g.
# 1.148 that pip resolved beside other tools, behaves differently: it treats rust-cargolambda as
# a beta feature; samconfig.toml sets beta_features for those, but only the tested version is
# known to build); otherwise use (and if needed create) the private venv.
has_zig() { command -v zig >/dev/null || python3 -c 'import ziglang' 2>/dev/null; }
sam_version() { "$1" --version 2>/dev/null | sed -n 's/.*version \([0-9][0-9.]*\).*/\1/p'; }
at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }
sam_ok() {
  local v
  v=$(sam_version "$1")
  [ -n "$v" ] && at_least "$v" "$SAM_CLI_VERSION"
}
if command -v sam >/dev/null && ! sam_ok sam; then
  say "ignoring $(command -v sam) (SAM CLI $(sam_version sam || true)): older than the tested $SAM_CLI_VERSION"
fi
if ! { command -v sam >/dev/null && sam_ok sam && command -v cargo-lambda >/dev/null && has_zig; }; then
  if [ ! -x "$TOOLS_VENV/bin/sam" ] || [ ! -x "$TOOLS_VENV/bin/cargo-lambda" ] || ! sam_ok "$TOOLS_VENV/bin/sam"; then
    say "installing aws-sam-cli $SAM_CLI_VERSION, cargo-lambda $CARGO_LAMBDA_VERSION, ziglang $ZIGLANG_VERSION into $TOOLS_VENV"
    python3 -m venv "$TOOLS_VENV"
    "$TOOLS_VENV/bin/pip" install --quiet "aws-sam-cli==$SAM_CLI_VERSION" \
      "cargo-lambda==$CARGO_LAMBDA_VERSION" "ziglang==$ZIGLANG_VERSION"
  fi
  # The venv's python3 comes first too, so cargo-lambda finds zig through `python3 -m ziglang`.
  export PATH="$TOOLS_VENV/bin:$PATH"
fi

say "using $(command -v sam) (SAM CLI $(sam_version sam)), $(cargo lambda --version 2>/dev/null || echo cargo-lambda)"
say "sam validate --lint"
sam validate --lint

say "sam build (settings in samconfig.toml)"
start=$(date +%s.%N)
sam build --build-dir "$SAM_BUILD_DIR" "$@"
end=$(date +%s.%N)

# Sizes of what gets deployed: the bootstrap, and the deflated zip `sam deploy` uploads.
python3 - "$start" "$end" "$SAM_BUILD_DIR" "$ZIP_BUDGET_BYTES" <<'EOF'
import io, os, sys, zipfile

start, end = map(float, sys.argv[1:3])
build_dir = sys.argv[3]
budget = int(sys.argv[4])
rows = []
for name in sorted(os.listdir(build_dir)):
    path = os.path.join(build_dir, name, "bootstrap")
    if not os.path.isfile(path):
        continue
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(path, "bootstrap")
    rows.append((name, os.path.getsize(path), len(buf.getvalue())))
if not rows:
    sys.exit(f"no bootstrap found under {build_dir}")
mib = lambda n: f"{n / 2**20:6.2f} MiB"
width = max(len(r[0]) for r in rows)
print(f"\n{'function':<{width}}  {'bootstrap':>10}  {'zipped':>10}  {'zipped bytes':>12}")
for name, raw, zipped in rows:
    print(f"{name:<{width}}  {mib(raw):>10}  {mib(zipped):>10}  {zipped:>12,}")
print(f"\nsam build wall time: {end - start:.1f} s")
over = [name for name, _, zipped in rows if zipped > budget]
if over:
    sys.exit(f"over the zip budget of {budget:,} bytes (ZIP_BUDGET_BYTES): {', '.join(over)}")
print(f"every zip is within the budget of {budget:,} bytes")
EOF
