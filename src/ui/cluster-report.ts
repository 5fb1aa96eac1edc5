import type {DownResult} from '../cluster/down.ts'
import {nameFlag} from '../cluster/spec.ts'
import type {ClusterStatus} from '../cluster/status.ts'
import type {UpResult} from '../cluster/up.ts'
import {currentPrefix} from './invocation.ts'
import {table} from './table.ts'

/** What `kcl up` ends with: where the cluster listens, its files and profile, and what to try next. */
export function renderUpReady(ready: UpResult): string {
  const headline = ready.alreadyRunning
    ? `Kafka cluster "${ready.name}" is already running; nothing changed.`
    : `Kafka cluster "${ready.name}" is ready: ${ready.brokers} broker(s), node ${ready.activeController} is the active controller.`
  const name = nameFlag(ready)
  const kcl = currentPrefix()
  return [
    '',
    headline,
    `  Bootstrap servers (this machine):  ${ready.bootstrapServers}`,
    `  Bootstrap servers (in Docker):     ${ready.dockerBootstrapServers}  (network ${ready.dockerNetwork})`,
    `  Compose file:                      ${ready.composeFile}`,
    `  Profile:                           ${ready.name}${ready.security === 'plaintext' ? '' : ` (${ready.security}: ${kcl} profile show ${ready.name})`}`,
    ...(ready.webUi ? [`  ${`${ready.webUi.name}:`.padEnd(34)} ${ready.webUi.url}  (starting; \`${kcl} ui\` shows the real KRaft controller)`] : []),
    '',
    'Next:',
    `  ${kcl} topic create Delivery --partitions 2${name}`,
    `  ${kcl} produce Delivery "hello, Kafka"${name}`,
    `  ${kcl} consume Delivery --group 1${name}`,
    `  ${kcl} status${name}`,
    `  ${kcl} down${name}    # keeps your data; add --volumes to delete it`,
  ].join('\n')
}

/** What `kcl down` removed, and where the data is when it was kept. */
export function renderDown(result: DownResult, options: {volumes: boolean}): string {
  const lines = [`Cluster "${result.name}" is down (${result.removedContainers} container(s) removed).`]
  if (options.volumes) lines.push(`Deleted ${result.removedVolumes.length} volume(s); kcl has forgotten the cluster.`)
  else if (result.keptVolumes.length > 0) lines.push(`Data kept in ${result.keptVolumes.join(', ')}: \`kcl up${nameFlag({name: result.name})}\` brings it back, \`--volumes\` deletes it.`)
  return lines.join('\n')
}

/** `kcl status`: the cluster on one line, then a row per broker. */
export function renderStatus(status: ClusterStatus): string {
  const rows = status.brokers.map((b) => [
    b.nodeId,
    b.service,
    b.state + (b.health && b.state === 'running' ? ` (${b.health})` : ''),
    `localhost:${b.hostPort}`,
    b.roles.join('+'),
    b.activeController ? 'active controller' : b.state !== 'running' ? 'stopped' : b.registered ? 'serving' : 'not registered',
    b.kafkaVersion ?? '-',
  ])
  return [
    `Cluster "${status.name}": ${status.state}   cluster id ${status.clusterId ?? 'unknown'}   bootstrap ${status.bootstrapServers}   security ${status.security}`,
    '',
    table(['NODE', 'SERVICE', 'CONTAINER', 'ADDRESS', 'ROLES', 'KAFKA', 'VERSION'], rows),
  ].join('\n')
}
