import {brokerMetadata, describeQuorum, firstAnswer, topicPartitions, type BrokerMetadata, type PartitionState, type QuorumInfo} from '../kafka-client/index.ts'
import {poll} from '../poll.ts'
import type {BrokerAddress} from '../kafka-client/index.ts'
import type {ConnectionSecurity} from '../kafka/security.ts'
import {fail, ok, warn, type CheckBase, type CheckResult} from './types.ts'

const KAFKA_TIMEOUT_MS = 4000

export interface RunningBroker {
  nodeId: number
  address: BrokerAddress
}

function addressText(address: BrokerAddress): string {
  return `${address.host}:${address.port}`
}

/**
 * From the host, each running broker answers on its published port, and every listener the brokers
 * advertise to clients answers too (a client bootstraps through one and then connects to what is advertised).
 */
export async function listenersCheck(name: string, brokers: RunningBroker[], security: ConnectionSecurity = {}): Promise<{result: CheckResult; metadata?: BrokerMetadata}> {
  const base: CheckBase = {group: 'Network', id: 'network.listeners', title: 'Advertised listeners', cluster: name}
  const answers = await Promise.all(brokers.map((broker) => brokerMetadata(broker.address, KAFKA_TIMEOUT_MS, security).then((m) => ({broker, metadata: m}), (error: Error) => ({broker, error}))))
  const silent = answers.filter((answer): answer is {broker: RunningBroker; error: Error} => 'error' in answer)
  const metadata = answers.find((answer): answer is {broker: RunningBroker; metadata: BrokerMetadata} => 'metadata' in answer)?.metadata
  const advertised = metadata?.brokers ?? []
  const unreachable: string[] = []
  await Promise.all(
    advertised.map(async (broker) => {
      const address = {host: broker.host, port: broker.port}
      await brokerMetadata(address, KAFKA_TIMEOUT_MS, security).catch(() => unreachable.push(`node ${broker.nodeId} advertises ${addressText(address)}, which does not answer from this machine`))
    }),
  )
  const unregistered = metadata ? brokers.filter((broker) => !advertised.some((a) => a.nodeId === broker.nodeId)).map((b) => `kafka-${b.nodeId}`) : []
  const details = advertised.map((broker) => `node ${broker.nodeId}: ${broker.host}:${broker.port}`)
  const problems = [...silent.map((answer) => `kafka-${answer.broker.nodeId} does not answer on ${addressText(answer.broker.address)} (${answer.error.message})`), ...unreachable]
  if (problems.length > 0) {
    return {
      metadata,
      result: fail(base, `${problems.join('; ')}.`, {
        details,
        fix: [
          {text: 'A broker that just started needs a few seconds; if it stays silent, read its log (kcl doctor --verbose, or docker logs on its container).'},
          {text: 'Advertised listeners must be addresses this machine reaches: kcl advertises localhost:<port> and publishes the same port; recreate the cluster with kcl up if its compose file was edited.'},
        ],
      }),
    }
  }
  if (unregistered.length > 0) {
    return {metadata, result: warn(base, `${unregistered.join(', ')} run(s) but ${unregistered.length === 1 ? 'is' : 'are'} not registered with the controller yet.`, {details})}
  }
  return {metadata, result: ok(base, `${advertised.length} broker(s) advertise ${advertised.map((b) => `${b.host}:${b.port}`).join(', ')}, all reachable`, details)}
}

// Brokers forward DescribeQuorum to the active controller. After the controller stops they may hold it for
// about 10 s (seen on Kafka 4.3), even once the new leader is elected, so the check waits longer than that.
const ELECTION_GRACE_MS = 20_000
const QUORUM_PROBE_TIMEOUT_MS = 2000

/**
 * The quorum as DescribeQuorum reports it, asked of every broker at once and again for a while during an
 * election: brokers then answer with leader -1, or hold the request until they reach the new controller.
 */
async function quorumOutsideElection(brokers: RunningBroker[], security: ConnectionSecurity): Promise<QuorumInfo> {
  let last: QuorumInfo | Error | undefined
  return poll(
    async () => {
      last = await Promise.any(brokers.map((b) => describeQuorum(b.address, QUORUM_PROBE_TIMEOUT_MS, security))).catch(
        (error: AggregateError) => (error.errors[0] as Error | undefined) ?? new Error('no broker to ask'),
      )
      return !(last instanceof Error) && last.leaderId >= 0 ? last : undefined
    },
    {
      deadline: performance.now() + ELECTION_GRACE_MS,
      intervalMs: 300,
      // Past the grace period the quorum is reported as it is, leaderless or not answering.
      onTimeout: () => {
        if (last instanceof Error) throw last
        return last as QuorumInfo
      },
    },
  )
}

export async function quorumCheck(name: string, brokers: RunningBroker[], security: ConnectionSecurity = {}): Promise<CheckResult> {
  const base: CheckBase = {group: 'Cluster', id: 'cluster.quorum', title: 'Controller quorum', cluster: name}
  try {
    const quorum = await quorumOutsideElection(brokers, security)
    const voters = quorum.voters.map((v) => v.nodeId).join(',')
    const lagging = quorum.voters.filter((v) => v.logEndOffset < 0n || v.logEndOffset + 1000n < quorum.highWatermark).map((v) => v.nodeId)
    const details = quorum.voters.map((v) => `voter ${v.nodeId}: log end offset ${v.logEndOffset}`)
    if (quorum.leaderId < 0) {
      return fail(base, `no leader (voters ${voters}): an election is running or most controllers are down.`, {
        details,
        fix: [{text: 'Start the stopped controllers (kcl doctor --fix); a majority of the voters must run.'}],
      })
    }
    if (lagging.length > 0) return warn(base, `node ${quorum.leaderId} leads (epoch ${quorum.leaderEpoch}); voter(s) ${lagging.join(',')} lag behind or are down.`, {details})
    return ok(base, `node ${quorum.leaderId} leads (epoch ${quorum.leaderEpoch}), voters ${voters}`, details)
  } catch (error) {
    return fail(base, `no broker answered DescribeQuorum: ${(error as Error).message}.`, {fix: [{text: 'See the Brokers line above; the controllers must run for the cluster to work.'}]})
  }
}

export function partitionsCheckOf(name: string, partitions: PartitionState[], liveBrokers: Set<number> | undefined): CheckResult {
  const base: CheckBase = {group: 'Cluster', id: 'cluster.partitions', title: 'Partitions', cluster: name}
  const topics = new Set(partitions.map((p) => p.topic)).size
  const offline = partitions.filter((p) => p.leader < 0 || (liveBrokers !== undefined && !liveBrokers.has(p.leader)))
  const under = partitions.filter((p) => !offline.includes(p) && p.isr.length < p.replicas.length)
  const label = (list: PartitionState[]) => {
    const shown = list.slice(0, 5).map((p) => `${p.topic}-${p.partition}`).join(', ')
    return list.length > 5 ? `${shown} and ${list.length - 5} more` : shown
  }
  const details = [...offline.map((p) => `offline: ${p.topic}-${p.partition} replicas ${p.replicas.join(',')}`), ...under.map((p) => `under-replicated: ${p.topic}-${p.partition} replicas ${p.replicas.join(',')} in sync ${p.isr.join(',')}`)]
  if (offline.length > 0) {
    return fail(base, `${offline.length} offline partition(s) (no leader): ${label(offline)}.`, {
      details,
      fix: [{text: 'Start the brokers holding their replicas (kcl doctor --fix starts stopped kcl brokers); reads and writes to them fail until then.'}],
    })
  }
  if (under.length > 0) {
    return warn(base, `${under.length} under-replicated partition(s): ${label(under)}.`, {
      details,
      fix: [{text: 'A broker is down or catching up; start it (kcl doctor --fix) and the replicas catch up on their own.'}],
    })
  }
  return ok(base, `${partitions.length} partition(s) in ${topics} topic(s), all led and fully replicated`)
}

export async function partitionsCheck(name: string, brokers: RunningBroker[], liveBrokers: Set<number> | undefined, security: ConnectionSecurity = {}): Promise<CheckResult> {
  try {
    return partitionsCheckOf(name, await firstAnswer(brokers.map((b) => b.address), (address) => topicPartitions(address, KAFKA_TIMEOUT_MS, security)), liveBrokers)
  } catch (error) {
    return fail({group: 'Cluster', id: 'cluster.partitions', title: 'Partitions', cluster: name}, `no broker answered Metadata: ${(error as Error).message}.`, {
      fix: [{text: 'See the Brokers line above.'}],
    })
  }
}
