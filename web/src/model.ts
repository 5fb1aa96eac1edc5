// The server's JSON, as the page receives it (types only: nothing of the server is bundled).
export type {BrokerView, ClusterSnapshot, GroupSnapshot, LagPoint, PartitionView, QuorumView, TopicView} from '../../src/cluster-view/snapshot.ts'
export type {TimelineEvent} from '../../src/cluster-view/timeline.ts'
export type {JsonRecord} from '../../src/kafka/records.ts'

/** What a page keeps in its address bar, so a reload or a shared link shows the same selection. */
export interface Selection {
  topic?: string
  partition?: number
  group?: string
}

export const ids = (list: number[]): string => list.join(', ') || 'none'

export const clock = (at: number): string => new Date(at).toLocaleTimeString(undefined, {hour12: false})

export function readSelection(): Selection {
  const query = new URLSearchParams(location.search)
  const partition = query.get('partition')
  return {topic: query.get('topic') ?? undefined, partition: partition === null ? undefined : Number(partition), group: query.get('group') ?? undefined}
}

export function writeSelection(selection: Selection): void {
  const query = new URLSearchParams()
  if (selection.topic !== undefined) query.set('topic', selection.topic)
  if (selection.partition !== undefined) query.set('partition', String(selection.partition))
  if (selection.group !== undefined) query.set('group', selection.group)
  const search = query.toString()
  history.replaceState(null, '', search ? `?${search}` : location.pathname)
}

export interface ApiError {
  error: string
  hint?: string
}

/** POSTs JSON to kcl ui's server; throws the server's message (and hint) when it refuses. */
export async function post<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)})
  const answer = (await response.json()) as T | ApiError
  if (!response.ok) {
    const {error, hint} = answer as ApiError
    throw new Error(hint ? `${error} ${hint}` : error)
  }
  return answer as T
}
