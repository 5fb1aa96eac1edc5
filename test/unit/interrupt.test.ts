import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {runDockerProgram} from '../../src/docker/run.ts'
import {DockerFailureError} from '../../src/docker/errors.ts'
import {InterruptedError, interruptibleSleep, whileInterruptible, type StopSignal} from '../../src/interrupt.ts'

/** Sends the signal to this process's handlers (as the kernel would) once `ms` have passed. */
function signalAfter(signal: StopSignal, ms: number): void {
  setTimeout(() => process.emit(signal), ms)
}

describe('interrupts (Ctrl-C, SIGTERM)', () => {
  it('stops a running child process and a poll, runs the clean-up unaborted, and exits 130 with its line', async () => {
    const started = performance.now()
    let childError: unknown
    let cleanedUp = ''
    signalAfter('SIGINT', 200)
    const error = await whileInterruptible(
      async () => {
        // `sleep 30` stands for a docker call that takes long: the interrupt must stop it.
        await runDockerProgram('sleep', ['30'], {timeoutMs: 60_000}).catch((e: unknown) => {
          childError = e
        })
        await interruptibleSleep(30_000)
      },
      async (signal) => {
        // The clean-up's own child processes are not stopped by the interrupt that already happened.
        cleanedUp = await runDockerProgram('echo', ['rolled back'])
        return {message: `gone (${signal})`, hint: 'do this next'}
      },
    ).catch((e: unknown) => e)
    assert.ok(error instanceof InterruptedError)
    assert.equal(error.exitCode, 130)
    assert.equal(error.message, 'gone (SIGINT)')
    assert.equal(error.hint, 'do this next')
    assert.ok(childError instanceof InterruptedError, 'the child process was stopped by the interrupt')
    assert.equal(cleanedUp, 'rolled back')
    assert.ok(performance.now() - started < 10_000)
    assert.equal(process.listenerCount('SIGINT'), 0, 'no handler is left behind')
  })

  it('exits 143 on SIGTERM', async () => {
    signalAfter('SIGTERM', 50)
    const error = await whileInterruptible(() => interruptibleSleep(30_000), async () => ({message: 'stopped'})).catch((e: unknown) => e)
    assert.ok(error instanceof InterruptedError)
    assert.equal(error.exitCode, 143)
    assert.equal(process.listenerCount('SIGTERM'), 0)
  })

  it('passes results and errors through when nothing interrupts', async () => {
    assert.equal(await whileInterruptible(async () => 42, async () => ({message: 'never'})), 42)
    await assert.rejects(whileInterruptible(async () => Promise.reject(new Error('own failure')), async () => ({message: 'never'})), /own failure/)
    assert.equal(process.listenerCount('SIGINT'), 0)
  })

  it('says what is left even when checking it fails', async () => {
    signalAfter('SIGINT', 50)
    const error = await whileInterruptible(() => interruptibleSleep(30_000), async () => Promise.reject(new Error('docker gone'))).catch((e: unknown) => e)
    assert.ok(error instanceof InterruptedError)
    assert.match(error.message, /^Interrupted \(Ctrl-C\); what is left could not be checked: docker gone/)
  })
})

describe('Docker call timeouts', () => {
  it('turns a call that does not finish in time into "Docker does not answer", exit 3', async () => {
    const error = await runDockerProgram('sleep', ['30'], {timeoutMs: 300, what: 'docker ps'}).catch((e: unknown) => e)
    assert.ok(error instanceof DockerFailureError)
    assert.equal(error.kind, 'engine-timeout')
    assert.equal(error.exitCode, 3)
    assert.equal(error.message, 'Docker does not answer: `docker ps` got no reply within 0.3 s.')
  })
})
