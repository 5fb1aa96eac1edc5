#!/usr/bin/env bash
# Produce/consume throughput of two kcl checkouts' clusters at once, taking turns (A/B): each checkout starts a 3-broker
# cluster from its own templates; kcat produces 1,000,000 × 100 B (idempotent, acks=all) and consumes them, ROUNDS
# (default 5) rounds alternating between the two; then counts brokers fenced for a timed-out session and prints memory.
# Usage: npm run build && KCL_KAFKA_IMAGE=… bench/throughput-ab.sh BEFORE_CHECKOUT
#   (clusters perf-ab-before on 26760-26762 and perf-ab-after on 26770-26772, private KCL_HOME, removed at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=$(cd "$1" && pwd)
AFTER=$(pwd)
ROUNDS=${ROUNDS:-5}
NODE=node_modules/.bin/node
WORK=$(mktemp -d)
export KCL_HOME=$WORK/home NO_COLOR=1
kcl() { local checkout=$1; shift; "$NODE" "$checkout/bin/kcl.js" "$@"; }
cleanup() {
  kcl "$BEFORE" down --name perf-ab-before --volumes --yes >/dev/null 2>&1 || true
  kcl "$AFTER" down --name perf-ab-after --volumes --yes >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
"$NODE" -e '
  const fs = require("node:fs"); const out = fs.createWriteStream(process.argv[1]);
  let chunk = ""; for (let i = 0; i < 1000000; i++) { chunk += String(i).padStart(9, "0") + " " + "x".repeat(89) + "\n"; if (chunk.length > 1e6) { out.write(chunk); chunk = "" } }
  out.end(chunk)' "$WORK/lines.txt"
kcl "$BEFORE" up --name perf-ab-before --brokers 3 --port 26760 --json >/dev/null
kcl "$AFTER" up --name perf-ab-after --brokers 3 --port 26770 --json >/dev/null
sleep 20
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
seconds() { echo "$(date +%s.%N) - $1" | bc; }
for round in $(seq 1 "$ROUNDS"); do
  for side in before after; do
    port=$([[ $side == before ]] && echo 26760 || echo 26770)
    sleep 3
    t=$(date +%s.%N); kcat -P -b "localhost:$port" -t "ab-$round" -X enable.idempotence=true -X acks=all < "$WORK/lines.txt" 2>/dev/null; produce=$(seconds "$t")
    sleep 3
    t=$(date +%s.%N); kcat -C -b "localhost:$port" -t "ab-$round" -e -q -o beginning > /dev/null; consume=$(seconds "$t")
    echo "$side round $round: produce $(echo "1000000 / $produce" | bc) rec/s, consume $(echo "1000000 / $consume" | bc) rec/s"
  done
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
for side in before after; do
  fenced=0
  for node in 1 2 3; do fenced=$((fenced + $(docker logs "kcl-perf-ab-$side-kafka-$node-1" 2>&1 | grep -c 'because its session has timed out' || true))); done
  echo "$side: brokers fenced for a timed-out session: $fenced"
done
docker stats --no-stream --format '{{.Name}} {{.MemUsage}}' | grep perf-ab
