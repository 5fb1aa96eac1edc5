import {ExitCode, KclError} from '../errors.ts'

const DOCTOR = 'Run `kcl doctor` to check everything kcl needs.'

/** Which of the known Docker failures happened, so `kcl doctor` can say which check failed without parsing messages. */
export type DockerFailureKind =
  | 'docker-missing'
  | 'socket-permission'
  | 'daemon-down'
  | 'engine-timeout'
  | 'compose-missing'
  | 'port-taken'
  | 'name-taken'
  | 'address-pools'
  | 'image-pull'
  | 'podman-missing'
  | 'rootless-port'
  | 'rootless-ids'
  | 'rlimits'

/** A classified Docker failure: a KclError like any other, plus its kind. */
export class DockerFailureError extends KclError {
  readonly kind: DockerFailureKind

  constructor(kind: DockerFailureKind, message: string, options: {hint?: string; exitCode?: number}) {
    super(message, options)
    this.kind = kind
  }
}

/** What went wrong when a docker or compose command failed, as far as its output tells. */
export interface DockerFailure {
  /** The program that was run, e.g. "docker" or "docker-compose". */
  command: string
  /** Set when the program could not be started at all (e.g. ENOENT). */
  spawnErrorCode?: string
  stderr: string
}

/**
 * Turns the usual ways Docker fails into one clear message with the fix. Returns undefined when the
 * failure is not one of them, so the caller can report the command's own message.
 */
export function classifyDockerFailure(failure: DockerFailure): KclError | undefined {
  const {command, spawnErrorCode, stderr} = failure
  if (spawnErrorCode === 'ENOENT') {
    if (command === 'docker-compose') return composeMissingError('docker')
    if (command === 'podman-compose') return composeMissingError('podman')
    if (command === 'podman') {
      return new DockerFailureError('podman-missing', 'Podman is not installed: there is no `podman` command on your PATH (KCL_ENGINE=podman).', {
        hint: `Install Podman (Debian/Ubuntu: sudo apt-get install podman podman-compose), or unset KCL_ENGINE to use Docker. ${DOCTOR}`,
        exitCode: ExitCode.environment,
      })
    }
    return new DockerFailureError('docker-missing', 'Docker is not installed: there is no `docker` command on your PATH.', {
      hint: `Install Docker Desktop (macOS, Windows), colima, or your distribution's docker package (Debian/Ubuntu: sudo apt-get install docker.io). ${DOCTOR}`,
      exitCode: ExitCode.environment,
    })
  }
  if (/permission denied.*docker(\.sock| daemon socket)|Got permission denied while trying to connect to the Docker daemon/i.test(stderr)) {
    const socket = /unix:\/\/(\/[^\s":]+)/.exec(stderr)?.[1] ?? '/var/run/docker.sock'
    return new DockerFailureError('socket-permission', `Permission denied on the Docker socket ${socket}.`, {
      hint: `Add your user to the docker group (sudo usermod -aG docker $USER) and log in again, or use Docker Desktop. ${DOCTOR}`,
      exitCode: ExitCode.environment,
    })
  }
  if (/Cannot connect to the Docker daemon|Is the docker daemon running|error during connect|docker daemon is not running|Couldn't connect to Docker daemon/i.test(stderr)) {
    const host = /Cannot connect to the Docker daemon at (\S+?)\.? /i.exec(stderr)?.[1]
    return new DockerFailureError('daemon-down', `The Docker daemon is not running${host ? ` (nothing answers at ${host})` : ''}.`, {
      hint: `Start it: sudo systemctl start docker (Linux), open Docker Desktop (macOS, Windows) or run colima start. ${DOCTOR}`,
      exitCode: ExitCode.environment,
    })
  }
  if (/docker: 'compose' is not a docker command|unknown command "compose"|docker: unknown command: docker compose/i.test(stderr)) {
    return composeMissingError('docker')
  }
  // `podman compose` (Podman 4.7+) only runs a provider: docker-compose or podman-compose.
  if (/looking up compose provider failed|unrecognized command `podman compose`/i.test(stderr)) return composeMissingError('podman')
  const privileged = /rootlessport cannot expose privileged port (\d+)/i.exec(stderr)
  if (privileged) {
    return new DockerFailureError('rootless-port', `Rootless Podman cannot publish port ${privileged[1]}: it is below net.ipv4.ip_unprivileged_port_start.`, {
      hint: `Use a port from 1024 up (kcl up --port 19092), or lower the limit: sudo sysctl net.ipv4.ip_unprivileged_port_start=${privileged[1]}. ${DOCTOR}`,
      exitCode: ExitCode.environment,
    })
  }
  if (/no subuid ranges found|cannot find UID\/GID for user|potentially insufficient UIDs or GIDs/i.test(stderr)) {
    return new DockerFailureError('rootless-ids', 'Rootless Podman has no subordinate user ids for your user, so it cannot run the Kafka image (it runs as uid 1000).', {
      hint: `Give your user a range: sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER, then podman system migrate. ${DOCTOR}`,
      exitCode: ExitCode.environment,
    })
  }
  const rlimit = /error setting rlimit type (\d+): operation not permitted/i.exec(stderr)
  if (rlimit) {
    return new DockerFailureError('rlimits', `The container runtime may not raise the containers' resource limits here (rlimit ${rlimit[1]}: operation not permitted).`, {
      hint: `Podman raises open files and processes to 1048576 by default, which needs CAP_SYS_RESOURCE: set default_ulimits = ["nofile=16384:16384", "nproc=8192:8192"] under [containers] in /etc/containers/containers.conf (or ~/.config/containers/containers.conf). ${DOCTOR}`,
      exitCode: ExitCode.environment,
    })
  }
  const port = /Bind for [\d.:]*?:(\d+) failed: port is already allocated|listen tcp\d? [\d.:[\]]*?:(\d+): bind: address already in use/i.exec(stderr)
  if (port) {
    const taken = port[1] ?? port[2]
    return new DockerFailureError('port-taken', `Port ${taken} is already in use on this machine.`, {
      hint: `Stop what listens there, or give the cluster other ports, e.g. kcl up --port ${Number(taken) + 10000}. ${DOCTOR}`,
      exitCode: ExitCode.environment,
    })
  }
  const name = /The container name "\/?([^"]+)" is already in use/i.exec(stderr)
  if (name) {
    return new DockerFailureError('name-taken', `A container named "${name[1]}" already exists and is not part of this kcl cluster.`, {
      hint: `Remove it (docker rm -f ${name[1]}) or pick another cluster name with --name. ${DOCTOR}`,
      exitCode: ExitCode.environment,
    })
  }
  if (/Pool overlaps with other one on this address space|could not find an available, non-overlapping IPv4 address pool/i.test(stderr)) {
    return new DockerFailureError('address-pools', 'Docker could not create the cluster network: its address pools are used up or overlap another network.', {
      hint: `Remove unused networks (docker network prune) or set default-address-pools in Docker's daemon.json. ${DOCTOR}`,
      exitCode: ExitCode.environment,
    })
  }
  if (/pull access denied|manifest unknown|manifest for \S+ not found|Get "?https:\/\/[^\s"]+\/v2\/"?: /i.test(stderr)) {
    const image = /Pulling \S+ \(([^)]+)\)|pull access denied for ([^\s,]+)|manifest for (\S+) not found/i.exec(stderr)
    const named = image ? ` ${image[1] ?? image[2] ?? image[3]}` : ''
    return new DockerFailureError('image-pull', `Docker could not download the image${named}: the registry cannot be reached or does not have it.`, {
      hint: `Check the network or your registry mirror, or use an apache/kafka-compatible image you already have (docker images) with --image or KCL_KAFKA_IMAGE. ${DOCTOR}`,
      exitCode: ExitCode.environment,
    })
  }
  return undefined
}

/** A Docker call that got no answer in time: the engine is stuck, paused or overloaded. */
export function engineTimeoutError(what: string, timeoutMs: number): DockerFailureError {
  return new DockerFailureError('engine-timeout', `Docker does not answer: \`${what}\` got no reply within ${timeoutMs % 1000 === 0 ? timeoutMs / 1000 : (timeoutMs / 1000).toFixed(1)} s.`, {
    hint: `The engine is stuck, paused or overloaded. Restart it (sudo systemctl restart docker on Linux; Docker Desktop: Restart; colima restart), then try again. ${DOCTOR}`,
    exitCode: ExitCode.environment,
  })
}

export function composeMissingError(engine: 'docker' | 'podman'): KclError {
  if (engine === 'podman') {
    return new DockerFailureError('compose-missing', 'Podman has no compose provider: neither `podman compose` nor `podman-compose` works.', {
      hint: `Install podman-compose (Debian/Ubuntu: sudo apt-get install podman-compose; or pip install podman-compose); Podman 4.7+ then runs it as \`podman compose\`. ${DOCTOR}`,
      exitCode: ExitCode.environment,
    })
  }
  return new DockerFailureError('compose-missing', 'Docker Compose is not installed: neither `docker compose` (v2) nor `docker-compose` (v1) works.', {
    hint: `Install the Compose plugin (Docker Desktop has it; Debian/Ubuntu: sudo apt-get install docker-compose-plugin or docker-compose). ${DOCTOR}`,
    exitCode: ExitCode.environment,
  })
}
