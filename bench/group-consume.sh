#!/usr/bin/env bash
# Consuming as a consumer group: kcl (both group protocols) against kcat's balanced consumer (kcat -G), on the
# same single-broker cluster, in the same run. One topic of 3 partitions holding 1,000,000 records of 100 bytes
# (written once, by kcat); each round every tool reads all of it to /dev/null as a fresh group, then exits.
# A warm-up round, then ROUNDS rounds, tools taking turns; medians.
# Usage: bench/group-consume.sh [BOOTSTRAP]
#   default: starts a kcl cluster "k-bench" on port 26010 (private KCL_HOME) and removes it after.
set -euo pipefail
cd "$(dirname "$0")/.."

LINES=${LINES:-1000000}
NODE=node_modules/.bin/node
KCL=("$NODE" bin/kcl.js)
WORK=$(mktemp -d)
export KCL_HOME=${KCL_HOME:-$WORK/home}
STARTED=""
if [[ -z ${KCL_KAFKA_IMAGE:-} && -f $HOME/.cache/kcl-test-env/kafka-image ]]; then export KCL_KAFKA_IMAGE=$(cat "$HOME/.cache/kcl-test-env/kafka-image"); fi

if [[ $# -ge 1 ]]; then
  BOOTSTRAP=$1
else
  "${KCL[@]}" up --name k-bench --port 26010 >/dev/null
  STARTED=k-bench
  BOOTSTRAP=localhost:26010
fi
cleanup() {
  [[ -n $STARTED ]] && "${KCL[@]}" down --name "$STARTED" --volumes --yes >/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

seconds() { local start=$1; echo "$(date +%s.%N) - $start" | bc; }
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
ROUNDS=${ROUNDS:-5}
SUFFIX=$(date +%s)
TOPIC="bench-group-$SUFFIX"

"$NODE" -e '
  const fs = require("node:fs"); const out = fs.createWriteStream(process.argv[1]); const n = Number(process.argv[2]);
  let chunk = ""; for (let i = 0; i < n; i++) { chunk += (String(i).padStart(9, "0") + " " + "x".repeat(89)) + "\n"; if (chunk.length > 1e6) { out.write(chunk); chunk = "" } }
  out.end(chunk)' "$WORK/lines.txt" "$LINES"
"${KCL[@]}" topic create "$TOPIC" --partitions 3 -b "$BOOTSTRAP" >/dev/null
kcat -P -b "$BOOTSTRAP" -t "$TOPIC" -X acks=all < "$WORK/lines.txt"

# Each run is a new group, so each reads everything; each checks it got every record.
check() { [[ $1 == "$LINES" ]] || { echo "$2 read $1 records, expected $LINES" >&2; exit 1; }; }
time_kcat() {
  local t n; t=$(date +%s.%N)
  n=$(kcat -G "kcat-$SUFFIX-$1" -b "$BOOTSTRAP" -o beginning -e -q -f '%s\n' "$TOPIC" | wc -l)
  local took; took=$(seconds "$t"); check "$n" kcat; echo "$took"
}
time_kcl() {
  local t n; t=$(date +%s.%N)
  n=$("${KCL[@]}" consume "$TOPIC" -b "$BOOTSTRAP" --group "kcl-$2-$SUFFIX-$1" --group-protocol "$2" --exit-at-end --output raw 2>/dev/null | wc -l)
  local took; took=$(seconds "$t"); check "$n" "kcl ($2)"; echo "$took"
}

kcat_runs=(); consumer_runs=(); classic_runs=()
for round in $(seq 0 "$ROUNDS"); do
  case $(( round % 3 )) in 0) order=(kcat consumer classic) ;; 1) order=(consumer classic kcat) ;; *) order=(classic kcat consumer) ;; esac
  for tool in "${order[@]}"; do
    sleep 2
    if [[ $tool == kcat ]]; then took=$(time_kcat "$round"); else took=$(time_kcl "$round" "$tool"); fi
    (( round > 0 )) || continue
    case $tool in kcat) kcat_runs+=("$took") ;; consumer) consumer_runs+=("$took") ;; classic) classic_runs+=("$took") ;; esac
  done
done

k=$(median "${kcat_runs[@]}"); c=$(median "${consumer_runs[@]}"); l=$(median "${classic_runs[@]}")
echo "runs (s): kcat -G ${kcat_runs[*]}; kcl consumer ${consumer_runs[*]}; kcl classic ${classic_runs[*]}"
echo "| group consumption, $LINES × 100 B, 3 partitions (median of $ROUNDS) | seconds | records/s | vs kcat -G |"
echo "|---|---|---|---|"
for row in "kcat -G:$k" "kcl --group-protocol consumer:$c" "kcl --group-protocol classic:$l"; do
  name=${row%%:*}; s=${row##*:}
  echo "| $name | $s | $(echo "scale=0; $LINES / $s" | bc) | $(echo "scale=2; $k / $s" | bc)x |"
done
