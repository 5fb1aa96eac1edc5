import type {BrokerResult} from '../cluster/broker-control.ts'
import type {PartitionState} from '../kafka-client/index.ts'
import {PROBE_TOPIC, type FailoverResult} from '../cluster/failover.ts'
import type {RestoreResult} from '../cluster/restore.ts'
import {nameFlag} from '../cluster/spec.ts'
import {table} from './table.ts'

/** Rows shown at most; --json has them all. */
const MAX_ROWS = 40

const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)} s`
const ids = (list: number[]): string => (list.length === 0 ? 'none' : list.join(','))
const leader = (id: number): string => (id < 0 ? 'none' : String(id))

/** The before/after view the seed had to read off Kafdrop: controller, then each partition's leader and ISR. */
export function renderFailover(result: FailoverResult): string {
  const controllerLine =
    result.electionMs === null
      ? `Controller:  node ${result.controllerAfter} (unchanged: broker ${result.stoppedBroker} was not the active controller)`
      : `Controller:  node ${result.controllerBefore} → node ${result.controllerAfter}   elected ${seconds(result.electionMs)} after the stop`
  const lines = [
    '',
    `Broker ${result.stoppedBroker} of cluster "${result.cluster}" is down: ${result.stop === 'kill' ? 'killed' : 'stopped cleanly'}, no longer serving after ${seconds(result.stoppedServingMs)}, container exited after ${seconds(result.exitedMs)}.`,
    controllerLine,
    `Probe:       acks=all write to ${result.probe.records.length} partition(s) of ${result.probe.topic} acknowledged ${seconds(result.probeAckedMs)} after the stop${result.probe.readBack ? ', and read back' : ''}`,
    `Leaders:     ${result.movedLeaders.length} moved off broker ${result.stoppedBroker}`,
    '',
    partitionTable(result.before, result.after),
    '',
    `Bring broker ${result.stoppedBroker} back with \`kcl cluster restore${nameFlag({name: result.cluster})}\`.`,
  ]
  return lines.join('\n')
}

/**
 * One row per partition of the user's topics and kcl's probe topic; Kafka's own internal topics (50
 * partitions of __consumer_offsets) get one summary line each, --json has every partition.
 */
export function partitionTable(before: PartitionState[], after: PartitionState[]): string {
  const summarized = (topic: string): boolean => topic.startsWith('__') && topic !== PROBE_TOPIC
  const find = (b: PartitionState): PartitionState | undefined => after.find((x) => x.topic === b.topic && x.partition === b.partition)
  const rows = before
    .filter((b) => !summarized(b.topic))
    .map((b) => {
      const a = find(b)
      const moved = a !== undefined && a.leader !== b.leader
      return [b.topic, b.partition, ids(b.isr), a ? ids(a.isr) : '?', leader(b.leader), a ? `${leader(a.leader)}${moved ? '  (moved)' : ''}` : '?']
    })
  const shown = rows.slice(0, MAX_ROWS)
  const lines = [table(['TOPIC', 'PARTITION', 'ISR BEFORE', 'ISR AFTER', 'LEADER BEFORE', 'LEADER AFTER'], shown)]
  if (rows.length > shown.length) lines.push(`… and ${rows.length - shown.length} more partition(s); --json lists them all.`)
  for (const topic of [...new Set(before.filter((b) => summarized(b.topic)).map((b) => b.topic))]) {
    const partitions = before.filter((b) => b.topic === topic)
    const moved = partitions.filter((b) => {
      const a = find(b)
      return a !== undefined && a.leader !== b.leader
    }).length
    const shrunk = partitions.filter((b) => (find(b)?.isr.length ?? 0) < b.isr.length).length
    lines.push(`${topic}: ${partitions.length} partitions, ${moved} leader(s) moved, ${shrunk} ISR(s) shrunk`)
  }
  return lines.join('\n')
}

export function renderRestore(result: RestoreResult): string {
  if (result.started.length === 0) {
    return `All brokers of cluster "${result.cluster}" were running; all ${result.partitions} partitions are fully in sync (checked in ${result.seconds.toFixed(1)} s).`
  }
  const which = `Broker${result.started.length === 1 ? '' : 's'} ${result.started.join(', ')}`
  return [
    '',
    `${which} of cluster "${result.cluster}" ${result.started.length === 1 ? 'is' : 'are'} back: every one of the ${result.partitions} partitions has its full ISR again, ${result.seconds.toFixed(1)} s after the start.`,
    `Active controller: node ${result.activeController ?? 'unknown'}.`,
  ].join('\n')
}

export function renderBroker(result: BrokerResult): string {
  const flag = nameFlag({name: result.cluster})
  if (result.alreadyRunning) return `Broker ${result.nodeId} of cluster "${result.cluster}" is already running; nothing changed.`
  const lines: string[] = []
  if (result.action === 'stop') {
    lines.push(`Broker ${result.nodeId} of cluster "${result.cluster}" is stopped${result.stop === 'kill' ? ' (killed)' : ''}.`)
    if (result.quorumLost) {
      lines.push(
        `The controller quorum has lost its majority: no active controller, so leaders, ISRs and topics cannot change until a controller node is back (\`kcl cluster restore${flag}\`).`,
      )
    } else if (result.wasController) {
      lines.push(`It was the active controller; node ${result.activeController ?? 'unknown'} took over.`)
    } else {
      lines.push(`The active controller is node ${result.activeController ?? 'unknown'}.`)
    }
  } else {
    lines.push(`Broker ${result.nodeId} of cluster "${result.cluster}" is ${result.action === 'restart' ? 'restarted' : 'running'} and registered (active controller: node ${result.activeController ?? 'unknown'}).`)
    lines.push(`It catches up with its partitions in the background; \`kcl cluster restore${flag}\` waits until every ISR is full.`)
  }
  return lines.join('\n')
}
