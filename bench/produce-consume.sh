#!/usr/bin/env bash
# kcl against kcat on the same single-broker cluster, in the same run:
#   produce 1,000,000 lines of 100 bytes from a file, consume them to /dev/null (a warm-up round, then ROUNDS
#   rounds; medians),
#   produce with each codec in CODECS (default: lz4 snappy zstd gzip) against `kcat -z <codec>`, the same way,
#   and `kcl topic create` against the seeds' `docker exec … kafka-topics.sh --create`.
# Usage: [ROUNDS=n] [CODECS="lz4 …"] [KCL_COMMAND=…] bench/produce-consume.sh [BOOTSTRAP] [CONTAINER]
#   default: starts a kcl cluster "e2e-work-bench" on port 29092 (private KCL_HOME) and removes it after.
set -euo pipefail
cd "$(dirname "$0")/.."

LINES=${LINES:-1000000}
NODE=node_modules/.bin/node
# KCL_COMMAND runs another kcl, e.g. the standalone binary: KCL_COMMAND=dist/kcl-linux-x64
read -r -a KCL <<< "${KCL_COMMAND:-$NODE bin/kcl.js}"
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
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
SUFFIX=$(date +%s)
ROUNDS=${ROUNDS:-3}
# The broker keeps working for a moment after taking 100 MB (log flush, JVM GC): each timed step starts after a
# pause, and the tools take turns going first, so neither always meets a busy broker.
settle() { sleep 3; }

# $1 topic, $2 codec
time_kcat_produce() { local t; t=$(date +%s.%N); kcat -P -b "$BOOTSTRAP" -t "$1" -z "${2:-none}" -X enable.idempotence=true -X acks=all < "$WORK/lines.txt"; seconds "$t"; }
time_kcl_produce() { local t; t=$(date +%s.%N); "${KCL[@]}" produce "$1" -b "$BOOTSTRAP" --compression "${2:-none}" < "$WORK/lines.txt" 2>/dev/null; seconds "$t"; }
high_watermark() { "${KCL[@]}" topic describe "$1" -b "$BOOTSTRAP" --json | "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).partitions[0].high))'; }
time_kcat_consume() { local t; t=$(date +%s.%N); kcat -C -b "$BOOTSTRAP" -t "$1" -e -q -o beginning > /dev/null; seconds "$t"; }
time_kcl_consume() { local t; t=$(date +%s.%N); "${KCL[@]}" consume "$1" -b "$BOOTSTRAP" --exit-at-end --output raw > /dev/null 2>&1; seconds "$t"; }

echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
kcat_produce=(); kcl_produce=(); kcat_consume=(); kcl_consume=()
# Round 0 warms the broker's JVM up (a fresh broker takes the first 100 MB markedly slower) and is not counted.
for round in $(seq 0 "$ROUNDS"); do
  kcat_topic="bench-kcat-$SUFFIX-$round"; kcl_topic="bench-kcl-$SUFFIX-$round"
  "${KCL[@]}" topic create "$kcat_topic" --partitions 1 -b "$BOOTSTRAP" >/dev/null
  "${KCL[@]}" topic create "$kcl_topic" --partitions 1 -b "$BOOTSTRAP" >/dev/null
  # Same guarantees on both sides: acks=all with an idempotent producer (kcl's default).
  if (( round % 2 == 1 )); then order=(kcat kcl); else order=(kcl kcat); fi
  for tool in "${order[@]}"; do
    settle
    if [[ $tool == kcat ]]; then took=$(time_kcat_produce "$kcat_topic"); else took=$(time_kcl_produce "$kcl_topic"); fi
    (( round > 0 )) && if [[ $tool == kcat ]]; then kcat_produce+=("$took"); else kcl_produce+=("$took"); fi
  done
  for tool in "${order[@]}"; do
    settle
    if [[ $tool == kcat ]]; then took=$(time_kcat_consume "$kcat_topic"); else took=$(time_kcl_consume "$kcl_topic"); fi
    (( round > 0 )) && if [[ $tool == kcat ]]; then kcat_consume+=("$took"); else kcl_consume+=("$took"); fi
  done
  count=$(high_watermark "$kcl_topic")
  [[ $count == "$LINES" ]] || { echo "kcl produced $count records, expected $LINES" >&2; exit 1; }
done

kcat_p=$(median "${kcat_produce[@]}"); kcl_p=$(median "${kcl_produce[@]}"); kcat_c=$(median "${kcat_consume[@]}"); kcl_c=$(median "${kcl_consume[@]}")
echo "runs (s): kcat produce ${kcat_produce[*]}; kcl produce ${kcl_produce[*]}; kcat consume ${kcat_consume[*]}; kcl consume ${kcl_consume[*]}"
echo "| step (median of $ROUNDS) | kcat | kcl | kcl/kcat |"
echo "|---|---|---|---|"
printf '| produce %s × 100 B | %.2f s (%s msg/s) | %.2f s (%s msg/s) | %.2f× |\n' "$LINES" "$kcat_p" "$(rate "$kcat_p")" "$kcl_p" "$(rate "$kcl_p")" "$(echo "scale=4; $kcat_p / $kcl_p" | bc)"
printf '| consume to /dev/null | %.2f s (%s msg/s) | %.2f s (%s msg/s) | %.2f× |\n' "$kcat_c" "$(rate "$kcat_c")" "$kcl_c" "$(rate "$kcl_c")" "$(echo "scale=4; $kcat_c / $kcl_c" | bc)"

# Compressed produce: the same turns, one pair of topics per codec and round.
for codec in ${CODECS-lz4 snappy zstd gzip}; do
  kcat_runs=(); kcl_runs=()
  for round in $(seq 0 "$ROUNDS"); do
    kcat_topic="bench-kcat-$codec-$SUFFIX-$round"; kcl_topic="bench-kcl-$codec-$SUFFIX-$round"
    "${KCL[@]}" topic create "$kcat_topic" --partitions 1 -b "$BOOTSTRAP" >/dev/null
    "${KCL[@]}" topic create "$kcl_topic" --partitions 1 -b "$BOOTSTRAP" >/dev/null
    if (( round % 2 == 1 )); then order=(kcat kcl); else order=(kcl kcat); fi
    for tool in "${order[@]}"; do
      settle
      if [[ $tool == kcat ]]; then took=$(time_kcat_produce "$kcat_topic" "$codec"); else took=$(time_kcl_produce "$kcl_topic" "$codec"); fi
      (( round > 0 )) && if [[ $tool == kcat ]]; then kcat_runs+=("$took"); else kcl_runs+=("$took"); fi
    done
    count=$(high_watermark "$kcl_topic")
    [[ $count == "$LINES" ]] || { echo "kcl produced $count records with $codec, expected $LINES" >&2; exit 1; }
  done
  kcat_p=$(median "${kcat_runs[@]}"); kcl_p=$(median "${kcl_runs[@]}")
  echo "runs (s), $codec: kcat ${kcat_runs[*]}; kcl ${kcl_runs[*]}"
  printf '| produce %s × 100 B, %s | %.2f s (%s msg/s) | %.2f s (%s msg/s) | %.2f× |\n' "$LINES" "$codec" "$kcat_p" "$(rate "$kcat_p")" "$kcl_p" "$(rate "$kcl_p")" "$(echo "scale=4; $kcat_p / $kcl_p" | bc)"
done

echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ -n $CONTAINER ]]; then
  RUNS=5
  t=$(date +%s.%N); for i in $(seq $RUNS); do "${KCL[@]}" topic create "tc-kcl-$SUFFIX-$i" -b "$BOOTSTRAP" >/dev/null; done; kcl_create=$(seconds "$t")
  t=$(date +%s.%N); for i in $(seq $RUNS); do docker exec "$CONTAINER" /opt/kafka/bin/kafka-topics.sh --bootstrap-server kafka-1:19092 --create --topic "tc-exec-$SUFFIX-$i" >/dev/null; done; exec_create=$(seconds "$t")
  printf '| topic create (mean of %s) | docker exec kafka-topics.sh: %.2f s | %.2f s | %.1f× faster |\n' "$RUNS" "$(echo "scale=3; $exec_create / $RUNS" | bc)" "$(echo "scale=3; $kcl_create / $RUNS" | bc)" "$(echo "scale=3; $exec_create / $kcl_create" | bc)"
fi
