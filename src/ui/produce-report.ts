import {ACK_WAIT_MS, type ProduceResult} from '../kafka/produce.ts'

/** 1234567 → "1,234,567", without toLocaleString, whose ICU data takes ~13 ms to load. */
const thousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+$)/g, ',')

const messages = (n: number): string => `${n} message${n === 1 ? '' : 's'}`

/** The line `produce` ends with: how many went in and how fast, or, when interrupted, what did not. */
export function produceSummary(result: ProduceResult): string {
  if (result.interrupted) {
    const unanswered = result.unanswered > 0 ? `, ${result.unanswered} sent without an answer within ${ACK_WAIT_MS / 1000} s (they may still be written)` : ''
    return `Interrupted (${result.interrupted}): ${result.count} acknowledged, ${result.notSent} not sent${unanswered}; topic ${result.topic}.`
  }
  const rate = result.seconds > 0 ? Math.round(result.count / result.seconds) : result.count
  return `Produced ${messages(result.count)} to ${result.topic} in ${result.seconds.toFixed(2)} s (${thousands(rate)} msg/s).`
}
