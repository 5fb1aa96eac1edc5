#!/usr/bin/env bash
# Prepares the real test environment of kcl: a Docker engine, Docker Compose
# (Debian's docker-compose v1 always, the `docker compose` v2 plugin when it can
# be built) and an Apache Kafka image. Idempotent: run it as often as you like;
# a second run on the same machine takes seconds.
#
#   bash test/env/setup.sh          (npm run test:env)
#
# Kafka image: apache/kafka:<version> when it is present locally (docker pull it
# on a machine with internet access), otherwise a stand-in kcl-test/kafka:<version>
# built here without pulling anything: a debootstrapped Debian bookworm + OpenJDK
# 17 base image, the Kafka jars from Maven Central and our own scripts honouring
# the official image's environment contract (see test/env/kafka-image/).
# The image to use is written to ~/.cache/kcl-test-env/kafka-image.
#
# Environment:
#   CI=true                   every failure exits non-zero with a one-line reason
#   KCL_TEST_ENV_CACHE        cache directory (default ~/.cache/kcl-test-env)
#   KCL_TEST_COMPOSE_VERSION  compose v2 tag to build (default below)
#   KCL_TEST_SKIP_COMPOSE_V2=1  do not build the compose v2 plugin
#   KCL_TEST_REQUIRE_COMPOSE_V2=1  make a failed compose v2 build fatal
#   KCL_TEST_KAFKA_VERSION    Kafka version (default: package.json config.kafkaVersion, else 4.4.0)
#   KCL_TEST_OLDEST_KAFKA_VERSION  the oldest Kafka kcl supports, built too (default:
#                             package.json config.oldestKafkaVersion; "none" skips it)
#   KCL_TEST_ENV_REBUILD=1    ignore cached images/tarballs and build the stand-in
#                             (and its base) again; jars and compose come from the
#                             cache directory, so pair it with a fresh
#                             KCL_TEST_ENV_CACHE to time a first run
set -Eeuo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
IMAGE_SRC="${SCRIPT_DIR}/kafka-image"

CACHE_DIR="${KCL_TEST_ENV_CACHE:-${HOME}/.cache/kcl-test-env}"
LOG_DIR="${CACHE_DIR}/logs"
WORK_DIR="${CACHE_DIR}/work"
IMAGE_FILE="${CACHE_DIR}/kafka-image"
DOCKERD_LOG="/var/log/kcl-test-dockerd.log"

COMPOSE_V2_VERSION="${KCL_TEST_COMPOSE_VERSION:-v2.40.3}"
COMPOSE_V2_MODULE="github.com/docker/compose/v2"

BASE_IMAGE="kcl-test/debian-jre:bookworm"
BASE_SUITE="bookworm"
BASE_PACKAGES="openjdk-17-jre-headless,ca-certificates,procps,hostname,netcat-openbsd"
# Bump when the way the base rootfs is made changes.
BASE_RECIPE="1 ${BASE_SUITE} minbase ${BASE_PACKAGES}"

APT_PACKAGES=(docker.io docker-compose debootstrap kcat python3-kafka hyperfine chromium zsh fish podman podman-compose)

REBUILD="${KCL_TEST_ENV_REBUILD:-0}"
STEP="start"
START_TIME="${SECONDS}"

# ---------------------------------------------------------------- helpers

fail() {
  echo "kcl test env: FAILED in step '${STEP}': $*" >&2
  exit 1
}
trap 'fail "command failed (line ${LINENO}: ${BASH_COMMAND})"' ERR

# Background jobs (compose build, debootstrap, mvn) run in their own process
# groups (set -m below) so that a failing or interrupted run stops them all.
declare -A JOB_PID=()
stop_jobs() {
  local name pid
  for name in "${!JOB_PID[@]}"; do
    pid="${JOB_PID[${name}]}"
    if kill -0 "${pid}" 2>/dev/null; then
      kill -TERM -- "-${pid}" 2>/dev/null || kill -TERM "${pid}" 2>/dev/null || true
    fi
  done
}
trap stop_jobs EXIT

log() { printf '[test-env %3ss] %s\n' "$((SECONDS - START_TIME))" "$*"; }
warn() { printf '[test-env %3ss] WARNING: %s\n' "$((SECONDS - START_TIME))" "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }
is_root() { [ "$(id -u)" = "0" ]; }
is_debian() { [ -f /etc/debian_version ] && have apt-get && have dpkg-query; }

# Shows the end of a job's log and fails the current step.
fail_with_log() {
  local what="$1" logfile="$2"
  if [ -f "${logfile}" ]; then
    echo "---- last lines of ${logfile} ----" >&2
    tail -n 25 "${logfile}" >&2 || true
    echo "----" >&2
  fi
  fail "${what} (full log: ${logfile})"
}

dpkg_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

# The first apt mirror this machine uses for Debian bookworm (deb822 .sources
# files and one-line .list files), else deb.debian.org.
debian_mirror() {
  local mirror=""
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "${f}" ] || continue
    mirror="$(awk -v suite="${BASE_SUITE}" '
      function flush() {
        if (types ~ /(^|[ \t])deb([ \t]|$)/ && (" " suites " ") ~ (" " suite " ") && (" " comps " ") ~ / main / && uri != "" && found == "") found = uri
        types = ""; suites = ""; comps = ""; uri = ""
      }
      /^[ \t]*$/ { flush(); next }
      tolower($1) == "types:" { $1 = ""; types = $0 }
      tolower($1) == "suites:" { $1 = ""; suites = $0 }
      tolower($1) == "components:" { $1 = ""; comps = $0 }
      tolower($1) == "uris:" { uri = $2 }
      END { flush(); print found }
    ' "${f}")"
    [ -n "${mirror}" ] && break
  done
  if [ -z "${mirror}" ]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "${f}" ] || continue
      mirror="$(awk -v suite="${BASE_SUITE}" '
        $1 == "deb" {
          i = 2
          if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
          if ($(i + 1) == suite) { print $i; exit }
        }' "${f}")"
      [ -n "${mirror}" ] && break
    done
  fi
  printf '%s\n' "${mirror:-http://deb.debian.org/debian}"
}

# Unmounts anything left mounted below a directory (a failed debootstrap can
# leave /proc mounted in its target), then removes it without crossing devices.
safe_rm_tree() {
  local dir="$1" mnt
  [ -e "${dir}" ] || return 0
  if have findmnt; then
    findmnt -rn -o TARGET | awk -v d="${dir}/" 'index($0, d) == 1' | sort -r | while read -r mnt; do
      umount -l "${mnt}" 2>/dev/null || true
    done
  fi
  rm -rf --one-file-system "${dir}"
}

image_label() {
  docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}

# sha256 of the image recipe: every file of test/env/kafka-image but its
# documentation, the Kafka version ($1) and the base image recipe.
content_hash() {
  (
    cd "${IMAGE_SRC}"
    find . -type f ! -name '*.md' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    printf 'kafka=%s\nbase=%s\n' "$1" "${BASE_RECIPE}"
  ) | sha256sum | cut -c1-16
}

# ---------------------------------------------------------------- step: packages

STEP="configuration"
mkdir -p "${CACHE_DIR}" "${LOG_DIR}" "${WORK_DIR}"

# One run at a time per cache directory (several people or test runs may call
# this script at once on a shared machine); a second run waits, then finds
# everything cached.
STEP="lock"
if have flock; then
  exec 9>"${CACHE_DIR}/.lock"
  if ! flock -n 9; then
    log "another test-env setup is running; waiting for it (up to 30 min)"
    flock -w 1800 9 || fail "timed out waiting for the other setup run (lock ${CACHE_DIR}/.lock)"
  fi
fi

STEP="configuration"
package_config() {
  [ -f "${REPO_ROOT}/package.json" ] && have node || return 0
  (cd "${REPO_ROOT}" && { node -p "(require('./package.json').config || {}).$1 || ''" 2>/dev/null || true; })
}
KAFKA_VERSION="4.4.0"
v="$(package_config kafkaVersion)"
if [[ "${v}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then KAFKA_VERSION="${v}"; fi
if [ -n "${KCL_TEST_KAFKA_VERSION:-}" ]; then
  [[ "${KCL_TEST_KAFKA_VERSION}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "KCL_TEST_KAFKA_VERSION must look like 4.4.0"
  KAFKA_VERSION="${KCL_TEST_KAFKA_VERSION}"
fi
# The default version first: its stand-in must have every tool of bin/tools.list.
KAFKA_VERSIONS=("${KAFKA_VERSION}")
OLDEST_KAFKA_VERSION="${KCL_TEST_OLDEST_KAFKA_VERSION:-$(package_config oldestKafkaVersion)}"
if [ -n "${OLDEST_KAFKA_VERSION}" ] && [ "${OLDEST_KAFKA_VERSION}" != "none" ] && [ "${OLDEST_KAFKA_VERSION}" != "${KAFKA_VERSION}" ]; then
  [[ "${OLDEST_KAFKA_VERSION}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "the oldest Kafka version must look like 3.7.0, not ${OLDEST_KAFKA_VERSION}"
  KAFKA_VERSIONS+=("${OLDEST_KAFKA_VERSION}")
fi
log "Kafka versions ${KAFKA_VERSIONS[*]}; cache ${CACHE_DIR}"

STEP="apt packages"
missing=()
if is_debian; then
  for p in "${APT_PACKAGES[@]}"; do dpkg_installed "${p}" || missing+=("${p}"); done
  have mvn || missing+=(maven)
  # The e2e test of aborted transactions runs Kafka's Java client through the JDK's source launcher.
  have javac || missing+=(openjdk-17-jdk-headless)
  # The Node check's test runs kcl with a Node older than package.json's engines: the machine's own, else Debian's.
  [ -x /usr/bin/node ] || missing+=(nodejs)
  if [ "${#missing[@]}" -gt 0 ]; then
    is_root || fail "missing Debian packages (${missing[*]}) and not root: install them with sudo apt-get install ${missing[*]}"
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=900 update >"${LOG_DIR}/apt.log" 2>&1 \
      || fail_with_log "apt-get update failed" "${LOG_DIR}/apt.log"
    apt-get -o DPkg::Lock::Timeout=900 install -y "${missing[@]}" >>"${LOG_DIR}/apt.log" 2>&1 \
      || fail_with_log "apt-get install ${missing[*]} failed" "${LOG_DIR}/apt.log"
  fi
else
  warn "not a Debian machine: not installing packages; docker, docker-compose and (to build the stand-in image) debootstrap and mvn must already be there"
fi

# ---------------------------------------------------------------- step: engine

STEP="docker engine"
ENGINE_STATUS=""
if docker info >/dev/null 2>&1; then
  ENGINE_STATUS="already running"
else
  is_root || fail "no Docker engine answers 'docker info' and this script can only start one as root"
  have dockerd || fail "no Docker engine answers 'docker info' and dockerd is not installed"
  if [ -d /run/systemd/system ] && have systemctl && systemctl start docker >/dev/null 2>&1; then
    ENGINE_STATUS="started (systemctl start docker)"
  elif have pgrep && pgrep -x dockerd >/dev/null 2>&1; then
    ENGINE_STATUS="was starting (dockerd already running, log ${DOCKERD_LOG})"
  else
    log "starting dockerd in the background (log ${DOCKERD_LOG})"
    # 9>&-: the daemon outlives this script and must not inherit (and hold forever) the setup lock.
    setsid nohup dockerd >>"${DOCKERD_LOG}" 2>&1 </dev/null 9>&- &
    ENGINE_STATUS="started by this script (log ${DOCKERD_LOG})"
  fi
  deadline=$((SECONDS + 60))
  until docker info >/dev/null 2>&1; do
    if [ "${SECONDS}" -ge "${deadline}" ]; then
      fail_with_log "the Docker engine did not answer within 60 s${DOCKER_HOST:+ (DOCKER_HOST=${DOCKER_HOST})}" "${DOCKERD_LOG}"
    fi
    sleep 1
  done
fi
ENGINE_VERSION="$(docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?')"
log "Docker engine ${ENGINE_VERSION}: ${ENGINE_STATUS}"
# A local engine whose docker0 bridge was deleted (by hand or by a test) cannot
# start containers on the default network any more; only a dockerd restart
# recreates it. Say so, since this script never restarts a running engine.
ENGINE_WARNING=""
if have ip && [ "$(docker info -f '{{.OperatingSystem}}' 2>/dev/null || true)" != "Docker Desktop" ] \
   && docker network inspect bridge >/dev/null 2>&1 && ! ip link show docker0 >/dev/null 2>&1 \
   && [ -S /var/run/docker.sock ]; then
  ENGINE_WARNING="the docker0 bridge interface is missing: containers on the default 'bridge' network cannot start until dockerd is restarted (compose networks still work)"
  warn "${ENGINE_WARNING}"
fi

# ---------------------------------------------------------------- step: compose v1

STEP="compose v1"
COMPOSE_V1_VERSION=""
if have docker-compose; then
  COMPOSE_V1_VERSION="$(docker-compose version --short 2>/dev/null || true)"
fi
[ -n "${COMPOSE_V1_VERSION}" ] || fail "docker-compose (v1) is not installed or does not run"

# ---------------------------------------------------------------- background jobs

# compose v2 -------------------------------------------------------------
COMPOSE_V2_DIR="${CACHE_DIR}/compose"
COMPOSE_V2_BIN="${COMPOSE_V2_DIR}/docker-compose-${COMPOSE_V2_VERSION}"
COMPOSE_V2_PLUGIN="${DOCKER_CONFIG:-${HOME}/.docker}/cli-plugins/docker-compose"
COMPOSE_V2_LOG="${LOG_DIR}/compose-v2-build.log"

find_go() {
  if have go; then command -v go
  elif [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go
  else return 1
  fi
}

build_compose_v2() {
  set -Eeuo pipefail
  local go_bin gowork src
  go_bin="$(find_go)"
  gowork="${WORK_DIR}/go"
  safe_rm_tree "${gowork}"
  mkdir -p "${gowork}" "${COMPOSE_V2_DIR}"
  export GOPATH="${gowork}/path" GOCACHE="${gowork}/cache" GOFLAGS="-modcacherw" GOTOOLCHAIN="local"
  "${go_bin}" version
  # `go install module/cmd@version` refuses compose's go.mod (it has exclude
  # directives), so download the module source and build it as the main module.
  src="$("${go_bin}" mod download -json "${COMPOSE_V2_MODULE}@${COMPOSE_V2_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -n "${src}" ] && [ -d "${src}" ]
  cp -r "${src}" "${gowork}/src"
  chmod -R u+w "${gowork}/src"
  (
    cd "${gowork}/src"
    "${go_bin}" build -trimpath \
      -ldflags "-s -w -X ${COMPOSE_V2_MODULE}/internal.Version=${COMPOSE_V2_VERSION}" \
      -o "${COMPOSE_V2_BIN}.tmp" ./cmd
  )
  "${COMPOSE_V2_BIN}.tmp" version
  mv -f "${COMPOSE_V2_BIN}.tmp" "${COMPOSE_V2_BIN}"
  safe_rm_tree "${gowork}"
}

# Kafka jars --------------------------------------------------------------
libs_dir() { printf '%s\n' "${CACHE_DIR}/kafka-$1/libs"; }
LIBS_LOG="${LOG_DIR}/maven.log"
# The jar cache is valid for its Kafka version and this pom.xml.
libs_key() { printf '%s %s\n' "$1" "$(sha256sum "${IMAGE_SRC}/pom.xml" | cut -c1-16)"; }
libs_cached() { [ "$(cat "$(libs_dir "$1")/.complete" 2>/dev/null || true)" = "$(libs_key "$1")" ]; }

# The jars of each version given, one after the other (one Maven repository).
fetch_kafka_jars() {
  set -Eeuo pipefail
  local version libs tmp jackson
  for version in "$@"; do
    libs="$(libs_dir "${version}")"
    tmp="${libs}.tmp"
    rm -rf "${tmp}"
    mkdir -p "${tmp}"
    mvn -B -q -f "${IMAGE_SRC}/pom.xml" \
      -Dkafka.version="${version}" \
      -Dmaven.repo.local="${CACHE_DIR}/m2" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="${tmp}"
    jackson="$(cd "${tmp}" && ls jackson-databind-*.jar | sed -n 's/^jackson-databind-\(.*\)\.jar$/\1/p' | head -n 1)"
    if ! ls "${tmp}"/jackson-dataformat-yaml-*.jar >/dev/null 2>&1; then
      mvn -B -q -f "${IMAGE_SRC}/pom.xml" -Pyaml \
        -Dkafka.version="${version}" -Djackson.version="${jackson}" \
        -Dmaven.repo.local="${CACHE_DIR}/m2" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="${tmp}"
    fi
    ls "${tmp}/kafka_2.13-${version}.jar" "${tmp}/kafka-tools-${version}.jar" \
       "${tmp}/kafka-storage-${version}.jar" "${tmp}/kafka-server-${version}.jar" >/dev/null
    rm -rf "${libs}"
    mv "${tmp}" "${libs}"
    libs_key "${version}" > "${libs}/.complete"
  done
}

# Base image --------------------------------------------------------------
BASE_TAR="${CACHE_DIR}/debian-jre-${BASE_SUITE}.tar"
BASE_LOG="${LOG_DIR}/debootstrap.log"

make_base_rootfs() {
  set -Eeuo pipefail
  local rootfs="${WORK_DIR}/rootfs" mirror
  mirror="$(debian_mirror)"
  echo "mirror: ${mirror}"
  safe_rm_tree "${rootfs}"
  debootstrap --variant=minbase --include="${BASE_PACKAGES}" "${BASE_SUITE}" "${rootfs}" "${mirror}"
  # Trim what a container never needs.
  rm -rf "${rootfs}"/var/cache/apt/archives/*.deb "${rootfs}"/var/lib/apt/lists/* \
         "${rootfs}"/usr/share/doc/* "${rootfs}"/usr/share/man/* "${rootfs}"/usr/share/info/* \
         "${rootfs}"/usr/share/locale/* "${rootfs}"/var/log/*.log "${rootfs}"/var/cache/debconf/*-old
  ls "${rootfs}"/usr/lib/jvm/*/bin/java "${rootfs}/bin/bash" >/dev/null
  tar -C "${rootfs}" --numeric-owner -cf "${BASE_TAR}.tmp" .
  mv -f "${BASE_TAR}.tmp" "${BASE_TAR}"
  printf '%s\n' "${BASE_RECIPE}" > "${BASE_TAR}.recipe"
  safe_rm_tree "${rootfs}"
}

import_base_image() {
  docker import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV LANG=C.UTF-8" \
    --change "LABEL dev.kcl.test.base-recipe=\"${BASE_RECIPE}\"" \
    --change 'CMD ["/bin/bash"]' \
    "${BASE_TAR}" "${BASE_IMAGE}" >/dev/null
}

# ---------------------------------------------------------------- decide what to do

# Per Kafka version: the image to use, how it was found, and the stand-in recipe.
STEP="kafka image (plan)"
declare -A IMAGE_OF=() NOTE_OF=() HASH_OF=()
NEED_STANDIN=()
for version in "${KAFKA_VERSIONS[@]}"; do
  if docker image inspect "apache/kafka:${version}" >/dev/null 2>&1; then
    IMAGE_OF["${version}"]="apache/kafka:${version}"
    NOTE_OF["${version}"]="official image, present locally"
    continue
  fi
  HASH_OF["${version}"]="$(content_hash "${version}")"
  if [ "${REBUILD}" != "1" ] && [ "$(image_label "kcl-test/kafka:${version}" dev.kcl.test.content-hash)" = "${HASH_OF[${version}]}" ]; then
    IMAGE_OF["${version}"]="kcl-test/kafka:${version}"
    NOTE_OF["${version}"]="stand-in, cached (recipe ${HASH_OF[${version}]})"
  else
    NEED_STANDIN+=("${version}")
  fi
done

start_job() {
  local name="$1" logfile="$2"
  shift 2
  set -m
  ( STEP="${name} (background job)"; "$@" ) >"${logfile}" 2>&1 &
  JOB_PID["${name}"]=$!
  set +m
}
wait_job() {
  local name="$1"
  wait "${JOB_PID[${name}]}"
}

# compose v2: use what is there, else the cached build, else build it.
COMPOSE_V2_VERSION_FOUND=""
COMPOSE_V2_NOTE=""
existing_v2="$(docker compose version --short 2>/dev/null || true)"
if [ -n "${existing_v2}" ] && { [ ! -e "${COMPOSE_V2_PLUGIN}" ] || [ "v${existing_v2#v}" = "${COMPOSE_V2_VERSION}" ]; }; then
  # Someone else's compose v2, or the one this script installed before.
  COMPOSE_V2_VERSION_FOUND="${existing_v2}"
  COMPOSE_V2_NOTE="already installed"
elif [ "${KCL_TEST_SKIP_COMPOSE_V2:-}" = "1" ]; then
  COMPOSE_V2_NOTE="skipped (KCL_TEST_SKIP_COMPOSE_V2=1)"
elif [ -x "${COMPOSE_V2_BIN}" ] && "${COMPOSE_V2_BIN}" version >/dev/null 2>&1; then
  COMPOSE_V2_NOTE="cached build"
elif find_go >/dev/null; then
  log "building the compose ${COMPOSE_V2_VERSION} plugin from ${COMPOSE_V2_MODULE} in the background (log ${COMPOSE_V2_LOG})"
  start_job compose "${COMPOSE_V2_LOG}" build_compose_v2
else
  COMPOSE_V2_NOTE="not built: no Go toolchain"
fi

if [ "${#NEED_STANDIN[@]}" -gt 0 ]; then
  is_root || fail "building the stand-in Kafka image needs root (debootstrap); or docker pull apache/kafka:${NEED_STANDIN[0]}"
  if [ "${REBUILD}" = "1" ]; then
    rm -f "${BASE_TAR}" "${BASE_TAR}.recipe"
  fi
  if [ "${REBUILD}" != "1" ] && [ "$(image_label "${BASE_IMAGE}" dev.kcl.test.base-recipe)" = "${BASE_RECIPE}" ]; then
    log "base image ${BASE_IMAGE}: cached"
  elif [ -f "${BASE_TAR}" ] && [ "$(cat "${BASE_TAR}.recipe" 2>/dev/null || true)" = "${BASE_RECIPE}" ]; then
    log "base image ${BASE_IMAGE}: importing the cached rootfs tarball"
  else
    have debootstrap || fail "debootstrap is not installed"
    log "debootstrapping Debian ${BASE_SUITE} + OpenJDK 17 in the background (log ${BASE_LOG})"
    start_job base "${BASE_LOG}" make_base_rootfs
  fi
  jars_wanted=()
  for version in "${NEED_STANDIN[@]}"; do
    if libs_cached "${version}"; then log "Kafka ${version} jars: cached"; else jars_wanted+=("${version}"); fi
  done
  if [ "${#jars_wanted[@]}" -gt 0 ]; then
    have mvn || fail "mvn is not installed"
    log "downloading the Kafka ${jars_wanted[*]} jars from Maven Central in the background (log ${LIBS_LOG})"
    start_job jars "${LIBS_LOG}" fetch_kafka_jars "${jars_wanted[@]}"
  fi
fi

# ---------------------------------------------------------------- stand-in image

# The classes in a version's Kafka jars, one path a line (kafka/Kafka.class).
list_classes() {
  local libs="$1" jar
  if have unzip; then
    for jar in "${libs}"/kafka*.jar; do unzip -Z1 "${jar}"; done
  else
    python3 - "${libs}" <<'PY'
import glob, sys, zipfile
for jar in glob.glob(sys.argv[1] + "/kafka*.jar"):
    print("\n".join(zipfile.ZipFile(jar).namelist()))
PY
  fi
}

# bin/tools.list for one version: each script with the first of its classes the
# jars have (tools moved packages between releases). The default version must
# have every tool; an older one goes without those it predates (share groups).
resolve_tools() {
  local version="$1" classes="$2" out="$3" script class found
  local -a candidates missing=()
  : > "${out}"
  while read -r script rest; do
    case "${script}" in ''|'#'*) continue ;; esac
    read -r -a candidates <<< "${rest}"
    found=""
    for class in "${candidates[@]}"; do
      if grep -qxF "$(printf '%s' "${class}" | tr . /).class" "${classes}"; then found="${class}"; break; fi
    done
    if [ -n "${found}" ]; then printf '%s %s\n' "${script}" "${found}" >> "${out}"; else missing+=("${script}"); fi
  done < "${IMAGE_SRC}/bin/tools.list"
  for class in kafka.Kafka kafka.docker.KafkaDockerWrapper; do
    grep -qxF "$(printf '%s' "${class}" | tr . /).class" "${classes}" || fail "Kafka ${version} has no ${class}: no stand-in image can run it"
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    [ "${version}" != "${KAFKA_VERSION}" ] || fail "classes missing from the Kafka ${version} jars for: ${missing[*]}"
    log "Kafka ${version} predates these tools, left out of its image: ${missing[*]}"
  fi
}

build_standin() {
  local version="$1" image="kcl-test/kafka:$1" libs ctx build_log check_log
  libs="$(libs_dir "${version}")"
  STEP="kafka ${version} image (tool classes)"
  ctx="${WORK_DIR}/build-context"
  safe_rm_tree "${ctx}"
  mkdir -p "${ctx}"
  cp -r "${IMAGE_SRC}/Dockerfile" "${IMAGE_SRC}/bin" "${IMAGE_SRC}/config" "${IMAGE_SRC}/docker" "${ctx}/"
  list_classes "${libs}" > "${WORK_DIR}/classes.txt"
  resolve_tools "${version}" "${WORK_DIR}/classes.txt" "${ctx}/bin/tools.list"

  STEP="kafka ${version} image (docker build)"
  build_log="${LOG_DIR}/docker-build-${version}.log"
  mkdir -p "${ctx}/libs"
  cp -l "${libs}"/*.jar "${ctx}/libs/" 2>/dev/null || cp "${libs}"/*.jar "${ctx}/libs/"
  # --network none: nothing in the build needs a network (and it does not
  # depend on the default docker0 bridge being healthy).
  DOCKER_BUILDKIT=0 docker build --network none \
    --build-arg "BASE_IMAGE=${BASE_IMAGE}" \
    --build-arg "KAFKA_VERSION=${version}" \
    --build-arg "CONTENT_HASH=${HASH_OF[${version}]}" \
    -t "${image}" "${ctx}" >"${build_log}" 2>&1 \
    || fail_with_log "docker build of ${image} failed" "${build_log}"
  safe_rm_tree "${ctx}"

  STEP="kafka ${version} image (self-check)"
  check_log="${LOG_DIR}/image-check-${version}.log"
  docker run --rm --network none "${image}" bash -c '
      set -e
      test "$(id -u)" = 1000 && test "$(id -un)" = appuser
      java -version
      /opt/kafka/bin/kafka-storage.sh random-uuid
      test -w /var/lib/kafka/data && test -w /opt/kafka/config' >"${check_log}" 2>&1 \
    || fail_with_log "the freshly built ${image} does not pass its self-check" "${check_log}"
  IMAGE_OF["${version}"]="${image}"
  NOTE_OF["${version}"]="stand-in, built now (recipe ${HASH_OF[${version}]})"
  log "built ${image}"
}

if [ "${#NEED_STANDIN[@]}" -gt 0 ]; then
  STEP="kafka jars (maven)"
  if [ -n "${JOB_PID[jars]:-}" ]; then
    wait_job jars || fail_with_log "downloading the Kafka jars with mvn failed" "${LIBS_LOG}"
    log "Kafka jars downloaded"
  fi

  STEP="base image (debootstrap)"
  if [ -n "${JOB_PID[base]:-}" ]; then
    wait_job base || fail_with_log "debootstrap of the base rootfs failed" "${BASE_LOG}"
    log "base rootfs built"
  fi
  STEP="base image (docker import)"
  if [ "${REBUILD}" = "1" ] || [ "$(image_label "${BASE_IMAGE}" dev.kcl.test.base-recipe)" != "${BASE_RECIPE}" ]; then
    import_base_image >>"${BASE_LOG}" 2>&1 || fail_with_log "docker import of ${BASE_TAR} failed" "${BASE_LOG}"
    log "base image ${BASE_IMAGE} imported"
  fi

  for version in "${NEED_STANDIN[@]}"; do build_standin "${version}"; done
  # Drop dangling layers of earlier stand-in builds.
  docker image prune -f --filter "label=dev.kcl.test.kafka-version" >/dev/null 2>&1 || true
fi

# ---------------------------------------------------------------- compose v2 result

STEP="compose v2"
if [ -n "${JOB_PID[compose]:-}" ]; then
  if wait_job compose; then
    COMPOSE_V2_NOTE="built now from ${COMPOSE_V2_MODULE}@${COMPOSE_V2_VERSION}"
  else
    if [ "${KCL_TEST_REQUIRE_COMPOSE_V2:-}" = "1" ]; then
      fail_with_log "building the compose ${COMPOSE_V2_VERSION} plugin failed" "${COMPOSE_V2_LOG}"
    fi
    COMPOSE_V2_NOTE="build FAILED (log ${COMPOSE_V2_LOG}); continuing with compose v1 only"
    tail -n 15 "${COMPOSE_V2_LOG}" >&2 || true
    warn "${COMPOSE_V2_NOTE}"
  fi
fi
if [ -z "${COMPOSE_V2_VERSION_FOUND}" ] && [ -x "${COMPOSE_V2_BIN}" ]; then
  mkdir -p "$(dirname "${COMPOSE_V2_PLUGIN}")"
  if ! cmp -s "${COMPOSE_V2_BIN}" "${COMPOSE_V2_PLUGIN}" 2>/dev/null; then
    install -m 0755 "${COMPOSE_V2_BIN}" "${COMPOSE_V2_PLUGIN}"
  fi
  COMPOSE_V2_VERSION_FOUND="$(docker compose version --short 2>/dev/null || true)"
  if [ -z "${COMPOSE_V2_VERSION_FOUND}" ]; then
    COMPOSE_V2_NOTE="installed at ${COMPOSE_V2_PLUGIN} but 'docker compose' does not answer"
    warn "${COMPOSE_V2_NOTE}"
  fi
fi

# ---------------------------------------------------------------- podman

# The Podman e2e test runs kcl with KCL_ENGINE=podman (podman-compose) on the
# default version's image, copied from Docker into Podman's own storage.
STEP="podman"
PODMAN_NOTE="not installed"
PODMAN_CONF="/etc/containers/containers.conf.d/kcl-test-ulimits.conf"
if have podman && have podman-compose; then
  # Rootful Podman raises every container's open-files and process limits to
  # 1048576, which needs CAP_SYS_RESOURCE; a confined root (like this machine's
  # sandbox) lacks it, and every container then fails to start. Lower defaults
  # work everywhere (kcl doctor explains the same to users).
  cap_eff="$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)"
  if is_root && [ -n "${cap_eff}" ] && [ $(( 0x${cap_eff} >> 24 & 1 )) -eq 0 ] && [ ! -f "${PODMAN_CONF}" ]; then
    mkdir -p "$(dirname "${PODMAN_CONF}")"
    printf '# Written by kcl test/env/setup.sh: this root lacks CAP_SYS_RESOURCE.\n[containers]\ndefault_ulimits = ["nofile=16384:16384", "nproc=8192:8192"]\n' > "${PODMAN_CONF}"
  fi
  image="${IMAGE_OF[${KAFKA_VERSION}]}"
  docker_id="$(docker image inspect -f '{{.Id}}' "${image}" 2>/dev/null | sed 's/^sha256://')"
  podman_id="$(podman image inspect -f '{{.Id}}' "${image}" 2>/dev/null || true)"
  if [ -n "${docker_id}" ] && [ "${docker_id}" != "${podman_id}" ]; then
    docker save "${image}" | podman load >"${LOG_DIR}/podman-load.log" 2>&1 \
      || fail_with_log "podman load of ${image} failed" "${LOG_DIR}/podman-load.log"
    # The image it replaced, if any, is left untagged.
    podman image prune -f >/dev/null 2>&1 || true
    PODMAN_NOTE="$(podman --version), ${image} loaded now"
  else
    PODMAN_NOTE="$(podman --version), ${image} present"
  fi
fi

# ---------------------------------------------------------------- report

STEP="report"
# kafka-image names the default version's image; kafka-image-<version> each version's.
for version in "${KAFKA_VERSIONS[@]}"; do
  [ -n "${IMAGE_OF[${version}]:-}" ] || fail "no Kafka ${version} image"
  printf '%s\n' "${IMAGE_OF[${version}]}" > "${IMAGE_FILE}-${version}.tmp"
  mv -f "${IMAGE_FILE}-${version}.tmp" "${IMAGE_FILE}-${version}"
done
KAFKA_IMAGE="${IMAGE_OF[${KAFKA_VERSION}]}"
printf '%s\n' "${KAFKA_IMAGE}" > "${IMAGE_FILE}.tmp"
mv -f "${IMAGE_FILE}.tmp" "${IMAGE_FILE}"

tools=""
for t in kcat hyperfine javac chromium; do
  if have "${t}"; then tools+="${t} yes, "; else tools+="${t} NO, "; fi
done
if python3 -c 'import kafka' >/dev/null 2>&1 || /usr/bin/python3 -c 'import kafka' >/dev/null 2>&1; then
  tools+="python3-kafka yes"
else
  tools+="python3-kafka NO"
fi

echo
echo "kcl test environment ready in $((SECONDS - START_TIME)) s"
echo "  engine:      Docker ${ENGINE_VERSION}, ${ENGINE_STATUS}"
if [ -n "${ENGINE_WARNING}" ]; then echo "  WARNING:     ${ENGINE_WARNING}"; fi
if [ -n "${COMPOSE_V2_VERSION_FOUND}" ]; then
  echo "  compose v2:  yes, ${COMPOSE_V2_VERSION_FOUND} ('docker compose'; ${COMPOSE_V2_NOTE})"
else
  echo "  compose v2:  no (${COMPOSE_V2_NOTE})"
fi
echo "  compose v1:  ${COMPOSE_V1_VERSION} ('docker-compose')"
for version in "${KAFKA_VERSIONS[@]}"; do
  echo "  kafka ${version}: ${IMAGE_OF[${version}]} (${NOTE_OF[${version}]})"
done
echo "  image file:  ${IMAGE_FILE}"
echo "  tools:       ${tools}"
echo "  podman:      ${PODMAN_NOTE}"
