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
# Cargo honours CARGO_TARGET_DIR as usual (default: the workspace's target/).
set -euo pipefail
cd "$(dirname "$0")/.."

# The versions this script was tested with (override through the environment).
SAM_CLI_VERSION="${SAM_CLI_VERSION:-1.170.0}"
CARGO_LAMBDA_VERSION="${CARGO_LAMBDA_VERSION:-1.9.2}"
ZIGLANG_VERSION="${ZIGLANG_VERSION:-0.17.1}"
TOOLS_VENV="${TOOLS_VENV:-$HOME/.cache/mentor-certifications/tools}"
export SAM_CLI_TELEMETRY=0

say() { printf '==> %s\n' "$*" >&2; }

command -v cargo >/dev/null || { echo "cargo not found: install Rust from https://rustup.rs" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 1; }

if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  say "adding the aarch64-unknown-linux-gnu Rust target"
  rustup target add aarch64-unknown-linux-gnu
fi

# Tools already on PATH win; otherwise use (and if needed create) the private venv.
has_zig() { command -v zig >/dev/null || python3 -c 'import ziglang' 2>/dev/null; }
if ! { command -v sam >/dev/null && command -v cargo-lambda >/dev/null && has_zig; }; then
  if [ ! -x "$TOOLS_VENV/bin/sam" ] || [ ! -x "$TOOLS_VENV/bin/cargo-lambda" ]; then
    say "installing aws-sam-cli $SAM_CLI_VERSION, cargo-lambda $CARGO_LAMBDA_VERSION, ziglang $ZIGLANG_VERSION into $TOOLS_VENV"
    python3 -m venv "$TOOLS_VENV"
    "$TOOLS_VENV/bin/pip" install --quiet "aws-sam-cli==$SAM_CLI_VERSION" \
      "cargo-lambda==$CARGO_LAMBDA_VERSION" "ziglang==$ZIGLANG_VERSION"
  fi
  # The venv's python3 comes first too, so cargo-lambda finds zig through `python3 -m ziglang`.
  export PATH="$TOOLS_VENV/bin:$PATH"
fi

say "sam validate --lint"
sam validate --lint

say "sam build (settings in samconfig.toml)"
start=$(date +%s.%N)
sam build "$@"
end=$(date +%s.%N)

# Sizes of what gets deployed: the bootstrap, and the deflated zip `sam deploy` uploads.
python3 - "$start" "$end" <<'EOF'
import io, os, sys, zipfile

start, end = map(float, sys.argv[1:3])
rows = []
for name in sorted(os.listdir(".aws-sam/build")):
    path = os.path.join(".aws-sam/build", name, "bootstrap")
    if not os.path.isfile(path):
        continue
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(path, "bootstrap")
    rows.append((name, os.path.getsize(path), len(buf.getvalue())))
if not rows:
    sys.exit("no bootstrap found under .aws-sam/build")
mib = lambda n: f"{n / 2**20:6.2f} MiB"
width = max(len(r[0]) for r in rows)
print(f"\n{'function':<{width}}  {'bootstrap':>10}  {'zipped':>10}")
for name, raw, zipped in rows:
    print(f"{name:<{width}}  {mib(raw):>10}  {mib(zipped):>10}")
print(f"\nsam build wall time: {end - start:.1f} s")
EOF
