#!/usr/bin/env bash
# A second, newer Docker engine beside the host's, for what Docker 20.10 cannot show:
# Debian 13's docker.io (26.1, API 1.45, the first with HEALTHCHECK --start-interval).
#
#   bash scripts/docker-next.sh          # prints the socket: DOCKER_HOST=unix:///run/gisbox-next/docker.sock
#   bash scripts/docker-next.sh --stop
#
# - Only the engine (dockerd + docker-proxy) is taken from trixie: its binaries need glibc
#   >= 2.34 (Debian 12 has 2.36); containerd and runc are the host's. Debian 12's client
#   (/usr/bin/docker 20.10, BuildKit built in) drives it through API 1.41.
# - The download is verified the way apt verifies it: InRelease's signature with Debian's
#   archive keyring, Packages.xz against InRelease's sha256, the .deb against Packages'.
# - Its own socket, data root, exec root and cgroup parent; its own bridge (`--bridge=none`
#   would delete the host engine's docker0). Its iptables management is off (two engines
#   would rewrite each other's DOCKER chains): three rules of this script's own let its
#   containers and builds reach the mirror and PyPI (masquerade, and forward past the
#   host engine's DROP policy).
# Idempotent: does nothing when the engine already answers.
set -euo pipefail

NAME=gisbox-next
ROOT=/opt/$NAME             # the extracted engine
RUN=/run/$NAME              # socket, pid file, exec root
DATA=/var/lib/$NAME
SOCK=unix://$RUN/docker.sock
BRIDGE=$NAME
SUBNET=172.29.250.1/24
MIRROR=${GISBOX_DEBIAN_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
log() { printf '[docker-next] %s\n' "$*" >&2; }
answers() { DOCKER_HOST=$SOCK /usr/bin/docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1; }

if [ "${1:-}" = --stop ]; then
  pid=$(cat "$RUN/dockerd.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  ip link delete "$BRIDGE" 2>/dev/null || true
  net=${SUBNET%.*}.0/24
  iptables -t nat -D POSTROUTING -s "$net" ! -o "$BRIDGE" -j MASQUERADE 2>/dev/null || true
  iptables -D FORWARD -i "$BRIDGE" -j ACCEPT 2>/dev/null || true
  iptables -D FORWARD -o "$BRIDGE" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null || true
  log "stopped"
  exit 0
fi
if answers; then
  echo "DOCKER_HOST=$SOCK"
  exit 0
fi

arch=$(dpkg --print-architecture)
if [ ! -x "$ROOT/usr/sbin/dockerd" ]; then
  for tool in gpgv xz curl; do
    command -v "$tool" >/dev/null || { log "$tool is needed (apt-get install -y gpgv xz-utils curl)"; exit 1; }
  done
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  log "fetching trixie's docker.io from $MIRROR (verified: InRelease signature -> Packages -> .deb)"
  curl -fsS -o "$tmp/InRelease" "$MIRROR/dists/trixie/InRelease"
  gpgv --keyring "$KEYRING" "$tmp/InRelease" 2>/dev/null \
    || { log "InRelease's signature does not verify with $KEYRING"; exit 1; }
  want=$(awk -v f="main/binary-$arch/Packages.xz" '/^SHA256:/{s=1;next} /^[A-Za-z]/{s=0} s && $3==f {print $1}' "$tmp/InRelease")
  curl -fsS -o "$tmp/Packages.xz" "$MIRROR/dists/trixie/main/binary-$arch/Packages.xz"
  echo "$want  $tmp/Packages.xz" | sha256sum -c --quiet - || { log "Packages.xz: sha256 mismatch"; exit 1; }
  xz -d "$tmp/Packages.xz"
  stanza=$(awk 'BEGIN{RS=""} /^Package: docker.io\n/' "$tmp/Packages")
  file=$(printf '%s\n' "$stanza" | awk '/^Filename:/{print $2}')
  sha=$(printf '%s\n' "$stanza" | awk '/^SHA256:/{print $2}')
  [ -n "$file" ] && [ -n "$sha" ] || { log "no docker.io in trixie's Packages"; exit 1; }
  curl -fsS -o "$tmp/docker.deb" "$MIRROR/$file"
  echo "$sha  $tmp/docker.deb" | sha256sum -c --quiet - || { log "$file: sha256 mismatch"; exit 1; }
  mkdir -p "$ROOT.tmp"
  dpkg-deb -x "$tmp/docker.deb" "$ROOT.tmp"
  rm -rf "$ROOT" && mv "$ROOT.tmp" "$ROOT"
  log "extracted $(basename "$file") to $ROOT"
fi

if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
  ip link add "$BRIDGE" type bridge
  ip addr add "$SUBNET" dev "$BRIDGE"
  ip link set "$BRIDGE" up
fi
net=${SUBNET%.*}.0/24
for r in "-t nat POSTROUTING -s $net ! -o $BRIDGE -j MASQUERADE" \
         "FORWARD -i $BRIDGE -j ACCEPT" \
         "FORWARD -o $BRIDGE -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"; do
  set -- $r
  if [ "$1" = -t ]; then table=(-t "$2"); shift 2; else table=(); fi
  chain=$1; shift
  iptables "${table[@]}" -C "$chain" "$@" 2>/dev/null || iptables "${table[@]}" -I "$chain" 1 "$@"
done
mkdir -p "$RUN" "$DATA"
log "starting $("$ROOT/usr/sbin/dockerd" --version) on $SOCK (log: /var/log/$NAME.log)"
(PATH="$ROOT/usr/sbin:$PATH" nohup "$ROOT/usr/sbin/dockerd" -H "$SOCK" \
  --data-root "$DATA" --exec-root "$RUN/exec" --pidfile "$RUN/dockerd.pid" \
  --bridge "$BRIDGE" --iptables=false --ip6tables=false --ip-masq=false \
  --cgroup-parent "/$NAME" >"/var/log/$NAME.log" 2>&1 &)
for _ in $(seq 1 60); do answers && break; sleep 1; done
answers || { log "the engine did not come up; see /var/log/$NAME.log"; exit 1; }
echo "DOCKER_HOST=$SOCK"
