#!/usr/bin/env bash
# The CI smoke test from the README, runnable as is: a tracker, a new torrent, a seeder and a download,
# all on 127.0.0.1 with one ripple binary and nothing else (--no-dht: loopback only). Exits 0 only if the downloaded files equal
# the originals. Usage: scripts/ci-smoke.sh [RIPPLE]   (default dist/ripple; or "bun run ripple" in a clone)
set -euo pipefail
RIPPLE=${1:-dist/ripple}
PORT=${TRACKER_PORT:-6969}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

# wait_for EVENT LOG: until a --json process logs EVENT (and is still running).
wait_for() {
  until grep -q "\"event\":\"$1\"" "$2"; do
    kill -0 "$3" 2>/dev/null || { echo "ci smoke: process for $2 exited:"; cat "$2"; exit 1; }
    sleep 0.2
  done
}

mkdir -p "$work/seed/payload/docs"
head -c 20000000 /dev/urandom > "$work/seed/payload/data.bin"
echo "hello" > "$work/seed/payload/docs/readme.txt"

# 1. A tracker on loopback (HTTP and UDP on one port; TRACKER_PORT=0 picks a free one).
$RIPPLE tracker --port "$PORT" --json > "$work/tracker.log" &
wait_for listening "$work/tracker.log" $!
announce=$(grep -o '"http":"[^"]*"' "$work/tracker.log" | cut -d'"' -f4)

# 2. A torrent of the payload, announcing to it.
$RIPPLE create "$work/seed/payload" -o "$work/payload.torrent" --tracker "$announce" --quiet

# 3. A seeder: verifies the data, announces, serves until stopped.
$RIPPLE seed "$work/payload.torrent" -o "$work/seed" --port 0 --no-dht --json > "$work/seed.log" &
wait_for tracker "$work/seed.log" $!

# 4. The download: exit 0 means every piece arrived and verified; 7 = stalled, 8 = timed out.
$RIPPLE download "$work/payload.torrent" -o "$work/out" --port 0 --no-dht --stall-timeout 30s --timeout 5m --quiet

diff -r "$work/seed/payload" "$work/out/payload"
echo "ci smoke: ok"
