#!/usr/bin/env bash
# The seed's deploy interface over docker compose (docker-compose.yml at the repository root).
#   scripts/deploy.sh [up] [--scale N] build the images and start the stack (N workers per provider)
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
# Each secret file and the .env variable it is also known by.
SECRETS=(orch_api_keys:ORCH_API_KEYS openrouter_api_key:OPENROUTER_API_KEY openai_api_key:OPENAI_API_KEY orch_admin_key:ORCH_ADMIN_KEY orch_alert_webhook_url:ORCH_ALERT_WEBHOOK_URL)
ensure_secrets() {
  mkdir -p "$SECRETS_DIR"
  chmod 700 "$SECRETS_DIR"
  for entry in "${SECRETS[@]}"; do
    file="$SECRETS_DIR/${entry%%:*}"
    [ -e "$file" ] || { : >"$file"; chmod 644 "$file"; }
  done
}

# Keys written in .env (the seed's step 1) never reach the containers: compose passes them only as
# secret files. Move each one set there into its file (the directory is 0700; the file 0644, since the
# containers' uid 1000 reads it through a bind mount) and leave .env without it.
move_env_keys() {
  [ -f .env ] || return 0
  for entry in "${SECRETS[@]}"; do
    name=${entry#*:}
    file="$SECRETS_DIR/${entry%%:*}"
    line=$(grep -E "^[[:space:]]*(export[[:space:]]+)?$name=" .env | tail -n 1) || continue
    value=${line#*=}
    value=${value%$'\r'}
    value=${value#[\"\']}
    value=${value%[\"\']}
    [ -n "$value" ] || continue
    if [ -s "$file" ] && [ "$(cat "$file")" != "$value" ]; then
      echo "deploy: $name in .env differs from $file; keeping $file (remove $name from .env, or empty $file to take it)" >&2
      continue
    fi
    (umask 022 && printf '%s\n' "$value" >"$file")
    chmod 644 "$file"
    sed -i.bak -E "s|^[[:space:]]*(export[[:space:]]+)?$name=.*|# $name: moved to $file by scripts/deploy.sh|" .env && rm -f .env.bak
    echo "deploy: moved $name from .env to $file (compose gives keys to the containers only as secret files)"
  done
}

# The front doors refuse every caller when none has a key (the containers listen on all interfaces):
# a first deploy without one gets a random key, named here but not printed.
ensure_caller_key() {
  file="$SECRETS_DIR/orch_api_keys"
  [ -s "$file" ] && return 0
  (umask 022 && printf 'orch-%s\n' "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >"$file")
  chmod 644 "$file"
  echo "deploy: no caller key was set: generated one in $file (send it as 'Authorization: Bearer <key>'; add more, comma-separated)"
}

# No argument deploys, as the seed says (`./scripts/deploy.sh`); so does `--scale N` alone.
[ $# -eq 0 ] || [ "$1" = --scale ] && set -- up "$@"
case "$1" in
  up)
    need_docker
    [ -f .env ] || cp .env.example .env
    ensure_secrets
    move_env_keys
    ensure_caller_key
    if [ ! -s "$SECRETS_DIR/openrouter_api_key" ] && [ ! -s "$SECRETS_DIR/openai_api_key" ]; then
      echo "deploy: no provider key: put yours in .env (OPENROUTER_API_KEY, OPENAI_API_KEY) or in $SECRETS_DIR/openrouter_api_key" >&2
      echo "        and $SECRETS_DIR/openai_api_key; the stack starts, but every model call fails until one is set." >&2
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
  -h|--help|help)
    sed -n '2,6p' "$0"
    ;;
  *)
    sed -n '2,6p' "$0" >&2
    exit 2
    ;;
esac
