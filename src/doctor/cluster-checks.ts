import {composeProjectName, nameFlag, nodeIds, type ClusterSpec} from '../cluster/spec.ts'
import {CLUSTER_LABEL, type ContainerInfo} from '../docker/containers.ts'
import type {ContainerRow, NetworkInfo} from '../docker/inventory.ts'
import {moreMemory} from './fixes.ts'
import {memoryNeeded, gib, sigillFix} from './resources-checks.ts'
import {fail, ok, warn, type CheckBase, type CheckResult, type FixStep} from './types.ts'

/** The container names compose gives node N: `kcl-dev-kafka-1-1` (v2) and `kcl-dev_kafka-1_1` (v1). */
export function composeContainerNames(clusterName: string, nodeId: number): string[] {
  const project = composeProjectName(clusterName)
  return [`${project}-kafka-${nodeId}-1`, `${project}_kafka-${nodeId}_1`]
}

/** Containers that hold a name `kcl up` would give its brokers but are not this cluster's, and a foreign network with its network's name. */
export function nameConflictCheck(spec: ClusterSpec, containers: ContainerRow[], networks: NetworkInfo[]): CheckResult {
  const base: CheckBase = {group: 'Cluster', id: 'cluster.name-conflicts', title: 'Container names', cluster: spec.name}
  const project = composeProjectName(spec.name)
  const wanted = new Set(nodeIds(spec).flatMap((id) => composeContainerNames(spec.name, id)))
  const foreign = containers.filter((container) => wanted.has(container.name) && (container.composeProject !== project || container.cluster !== spec.name))
  const networkName = `${project}_default`
  const foreignNetwork = networks.find((network) => network.name === networkName && network.labels[CLUSTER_LABEL] !== spec.name)
  if (foreign.length === 0 && !foreignNetwork) return ok(base, `no other container uses the names of cluster "${spec.name}"`)
  const problems = [
    ...foreign.map((container) => `container "${container.name}" (${container.state}) is not part of kcl cluster "${spec.name}"`),
    ...(foreignNetwork ? [`network "${networkName}" was not created by kcl`] : []),
  ]
  const fix: FixStep[] = [
    {text: `Use another cluster name: kcl up --name ${spec.name}-2, or remove what is in the way yourself (kcl never removes what it did not create):`},
    ...foreign.map((container) => ({text: `docker rm -f ${container.name}`})),
    ...(foreignNetwork ? [{text: `docker network rm ${networkName}`}] : []),
  ]
  return fail(base, `${problems.join('; ')}.`, {fix})
}

/**
 * Leftovers of kcl clusters that no longer run: exited containers and networks no container uses. Clusters
 * kcl still knows and means to check are not leftovers: their stopped brokers are started instead.
 */
export function leftoversCheck(input: {containers: ContainerRow[]; networks: NetworkInfo[]; inScope: (cluster: string) => boolean; keep: Set<string>}): CheckResult {
  const base: CheckBase = {group: 'Cluster', id: 'cluster.leftovers', title: 'Leftovers'}
  const kcl = input.containers.filter((container) => container.cluster !== undefined && input.inScope(container.cluster))
  const running = new Set(kcl.filter((container) => container.state === 'running' || container.state === 'restarting' || container.state === 'paused').map((c) => c.cluster))
  const leftover = kcl.filter((container) => !running.has(container.cluster) && !input.keep.has(container.cluster as string) && ['exited', 'created', 'dead'].includes(container.state))
  const remaining = new Set(kcl.filter((container) => !leftover.includes(container)).map((container) => container.cluster))
  const orphanNetworks = input.networks.filter((network) => {
    const cluster = network.labels[CLUSTER_LABEL]
    return cluster !== undefined && input.inScope(cluster) && !remaining.has(cluster) && !input.keep.has(cluster) && network.containers === 0
  })
  if (leftover.length === 0 && orphanNetworks.length === 0) return ok(base, 'no exited kcl containers or unused kcl networks')
  const parts = [
    ...(leftover.length > 0 ? [`${leftover.length} exited kcl container(s): ${leftover.map((c) => c.name).join(', ')}`] : []),
    ...(orphanNetworks.length > 0 ? [`${orphanNetworks.length} unused kcl network(s): ${orphanNetworks.map((n) => n.name).join(', ')}`] : []),
  ]
  const commands = [
    // -v: also the anonymous volumes the image declares; named volumes, where kcl keeps data, are never removed.
    ...(leftover.length > 0 ? [['rm', '-v', ...leftover.map((c) => c.name)]] : []),
    ...(orphanNetworks.length > 0 ? [['network', 'rm', ...orphanNetworks.map((n) => n.name)]] : []),
  ]
  return warn(base, `${parts.join('; ')}.`, {
    fix: [{text: `kcl doctor --fix removes them (${commands.map((args) => `docker ${args.join(' ')}`).join('; ')}); their data volumes are kept, delete data with kcl down --volumes.`}],
    fixable: {description: `remove ${parts.join(' and ')}`, commands},
  })
}

export interface BrokerLogs {
  /** The last lines a broker logged, for brokers that are not running well. */
  [containerName: string]: string
}

/** What a broker's exit code and last log lines say about why it stopped. */
export function whyStopped(container: ContainerInfo, logs: string): string {
  if (container.oomKilled) return 'killed for lack of memory (OOM)'
  if (container.exitCode === 132 || /SIGILL/.test(logs)) return `crashed with SIGILL (exit ${container.exitCode})`
  if (/InconsistentClusterIdException|inconsistent cluster ?id/i.test(logs)) return `stopped: its volume belongs to another cluster (exit ${container.exitCode})`
  if (container.exitCode === 137) return 'killed (exit 137)'
  if (container.exitCode === 143 || container.exitCode === 0) return `stopped (exit ${container.exitCode})`
  return `exited with code ${container.exitCode}`
}

type BrokersInput = {name: string; spec?: ClusterSpec; containers: ContainerInfo[]; logs: BrokerLogs; composeFile?: string}

/** What the brokers' containers show, gathered one broker at a time. */
interface BrokerSurvey {
  problems: string[]
  starting: string[]
  /** Stopped containers `docker start` can bring back. */
  toStart: ContainerInfo[]
  details: string[]
  oom: boolean
  sigill: boolean
}

/** Every broker of the cluster has a running, healthy container. */
export function brokersCheck(input: BrokersInput): CheckResult {
  const base: CheckBase = {group: 'Cluster', id: 'cluster.brokers', title: 'Brokers', cluster: input.name}
  const {containers, spec} = input
  if (containers.length === 0) {
    return ok(base, spec ? `cluster "${input.name}" is not running (kcl up${nameFlag(input)} starts it)` : `no kcl cluster "${input.name}" on this engine`)
  }
  const expected = spec ? nodeIds(spec) : containers.map((c) => c.nodeId).filter((id): id is number => id !== undefined)
  const survey = surveyBrokers(expected, containers, input.logs)
  const {problems, starting, toStart, details} = survey
  if (problems.length === 0 && starting.length === 0) {
    return ok(base, `${expected.length} of ${expected.length} broker(s) running and healthy`)
  }
  if (problems.length === 0) {
    return warn(base, `${starting.join(', ')} still starting; run kcl doctor again in a few seconds.`, {details})
  }
  return fail(base, `${problems.join('; ')}.`, {
    details,
    fix: brokersFix(survey, input),
    ...(toStart.length > 0 ? {fixable: {description: `start ${toStart.map((c) => c.service ?? c.name).join(', ')} of cluster "${input.name}"`, commands: [['start', ...toStart.map((c) => c.name)]]}} : {}),
  })
}

function surveyBrokers(expected: number[], containers: ContainerInfo[], logsByName: BrokerLogs): BrokerSurvey {
  const survey: BrokerSurvey = {problems: [], starting: [], toStart: [], details: [], oom: false, sigill: false}
  for (const nodeId of expected) {
    const container = containers.find((c) => c.nodeId === nodeId)
    if (container) surveyBroker(survey, `kafka-${nodeId}`, container, logsByName[container.name] ?? '')
    else survey.problems.push(`kafka-${nodeId} has no container`)
  }
  return survey
}

function surveyBroker(survey: BrokerSurvey, label: string, container: ContainerInfo, logs: string): void {
  if (container.state === 'running') {
    if (container.health === 'unhealthy') survey.problems.push(`${label} is running but unhealthy (its listener does not answer)`)
    else if (container.health === 'starting') survey.starting.push(label)
  } else {
    const why = container.state === 'exited' ? whyStopped(container, logs) : container.state
    survey.problems.push(`${label} is ${why}`)
    if (['exited', 'created'].includes(container.state)) survey.toStart.push(container)
    survey.oom ||= container.oomKilled
    survey.sigill ||= container.exitCode === 132 || /SIGILL/.test(logs)
  }
  if (logs) survey.details.push(`${container.name} last logged:`, ...logs.trim().split('\n').map((line) => `  ${line}`))
}

function brokersFix(survey: BrokerSurvey, input: BrokersInput): FixStep[] {
  const {problems, toStart} = survey
  const fix: FixStep[] = []
  if (toStart.length > 0) {
    const names = toStart.map((c) => c.name)
    fix.push({text: `kcl doctor --fix starts ${toStart.length === 1 ? 'it' : 'them'} (docker start ${names.join(' ')}).`})
  }
  if (problems.some((problem) => problem.endsWith('has no container'))) fix.push({text: `kcl up${nameFlag(input)} creates the missing containers.`})
  if (survey.oom && input.spec) fix.push(...moreMemory(gib(memoryNeeded(input.spec.brokers, input.spec.heap))))
  if (survey.sigill) fix.push(...sigillFix(input.composeFile))
  if (problems.some((problem) => problem.includes('unhealthy'))) fix.push({text: `See why: kcl doctor --verbose${nameFlag(input)}, or docker logs on the broker's container.`})
  return fix
}

/** The cluster.id in a meta.properties file. */
export function clusterIdOf(metaProperties: string): string | undefined {
  return /^cluster\.id=(.*)$/m.exec(metaProperties)?.[1]?.trim()
}

export interface VolumeClusterId {
  nodeId: number
  container: string
  volume: string | undefined
  /** undefined when the volume holds no meta.properties yet (never formatted). */
  clusterId: string | undefined
}

/**
 * Every broker's volume was formatted for the same cluster. A volume left from another cluster (a partial
 * wipe) makes its broker fail with InconsistentClusterIdException; only deleting that volume fixes it, so
 * kcl prints the commands and runs none.
 */
export function clusterIdsCheck(input: {name: string; expected: string | undefined; volumes: VolumeClusterId[]}): CheckResult {
  const base: CheckBase = {group: 'Cluster', id: 'cluster.ids', title: 'Cluster ids in volumes', cluster: input.name}
  const formatted = input.volumes.filter((v) => v.clusterId !== undefined)
  const details = input.volumes.map((v) => `kafka-${v.nodeId} (${v.volume ?? 'no volume'}): ${v.clusterId ?? 'not formatted yet'}`)
  if (formatted.length === 0) return ok(base, 'no broker volume formatted yet', details)
  const counts = new Map<string, number>()
  for (const v of formatted) counts.set(v.clusterId as string, (counts.get(v.clusterId as string) ?? 0) + 1)
  // The id the cluster should have: the saved spec's when a volume carries it, else the one most volumes carry.
  const majority = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] as string
  const right = input.expected !== undefined && counts.has(input.expected) ? input.expected : majority
  const stale = formatted.filter((v) => v.clusterId !== right)
  if (stale.length === 0) {
    if (input.expected !== undefined && right !== input.expected) {
      return warn(base, `all volumes carry cluster id ${right}, but kcl's saved spec says ${input.expected}; the brokers keep the volumes' id.`, {details})
    }
    return ok(base, `all ${formatted.length} volume(s) carry cluster id ${right}`, details)
  }
  const flag = nameFlag(input)
  const fix: FixStep[] = [
    {text: 'Only deleting the stale volume fixes it; kcl never deletes volumes itself. That broker\'s data is lost (the others replicate theirs back to it):'},
    ...stale.flatMap((v) => [{text: `docker rm -f ${v.container}`}, {text: `docker volume rm ${v.volume ?? `<volume of ${v.container}>`}`}]),
    {text: `kcl up${flag}`},
  ]
  return fail(base, `${stale.map((v) => `kafka-${v.nodeId}'s volume carries cluster id ${v.clusterId}`).join('; ')}, the others ${right}: ${stale.length === 1 ? 'that broker' : 'those brokers'} cannot join (InconsistentClusterIdException).`, {details, fix})
}
