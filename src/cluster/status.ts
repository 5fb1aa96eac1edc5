import {clusterContainers, listContainerDirectory} from '../docker/containers.ts'
import {brokerMetadata, describeQuorum, firstAnswer, type BrokerMetadata, type QuorumInfo} from '../kafka-client/index.ts'
import {clusterSecurity} from './secrets.ts'
import {brokerAddress, controllerIds, hostBootstrapServers, hostPort, nodeIds, securityOf, type ClusterSpec, type SecurityMode} from './spec.ts'
import {requireSpec} from './resolve.ts'

export interface BrokerStatus {
  nodeId: number
  /** The compose service, kafka-<id>. */
  service: string
  container: string | undefined
  /** Docker's container state (running, exited, …) or "missing" when there is no container. */
  state: string
  health: string | undefined
  hostPort: number
  roles: string[]
  /** Registered with the controller and serving, as seen from a running broker. */
  registered: boolean
  activeController: boolean
  /** The Kafka release the broker's container runs, read from its jars; undefined when it is not running. */
  kafkaVersion: string | undefined
}

export type ClusterState = 'running' | 'degraded' | 'stopped'

export interface ClusterStatus {
  name: string
  state: ClusterState
  clusterId: string | undefined
  /** The KRaft active controller (the metadata quorum leader), when any broker answers. */
  activeController: number | undefined
  bootstrapServers: string
  /** How the listener published to this machine is secured. */
  security: SecurityMode
  brokers: BrokerStatus[]
}

const PROBE_TIMEOUT_MS = 1500

/** Containers from Docker, controller and registrations from Kafka itself: what `kcl status` shows. */
export async function clusterStatus(spec: ClusterSpec): Promise<ClusterStatus> {
  const containers = await clusterContainers(spec.name)
  const running = nodeIds(spec).filter((id) => containers.some((c) => c.nodeId === id && c.state === 'running'))
  const addresses = running.map((id) => brokerAddress(spec, id))
  const security = await clusterSecurity(spec)
  const [metadata, quorum, versions] = await Promise.all([
    firstAnswer(addresses, (a) => brokerMetadata(a, PROBE_TIMEOUT_MS, security)).catch((): BrokerMetadata | undefined => undefined),
    firstAnswer(addresses, (a) => describeQuorum(a, PROBE_TIMEOUT_MS, security)).catch((): QuorumInfo | undefined => undefined),
    Promise.all(containers.map(async (c) => [c.nodeId, c.state === 'running' ? await kafkaVersionIn(c.name) : undefined] as const)),
  ])
  const activeController = quorum && quorum.leaderId >= 0 ? quorum.leaderId : undefined
  const brokers = nodeIds(spec).map((nodeId): BrokerStatus => {
    const container = containers.find((c) => c.nodeId === nodeId)
    return {
      nodeId,
      service: `kafka-${nodeId}`,
      container: container?.name,
      state: container?.state ?? 'missing',
      health: container?.health,
      hostPort: hostPort(spec, nodeId),
      roles: controllerIds(spec).includes(nodeId) ? ['broker', 'controller'] : ['broker'],
      registered: metadata?.brokers.some((b) => b.nodeId === nodeId) ?? false,
      activeController: nodeId === activeController,
      kafkaVersion: versions.find(([id]) => id === nodeId)?.[1],
    }
  })
  const state: ClusterState = running.length === 0 ? 'stopped' : running.length === spec.brokers && metadata ? 'running' : 'degraded'
  return {
    name: spec.name,
    state,
    clusterId: metadata?.clusterId ?? spec.clusterId,
    activeController,
    bootstrapServers: hostBootstrapServers(spec),
    security: securityOf(spec),
    brokers,
  }
}

/**
 * The Kafka release a broker container runs, from the kafka-clients jar in /opt/kafka/libs (the layout of apache/kafka
 * and of images honouring its contract). The image tag only says what was asked for (and `latest` or a mirror's tag
 * not even that); Kafka's protocol does not tell a client the broker's release.
 */
async function kafkaVersionIn(container: string): Promise<string | undefined> {
  const jars = await listContainerDirectory(container, '/opt/kafka/libs')
  return jars?.map((jar) => /^kafka-clients-(\d[\w.-]*)\.jar$/.exec(jar)?.[1]).find((version) => version !== undefined)
}

export async function statusOf(name: string): Promise<ClusterStatus> {
  return clusterStatus(await requireSpec(name))
}
