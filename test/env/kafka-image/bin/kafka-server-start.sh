#!/usr/bin/env bash
# kcl test stand-in for Kafka's bin/kafka-server-start.sh:
#   kafka-server-start.sh [-daemon] server.properties [--override property=value]*
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] server.properties [--override property=value]*" >&2
  exit 1
fi
base_dir="$(cd "$(dirname "$0")" && pwd)"

if [ -z "${KAFKA_LOG4J_OPTS:-}" ]; then
  export KAFKA_LOG4J_OPTS="-Dlog4j2.configurationFile=${base_dir}/../config/log4j2.yaml"
fi
if [ -z "${KAFKA_HEAP_OPTS:-}" ]; then
  export KAFKA_HEAP_OPTS="-Xmx1G -Xms1G"
fi

EXTRA_ARGS="${EXTRA_ARGS--name kafkaServer -loggc}"
if [ "${1:-}" = "-daemon" ]; then
  EXTRA_ARGS="-daemon ${EXTRA_ARGS}"
  shift
fi
# shellcheck disable=SC2086
exec "${base_dir}/kafka-run-class.sh" ${EXTRA_ARGS} kafka.Kafka "$@"
