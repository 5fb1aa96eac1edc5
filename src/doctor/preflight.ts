import type {ClusterSpec} from '../cluster/spec.ts'
import {clusterContainers} from '../docker/containers.ts'
import {containerEngine} from '../docker/engine.ts'
import {ExitCode, KclError} from '../errors.ts'
import {nameConflictCheck} from './cluster-checks.ts'
import {quickComposeCheck} from './compose-checks.ts'
import {daemonCheck, dockerBinaryCheck, probeDaemon, socketCheck} from './docker-checks.ts'
import {listContainers, listNetworks} from '../docker/inventory.ts'
import {hostPortsCheck} from './network-checks.ts'
import {podmanChecks, probePodman} from './podman-checks.ts'
import {fixHint, type CheckResult} from './types.ts'

/**
 * The cheap checks `kcl up` runs before it starts anything: docker, its daemon and socket, compose (or Podman's), names
 * and ports the cluster needs. Throws the first failing check as a KclError (its fix as the hint).
 * A running cluster of the same name passes: its own containers hold its names and ports.
 */
export async function preflight(spec: ClusterSpec, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // The engine listings start with the probes; when the daemon is down their failure is superseded by the daemon check's.
  const settle = <T>(promise: Promise<T>) => promise.then((value) => ({value}), (error: unknown) => ({error}))
  const engine = settle(Promise.all([listContainers(), listNetworks()]))
  const own = settle(clusterContainers(spec.name))
  if (containerEngine(env) === 'podman') {
    throwFirstFailure(podmanChecks(await probePodman(env), spec.basePort))
  } else {
    const [probe, compose] = await Promise.all([probeDaemon(env), quickComposeCheck(env)])
    throwFirstFailure([dockerBinaryCheck(probe), await socketCheck(probe), daemonCheck(probe), compose])
  }
  const listed = await engine
  if ('error' in listed) throw listed.error
  const [rows, networks] = listed.value
  const ownContainers = await own
  const ports = await hostPortsCheck(spec, rows, 'error' in ownContainers ? Promise.reject(ownContainers.error) : Promise.resolve(ownContainers.value))
  throwFirstFailure([nameConflictCheck(spec, rows, networks), ports])
}

function throwFirstFailure(results: (CheckResult | undefined)[]): void {
  const failed = results.find((result) => result?.status === 'fail')
  if (!failed) return
  throw new KclError(failed.detail, {hint: fixHint(failed.fix), exitCode: ExitCode.environment})
}
