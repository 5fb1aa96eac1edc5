#!/usr/bin/env bash
# kcl test stand-in for Kafka's bin/kafka-server-stop.sh: SIGTERM to the broker JVM(s).
SIGNAL="${SIGNAL:-TERM}"
pids="$(pgrep -f "java.* kafka\.Kafka " || true)"
if [ -z "${pids}" ]; then
  echo "No kafka server to stop"
  exit 1
fi
# shellcheck disable=SC2086
kill -s "${SIGNAL}" ${pids}
