import type {GroupSnapshot, LagPoint} from './model.ts'

const WIDTH = 320
const HEIGHT = 80

/** Total lag over the last minutes as a line, with the numbers in words for those who cannot see it. */
export function LagChart({group, history, small}: {group: string; history: LagPoint[]; small?: boolean}) {
  const width = small ? 120 : WIDTH
  const height = small ? 24 : HEIGHT
  const first = history[0]
  const last = history.at(-1)
  const highest = Math.max(1, ...history.map((p) => p.lag))
  const minutes = first && last ? Math.max(1, Math.round((last.at - first.at) / 60_000)) : 0
  const label = last ? `Total lag of ${group} over the last ${minutes} minute(s): now ${last.lag}, highest ${Math.max(0, ...history.map((p) => p.lag))}` : `No lag measured for ${group} yet`
  const span = first && last ? Math.max(1, last.at - first.at) : 1
  const points = history.map((p) => `${first ? (((p.at - first.at) / span) * (width - 2) + 1).toFixed(1) : 0},${(height - 1 - (p.lag / highest) * (height - 2)).toFixed(1)}`).join(' ')
  return (
    <svg class="chart" role="img" aria-label={label} width={width} height={height} viewBox={`0 0 ${width} ${height}`}>
      <title>{label}</title>
      <line x1="0" y1={height - 1} x2={width} y2={height - 1} class="axis" />
      {history.length > 1 && <polyline points={points} class="line" />}
    </svg>
  )
}

function GroupDetail({group}: {group: GroupSnapshot}) {
  return (
    <section aria-labelledby="group-heading">
      <h3 id="group-heading">Group {group.groupId}</h3>
      <p>
        <LagChart group={group.groupId} history={group.lagHistory} />
      </p>
      <table>
        <caption>Members of {group.groupId}</caption>
        <thead>
          <tr><th scope="col">Client</th><th scope="col">Host</th><th scope="col">Member id</th><th scope="col">Assigned partitions</th></tr>
        </thead>
        <tbody>
          {group.members.length === 0 && (
            <tr><td colSpan={4}>No members: nobody consumes as {group.groupId} right now.</td></tr>
          )}
          {group.members.map((m) => (
            <tr key={m.memberId}>
              <th scope="row">{m.clientId}</th>
              <td>{m.host}</td>
              <td class="id">{m.memberId}</td>
              <td>{m.partitions.map((p) => `${p.topic}[${p.partition}]`).join(', ') || 'none'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {group.shareOffsets && (
        <table>
          <caption>Share partitions of {group.groupId}</caption>
          <thead>
            <tr><th scope="col">Topic</th><th scope="col">Partition</th><th scope="col">Start offset</th><th scope="col">Log end</th><th scope="col">Lag</th><th scope="col">Members fetching</th></tr>
          </thead>
          <tbody>
            {group.shareOffsets.map((o) => (
              <tr key={`${o.topic}-${o.partition}`}>
                <th scope="row">{o.topic}</th>
                <td class="number">{o.partition}</td>
                <td class="number">{o.startOffset ?? 'not read yet'}</td>
                <td class="number">{o.end}</td>
                <td class="number">{o.lag ?? 'unknown'}</td>
                <td>{o.members.join(', ') || 'none'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!group.shareOffsets && (
        <table>
          <caption>Lag of {group.groupId}</caption>
          <thead>
            <tr><th scope="col">Topic</th><th scope="col">Partition</th><th scope="col">Committed</th><th scope="col">Log end</th><th scope="col">Lag</th><th scope="col">Owner</th></tr>
          </thead>
          <tbody>
            {group.offsets.map((o) => (
              <tr key={`${o.topic}-${o.partition}`}>
                <th scope="row">{o.topic}</th>
                <td class="number">{o.partition}</td>
                <td class="number">{o.committed ?? 'nothing committed'}</td>
                <td class="number">{o.end}</td>
                <td class="number">{o.lag ?? 'unknown'}</td>
                <td>{o.owner ?? 'unassigned'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

export function GroupsSection({groups, error, selected, onSelect}: {groups: GroupSnapshot[]; error?: string; selected?: string; onSelect: (group: string) => void}) {
  const shown = groups.find((g) => g.groupId === selected)
  return (
    <section id="groups" aria-labelledby="groups-heading">
      <h2 id="groups-heading">Groups</h2>
      {error && <p role="alert" class="bad">Groups could not be read: {error}</p>}
      {groups.length === 0 ? (
        <p>No consumer or share groups yet.</p>
      ) : (
        <table>
          <caption>Consumer and share groups</caption>
          <thead>
            <tr><th scope="col">Group</th><th scope="col">State</th><th scope="col">Protocol</th><th scope="col">Members</th><th scope="col">Total lag</th><th scope="col">Lag trend</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <tr key={g.groupId} aria-current={g.groupId === selected ? 'true' : undefined}>
                <th scope="row">{g.groupId}</th>
                <td class={g.state === 'Stable' ? 'good' : g.state === 'Empty' ? undefined : 'bad'}>{g.state}</td>
                <td>{g.protocol || 'unknown'}</td>
                <td class="number">{g.members.length}</td>
                <td class="number">{g.totalLag}</td>
                <td><LagChart group={g.groupId} history={g.lagHistory} small /></td>
                <td><button type="button" onClick={() => onSelect(g.groupId)} aria-label={`Show group ${g.groupId}`}>Details</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shown && <GroupDetail group={shown} />}
    </section>
  )
}
