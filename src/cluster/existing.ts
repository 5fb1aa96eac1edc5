import {readVolumeFile, volumeNames} from '../docker/volumes.ts'
import {ExitCode, KclError, usageError} from '../errors.ts'
import {dataVolumeNode, secretsVolumeName} from './spec.ts'

/**
 * What a cluster's Docker volumes say about it. They outlive kcl's files (another KCL_HOME, sudo, a deleted
 * cluster.json), so they, not the files, decide whether a cluster exists: `kcl up` adopts the data it finds, with
 * the cluster id Kafka formatted it with, or refuses when the volumes cannot be one cluster.
 */

export interface DataVolume {
  nodeId: number
  volume: string
  /** The volume's meta.properties (written by Kafka when it formats its log directory), if it has one. */
  meta?: string | undefined
}

/** The cluster's broker data volumes that exist, and every volume of its compose project (secrets included). */
export async function clusterVolumes(name: string): Promise<{data: DataVolume[]; all: string[]}> {
  const names = await volumeNames()
  const data = names
    .map((volume) => ({volume, nodeId: dataVolumeNode(name, volume)}))
    .filter((v): v is DataVolume => v.nodeId !== undefined)
    .sort((a, b) => a.nodeId - b.nodeId)
  const secrets = secretsVolumeName({name})
  return {data, all: [...data.map((v) => v.volume), ...names.filter((volume) => volume === secrets)]}
}

/** Reads every data volume's meta.properties, through a container of the first of `images` this machine has. */
export async function readDataVolumes(name: string, data: DataVolume[], images: string[]): Promise<DataVolume[]> {
  let metas: Map<string, string | undefined>
  try {
    metas = await readVolumeFile(images, data.map((v) => v.volume), 'meta.properties')
  } catch (error) {
    throw new KclError(`Cluster "${name}" has data in Docker volumes (${data.map((v) => v.volume).join(', ')}), but kcl cannot read its cluster id: ${(error as Error).message}`, {
      hint: `Make a Kafka image available (e.g. kcl up --name ${name} --image <an image on this machine>), or delete the data to start clean: kcl down --name ${name} --volumes --yes.`,
      exitCode: ExitCode.environment,
    })
  }
  return data.map((v) => ({...v, meta: metas.get(v.volume)}))
}

export function parseProperties(text: string): Record<string, string> {
  const properties: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const trimmed = line.trim()
    if (!trimmed || trimmed.startsWith('#') || trimmed.startsWith('!')) continue
    const at = trimmed.search(/[=:]/)
    if (at > 0) properties[trimmed.slice(0, at).trim()] = trimmed.slice(at + 1).trim()
  }
  return properties
}

export interface Adoption {
  brokers: number
  /** The id Kafka formatted the volumes with; undefined when none is formatted yet (a start interrupted early). */
  clusterId: string | undefined
}

/**
 * What cluster the data volumes (meta.properties read) are: all of one Kafka cluster, each volume its own node's.
 * With a saved spec of `saved` brokers, volumes of some of its nodes may be missing (deleted to wipe one broker, as
 * `kcl doctor` suggests), but none of other nodes. Without one, they must be nodes 1..N, and N what was `requested`.
 * Refuses otherwise, with the way out.
 */
export function adoptionOf(name: string, volumes: DataVolume[], brokers: {saved?: number | undefined; requested?: number | undefined}): Adoption {
  const clean = `kcl down --name ${name} --volumes --yes`
  const nodes = volumes.map((v) => v.nodeId)
  const count = Math.max(...nodes)
  const missing = Array.from({length: count}, (_, index) => index + 1).filter((id) => !nodes.includes(id))
  if (brokers.saved === undefined && missing.length > 0) {
    throw usageError(
      `Cluster "${name}" has data volumes for node(s) ${nodes.join(', ')} but none for node(s) ${missing.join(', ')}: they are not one whole cluster.`,
      `Look at them with \`docker volume ls --filter name=kcl-${name}_\`; to delete them and start clean: ${clean}.`,
    )
  }
  const ids = new Map<string, number[]>()
  for (const volume of volumes) {
    if (volume.meta === undefined) continue
    const properties = parseProperties(volume.meta)
    const clusterId = properties['cluster.id']
    if (!clusterId) continue
    if (properties['node.id'] !== undefined && Number(properties['node.id']) !== volume.nodeId) {
      throw usageError(`Data volume ${volume.volume} holds node ${properties['node.id']}'s data, not node ${volume.nodeId}'s.`, `It was not made by kcl; to delete the cluster's data and start clean: ${clean}.`)
    }
    ids.set(clusterId, [...(ids.get(clusterId) ?? []), volume.nodeId])
  }
  if (ids.size > 1) {
    const which = [...ids].map(([id, of]) => `${id} on node(s) ${of.join(', ')}`).join('; ')
    throw usageError(`The data volumes of cluster "${name}" belong to different Kafka clusters (${which}).`, `Keep what you need elsewhere, then delete them and start clean: ${clean}.`)
  }
  const expected = brokers.saved ?? brokers.requested
  if (expected !== undefined && (brokers.saved === undefined ? expected !== count : count > expected)) {
    throw usageError(
      `Cluster "${name}" has the data of ${count} broker(s) in its Docker volumes; it cannot start with ${expected}.`,
      brokers.saved === undefined
        ? `Start it as it is with \`kcl up --name ${name} --brokers ${count}\`, or delete its data and start clean: ${clean}.`
        : `Its saved spec says ${expected} broker(s): delete its data and start clean with ${clean}.`,
    )
  }
  return {brokers: brokers.saved ?? count, clusterId: [...ids.keys()][0]}
}
