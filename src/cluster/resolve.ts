import {ExitCode, KclError, usageError} from '../errors.ts'
import {CLUSTER_LABEL, containersWithLabel} from '../docker/containers.ts'
import {DEFAULT_CLUSTER_NAME, validateClusterName, type ClusterSpec} from './spec.ts'
import {readSpec, savedClusterNames} from './store.ts'

/** Names of kcl clusters with at least one running container, on this Docker engine. */
export async function runningClusterNames(): Promise<string[]> {
  const containers = await containersWithLabel(CLUSTER_LABEL)
  return [...new Set(containers.filter((c) => c.state === 'running' && c.cluster).map((c) => c.cluster as string))].sort()
}

/**
 * The cluster a command means: --name when given, else the only kcl cluster running, else the only one
 * kcl knows, else the default name (so `kcl up` then `kcl status` just works).
 */
export async function resolveClusterName(name?: string): Promise<string> {
  if (name !== undefined) return validateClusterName(name)
  const running = await runningClusterNames()
  if (running.length > 1) throw severalRunning(running)
  if (running.length === 1) return running[0] as string
  const saved = await savedClusterNames()
  return saved.length === 1 ? (saved[0] as string) : DEFAULT_CLUSTER_NAME
}

function severalRunning(running: string[]) {
  return usageError(`Several kcl clusters are running (${running.join(', ')}).`, `Say which one with --name, e.g. --name ${running[0]}.`)
}

export async function requireSpec(name: string): Promise<ClusterSpec> {
  const spec = await readSpec(name)
  if (!spec) {
    throw new KclError(`There is no kcl cluster named "${name}".`, {hint: `Start one with \`kcl up --name ${name}\`.`, exitCode: ExitCode.notRunning})
  }
  return spec
}
