#!/usr/bin/env bash
# The seed's deploy interface over docker compose (docker-compose.yml at the repository root).
#   scripts/deploy.sh up [--scale N]   build the images and start the stack (N workers per provider)
#   scripts/deploy.sh status           containers, health, and each front door's /healthz
#   scripts/deploy.sh logs [service]   follow logs (all services, or one)
#   scripts/deploy.sh down [--volumes] stop and remove the containers (--volumes also drops Redis data)
set -euo pipefail
cd "$(dirname "$0")/.."

compose() { docker compose "$@"; }

need_docker() {
  if ! command -v docker >/dev/null 2>&1 || ! docker compose version >/dev/null 2>&1; then
    echo "deploy: needs Docker with the compose plugin (https://docs.docker.com/compose/install/)." >&2
    echo "        Without Docker, run the stack locally: pnpm install && pnpm start" >&2
    exit 1
  fi
}

env_value() { grep -E "^\s*$1=" .env 2>/dev/null | tail -1 | cut -d= -f2- | tr -d '"'"'"' ' || true; }

case "${1:-}" in
  up)
    need_docker
    if [ ! -f .env ]; then
      cp .env.example .env
      echo "deploy: created .env from .env.example; set ORCH_API_KEYS and your provider keys in it, then run this again." >&2
      exit 1
    fi
    if [ -z "$(env_value ORCH_API_KEYS)" ]; then
      echo "deploy: set ORCH_API_KEYS in .env (containers listen on all interfaces; the front doors need keys)." >&2
      exit 1
    fi
    scale=()
    if [ "${2:-}" = "--scale" ] && [ -n "${3:-}" ]; then scale=(--scale "worker-openrouter=$3" --scale "worker-openai=$3"); fi
    compose up -d --build --wait "${scale[@]}"
    "$0" status
    ;;
  status)
    need_docker
    compose ps
    for door in "REST ${REST_PORT:-5050}" "WebSocket ${WS_PORT:-8765}" "MCP ${MCP_HTTP_PORT:-8080}"; do
      set -- $door
      if curl -fsS --max-time 3 "http://127.0.0.1:$2/healthz" >/dev/null 2>&1; then echo "$1 on :$2 healthy"; else echo "$1 on :$2 NOT answering"; fi
    done
    ;;
  logs)
    need_docker
    shift
    compose logs -f --tail=200 "$@"
    ;;
  down)
    need_docker
    shift
    compose down "$@"
    ;;
  *)
    sed -n '2,6p' "$0" >&2
    exit 2
    ;;
esac
