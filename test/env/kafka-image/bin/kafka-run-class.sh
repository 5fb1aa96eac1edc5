#!/usr/bin/env bash
# kcl test stand-in for Kafka's bin/kafka-run-class.sh (written for this image,
# honours the same environment variables as the distribution's script):
#   kafka-run-class.sh [-daemon] [-name NAME] [-loggc] CLASS [ARGS...]
# Env: JAVA_HOME, CLASSPATH (prepended), KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS,
#      KAFKA_GC_LOG_OPTS, KAFKA_JMX_OPTS, JMX_PORT, KAFKA_LOG4J_OPTS, KAFKA_OPTS,
#      LOG_DIR, KAFKA_DEBUG (+ JAVA_DEBUG_PORT, DEBUG_SUSPEND_FLAG).
set -u

if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] [-name servicename] [-loggc] classname [opts]" >&2
  exit 1
fi

base_dir="$(cd "$(dirname "$0")/.." && pwd)"

cp_libs="${base_dir}/libs/*"
if [ -n "${CLASSPATH:-}" ]; then
  CLASSPATH="${CLASSPATH}:${cp_libs}"
else
  CLASSPATH="${cp_libs}"
fi

LOG_DIR="${LOG_DIR:-${base_dir}/logs}"
mkdir -p "${LOG_DIR}" 2>/dev/null || true

if [ -z "${KAFKA_JMX_OPTS:-}" ]; then
  KAFKA_JMX_OPTS="-Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.authenticate=false -Dcom.sun.management.jmxremote.ssl=false"
fi
if [ -n "${JMX_PORT:-}" ]; then
  KAFKA_JMX_OPTS="${KAFKA_JMX_OPTS} -Dcom.sun.management.jmxremote.port=${JMX_PORT}"
  if ! echo "${KAFKA_JMX_OPTS}" | grep -qF -- "-Dcom.sun.management.jmxremote.rmi.port=" ; then
    KAFKA_JMX_OPTS="${KAFKA_JMX_OPTS} -Dcom.sun.management.jmxremote.rmi.port=${JMX_PORT}"
  fi
fi

if [ -z "${KAFKA_LOG4J_OPTS:-}" ]; then
  KAFKA_LOG4J_OPTS="-Dlog4j2.configurationFile=${base_dir}/config/tools-log4j2.yaml"
fi
KAFKA_LOG4J_OPTS="-Dkafka.logs.dir=${LOG_DIR} ${KAFKA_LOG4J_OPTS}"

KAFKA_OPTS="${KAFKA_OPTS:-}"

if [ "${KAFKA_DEBUG:-}" != "" ]; then
  JAVA_DEBUG_PORT="${JAVA_DEBUG_PORT:-5005}"
  KAFKA_OPTS="-agentlib:jdwp=transport=dt_socket,server=y,suspend=${DEBUG_SUSPEND_FLAG:-n},address=${JAVA_DEBUG_PORT} ${KAFKA_OPTS}"
fi

if [ -n "${JAVA_HOME:-}" ] && [ -x "${JAVA_HOME}/bin/java" ]; then
  JAVA="${JAVA_HOME}/bin/java"
else
  JAVA="java"
fi

KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx256M}"
KAFKA_JVM_PERFORMANCE_OPTS="${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true}"

DAEMON_MODE=false
DAEMON_NAME=""
GC_LOG_ENABLED=false
while [ $# -gt 0 ]; do
  case "$1" in
    -name) DAEMON_NAME="$2"; shift 2 ;;
    -loggc) GC_LOG_ENABLED=true; shift ;;
    -daemon) DAEMON_MODE=true; shift ;;
    *) break ;;
  esac
done

CONSOLE_OUTPUT_FILE="${LOG_DIR}/${DAEMON_NAME}.out"

GC_OPTS=""
if [ "${GC_LOG_ENABLED}" = "true" ] && [ -n "${DAEMON_NAME}" ]; then
  GC_OPTS="${KAFKA_GC_LOG_OPTS:--Xlog:gc*:file=${LOG_DIR}/${DAEMON_NAME}-gc.log:time,tags:filecount=10,filesize=100M}"
fi

# The option variables are word-split on purpose (they hold several JVM flags),
# exactly like the distribution's script.
# shellcheck disable=SC2086
if [ "${DAEMON_MODE}" = "true" ]; then
  nohup "${JAVA}" ${KAFKA_HEAP_OPTS} ${KAFKA_JVM_PERFORMANCE_OPTS} ${GC_OPTS} ${KAFKA_JMX_OPTS} ${KAFKA_LOG4J_OPTS} -cp "${CLASSPATH}" ${KAFKA_OPTS} "$@" > "${CONSOLE_OUTPUT_FILE}" 2>&1 < /dev/null &
else
  exec "${JAVA}" ${KAFKA_HEAP_OPTS} ${KAFKA_JVM_PERFORMANCE_OPTS} ${GC_OPTS} ${KAFKA_JMX_OPTS} ${KAFKA_LOG4J_OPTS} -cp "${CLASSPATH}" ${KAFKA_OPTS} "$@"
fi
