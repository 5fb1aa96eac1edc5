/**
 * Questions asked of one broker on a connection of its own, for `kcl status`, `up`, failover and doctor: is it
 * serving, which brokers does it know, who leads the KRaft quorum, can a client get around the cluster.
 */

import {firstAnswer, metadataAnswer, metadataRequest, type BrokerInfo, type MetadataAnswer, type PartitionState} from './cluster.ts'
import {BrokerConnection, parseAddress, sendRequest, type BrokerAddress, type ConnectionOptions} from './connection.ts'
import type {ConnectionSecurity} from '../kafka/security.ts'
import {KafkaProtocolError} from './protocol/error-codes.ts'
import {DescribeQuorum, Metadata, type DescribeQuorumResponse} from './protocol/messages/index.ts'

/** KRaft keeps cluster metadata in this single-partition topic; DescribeQuorum asks about its Raft quorum. */
const METADATA_TOPIC = '__cluster_metadata'
const DEFAULT_TIMEOUT_MS = 5000

const probeOptions = (timeoutMs = DEFAULT_TIMEOUT_MS, security?: ConnectionSecurity): ConnectionOptions => ({clientId: 'kcl', connectTimeoutMs: timeoutMs, security})

export interface BrokerMetadata {
  clusterId: string | null
  /** The brokers this broker knows to be registered and alive. */
  brokers: BrokerInfo[]
}

/** Metadata without topics: the cheapest proof that a broker serves requests, and which brokers it knows. */
export async function brokerMetadata(address: BrokerAddress, timeoutMs?: number, security?: ConnectionSecurity): Promise<BrokerMetadata> {
  const {clusterId, brokers} = metadataAnswer(await sendRequest(address, Metadata, metadataRequest([]), probeOptions(timeoutMs, security)))
  return {clusterId, brokers}
}

/** Metadata for every topic: each partition's leader, replicas and in-sync replicas. */
export async function topicPartitions(address: BrokerAddress, timeoutMs?: number, security?: ConnectionSecurity): Promise<PartitionState[]> {
  return metadataAnswer(await sendRequest(address, Metadata, metadataRequest(undefined), probeOptions(timeoutMs, security))).partitions
}

/** One Metadata request for everything: the cluster id, the live brokers and every partition with its offline replicas. */
export async function clusterMetadata(address: BrokerAddress, timeoutMs?: number, security?: ConnectionSecurity): Promise<MetadataAnswer> {
  return metadataAnswer(await sendRequest(address, Metadata, metadataRequest(undefined), probeOptions(timeoutMs, security)))
}

export interface QuorumReplica {
  nodeId: number
  logEndOffset: bigint
}

export interface QuorumInfo {
  /** The active controller: the Raft leader of the metadata log, -1 while an election runs. */
  leaderId: number
  leaderEpoch: number
  highWatermark: bigint
  voters: QuorumReplica[]
  observers: QuorumReplica[]
}

export function quorumInfo(response: DescribeQuorumResponse): QuorumInfo {
  if (response.errorCode !== 0) throw new KafkaProtocolError(response.errorCode, 'DescribeQuorum', response.errorMessage)
  const partition = response.topics[0]?.partitions[0]
  if (!partition) throw new KafkaProtocolError(-1, 'DescribeQuorum', 'the answer has no metadata partition')
  if (partition.errorCode !== 0) throw new KafkaProtocolError(partition.errorCode, 'DescribeQuorum', partition.errorMessage)
  const replica = (r: {replicaId: number; logEndOffset: bigint}): QuorumReplica => ({nodeId: r.replicaId, logEndOffset: r.logEndOffset})
  return {
    leaderId: partition.leaderId,
    leaderEpoch: partition.leaderEpoch,
    highWatermark: partition.highWatermark,
    voters: partition.currentVoters.map(replica),
    observers: partition.observers.map(replica),
  }
}

export const describeQuorumRequest = () => ({topics: [{topicName: METADATA_TOPIC, partitions: [{partitionIndex: 0}]}]})

/** Asks a broker (which forwards to the controllers) who leads the KRaft metadata quorum. */
export async function describeQuorum(address: BrokerAddress, timeoutMs?: number, security?: ConnectionSecurity): Promise<QuorumInfo> {
  return quorumInfo(await sendRequest(address, DescribeQuorum, describeQuorumRequest(), probeOptions(timeoutMs, security)))
}

/**
 * A full client round trip as users will make it: bootstrap from the given servers, read the cluster's brokers,
 * then reach every broker at the address it advertises and list the topics there. Returns the broker ids that
 * answered at their advertised address.
 */
export async function clientRoundTrip(servers: string[], timeoutMs = DEFAULT_TIMEOUT_MS, security?: ConnectionSecurity): Promise<number[]> {
  const options = probeOptions(timeoutMs, security)
  const {brokers} = await firstAnswer(servers.map(parseAddress), (address) => brokerMetadata(address, timeoutMs, security))
  const reached = await Promise.all(
    brokers.map(async (broker) => {
      const connection = await BrokerConnection.open(broker, options)
      try {
        await connection.request(Metadata, metadataRequest(undefined), timeoutMs)
        return broker.nodeId
      } finally {
        connection.close()
      }
    }),
  )
  return reached.sort((a, b) => a - b)
}
