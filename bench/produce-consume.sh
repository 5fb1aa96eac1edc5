#!/usr/bin/env bash
# kcl against kcat on the same single-broker cluster, in the same run:
#   produce 1,000,000 lines of 100 bytes from a file, consume them to /dev/null,
#   and `kcl topic create` against the seeds' `docker exec … kafka-topics.sh --create`.
# Usage: bench/produce-consume.sh [BOOTSTRAP] [CONTAINER]
#   default: starts a kcl cluster "e2e-work-bench" on port 29092 (private KCL_HOME) and removes it after.
set -euo pipefail
cd "$(dirname "$0")/.."

LINES=${LINES:-1000000}
NODE=node_modules/.bin/node
KCL=("$NODE" bin/kcl.js)
WORK=$(mktemp -d)
export KCL_HOME=${KCL_HOME:-$WORK/home}
STARTED=""
# The image the test environment prepared, when there is one (else kcl's default apache/kafka).
if [[ -z ${KCL_KAFKA_IMAGE:-} && -f $HOME/.cache/kcl-test-env/kafka-image ]]; then export KCL_KAFKA_IMAGE=$(cat "$HOME/.cache/kcl-test-env/kafka-image"); fi

if [[ $# -ge 1 ]]; then
  BOOTSTRAP=$1
  CONTAINER=${2:-}
else
  "${KCL[@]}" up --name e2e-work-bench --port 29092 >/dev/null
  STARTED=e2e-work-bench
  BOOTSTRAP=localhost:29092
  CONTAINER=kcl-e2e-work-bench-kafka-1-1
fi
cleanup() {
  [[ -n $STARTED ]] && "${KCL[@]}" down --name "$STARTED" --volumes --yes >/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# 1,000,000 lines of exactly 100 bytes (99 characters and the newline).
"$NODE" -e '
  const fs = require("node:fs"); const out = fs.createWriteStream(process.argv[1]); const n = Number(process.argv[2]);
  let chunk = ""; for (let i = 0; i < n; i++) { chunk += (String(i).padStart(9, "0") + " " + "x".repeat(89)) + "\n"; if (chunk.length > 1e6) { out.write(chunk); chunk = "" } }
  out.end(chunk)' "$WORK/lines.txt" "$LINES"

seconds() { local start=$1; echo "$(date +%s.%N) - $start" | bc; }
rate() { echo "scale=0; $LINES / $1" | bc; }
SUFFIX=$(date +%s)

"${KCL[@]}" topic create "bench-kcl-$SUFFIX" --partitions 1 -b "$BOOTSTRAP" >/dev/null
"${KCL[@]}" topic create "bench-kcat-$SUFFIX" --partitions 1 -b "$BOOTSTRAP" >/dev/null

# Same guarantees on both sides: acks=all with an idempotent producer (kcl's default).
t=$(date +%s.%N); kcat -P -b "$BOOTSTRAP" -t "bench-kcat-$SUFFIX" -X enable.idempotence=true -X acks=all < "$WORK/lines.txt"; kcat_produce=$(seconds "$t")
t=$(date +%s.%N); "${KCL[@]}" produce "bench-kcl-$SUFFIX" -b "$BOOTSTRAP" < "$WORK/lines.txt" 2>/dev/null; kcl_produce=$(seconds "$t")

t=$(date +%s.%N); kcat -C -b "$BOOTSTRAP" -t "bench-kcat-$SUFFIX" -e -q -o beginning > /dev/null; kcat_consume=$(seconds "$t")
t=$(date +%s.%N); "${KCL[@]}" consume "bench-kcl-$SUFFIX" -b "$BOOTSTRAP" --exit-at-end --output raw > /dev/null 2>&1; kcl_consume=$(seconds "$t")

count=$("${KCL[@]}" topic describe "bench-kcl-$SUFFIX" -b "$BOOTSTRAP" --json | "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).partitions[0].high))')
[[ $count == "$LINES" ]] || { echo "kcl produced $count records, expected $LINES" >&2; exit 1; }

echo "| step | kcat | kcl | kcl/kcat |"
echo "|---|---|---|---|"
printf '| produce %s × 100 B | %.2f s (%s msg/s) | %.2f s (%s msg/s) | %.2f× |\n' "$LINES" "$kcat_produce" "$(rate "$kcat_produce")" "$kcl_produce" "$(rate "$kcl_produce")" "$(echo "scale=4; $kcat_produce / $kcl_produce" | bc)"
printf '| consume to /dev/null | %.2f s (%s msg/s) | %.2f s (%s msg/s) | %.2f× |\n' "$kcat_consume" "$(rate "$kcat_consume")" "$kcl_consume" "$(rate "$kcl_consume")" "$(echo "scale=4; $kcat_consume / $kcl_consume" | bc)"

if [[ -n $CONTAINER ]]; then
  RUNS=5
  t=$(date +%s.%N); for i in $(seq $RUNS); do "${KCL[@]}" topic create "tc-kcl-$SUFFIX-$i" -b "$BOOTSTRAP" >/dev/null; done; kcl_create=$(seconds "$t")
  t=$(date +%s.%N); for i in $(seq $RUNS); do docker exec "$CONTAINER" /opt/kafka/bin/kafka-topics.sh --bootstrap-server kafka-1:19092 --create --topic "tc-exec-$SUFFIX-$i" >/dev/null; done; exec_create=$(seconds "$t")
  printf '| topic create (mean of %s) | docker exec kafka-topics.sh: %.2f s | %.2f s | %.1f× faster |\n' "$RUNS" "$(echo "scale=3; $exec_create / $RUNS" | bc)" "$(echo "scale=3; $kcl_create / $RUNS" | bc)" "$(echo "scale=3; $exec_create / $kcl_create" | bc)"
fi
