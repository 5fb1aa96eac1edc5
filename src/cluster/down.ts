import {existsSync} from 'node:fs'
import {detectCompose, runCompose} from '../docker/compose.ts'
import {CLUSTER_LABEL, clusterContainers, namesOfResources} from '../docker/containers.ts'
import {docker} from '../docker/run.ts'
import {ExitCode, KclError} from '../errors.ts'
import {poll} from '../poll.ts'
import {interruptedBy, type LeftState, type StopSignal} from '../interrupt.ts'
import {deleteProfile, readProfile} from '../profile/store.ts'
import {composeProjectName} from './spec.ts'
import {clusterVolumes} from './existing.ts'
import {composeFilePath, forgetCluster, readSpec, saveCluster, withClusterLock} from './store.ts'

export interface DownResult {
  name: string
  removedContainers: number
  /** Volumes deleted (with --volumes) or kept (without). */
  removedVolumes: string[]
  keptVolumes: string[]
}

/**
 * Removes a cluster's containers and network. Its volumes, and so its topics and messages, stay unless
 * `volumes` is set; then kcl also forgets the cluster. Anything labelled as the cluster's that compose
 * did not remove (e.g. left by an interrupted run) is swept up by label.
 */
export function downCluster(name: string, options: {volumes: boolean}): Promise<DownResult> {
  return withClusterLock(name, 'kcl down', () => down(name, options))
}

/** The cluster's volumes: those labelled as its, and its broker data volumes by name (made by hand or an older kcl). */
async function volumesOf(name: string): Promise<string[]> {
  const [labelled, {all}] = await Promise.all([namesOfResources('volume', `${CLUSTER_LABEL}=${name}`), clusterVolumes(name)])
  return [...new Set([...labelled, ...all])].sort()
}

async function down(name: string, options: {volumes: boolean}): Promise<DownResult> {
  const label = `${CLUSTER_LABEL}=${name}`
  const spec = await readSpec(name)
  const containers = await clusterContainers(name)
  const volumesBefore = await volumesOf(name)
  if (!spec && containers.length === 0 && volumesBefore.length === 0) {
    throw new KclError(`There is no kcl cluster named "${name}".`, {hint: 'See what exists with `kcl status`.', exitCode: ExitCode.notRunning})
  }

  if (spec) {
    const compose = await detectCompose()
    const file = composeFilePath(name)
    if (!existsSync(file)) await saveCluster(spec, (await import('./compose-file.ts')).renderCompose(spec, compose.variant))
    try {
      await runCompose(compose, {name: composeProjectName(name), file}, ['down', ...(options.volumes ? ['--volumes'] : [])], {timeoutMs: 180_000})
    } catch (error) {
      // Docker 20.10 may still hold a removed container's endpoint when compose removes the network: the sweep below finishes.
      if (!hasActiveEndpoints(error)) throw error
    }
  }
  const leftovers = (await clusterContainers(name)).map((c) => c.id)
  if (leftovers.length > 0) await docker(['rm', '--force', ...leftovers], {timeoutMs: 120_000})
  const networks = await namesOfResources('network', label)
  if (networks.length > 0) await removeNetworks(networks)

  let removedVolumes: string[] = []
  if (options.volumes) {
    const remaining = await volumesOf(name)
    if (remaining.length > 0) await docker(['volume', 'rm', ...remaining])
    removedVolumes = volumesBefore
    await forgetCluster(name)
    if ((await readProfile(name))?.cluster === name) await deleteProfile(name)
  }
  return {
    name,
    removedContainers: containers.length,
    removedVolumes,
    keptVolumes: options.volumes ? [] : await volumesOf(name),
  }
}

function hasActiveEndpoints(error: unknown): boolean {
  return error instanceof Error && error.message.includes('has active endpoints')
}

/** Removes the networks, giving the engine up to 10 s to let go of the endpoints of containers just removed. */
async function removeNetworks(networks: string[]): Promise<void> {
  const remove = () => docker(['network', 'rm', ...networks]).then(() => true)
  await poll(
    async () => {
      try {
        return await remove()
      } catch (error) {
        if (hasActiveEndpoints(error)) return undefined
        throw error
      }
    },
    {deadline: performance.now() + 10_000, intervalMs: 500, onTimeout: remove},
  )
}

/** What an interrupted `kcl down` left: the containers it had not removed yet, and the data. */
export async function downLeft(name: string, options: {volumes: boolean}, signal: StopSignal): Promise<LeftState> {
  const label = `${CLUSTER_LABEL}=${name}`
  const [containers, volumes] = await Promise.all([clusterContainers(name), namesOfResources('volume', label)])
  const again = `\`kcl down --name ${name}${options.volumes ? ' --volumes --yes' : ''}\``
  const data = volumes.length === 0 ? 'no volume is left' : options.volumes ? `${volumes.length} volume(s) not deleted yet` : `its data is kept in ${volumes.length} volume(s)`
  return {
    message: `${interruptedBy(signal)}: cluster "${name}" is partly down: ${containers.length} container(s) left, ${data}.`,
    hint: `${again} finishes it.`,
  }
}
