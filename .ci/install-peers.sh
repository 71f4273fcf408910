#!/usr/bin/env bash
# Installs the real-peer test programs (aria2c, Transmission, opentracker, mktorrent, lighttpd,
# python3-libtorrent, qbittorrent-nox), headless Chromium (the daemon's web page) and the network lab's tools (iproute2, iptables) from Debian/Ubuntu
# packages when any is missing. Needs root (or passwordless sudo). Services are NOT started: the packages'
# init scripts would run a system transmission-daemon on 0.0.0.0 with DHT on (and lighttpd on port 80), so a
# policy-rc.d that denies service starts is in place while apt runs (unless the machine already has one).
set -euo pipefail

# binary:package; "py/MODULE" stands for a Python module, checked with /usr/bin/python3 -c 'import MODULE'
NEEDED=(aria2c:aria2 transmission-daemon:transmission-daemon transmission-remote:transmission-cli
  opentracker:opentracker mktorrent:mktorrent lighttpd:lighttpd
  py/libtorrent:python3-libtorrent qbittorrent-nox:qbittorrent-nox
  ip:iproute2 tc:iproute2 iptables-legacy:iptables   # the network lab (test/scripts/fleet.test.ts)
  chromium:chromium)   # the daemon's web page (test/daemon/web-page.test.ts)

present() {
  case "$1" in
    py/*) /usr/bin/python3 -c "import ${1#py/}" >/dev/null 2>&1 ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

missing=()
for pair in "${NEEDED[@]}"; do
  present "${pair%%:*}" || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "real-peer programs present: ${NEEDED[*]%%:*}"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-peers: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=(sudo -n)
fi
command -v apt-get >/dev/null 2>&1 || { echo "install-peers: no apt-get; install by hand: ${missing[*]}" >&2; exit 1; }

POLICY=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# temporary, from ripple .ci/install-peers.sh: do not start services\nexit 101\n' \
    | "${SUDO[@]}" tee "$POLICY" >/dev/null
  "${SUDO[@]}" chmod 755 "$POLICY"
  created_policy=1
fi
cleanup() { [ -n "$created_policy" ] && "${SUDO[@]}" rm -f "$POLICY"; return 0; }
trap cleanup EXIT

echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq update </dev/null
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends \
  -o Dpkg::Use-Pty=0 "${missing[@]}" </dev/null >/dev/null

for pair in "${NEEDED[@]}"; do
  present "${pair%%:*}" || { echo "install-peers: ${pair%%:*} still missing after install" >&2; exit 1; }
done
echo "installed: ${missing[*]}"
