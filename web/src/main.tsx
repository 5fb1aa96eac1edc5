import {render} from 'preact'
import {useEffect, useState} from 'preact/hooks'
import {ClusterSection} from './cluster.tsx'
import {GroupsSection} from './groups.tsx'
import {readSelection, writeSelection, type ClusterSnapshot, type Selection, type TimelineEvent} from './model.ts'
import {TimelineSection} from './timeline.tsx'
import {TopicsSection} from './topics.tsx'

const KEPT_EVENTS = 300

/** Follows the server's event stream: a snapshot whenever the cluster changed, and the timeline's new events. */
function useLiveCluster(): {snapshot?: ClusterSnapshot; events: TimelineEvent[]; live: boolean} {
  const [snapshot, setSnapshot] = useState<ClusterSnapshot>()
  const [events, setEvents] = useState<TimelineEvent[]>([])
  const [live, setLive] = useState(false)
  useEffect(() => {
    const stream = new EventSource('/api/events')
    stream.onopen = () => setLive(true)
    // EventSource reconnects by itself; the page says so meanwhile.
    stream.onerror = () => setLive(false)
    stream.addEventListener('snapshot', (message) => setSnapshot(JSON.parse((message as MessageEvent<string>).data) as ClusterSnapshot))
    stream.addEventListener('events', (message) => {
      const incoming = JSON.parse((message as MessageEvent<string>).data) as TimelineEvent[]
      setEvents((known) => {
        const newest = known.at(-1)?.id ?? 0
        // After a reconnect the server sends its whole timeline again (or a new one, if kcl ui restarted).
        const fresh = incoming[0] !== undefined && incoming[0].id <= newest && incoming.length > 1 ? incoming : [...known, ...incoming.filter((e) => e.id > newest)]
        return fresh.slice(-KEPT_EVENTS)
      })
    })
    return () => stream.close()
  }, [])
  return {snapshot, events, live}
}

function App() {
  const {snapshot, events, live} = useLiveCluster()
  const [selection, setSelection] = useState<Selection>(readSelection)
  const select = (change: Selection) => {
    const next = {...selection, ...change}
    setSelection(next)
    writeSelection(next)
  }
  // With nothing chosen, show the first topic and group: the page tells its story without clicks.
  const topic = selection.topic ?? snapshot?.topics.find((t) => !t.internal)?.name
  const group = selection.group ?? snapshot?.groups[0]?.groupId
  const title = snapshot?.cluster ? `kcl cluster "${snapshot.cluster}"` : snapshot?.bootstrapServers.join(', ')
  useEffect(() => {
    document.title = title ? `kcl ui: ${title}` : 'kcl ui'
  }, [title])
  return (
    <>
      <header>
        <h1>kcl ui{title ? `: ${title}` : ''}</h1>
        <p role="status" class={live && snapshot?.reachable ? 'good' : 'bad'} id="connection">
          {!live ? 'Reconnecting to kcl ui…' : !snapshot ? 'Waiting for the first answer…' : snapshot.reachable ? 'Live: Kafka answers' : `Live, but Kafka does not answer: ${snapshot.error ?? 'no answer'}`}
        </p>
        <nav aria-label="Sections">
          <a href="#cluster">Cluster</a> <a href="#topics">Topics</a> <a href="#groups">Consumer groups</a> <a href="#timeline">Timeline</a>
        </nav>
      </header>
      <main>
        {snapshot ? (
          <div class="columns">
            <div>
              <ClusterSection snapshot={snapshot} />
              <TopicsSection snapshot={snapshot} topic={topic} partition={selection.partition ?? (topic ? 0 : undefined)} onSelect={(t, p) => select({topic: t, partition: p})} />
              <GroupsSection groups={snapshot.groups} error={snapshot.groupsError} selected={group} onSelect={(g) => select({group: g})} />
            </div>
            <TimelineSection events={events} />
          </div>
        ) : (
          <p>Connecting…</p>
        )}
      </main>
    </>
  )
}

const root = document.getElementById('app')!
// Preact renders beside what is there: the loading line goes first.
root.replaceChildren()
render(<App />, root)
