import type * as Crypto from 'node:crypto'
import {usageError} from '../errors.ts'

import packageJson from '../../package.json' with {type: 'json'}

/** The Kafka release kcl's templates are written and tested for. */
export const KAFKA_VERSION: string = packageJson.config.kafkaVersion
/**
 * The oldest Kafka `--kafka-version` accepts: the first release with an official apache/kafka image, whose environment
 * contract (KafkaDockerWrapper) kcl's templates use. The e2e suite runs a cluster of it.
 */
export const OLDEST_KAFKA_VERSION: string = packageJson.config.oldestKafkaVersion
export const KAFKA_REPOSITORY = 'apache/kafka'
export const DEFAULT_IMAGE = `${KAFKA_REPOSITORY}:${KAFKA_VERSION}`
export const DEFAULT_CLUSTER_NAME = 'local'
export const DEFAULT_BASE_PORT = 9092
export const DEFAULT_HEAP = '512m'
export const MAX_BROKERS = 9

/** Web UIs `kcl up --ui` can run beside the brokers (compose-templates/ui-<name>.yaml), with their usual ports. */
export const WEB_UIS = {kafdrop: {port: 9000, title: 'Kafdrop'}, 'kafka-ui': {port: 8080, title: 'kafka-ui'}} as const
export type WebUi = keyof typeof WEB_UIS
/** How the listener published to this machine is secured (the in-Docker and controller listeners stay plaintext). */
export const SECURITY_MODES = ['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl'] as const
export type SecurityMode = (typeof SECURITY_MODES)[number]

/** Everything that decides what a cluster's compose file looks like; saved beside it so `up` after `down` rebuilds the same cluster. */
export interface ClusterSpec {
  name: string
  brokers: number
  basePort: number
  image: string
  /** Publish broker ports on all interfaces instead of 127.0.0.1. */
  expose: boolean
  heap: string
  /** KRaft cluster id the volumes are formatted with; must never change while the volumes exist. */
  clusterId: string
  /** A web UI container beside the brokers, and its host port. */
  ui?: WebUi
  uiPort?: number
  /** Absent in clusters made before kcl could secure them: plaintext. */
  security?: SecurityMode
}

export interface SpecRequest {
  name?: string
  brokers?: number
  basePort?: number
  image?: string
  expose?: boolean
  heap?: string
  /** "none" removes a web UI the cluster had. */
  ui?: WebUi | 'none'
  uiPort?: number
  security?: SecurityMode
}

const CLUSTER_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/
// A Docker image reference: [registry[:port]/]path[:tag][@sha256:digest], lowercase path components.
const IMAGE_REFERENCE =
  /^(?:[a-zA-Z0-9][a-zA-Z0-9.-]*(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/
const HEAP_SIZE = /^[1-9]\d*[mMgG]$/

export function validateClusterName(name: string): string {
  if (!CLUSTER_NAME.test(name)) {
    throw usageError(
      `"${name}" is not a valid cluster name.`,
      'Use 1 to 40 lowercase letters, digits, "-" or "_", starting with a letter or digit, e.g. --name dev.',
    )
  }
  return name
}

/** The --name flag a hint shows for a cluster: none for the default cluster, which needs none. */
export function nameFlag(cluster: Pick<ClusterSpec, 'name'>): string {
  return cluster.name === DEFAULT_CLUSTER_NAME ? '' : ` --name ${cluster.name}`
}

export function validateSpecRequest(request: SpecRequest): void {
  if (request.name !== undefined) validateClusterName(request.name)
  if (request.brokers !== undefined && !(Number.isInteger(request.brokers) && request.brokers >= 1 && request.brokers <= MAX_BROKERS)) {
    throw usageError(`--brokers must be a whole number from 1 to ${MAX_BROKERS}, not ${request.brokers}.`, 'Use --brokers 1 or --brokers 3.')
  }
  const brokers = request.brokers ?? 1
  if (request.basePort !== undefined) {
    const highest = 65535 - (brokers - 1)
    if (!(Number.isInteger(request.basePort) && request.basePort >= 1024 && request.basePort <= highest)) {
      throw usageError(
        `--port must be a whole number from 1024 to ${highest} for ${brokers} broker(s), not ${request.basePort}.`,
        'Broker n listens on port + n - 1; e.g. --port 19092.',
      )
    }
  }
  if (request.image !== undefined && !IMAGE_REFERENCE.test(request.image)) {
    throw usageError(`"${request.image}" is not a Docker image reference.`, `Use something like ${DEFAULT_IMAGE} or registry.example.com/kafka:${KAFKA_VERSION}.`)
  }
  if (request.ui !== undefined && request.ui !== 'none' && !(request.ui in WEB_UIS)) {
    throw usageError(`--ui must be ${Object.keys(WEB_UIS).join(', ')} or none, not "${request.ui}".`)
  }
  if (request.uiPort !== undefined && !(Number.isInteger(request.uiPort) && request.uiPort >= 1024 && request.uiPort <= 65535)) {
    throw usageError(`--ui-port must be a whole number from 1024 to 65535, not ${request.uiPort}.`)
  }
  if (request.heap !== undefined && !HEAP_SIZE.test(request.heap)) {
    throw usageError(`--heap must be a size like 512m or 1g, not "${request.heap}".`)
  }
  if (request.security !== undefined && !SECURITY_MODES.includes(request.security)) {
    throw usageError(`--security must be one of ${SECURITY_MODES.join(', ')}, not "${request.security}".`)
  }
}

const KAFKA_RELEASE = /^(\d+)\.(\d+)\.(\d+)$/

/** Compares two Kafka releases like 3.9.1 and 4.0.0: negative when a is older. */
export function compareKafkaVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => (KAFKA_RELEASE.exec(v) ?? []).slice(1).map(Number))
  return (x?.[0] ?? 0) - (y?.[0] ?? 0) || (x?.[1] ?? 0) - (y?.[1] ?? 0) || (x?.[2] ?? 0) - (y?.[2] ?? 0)
}

/**
 * The image of a Kafka release, `apache/kafka:<version>`, or from the repository in KCL_KAFKA_REPOSITORY (a registry
 * mirror of apache/kafka). Refuses what is not a release and releases older than kcl's templates can run.
 */
export function kafkaVersionImage(version: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!KAFKA_RELEASE.test(version)) {
    throw usageError(`--kafka-version must be a Kafka release like ${KAFKA_VERSION}, not "${version}".`, `Use e.g. --kafka-version ${OLDEST_KAFKA_VERSION} or --kafka-version ${KAFKA_VERSION}.`)
  }
  if (compareKafkaVersions(version, OLDEST_KAFKA_VERSION) < 0) {
    throw usageError(
      `Kafka ${version} is older than kcl can run: its KRaft templates need Kafka ${OLDEST_KAFKA_VERSION} or newer (the first apache/kafka image).`,
      `Use --kafka-version ${OLDEST_KAFKA_VERSION} or newer, or --image with an image of your own that honours the apache/kafka contract.`,
    )
  }
  const image = `${env.KCL_KAFKA_REPOSITORY || KAFKA_REPOSITORY}:${version}`
  validateSpecRequest({image})
  return image
}

/** KCL_KAFKA_IMAGE, checked as --image is: for a new cluster and for one that exists alike. */
export function imageFromEnvironment(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const image = env.KCL_KAFKA_IMAGE
  if (!image) return undefined
  if (!IMAGE_REFERENCE.test(image)) {
    throw usageError(`KCL_KAFKA_IMAGE="${image}" is not a Docker image reference.`, `Set it to something like ${DEFAULT_IMAGE}, or unset it.`)
  }
  return image
}

/** The first Kafka release with an official GraalVM native image, apache/kafka-native (KIP-974). */
export const OLDEST_NATIVE_VERSION = '3.8.0'
/** Native images of older releases have no SASL. */
const NATIVE_SASL_VERSION = '4.4.0'

/**
 * The native image of a Kafka release, `apache/kafka-native:<version>` (beside KCL_KAFKA_REPOSITORY's repository when
 * set): the broker compiled ahead of time with GraalVM, for local development and tests only.
 */
export function nativeKafkaImage(version: string, security: SecurityMode | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const image = kafkaVersionImage(version, env)
  if (compareKafkaVersions(version, OLDEST_NATIVE_VERSION) < 0) {
    throw usageError(`Kafka ${version} has no native image: apache/kafka-native starts with Kafka ${OLDEST_NATIVE_VERSION}.`, `Use --native with --kafka-version ${OLDEST_NATIVE_VERSION} or newer, or drop --native.`)
  }
  if (security !== undefined && usesSasl(security) && compareKafkaVersions(version, NATIVE_SASL_VERSION) < 0) {
    throw usageError(`The native image of Kafka ${version} cannot do SASL (--security ${security}).`, `Use --kafka-version ${NATIVE_SASL_VERSION} or newer with --native, or --security ssl, or drop --native.`)
  }
  return image.replace(/:[^:/]+$/, (tag) => `-native${tag}`)
}

/** Whether an image is a native (GraalVM) Kafka image, which runs no JVM and takes no JVM options. */
export function isNativeImage(image: string): boolean {
  return /-native:[^/]+$/.test(image)
}

/** A new spec from what the user asked for, with kcl's defaults for the rest. */
export function newClusterSpec(request: SpecRequest, env: NodeJS.ProcessEnv = process.env): ClusterSpec {
  validateSpecRequest(request)
  const image = request.image ?? imageFromEnvironment(env) ?? DEFAULT_IMAGE
  return {
    name: request.name ?? DEFAULT_CLUSTER_NAME,
    brokers: request.brokers ?? 1,
    basePort: request.basePort ?? DEFAULT_BASE_PORT,
    image,
    expose: request.expose ?? false,
    heap: request.heap ?? DEFAULT_HEAP,
    clusterId: newKraftClusterId(),
    ...webUi(request),
    security: request.security ?? 'plaintext',
  }
}

/** The web UI part of a spec: the one asked for with its port (its usual one by default), none for "none". */
export function webUi(request: Pick<SpecRequest, 'ui' | 'uiPort'>, saved?: Pick<ClusterSpec, 'ui' | 'uiPort'>): Pick<ClusterSpec, 'ui' | 'uiPort'> {
  const ui = request.ui === 'none' ? undefined : (request.ui ?? saved?.ui)
  if (ui === undefined && request.uiPort !== undefined) throw usageError('--ui-port needs a web UI: add --ui kafdrop or --ui kafka-ui.')
  if (ui === undefined) return {}
  return {ui, uiPort: request.uiPort ?? (ui === saved?.ui ? saved.uiPort : undefined) ?? WEB_UIS[ui].port}
}

/** Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding (22 characters). */
export function newKraftClusterId(): string {
  // node:crypto loads only here: every command imports this module, few make a cluster id.
  return (process.getBuiltinModule('node:crypto') as typeof Crypto).randomBytes(16).toString('base64url')
}

export function composeProjectName(clusterName: string): string {
  return `kcl-${clusterName}`
}

export function hostPort(spec: Pick<ClusterSpec, 'basePort'>, nodeId: number): number {
  return spec.basePort + nodeId - 1
}

export function nodeIds(spec: Pick<ClusterSpec, 'brokers'>): number[] {
  return Array.from({length: spec.brokers}, (_, index) => index + 1)
}

/** Nodes 1..3 are KRaft controllers in clusters of 3 or more, node 1 alone in smaller ones. */
export function controllerIds(spec: Pick<ClusterSpec, 'brokers'>): number[] {
  return spec.brokers >= 3 ? [1, 2, 3] : [1]
}

export const securityOf = (spec: Pick<ClusterSpec, 'security'>): SecurityMode => spec.security ?? 'plaintext'
export const usesTls = (mode: SecurityMode): boolean => mode === 'ssl' || mode === 'sasl_ssl'
export const usesSasl = (mode: SecurityMode): boolean => mode === 'sasl_plaintext' || mode === 'sasl_ssl'

/** The cluster's volume of broker secrets (certificates, JAAS file), created by kcl before compose starts the brokers. */
export function secretsVolumeName(spec: Pick<ClusterSpec, 'name'>): string {
  return `${composeProjectName(spec.name)}_secrets`
}

/** Where kcl itself asks broker n: its published port on 127.0.0.1 (localhost may resolve to ::1 first). */
export function brokerAddress(spec: Pick<ClusterSpec, 'basePort'>, nodeId: number): {host: string; port: number} {
  return {host: '127.0.0.1', port: hostPort(spec, nodeId)}
}

/** The bootstrap servers a client on this machine is given: localhost and the brokers' published ports. */
export function hostServers(spec: ClusterSpec, ids: number[] = nodeIds(spec)): string[] {
  return ids.map((id) => `localhost:${hostPort(spec, id)}`)
}

export function hostBootstrapServers(spec: ClusterSpec): string {
  return hostServers(spec).join(',')
}

export function dockerBootstrapServers(spec: ClusterSpec): string {
  return nodeIds(spec).map((id) => `kafka-${id}:19092`).join(',')
}

export function dockerNetworkName(spec: Pick<ClusterSpec, 'name'>): string {
  return `${composeProjectName(spec.name)}_default`
}

const KRAFT_CLUSTER_ID = /^[A-Za-z0-9_-]{22}$/

/**
 * What is wrong with a saved spec as read from disk (hand-edited, truncated, from another tool), naming the first bad
 * field; undefined when it is a spec kcl can run. `name` must be the cluster's directory name. Unknown fields are kept.
 */
export function savedSpecProblem(value: unknown, name: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `it must hold a JSON object, not ${describe(value)}`
  const spec = value as Record<string, unknown>
  const problem = (field: string, expected: string) => `"${field}" must be ${expected}, not ${describe(spec[field])}`
  if (spec.name !== name) return problem('name', `"${name}" (the name of its directory)`)
  if (!(Number.isInteger(spec.brokers) && (spec.brokers as number) >= 1 && (spec.brokers as number) <= MAX_BROKERS)) {
    return problem('brokers', `a whole number from 1 to ${MAX_BROKERS}`)
  }
  const highest = 65535 - ((spec.brokers as number) - 1)
  if (!(Number.isInteger(spec.basePort) && (spec.basePort as number) >= 1024 && (spec.basePort as number) <= highest)) {
    return problem('basePort', `a whole number from 1024 to ${highest}`)
  }
  if (typeof spec.image !== 'string' || !IMAGE_REFERENCE.test(spec.image)) return problem('image', 'a Docker image reference')
  if (typeof spec.expose !== 'boolean') return problem('expose', 'true or false')
  if (typeof spec.heap !== 'string' || !HEAP_SIZE.test(spec.heap)) return problem('heap', 'a size like "512m"')
  if (typeof spec.clusterId !== 'string' || !KRAFT_CLUSTER_ID.test(spec.clusterId)) return problem('clusterId', 'a KRaft cluster id (22 characters)')
  if (spec.ui !== undefined && !(typeof spec.ui === 'string' && spec.ui in WEB_UIS)) return problem('ui', Object.keys(WEB_UIS).join(' or '))
  if (spec.uiPort !== undefined && !(Number.isInteger(spec.uiPort) && (spec.uiPort as number) >= 1024 && (spec.uiPort as number) <= 65535)) {
    return problem('uiPort', 'a whole number from 1024 to 65535')
  }
  if (spec.uiPort !== undefined && spec.ui === undefined) return problem('ui', 'set when "uiPort" is')
  if (spec.security !== undefined && !SECURITY_MODES.includes(spec.security as SecurityMode)) return problem('security', SECURITY_MODES.join(', '))
  return undefined
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing'
  const text = JSON.stringify(value)
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}

/** A broker's data volume as compose names it: <project>_kafka-<node>-data. */
export function dataVolumeName(clusterName: string, nodeId: number): string {
  return `${composeProjectName(clusterName)}_kafka-${nodeId}-data`
}

/** The node id of one of the cluster's data volumes, or undefined for any other volume name. */
export function dataVolumeNode(clusterName: string, volume: string): number | undefined {
  const prefix = `${composeProjectName(clusterName)}_kafka-`
  if (!volume.startsWith(prefix) || !volume.endsWith('-data')) return undefined
  const digits = volume.slice(prefix.length, -'-data'.length)
  return /^[1-9]\d{0,2}$/.test(digits) ? Number(digits) : undefined
}
