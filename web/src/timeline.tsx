import {clock, type TimelineEvent} from './model.ts'

export function TimelineSection({events}: {events: TimelineEvent[]}) {
  return (
    <section id="timeline" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      <ol class="timeline" aria-label="Events, newest first">
        {[...events].reverse().map((e) => (
          <li key={e.id} class={`event ${e.kind}`}>
            <time dateTime={new Date(e.at).toISOString()}>{clock(e.at)}</time> <span class="kind">{e.kind}</span> {e.text}
          </li>
        ))}
      </ol>
    </section>
  )
}
