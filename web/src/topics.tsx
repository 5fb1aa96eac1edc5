import {useEffect, useState} from 'preact/hooks'
import {ActionDialog} from './dialog.tsx'
import {ids, post, type ClusterSnapshot, type JsonRecord, type PartitionView, type TopicView} from './model.ts'

function topicStatus(topic: TopicView): {text: string; ok: boolean} {
  const offline = topic.partitions.filter((p) => p.offline).length
  const under = topic.partitions.filter((p) => p.underReplicated).length
  if (offline > 0) return {text: `${offline} offline${under > offline ? `, ${under - offline} under-replicated` : ''}`, ok: false}
  if (under > 0) return {text: `${under} under-replicated`, ok: false}
  return {text: 'all in sync', ok: true}
}

function partitionStatus(p: PartitionView): {text: string; ok: boolean} {
  if (p.offline) return {text: 'offline: no leader', ok: false}
  if (p.underReplicated) return {text: `under-replicated (${p.replicas.filter((r) => !p.isr.includes(r)).join(', ')} behind)`, ok: false}
  return {text: 'in sync', ok: true}
}

const offset = (value: number | undefined): string => (value === undefined ? '…' : String(value))

function TopicTable({topics, caption, selected, onSelect}: {topics: TopicView[]; caption: string; selected?: string; onSelect: (name: string) => void}) {
  return (
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr><th scope="col">Topic</th><th scope="col">Partitions</th><th scope="col">Replication factor</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
      </thead>
      <tbody>
        {topics.map((t) => {
          const status = topicStatus(t)
          return (
            <tr key={t.name} aria-current={t.name === selected ? 'true' : undefined}>
              <th scope="row">{t.name}</th>
              <td class="number">{t.partitions.length}</td>
              <td class="number">{t.replicationFactor}</td>
              <td class={status.ok ? 'good' : 'bad'}>{status.text}</td>
              <td><button type="button" onClick={() => onSelect(t.name)} aria-label={`Show partitions of ${t.name}`}>Partitions</button></td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

function PartitionTable({topic, selected, onSelect}: {topic: TopicView; selected?: number; onSelect: (partition: number) => void}) {
  return (
    <table>
      <caption>Partitions of {topic.name}</caption>
      <thead>
        <tr>
          <th scope="col">Partition</th><th scope="col">Leader</th><th scope="col">Replicas</th><th scope="col">In-sync replicas</th>
          <th scope="col">Status</th><th scope="col">Log start</th><th scope="col">Log end</th><th scope="col"><span class="visually-hidden">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        {topic.partitions.map((p) => {
          const status = partitionStatus(p)
          return (
            <tr key={p.partition} aria-current={p.partition === selected ? 'true' : undefined}>
              <th scope="row">{p.partition}</th>
              <td class={p.offline ? 'bad' : undefined}>{p.offline ? 'none' : p.leader}</td>
              <td>{ids(p.replicas)}</td>
              <td>{ids(p.isr)}</td>
              <td class={status.ok ? 'good' : 'bad'}>{status.text}</td>
              <td class="number">{offset(p.low)}</td>
              <td class="number">{offset(p.high)}</td>
              <td><button type="button" onClick={() => onSelect(p.partition)} aria-label={`Show messages of ${topic.name}[${p.partition}]`}>Messages</button></td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

function pretty(value: JsonRecord['value']): string {
  if (value === null) return '(null)'
  if (typeof value !== 'string') return `base64: ${value.base64}`
  try {
    const parsed = JSON.parse(value) as unknown
    if (parsed !== null && typeof parsed === 'object') return JSON.stringify(parsed, null, 2)
  } catch {
    // not JSON: shown as it is
  }
  return value
}

const headerText = (headers: JsonRecord['headers']): string => headers.map(([key, value]) => `${key}=${pretty(value)}`).join('\n')

const RECORD_COUNT = 10

/** The latest records of one partition, fetched again whenever its end offset moves. */
function Messages({topic, partition}: {topic: string; partition: PartitionView}) {
  const [records, setRecords] = useState<JsonRecord[]>()
  const [error, setError] = useState<string>()
  useEffect(() => {
    let current = true
    fetch(`/api/topics/${encodeURIComponent(topic)}/partitions/${partition.partition}/records?count=${RECORD_COUNT}`)
      .then(async (response) => {
        const body = (await response.json()) as {records: JsonRecord[]; error?: string}
        if (!response.ok) throw new Error(body.error)
        if (current) {
          setRecords(body.records.reverse())
          setError(undefined)
        }
      })
      .catch((failure: Error) => current && setError(failure.message))
    return () => {
      current = false
    }
  }, [topic, partition.partition, partition.high])
  const caption = `Latest messages of ${topic}[${partition.partition}]`
  return (
    <div>
      {error && <p role="alert" class="bad">Could not read {topic}[{partition.partition}]: {error}</p>}
      {records === undefined ? (
        <p>Reading {topic}[{partition.partition}]…</p>
      ) : (
        <div class="scroll">
        <table class="records">
          <caption>{caption}{records.length === 0 ? ': none yet' : `, newest first (${records.length})`}</caption>
          <thead>
            <tr><th scope="col">Offset</th><th scope="col">Time</th><th scope="col">Key</th><th scope="col">Value</th><th scope="col">Headers</th></tr>
          </thead>
          <tbody>
            {records.map((r) => (
              <tr key={r.offset}>
                <th scope="row" class="number">{r.offset}</th>
                <td><time dateTime={new Date(r.timestamp).toISOString()}>{new Date(r.timestamp).toLocaleString(undefined, {hour12: false})}</time></td>
                <td><pre>{r.key === null ? '(none)' : pretty(r.key)}</pre></td>
                <td><pre>{pretty(r.value)}</pre></td>
                <td><pre>{headerText(r.headers)}</pre></td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </div>
  )
}

function CreateTopicDialog({brokers, onClose}: {brokers: number; onClose: () => void}) {
  const [name, setName] = useState('')
  const [partitions, setPartitions] = useState('1')
  const [replication, setReplication] = useState(String(Math.min(3, Math.max(1, brokers))))
  return (
    <ActionDialog
      title="Create a topic"
      confirmLabel="Create topic"
      onClose={onClose}
      describe={() => (name.trim() ? `Create topic "${name.trim()}" with ${partitions} partition(s) and replication factor ${replication}?` : undefined)}
      run={async () => {
        const created = await post<{name: string; partitions: number; replicationFactor: number}>('/api/topics', {name: name.trim(), partitions: Number(partitions), replicationFactor: Number(replication)})
        return `Created topic ${created.name}: ${created.partitions} partition(s), replication factor ${created.replicationFactor}.`
      }}
    >
      <label>Name <input required value={name} onInput={(e) => setName(e.currentTarget.value)} pattern="[a-zA-Z0-9._\-]{1,249}" /></label>
      <label>Partitions <input required type="number" min="1" value={partitions} onInput={(e) => setPartitions(e.currentTarget.value)} /></label>
      <label>Replication factor <input required type="number" min="1" max={String(Math.max(1, brokers))} value={replication} onInput={(e) => setReplication(e.currentTarget.value)} /></label>
    </ActionDialog>
  )
}

function ProduceDialog({topic, onClose}: {topic: TopicView; onClose: () => void}) {
  const [value, setValue] = useState('')
  const [key, setKey] = useState('')
  const [partition, setPartition] = useState('')
  const where = partition === '' ? (key ? 'the partition of its key' : 'a partition the producer picks') : `partition ${partition}`
  return (
    <ActionDialog
      title={`Produce a message to ${topic.name}`}
      confirmLabel="Produce message"
      onClose={onClose}
      describe={() => `Produce ${value.length} character(s)${key ? ` with key "${key}"` : ''} to ${topic.name}, ${where}, with acks=all?`}
      run={async () => {
        const landed = await post<{partition: number; offset: number}>(`/api/topics/${encodeURIComponent(topic.name)}/records`, {value, key: key || undefined, partition: partition === '' ? undefined : Number(partition)})
        return `Produced to ${topic.name}[${landed.partition}] at offset ${landed.offset}.`
      }}
    >
      <label>Value <textarea rows={4} value={value} onInput={(e) => setValue(e.currentTarget.value)} /></label>
      <label>Key (optional) <input value={key} onInput={(e) => setKey(e.currentTarget.value)} /></label>
      <label>
        Partition
        <select value={partition} onChange={(e) => setPartition(e.currentTarget.value)}>
          <option value="">any (by key)</option>
          {topic.partitions.map((p) => <option key={p.partition} value={String(p.partition)}>{p.partition}</option>)}
        </select>
      </label>
    </ActionDialog>
  )
}

export interface TopicsProps {
  snapshot: ClusterSnapshot
  topic?: string
  partition?: number
  onSelect: (topic: string | undefined, partition?: number) => void
}

export function TopicsSection({snapshot, topic, partition, onSelect}: TopicsProps) {
  const [dialog, setDialog] = useState<'create' | 'produce'>()
  const user = snapshot.topics.filter((t) => !t.internal)
  const internal = snapshot.topics.filter((t) => t.internal)
  const shown = snapshot.topics.find((t) => t.name === topic)
  const shownPartition = shown?.partitions.find((p) => p.partition === partition)
  return (
    <section id="topics" aria-labelledby="topics-heading">
      <h2 id="topics-heading">Topics</h2>
      <div class="buttons">
        <button type="button" onClick={() => setDialog('create')}>Create topic…</button>
      </div>
      {user.length === 0 ? <p>No topics yet.</p> : <TopicTable topics={user} caption="Topics" selected={topic} onSelect={(name) => onSelect(name, 0)} />}
      {internal.length > 0 && (
        <details>
          <summary>Internal topics ({internal.length})</summary>
          <TopicTable topics={internal} caption="Internal topics" selected={topic} onSelect={(name) => onSelect(name, 0)} />
        </details>
      )}
      {shown && (
        <section aria-labelledby="partitions-heading">
          <h3 id="partitions-heading">{shown.name}</h3>
          <div class="buttons">
            <button type="button" onClick={() => setDialog('produce')}>Produce a message…</button>
          </div>
          <PartitionTable topic={shown} selected={partition} onSelect={(p) => onSelect(shown.name, p)} />
          {shownPartition && <Messages topic={shown.name} partition={shownPartition} />}
        </section>
      )}
      {dialog === 'create' && <CreateTopicDialog brokers={snapshot.brokers.length} onClose={() => setDialog(undefined)} />}
      {dialog === 'produce' && shown && <ProduceDialog topic={shown} onClose={() => setDialog(undefined)} />}
    </section>
  )
}
