#!/usr/bin/env bash
# The HTTP API of template.yaml on http://127.0.0.1:${PORT:-3000} with `sam local start-api`:
# the built Lambda functions run in the official Lambda base image (Docker), and talk to the
# embedded DynamoDB engine (`local-api engine`, in memory unless DATA is set) on this machine.
#
# Needs Docker, and the functions built by scripts/build-lambdas.sh (run here when
# .aws-sam/build is missing). The functions are arm64 (template.yaml), so on an x86_64 host
# Docker must be able to run arm64 images (Docker Desktop can; on Linux, register QEMU once
# with `docker run --privileged --rm tonistiigi/binfmt --install arm64`).
#
# The containers reach the engine through the host's network (`--docker-network host`), which
# Linux has; on Docker Desktop turn on "Enable host networking" (Settings → Resources → Network).
#
# Usage: scripts/sam-local.sh [extra `sam local start-api` arguments]
#   PORT=3000         the API's port
#   ENGINE_PORT=8000  the DynamoDB engine's port (loopback only)
#   DATA=path.db      keep the data in this SQLite file instead of memory
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-3000}"
ENGINE_PORT="${ENGINE_PORT:-8000}"
TOOLS_VENV="${TOOLS_VENV:-$HOME/.cache/mentor-certifications/tools}"
# The image `sam local` runs provided.al2023 arm64 functions in (SAM adds its emulator on top).
IMAGE="public.ecr.aws/lambda/provided:al2023-arm64"
export SAM_CLI_TELEMETRY=0

say() { printf '==> %s\n' "$*" >&2; }
fail() {
  printf '\nsam-local: %s\n' "$1" >&2
  shift
  for line in "$@"; do printf '  %s\n' "$line" >&2; done
  printf '  Without Docker, run the same handlers with `cargo run -p local-api`, or the real\n  Lambda binaries with `cargo lambda watch` (README: "Run the Lambda binaries locally").\n' >&2
  exit 1
}

# 1. Docker: installed, running, and able to give us the Lambda base image.
command -v docker >/dev/null \
  || fail "docker is not installed; sam local runs each function in a Docker container." \
          "Install Docker (https://docs.docker.com/get-docker/) and start it."
docker_error=$(docker info --format '{{.ServerVersion}}' 2>&1 >/dev/null) \
  || fail "Docker is installed but its daemon is not reachable, so sam local cannot start containers." \
          "docker info said: $(printf '%s' "$docker_error" | head -n 3 | tr '\n' ' ')" \
          "Start Docker (Docker Desktop, or \`sudo systemctl start docker\`) and check that \`docker info\` works."
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  say "pulling the Lambda base image $IMAGE"
  pull_log=$(docker pull --platform linux/arm64 "$IMAGE" 2>&1) \
    || fail "cannot pull the official Lambda base image $IMAGE, which sam local needs." \
            "docker pull said: $(printf '%s' "$pull_log" | tail -n 3 | tr '\n' ' ')" \
            "This machine cannot reach public.ecr.aws (offline, proxy or registry mirror?)." \
            "Pull or load the image by other means (docker load), then run this script again."
fi
if [ "$(uname -m)" != aarch64 ] && [ "$(uname -m)" != arm64 ]; then
  docker run --rm --platform linux/arm64 --entrypoint /bin/true "$IMAGE" >/dev/null 2>&1 \
    || fail "Docker on this $(uname -m) machine cannot run arm64 images, and the functions are arm64." \
            "On Linux, register QEMU once: docker run --privileged --rm tonistiigi/binfmt --install arm64"
fi

# 2. SAM and the built functions.
if ! command -v sam >/dev/null; then
  [ -x "$TOOLS_VENV/bin/sam" ] || scripts/build-lambdas.sh
  export PATH="$TOOLS_VENV/bin:$PATH"
fi
[ -f .aws-sam/build/template.yaml ] || scripts/build-lambdas.sh

# sam local passes a function only the environment variables the template declares, so a
# copy of the built template (beside it, for its relative CodeUris) declares the endpoint.
local_template=.aws-sam/build/template.sam-local.yaml
awk '{ print } /AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH:/ && !done { sub(/AWS_LAMBDA_HTTP.*/, ""); print $0 "AWS_ENDPOINT_URL_DYNAMODB: \"\""; done = 1 }' \
  .aws-sam/build/template.yaml >"$local_template"
grep -q AWS_ENDPOINT_URL_DYNAMODB "$local_template" \
  || fail "could not add AWS_ENDPOINT_URL_DYNAMODB to the functions' environment in $local_template."
env_file=$(mktemp)
cat >"$env_file" <<EOF
{"Parameters": {"TABLE_NAME": "certifications", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:$ENGINE_PORT"}}
EOF

# 3. The engine, then the API. The SDK signs requests even for a local endpoint: any
# credentials do, and sam passes these into the containers.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
storage=(--memory)
[ -n "${DATA:-}" ] && storage=(--data "$DATA")
say "starting the DynamoDB engine on 127.0.0.1:$ENGINE_PORT"
cargo build --quiet -p local-api
"${CARGO_TARGET_DIR:-target}/debug/local-api" engine --addr "127.0.0.1:$ENGINE_PORT" "${storage[@]}" --table certifications &
engine_pid=$!
trap 'kill "$engine_pid" 2>/dev/null; rm -f "$env_file"' EXIT
say "sam local start-api on http://127.0.0.1:$PORT (Ctrl-C stops)"
sam local start-api -t "$local_template" --port "$PORT" --env-vars "$env_file" \
  --docker-network host --skip-pull-image "$@"
