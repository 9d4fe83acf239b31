#!/usr/bin/env bash
# The seed's deploy interface over docker compose (docker-compose.yml at the repository root).
#   scripts/deploy.sh up [--scale N]   build the images and start the stack (N workers per provider)
#   scripts/deploy.sh status           containers, health, and each front door's /healthz
#   scripts/deploy.sh logs [service]   follow logs (all services, or one)
#   scripts/deploy.sh down [--volumes] stop and remove the containers (--volumes also drops Redis data)
set -euo pipefail
cd "$(dirname "$0")/.."

# The compose plugin (`docker compose`), or the standalone docker-compose (Debian's 1.29 included).
COMPOSE=()
need_docker() {
  if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then COMPOSE=(docker-compose)
  else
    echo "deploy: needs Docker with compose (https://docs.docker.com/compose/install/; Debian: apt-get install docker.io docker-compose)." >&2
    echo "        Without Docker, run the stack locally: pnpm install && pnpm start" >&2
    exit 1
  fi
}
compose() { "${COMPOSE[@]}" "$@"; }

# Keys are compose secrets: one file each (docker-compose.yml, `secrets:`), readable by the containers'
# uid 1000. Missing files are made empty ("not set") so compose can start.
SECRETS_DIR=${ORCH_SECRETS_DIR:-secrets}
SECRETS=(orch_api_keys openrouter_api_key openai_api_key orch_admin_key orch_alert_webhook_url)
ensure_secrets() {
  mkdir -p "$SECRETS_DIR"
  for name in "${SECRETS[@]}"; do
    [ -e "$SECRETS_DIR/$name" ] || { : >"$SECRETS_DIR/$name"; chmod 644 "$SECRETS_DIR/$name"; }
  done
}

case "${1:-}" in
  up)
    need_docker
    [ -f .env ] || cp .env.example .env
    ensure_secrets
    if [ ! -s "$SECRETS_DIR/orch_api_keys" ]; then
      echo "deploy: put the callers' bearer keys (comma-separated) in $SECRETS_DIR/orch_api_keys, and your provider" >&2
      echo "        keys in $SECRETS_DIR/openrouter_api_key and $SECRETS_DIR/openai_api_key; then run this again." >&2
      echo "        (containers listen on all interfaces: the front doors need keys)" >&2
      exit 1
    fi
    scale=()
    if [ "${2:-}" = "--scale" ] && [ -n "${3:-}" ]; then scale=(--scale "worker-openrouter=$3" --scale "worker-openai=$3"); fi
    if [ "${COMPOSE[0]}" = docker ]; then
      compose up -d --build --wait "${scale[@]}"
    else
      # docker-compose 1.x has no --wait: poll each container's health.
      compose up -d --build "${scale[@]}"
      for _ in $(seq 1 90); do
        states=$(compose ps -q | xargs docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}')
        echo "$states" | grep -qv '^healthy$' || break
        sleep 2
      done
    fi
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
