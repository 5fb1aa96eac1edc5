import type {BrokerView, ClusterSnapshot, QuorumView} from './model.ts'

function controllerText(snapshot: ClusterSnapshot): string {
  const quorum = snapshot.quorum
  if (!quorum) return `unknown: the metadata quorum does not answer (${snapshot.quorumError ?? 'no answer yet'})`
  if (snapshot.quorumError !== undefined) return `unknown: the metadata quorum does not answer; last seen node ${quorum.leaderId} (epoch ${quorum.epoch})`
  if (quorum.leaderId < 0) return `none: an election is under way (epoch ${quorum.epoch})`
  return `node ${quorum.leaderId} (epoch ${quorum.epoch})`
}

function kafkaState(broker: BrokerView): string {
  if (!broker.broker) return 'controller only'
  if (broker.registered) return 'serving'
  return broker.container !== undefined && broker.container !== 'running' ? 'stopped' : 'not registered'
}

function containerState(broker: BrokerView): string {
  if (broker.container === undefined) return 'not a kcl container'
  return broker.health && broker.container === 'running' ? `${broker.container} (${broker.health})` : broker.container
}

function QuorumTable({quorum}: {quorum: QuorumView}) {
  const rows = [...quorum.voters.map((v) => ({...v, role: v.nodeId === quorum.leaderId ? 'leader (active controller)' : 'voter'})), ...quorum.observers.map((o) => ({...o, role: 'observer'}))]
  return (
    <table>
      <caption>KRaft metadata quorum</caption>
      <thead>
        <tr><th scope="col">Node</th><th scope="col">Role</th><th scope="col">Log end offset</th><th scope="col">Lag</th></tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.role}-${r.nodeId}`}>
            <th scope="row">{r.nodeId}</th>
            <td class={r.role.startsWith('leader') ? 'good' : undefined}>{r.role}</td>
            <td class="number">{r.logEndOffset < 0 ? 'unknown' : r.logEndOffset}</td>
            <td class="number">{r.lag}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function ClusterSection({snapshot}: {snapshot: ClusterSnapshot}) {
  const controllerOk = snapshot.quorum !== undefined && snapshot.quorumError === undefined && snapshot.quorum.leaderId >= 0
  return (
    <section id="cluster" aria-labelledby="cluster-heading">
      <h2 id="cluster-heading">Cluster</h2>
      <dl class="facts">
        <div><dt>Cluster id</dt><dd>{snapshot.clusterId ?? 'unknown'}</dd></div>
        <div><dt>Bootstrap servers</dt><dd>{snapshot.bootstrapServers.join(', ')}</dd></div>
        <div>
          <dt>Active controller</dt>
          <dd id="active-controller" class={controllerOk ? 'good' : 'bad'}>{controllerText(snapshot)}</dd>
        </div>
        <div><dt>Brokers serving</dt><dd>{snapshot.brokers.filter((b) => b.registered).length} of {snapshot.brokers.length}</dd></div>
      </dl>
      <table>
        <caption>Brokers</caption>
        <thead>
          <tr><th scope="col">Node</th><th scope="col">Address</th><th scope="col">Kafka</th><th scope="col">Container</th><th scope="col">KRaft role</th></tr>
        </thead>
        <tbody>
          {snapshot.brokers.map((b) => (
            <tr key={b.nodeId}>
              <th scope="row">{b.nodeId}</th>
              <td>{b.address}</td>
              <td class={b.registered || !b.broker ? 'good' : 'bad'}>{kafkaState(b)}</td>
              <td>{containerState(b)}</td>
              <td class={b.quorumRole === 'active controller' ? 'good' : undefined}>{b.quorumRole ?? 'broker only'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {snapshot.quorum && <QuorumTable quorum={snapshot.quorum} />}
    </section>
  )
}
