import {parse, stringify} from 'yaml'
import type {ComposeVariant} from '../docker/compose.ts'
import {CLUSTER_LABEL} from '../docker/containers.ts'
import {readPackageFile} from '../package-files.ts'
import {controllerIds, composeProjectName, isNativeImage, dockerBootstrapServers, hostPort, secretsVolumeName, securityOf, type ClusterSpec} from './spec.ts'

type Yaml = string | number | boolean | null | Yaml[] | {[key: string]: Yaml}
type ComposeFile = {[key: string]: Yaml} & {services: {[name: string]: Yaml}; volumes: {[name: string]: Yaml}}

export function readTemplate(file: string): string {
  return readPackageFile(`compose-templates/${file}`)
}

/** The cluster template: its x-kcl-node block is rendered once per node. */
const CLUSTER_TEMPLATE = 'cluster.yaml'

/** The values the templates' {{placeholders}} stand for. */
export function templateValues(spec: ClusterSpec): Record<string, string> {
  const values: Record<string, string> = {
    cluster: spec.name,
    image: spec.image,
    clusterId: spec.clusterId,
    hostIp: spec.expose ? '0.0.0.0' : '127.0.0.1',
    heapOpts: `-Xmx${spec.heap} -Xms${spec.heap}`,
    // The template's KAFKA_OPTS comment says why; a native image would refuse a HotSpot option.
    jvmOptions: isNativeImage(spec.image) ? '' : '-XX:TieredStopAtLevel=1',
    controllerQuorumVoters: controllerIds(spec).map((id) => `${id}@kafka-${id}:9093`).join(','),
    internalReplicationFactor: String(Math.min(3, spec.brokers)),
    internalMinInsyncReplicas: spec.brokers >= 3 ? '2' : '1',
    defaultReplicationFactor: String(Math.min(3, spec.brokers)),
    minInsyncReplicas: spec.brokers >= 3 ? '2' : '1',
    secretsVolume: secretsVolumeName(spec),
  }
  return values
}

function fill(node: Yaml, values: Record<string, string>, template: string): Yaml {
  if (typeof node === 'string') {
    return node.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
      const value = values[key]
      if (value === undefined) throw new Error(`compose-templates/${template} uses {{${key}}}, which kcl does not define`)
      return value
    })
  }
  if (Array.isArray(node)) return node.map((item) => fill(item, values, template))
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, fill(value, values, template)]))
  }
  return node
}

function parseTemplate(file: string): {[key: string]: Yaml} {
  // Merge keys (<<: *anchor) keep the templates short; parsing resolves them so the output stands alone.
  return parse(readTemplate(file), {merge: true}) as {[key: string]: Yaml}
}

/** What differs between a controller node (a voter of the KRaft quorum) and a broker-only node. */
function nodeValues(spec: ClusterSpec, values: Record<string, string>, nodeId: number): Record<string, string> {
  const controller = controllerIds(spec).includes(nodeId)
  return {
    ...values,
    nodeId: String(nodeId),
    nodePort: String(hostPort(spec, nodeId)),
    processRoles: controller ? 'broker,controller' : 'broker',
    listeners: controller ? 'CONTROLLER://:9093,DOCKER://:19092,HOST://:9092' : 'DOCKER://:19092,HOST://:9092',
  }
}

/** The compose file for a cluster, as an object. */
export function renderComposeObject(spec: ClusterSpec, variant: ComposeVariant): ComposeFile {
  const values = templateValues(spec)
  const {'x-kcl-node': node, ...rest} = parseTemplate(CLUSTER_TEMPLATE)
  const compose = {services: {}, ...(fill(rest, values, CLUSTER_TEMPLATE) as {[key: string]: Yaml}), volumes: {}} as ComposeFile
  for (let nodeId = 1; nodeId <= spec.brokers; nodeId++) {
    compose.services[`kafka-${nodeId}`] = fill(node as Yaml, nodeValues(spec, values, nodeId), CLUSTER_TEMPLATE)
    compose.volumes[`kafka-${nodeId}-data`] = {labels: {[CLUSTER_LABEL]: spec.name}}
  }

  secure(compose, spec, values)
  if (spec.ui) {
    const file = `ui-${spec.ui}.yaml`
    const uiValues = {...values, uiPort: String(spec.uiPort), dockerBootstrapServers: dockerBootstrapServers(spec)}
    compose.services[spec.ui] = fill(parseTemplate(file).service, uiValues, file)
  }

  const header: {[key: string]: Yaml} = variant === 'v2' ? {name: composeProjectName(spec.name)} : {version: '2.4'}
  return {...header, ...compose}
}

type Service = {environment: {[key: string]: Yaml}; volumes: Yaml[]; tmpfs?: Yaml[]}
type SecurityOverlay = {modes: {[mode: string]: {environment: {[key: string]: Yaml}}}; mount: string; volumes: {[name: string]: Yaml}}

const SECRETS_DIR = '/etc/kafka/secrets'

/** Adds compose-templates/security.yaml's settings for the cluster's security mode to every broker. */
function secure(compose: ComposeFile, spec: ClusterSpec, values: Record<string, string>): void {
  const mode = securityOf(spec)
  if (mode === 'plaintext') return
  const overlay = fill(parseTemplate('security.yaml'), values, 'security.yaml') as unknown as SecurityOverlay
  for (const service of Object.values(compose.services) as unknown as Service[]) {
    Object.assign(service.environment, overlay.modes[mode]?.environment)
    service.volumes.push(overlay.mount)
    service.tmpfs = service.tmpfs?.filter((path) => path !== SECRETS_DIR)
  }
  Object.assign(compose.volumes, overlay.volumes)
}

/** The compose file for a cluster, as the YAML kcl writes and `kcl up --dry-run` prints. */
export function renderCompose(spec: ClusterSpec, variant: ComposeVariant): string {
  const origin = CLUSTER_TEMPLATE + (spec.ui ? ` + ui-${spec.ui}.yaml` : '') + (securityOf(spec) === 'plaintext' ? '' : ' + security.yaml')
  return (
    `# Rendered by kcl from compose-templates/${origin} for cluster "${spec.name}" (${spec.brokers} broker(s)).\n` +
    `# kcl rewrites this file on \`kcl up\`; change the cluster with kcl's flags rather than by editing it.\n` +
    stringify(renderComposeObject(spec, variant), {lineWidth: 0})
  )
}
