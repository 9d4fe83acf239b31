#!/usr/bin/env bash
# Production bundles of the five apps, built from a pruned workspace. The Dockerfile runs these steps
# one per layer; test/bundle.test.ts runs `all` and then starts each bundle with production
# dependencies only, so the images are proven without a Docker engine.
#
#   docker/bundle.sh prune  <repo> <work>   turbo prune → <work>/json (manifests) and <work>/full (sources)
#   docker/bundle.sh install <work>         pnpm install from the pruned lockfile (manifests only: cacheable)
#   docker/bundle.sh build  <work>          sources in, every app built
#   docker/bundle.sh deploy <work> <out>    pnpm deploy --prod of each app → <out>/<app>
#   docker/bundle.sh all    <repo> <out>    all four, in a temporary work folder
set -euo pipefail
APPS=(mcp-gateway rest-bridge ws-bridge worker-openrouter worker-openai)
# turbo from the PATH (the Docker toolchain image) or from the workspace's own install.
if command -v turbo >/dev/null 2>&1; then TURBO=(turbo); else TURBO=(pnpm exec turbo); fi

prune() {
  local repo=$1 work=$2
  rm -rf "$work" && mkdir -p "$work"
  (cd "$repo" && "${TURBO[@]}" prune "${APPS[@]/#/@orch/}" --docker --out-dir "$work/pruned" >/dev/null)
  # Root files turbo does not carry: the shared compiler settings.
  cp "$repo/tsconfig.base.json" "$work/pruned/full/"
  mv "$work/pruned/json" "$work/json"
  mv "$work/pruned/full" "$work/full"
  rm -rf "$work/pruned"
}

install() {
  local work=$1
  (cd "$work/json" && pnpm install --frozen-lockfile --reporter=silent)
}

build() {
  local work=$1
  cp -r "$work/full/." "$work/json/"
  (cd "$work/json" && pnpm exec turbo run build --filter='./apps/*' --output-logs=errors-only >/dev/null)
}

deploy() {
  local work=$1 out=$2
  mkdir -p "$out"
  for app in "${APPS[@]}"; do
    rm -rf "${out:?}/$app"
    (cd "$work/json" && pnpm --filter "@orch/$app" deploy --prod --legacy "$out/$app" --reporter=silent)
  done
}

case "${1:-}" in
  prune) prune "$2" "$3" ;;
  install) install "$2" ;;
  build) build "$2" ;;
  deploy) deploy "$2" "$3" ;;
  all)
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    prune "$2" "$work/w" && install "$work/w" && build "$work/w" && deploy "$work/w" "$3"
    ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
