import {existsSync} from 'node:fs'
import type {ComposeVariant} from '../docker/compose.ts'
import {detectCompose, runCompose, type ComposeTool} from '../docker/compose.ts'
import {clusterContainers, containerLogTail, removeClusterNetworks, removeContainers, stopContainers, type ContainerInfo} from '../docker/containers.ts'
import {removeVolumes} from '../docker/volumes.ts'
import {DockerFailureError} from '../docker/errors.ts'
import {ExitCode, KclError, usageError} from '../errors.ts'
import {interruptedBy, throwIfInterrupted, type LeftState, type StopSignal} from '../interrupt.ts'
import {brokerMetadata, clientRoundTrip, describeQuorum, firstAnswer, type BrokerMetadata} from '../kafka-client/index.ts'
import {poll} from '../poll.ts'
import type {ProgressTask} from '../progress.ts'
import {
  brokerAddress,
  DEFAULT_CLUSTER_NAME,
  DEFAULT_IMAGE,
  composeProjectName,
  controllerIds,
  dockerBootstrapServers,
  dockerNetworkName,
  hostBootstrapServers,
  hostServers,
  hostPort,
  imageFromEnvironment,
  isNativeImage,
  nameFlag,
  newClusterSpec,
  nodeIds,
  WEB_UIS,
  webUi,
  securityOf,
  usesSasl,
  validateSpecRequest,
  type ClusterSpec,
  type SecurityMode,
  type SpecRequest,
} from './spec.ts'
import {saveProfile} from '../profile/store.ts'
import {clusterSecurity, clusterSettings, createScramCredentials, prepareSecretsVolume} from './secrets.ts'
import {adoptionOf, clusterVolumes, readDataVolumes} from './existing.ts'
import {kclHome} from '../home.ts'
import {clusterDir, composeFilePath, forgetCluster, forgetPendingSpec, readSpec, saveSpec, specFilePath, writeComposeFile} from './store.ts'

export const DEFAULT_UP_TIMEOUT_SECONDS = 180
const POLL_MS = 150

export interface UpPlan {
  spec: ClusterSpec
  composeYaml: string
  compose: ComposeTool | undefined
  /** The spec saved by an earlier `kcl up`, when the cluster existed before (so its volumes may hold data). */
  saved: ClusterSpec | undefined
  /** What of the cluster existed before this `kcl up` (not known in a dry run), so a failure removes only what it made. */
  before?: {containers: ContainerInfo[]; volumes: string[]; dirExisted: boolean; pending?: ClusterSpec | undefined}
  /** Said on stderr when kcl took the cluster id (and broker count) from data it found in the cluster's volumes. */
  adopted?: string
}

export interface UpResult {
  name: string
  brokers: number
  alreadyRunning: boolean
  bootstrapServers: string
  dockerBootstrapServers: string
  dockerNetwork: string
  activeController: number
  clusterId: string
  composeFile: string
  exposed: boolean
  /** The web UI started beside the brokers (kcl up --ui), and where it is published. */
  webUi: {name: string; url: string} | undefined
  security: SecurityMode
}

/**
 * Throws what stops this machine from running the cluster (Docker, compose, names, ports). The doctor owns these
 * checks and sits above the cluster code (it reads saved clusters), so the caller hands its pre-flight in.
 */
export type Preflight = (spec: ClusterSpec) => Promise<void>

const OVERRIDABLE = ['basePort', 'image', 'expose', 'heap', 'security'] as const

/**
 * Works out the cluster `kcl up` should run: a new spec, or the saved one (with its cluster id, so its
 * volumes still match) plus any changed port, image or heap. A different broker count is refused.
 */
export async function planUp(request: SpecRequest, options: {dryRun?: boolean} = {}): Promise<UpPlan> {
  validateSpecRequest(request)
  const name = request.name ?? DEFAULT_CLUSTER_NAME
  // Without a saved spec, the one of a `kcl up` that was killed is what its containers were made from.
  const pending = await readSpec(name, undefined, 'pending')
  const saved = (await readSpec(name)) ?? pending
  if (saved && request.brokers !== undefined && request.brokers !== saved.brokers) {
    throw usageError(
      `Cluster "${name}" already exists with ${saved.brokers} broker(s); it cannot change to ${request.brokers}.`,
      `Remove it with \`kcl down --name ${name} --volumes\` first, or start a second one: \`kcl up --name ${name}-${request.brokers} --brokers ${request.brokers} --port ${saved.basePort + 100}\`.`,
    )
  }
  let spec: ClusterSpec
  if (saved) {
    spec = {...saved}
    for (const key of OVERRIDABLE) if (request[key] !== undefined) (spec as unknown as Record<string, unknown>)[key] = request[key]
    if (request.image === undefined) spec.image = imageFromEnvironment() ?? spec.image
    delete spec.ui
    delete spec.uiPort
    Object.assign(spec, webUi(request, saved))
  } else {
    spec = newClusterSpec({...request, name})
  }
  // A dry run must work without Docker: render for compose v2 when none can be found.
  const compose = options.dryRun ? await detectCompose().catch(() => undefined) : await detectCompose()
  const found = options.dryRun ? undefined : await existingCluster(request, spec, saved, pending)
  if (found?.adoption) {
    const {brokers, clusterId} = found.adoption
    if (!saved) spec = {...newClusterSpec({...request, name, brokers}), clusterId: clusterId ?? spec.clusterId}
    else if (clusterId) spec.clusterId = clusterId
  }
  // yaml (through the renderer) is loaded only by the commands that write compose files.
  const {renderCompose} = await import('./compose-file.ts')
  return {spec, composeYaml: renderCompose(spec, compose?.variant ?? 'v2'), compose, saved, before: found?.before, adopted: found?.adopted}
}

/**
 * What exists of the cluster in Docker. Its data volumes mean the cluster exists, whatever kcl's files say: their
 * cluster id (and, without a saved spec, their broker count) is used, or the start refused when they cannot be one
 * cluster. A running cluster is trusted as it runs; one running without a saved spec (another KCL_HOME) is refused,
 * as starting it with other settings would restart its brokers.
 */
async function existingCluster(request: SpecRequest, spec: ClusterSpec, saved: ClusterSpec | undefined, pending: ClusterSpec | undefined) {
  const name = spec.name
  const [containers, volumes] = await Promise.all([clusterContainers(name), clusterVolumes(name)])
  const brokers = containers.filter((c) => c.nodeId !== undefined)
  const running = brokers.filter((c) => c.state === 'running')
  if (!saved && running.length > 0) {
    throw usageError(
      `Cluster "${name}" is running, but ${kclHome()} has no saved state for it (it was started with another KCL_HOME or user).`,
      `Use it as it is, or stop it with \`kcl down --name ${name}\` (its data is kept) and run \`kcl up --name ${name}\` again to adopt it here.`,
    )
  }
  const before = {containers, volumes: volumes.all, dirExisted: existsSync(clusterDir(name)), pending}
  if (volumes.data.length === 0 || (saved && running.length === saved.brokers)) return {before}
  const images = [spec.image, process.env.KCL_KAFKA_IMAGE, saved?.image, DEFAULT_IMAGE, ...containers.map((c) => c.image)].filter((i): i is string => !!i)
  const data = await readDataVolumes(name, volumes.data, images)
  const adoption = adoptionOf(name, data, {saved: saved?.brokers, requested: request.brokers})
  const id = adoption.clusterId ? `cluster id ${adoption.clusterId}` : 'not formatted yet'
  const volumeList = data.map((v) => v.volume).join(', ')
  let adopted: string | undefined
  if (!saved) adopted = `Adopting the existing data of cluster "${name}" from its Docker volumes (${volumeList}; ${id}): ${specFilePath(name)} did not exist.`
  else if (adoption.clusterId && adoption.clusterId !== saved.clusterId) {
    adopted = `Adopting the data in the Docker volumes of cluster "${name}" (${id}), not cluster id ${saved.clusterId} as ${specFilePath(name)} says.`
  }
  return {before, adoption, adopted}
}

function sameSpec(a: ClusterSpec, b: ClusterSpec): boolean {
  return OVERRIDABLE.every((key) => (key === 'security' ? securityOf(a) === securityOf(b) : a[key] === b[key])) && a.ui === b.ui && a.uiPort === b.uiPort
}

function securedWith(spec: ClusterSpec): string {
  switch (securityOf(spec)) {
    case 'ssl':
      return 'TLS with client certificates'
    case 'sasl_ssl':
      return 'TLS and SASL'
    default:
      return 'SASL without TLS'
  }
}

function brokerLabel(spec: ClusterSpec, nodeId: number): string {
  return `kafka-${nodeId} (node ${nodeId}) on localhost:${hostPort(spec, nodeId)}`
}

async function notReadyError(spec: ClusterSpec, nodeId: number, container: ContainerInfo | undefined, why: string): Promise<KclError> {
  const logs = container ? await containerLogTail(container.id, 15) : ''
  const shown = logs ? `\nLast log lines of ${container?.name}:\n${logs.split('\n').map((line) => `  ${line}`).join('\n')}` : ''
  const oom = container?.oomKilled ? ' It was killed for lack of memory.' : ''
  return new KclError(`Broker ${nodeId} (kafka-${nodeId}) ${why}.${oom}${shown}`, {
    hint:
      `See everything with \`docker logs ${container?.name ?? `<kafka-${nodeId} container>`}\`, check the machine with \`kcl doctor\`, ` +
      `then retry \`kcl up --name ${spec.name}\` (add --timeout 300 on a slow machine) or start clean with \`kcl down --name ${spec.name} --volumes\`.`,
    exitCode: ExitCode.environment,
  })
}

/** Docker's pull errors do not always say which image (compose v2 names the service): say it, and how to get it. */
function withImageNamed(error: unknown, spec: ClusterSpec): unknown {
  if (!(error instanceof DockerFailureError) || error.kind !== 'image-pull') return error
  const native = isNativeImage(spec.image)
  return new DockerFailureError('image-pull', `Docker could not download the image ${spec.image}: the registry cannot be reached or does not have it.`, {
    hint: native ? `Pull it where a registry can be reached (docker pull ${spec.image}; native images exist from Kafka 3.8.0 on), or run kcl up without --native.` : error.hint,
    exitCode: error.exitCode,
  })
}

/** Polls one broker until it answers on its host port and sees itself registered with the controller. */
async function waitForBroker(spec: ClusterSpec, nodeId: number, deadline: number, abort: AbortSignal, containers: () => Promise<ContainerInfo[]>): Promise<void> {
  const address = brokerAddress(spec, nodeId)
  const security = await clusterSecurity(spec)
  let metadata: BrokerMetadata | Error | undefined
  // Looking at the container costs a docker call: it is done now and then, to fail fast when it died.
  const container = async () => {
    const found = (await containers()).find((c) => c.nodeId === nodeId)
    if (!found || found.state === 'exited' || found.state === 'dead') {
      throw await notReadyError(spec, nodeId, found, found ? `stopped (exit code ${found.exitCode}) while starting` : 'has no container')
    }
    return found
  }
  await poll(
    async (attempt) => {
      if (abort.aborted) return true
      metadata = await brokerMetadata(address, 2000, security).catch((error: Error) => error)
      if (!(metadata instanceof Error) && metadata.brokers.some((b) => b.nodeId === nodeId)) return true
      if (attempt % 10 === 9) await container()
      return undefined
    },
    {
      deadline,
      intervalMs: POLL_MS,
      onTimeout: async () => {
        const lastAnswer = metadata instanceof KclError ? ` (last answer: ${metadata.message})` : ''
        throw await notReadyError(spec, nodeId, await container(), `did not become ready in time${lastAnswer}`)
      },
    },
  )
}

async function waitForQuorum(spec: ClusterSpec, deadline: number): Promise<number> {
  const addresses = nodeIds(spec).map((id) => brokerAddress(spec, id))
  const voters = controllerIds(spec).length
  const security = await clusterSecurity(spec)
  return poll(
    async () => {
      const quorum = await firstAnswer(addresses, (address) => describeQuorum(address, 2000, security)).catch(() => undefined)
      return quorum && quorum.leaderId >= 0 && quorum.voters.length === voters ? quorum.leaderId : undefined
    },
    {
      deadline,
      intervalMs: POLL_MS,
      onTimeout: () => {
        throw new KclError('The KRaft controller quorum has no leader.', {
          hint: `Check the controllers' logs (docker logs kcl-${spec.name}-kafka-1-1) and \`kcl doctor\`.`,
          exitCode: ExitCode.environment,
        })
      },
    },
  )
}

async function waitForRoundTrip(spec: ClusterSpec, deadline: number): Promise<void> {
  const servers = hostServers(spec)
  const security = await clusterSecurity(spec)
  let seen: unknown[] | Error = []
  await poll(
    async () => {
      seen = await clientRoundTrip(servers, 3000, security).catch((error: Error) => error)
      return Array.isArray(seen) && seen.length === spec.brokers ? true : undefined
    },
    {
      deadline,
      intervalMs: POLL_MS,
      onTimeout: () => {
        const why = Array.isArray(seen) ? `it sees ${seen.length} of ${spec.brokers} brokers` : seen.message
        throw new KclError(`A Kafka client cannot use the cluster through localhost: ${why}.`, {
          hint: 'Check that nothing else answers on these ports and that localhost resolves to this machine; `kcl doctor` checks both.',
          exitCode: ExitCode.environment,
        })
      },
    },
  )
}

/**
 * The steps of `kcl up` and, once they have run, what to tell the user. Steps: write the compose file,
 * start the containers, then per broker wait until it serves, then the quorum and a client round trip.
 */
export async function upSteps(
  plan: UpPlan,
  options: {preflight: Preflight; timeoutSeconds?: number},
): Promise<{steps: ProgressTask[]; result: () => UpResult; undo: () => Promise<string>; interrupted: (signal: StopSignal) => Promise<LeftState>}> {
  const up = await upState(plan, options)
  let undone: Promise<string> | undefined
  /** Puts back what was there before this call: removes what it created, stops what it started, restores the compose file. */
  const undo = () => (undone ??= undoUp(plan, up.compose.variant, up.before))
  const secured = securityOf(up.spec) !== 'plaintext'
  const steps = [
    ...(up.alreadyRunning ? [] : [preflightStep(up), writeComposeStep(up), ...(secured ? [secureStep(up)] : []), startStep(up)]),
    ...(usesSasl(securityOf(up.spec)) ? [saslUserStep(up)] : []),
    brokersStep(up),
    quorumStep(up),
    roundTripStep(up),
    saveStep(up),
  ]
  return {steps: steps.map((step) => undoingOnFailure(step, undo)), result: () => upResult(up), undo, interrupted: (signal) => upInterrupted(up, signal, undo)}
}

/** What the steps of `kcl up` share: the plan, what was there before, and what they learn as they run. */
interface UpState {
  plan: UpPlan
  spec: ClusterSpec
  compose: ComposeTool
  preflight: Preflight
  timeoutMs: number
  before: NonNullable<UpPlan['before']>
  alreadyRunning: boolean
  composeFile: string
  activeController: number
  /** When waiting for the brokers gives up (performance.now() clock); set by the first step that waits. */
  deadline: number
  /** Stops the other brokers' waits once one broker failed. */
  abort: AbortController
}

async function upState(plan: UpPlan, options: {preflight: Preflight; timeoutSeconds?: number}): Promise<UpState> {
  const {spec, saved} = plan
  const compose = plan.compose ?? (await detectCompose())
  const before = plan.before ?? {containers: await clusterContainers(spec.name), volumes: (await clusterVolumes(spec.name)).all, dirExisted: existsSync(clusterDir(spec.name))}
  // A web UI's container (kcl up --ui) carries the cluster's label but no node id.
  const brokerContainers = before.containers.filter((c) => c.nodeId !== undefined)
  const alreadyRunning =
    saved !== undefined && brokerContainers.length === spec.brokers && brokerContainers.every((c) => c.state === 'running')
  // Compose would recreate running brokers whose settings changed: kcl never stops what was running.
  if (saved && brokerContainers.some((c) => c.state === 'running') && !sameSpec(saved, spec)) {
    throw usageError(
      `Cluster "${spec.name}" is running with other settings (port ${saved.basePort}, image ${saved.image}, security ${securityOf(saved)}).`,
      `Stop it with \`kcl down --name ${spec.name}\` (data is kept), then run kcl up again with the new flags.`,
    )
  }
  return {
    plan,
    spec,
    compose,
    preflight: options.preflight,
    timeoutMs: (options.timeoutSeconds ?? DEFAULT_UP_TIMEOUT_SECONDS) * 1000,
    before,
    alreadyRunning,
    composeFile: composeFilePath(spec.name),
    activeController: -1,
    deadline: 0,
    abort: new AbortController(),
  }
}

/** The deadline of the waits, started by the first step that waits for Kafka. */
function waitDeadline(up: UpState): number {
  up.deadline ||= performance.now() + up.timeoutMs
  return up.deadline
}

function preflightStep(up: UpState): ProgressTask {
  const {spec} = up
  return {
    title: 'Check Docker, compose, container names and ports',
    run: async (retitle) => {
      await up.preflight(spec)
      retitle(`Checked Docker, compose, container names and ports ${hostPort(spec, 1)}-${hostPort(spec, spec.brokers)}`)
    },
  }
}

function writeComposeStep(up: UpState): ProgressTask {
  return {
    title: `Write compose file (${up.compose.command.join(' ')} ${up.compose.version})`,
    run: async (retitle) => {
      await saveSpec(up.spec, undefined, 'pending')
      up.composeFile = await writeComposeFile(up.spec.name, up.plan.composeYaml)
      retitle(`Wrote ${up.composeFile}`)
    },
  }
}

function secureStep({spec}: UpState): ProgressTask {
  return {
    title: `Secure the published listener (${securityOf(spec)})`,
    run: async (retitle) => {
      await prepareSecretsVolume(spec)
      retitle(`Secured the published listener (${securityOf(spec)}): ${securedWith(spec)}`)
    },
  }
}

function startStep(up: UpState): ProgressTask {
  const {spec} = up
  return {
    title: `Start ${spec.brokers} Kafka container(s) from ${spec.image}`,
    run: async (retitle) => {
      try {
        await runCompose(up.compose, {name: composeProjectName(spec.name), file: up.composeFile}, ['up', '--detach'], {timeoutMs: up.timeoutMs})
      } catch (error) {
        throw withImageNamed(error, spec)
      }
      retitle(`Started ${spec.brokers} Kafka container(s) from ${spec.image}`)
    },
  }
}

function saslUserStep(up: UpState): ProgressTask {
  const {spec} = up
  return {
    title: 'Create the SASL user admin',
    run: async (retitle) => {
      const deadline = waitDeadline(up)
      // A running cluster whose user already authenticates needs nothing (a Kafka tool costs seconds).
      if (up.alreadyRunning && (await brokerMetadata(brokerAddress(spec, 1), 2000, await clusterSecurity(spec)).then(() => true, () => false))) {
        return retitle('The SASL user admin authenticates (SCRAM-SHA-512 and PLAIN)')
      }
      const first = (await clusterContainers(spec.name)).find((c) => c.nodeId === 1 && c.state === 'running')
      if (!first) throw await notReadyError(spec, 1, undefined, 'is not running')
      await createScramCredentials(spec, first.id, deadline)
      retitle('Created the SASL user admin (SCRAM-SHA-512 and PLAIN)')
    },
  }
}

/**
 * The cluster's containers, shared by the brokers' waits: one `docker ps` and `docker inspect` a second at most,
 * instead of one pair per broker, whose CPU the starting JVMs would lose.
 */
function sharedContainerList(name: string): () => Promise<ContainerInfo[]> {
  let last: {at: number; list: Promise<ContainerInfo[]>} | undefined
  return () => {
    const now = performance.now()
    if (!last || now - last.at > 1000) last = {at: now, list: clusterContainers(name)}
    return last.list
  }
}

function brokersStep(up: UpState): ProgressTask {
  const {spec} = up
  const containers = sharedContainerList(spec.name)
  return {
    title: 'Wait for brokers',
    concurrent: nodeIds(spec).map((nodeId) => ({
      title: brokerLabel(spec, nodeId),
      run: async (retitle) => {
        try {
          await waitForBroker(spec, nodeId, waitDeadline(up), up.abort.signal, containers)
        } catch (error) {
          up.abort.abort()
          throw error
        }
        retitle(`${brokerLabel(spec, nodeId)}: ready`)
      },
    })),
  }
}

function quorumStep(up: UpState): ProgressTask {
  return {
    title: 'Controller quorum',
    run: async (retitle) => {
      up.activeController = await waitForQuorum(up.spec, up.deadline)
      retitle(`Controller quorum: node ${up.activeController} is the active controller`)
    },
  }
}

function roundTripStep(up: UpState): ProgressTask {
  const {spec} = up
  return {
    title: 'Client round trip through localhost',
    run: async (retitle) => {
      await waitForRoundTrip(spec, up.deadline)
      retitle(`Client round trip through localhost: all ${spec.brokers} broker(s) seen`)
    },
  }
}

function saveStep({spec}: UpState): ProgressTask {
  return {
    title: `Save cluster ${spec.name} and its profile`,
    run: async (retitle) => {
      // Only now, with the cluster up, does its saved spec change.
      await saveSpec(spec)
      await saveProfile(spec.name, await clusterSettings(spec), {cluster: spec.name})
      retitle(`Saved profile ${spec.name} (kcl profile show ${spec.name})`)
    },
  }
}

function upResult(up: UpState): UpResult {
  const {spec} = up
  return {
    name: spec.name,
    brokers: spec.brokers,
    alreadyRunning: up.alreadyRunning,
    bootstrapServers: hostBootstrapServers(spec),
    dockerBootstrapServers: dockerBootstrapServers(spec),
    dockerNetwork: dockerNetworkName(spec),
    activeController: up.activeController,
    clusterId: spec.clusterId,
    composeFile: up.composeFile,
    exposed: spec.expose,
    webUi: spec.ui ? {name: WEB_UIS[spec.ui].title, url: `http://localhost:${spec.uiPort}/`} : undefined,
    security: securityOf(spec),
  }
}

/** After Ctrl-C or SIGTERM: this call undone, as after a failure, then what is there now. */
async function upInterrupted(up: UpState, signal: StopSignal, undo: () => Promise<string>): Promise<LeftState> {
  const {spec} = up
  const by = interruptedBy(signal)
  const again = `\`kcl up${nameFlag(spec)}\``
  if (up.alreadyRunning) return {message: `${by}: cluster "${spec.name}" was already running and still is; nothing changed.`}
  await undo()
  const [containers, volumes] = await Promise.all([clusterContainers(spec.name), clusterVolumes(spec.name)])
  if (up.plan.saved || up.before.volumes.length > 0) {
    return {message: `${by}: cluster "${spec.name}" is stopped; its data is kept in ${volumes.all.length} volume(s).`, hint: `${again} starts it.`}
  }
  if (containers.length + volumes.all.length === 0) return {message: `${by}: cluster "${spec.name}" was not created; nothing of it is left.`, hint: `${again} creates it.`}
  return {
    message: `${by}: cluster "${spec.name}" was not created, but ${containers.length} container(s) and ${volumes.all.length} volume(s) of it are left.`,
    hint: `\`kcl down${nameFlag(spec)} --volumes --yes\` removes them.`,
  }
}

/** The step, and every step under it, undoes the whole `kcl up` when it fails, and says so in the error's hint. */
function undoingOnFailure(step: ProgressTask, undo: () => Promise<string>): ProgressTask {
  const run = step.run
  return {
    ...step,
    run: run && (async (retitle) => {
      try {
        await run(retitle)
      } catch (error) {
        throwIfInterrupted() // an interrupted up is undone by its interrupt handler (`interrupted` above)
        const undone = await undo().catch((failure: Error) => `kcl could not undo everything this kcl up did: ${failure.message}`)
        const known = error instanceof KclError ? error : undefined
        throw new KclError((error as Error).message, {hint: [known?.hint, undone].filter(Boolean).join(' '), exitCode: known?.exitCode, cause: error})
      }
    }),
    concurrent: step.concurrent?.map((sub) => undoingOnFailure(sub, undo)),
  }
}

/**
 * Undoes a failed `kcl up`: removes the containers and volumes it created, stops the containers it started, removes
 * the network once no container is left, and restores the cluster's files. Never touches volumes or running brokers
 * that were there before. Returns what it did, for the user.
 */
async function undoUp(plan: UpPlan, variant: ComposeVariant, before: NonNullable<UpPlan['before']>): Promise<string> {
  const {spec, saved} = plan
  const was = new Map(before.containers.map((c) => [c.id, c]))
  const now = await clusterContainers(spec.name)
  const created = now.filter((c) => !was.has(c.id))
  const started = now.filter((c) => c.state === 'running' && was.has(c.id) && was.get(c.id)?.state !== 'running')
  await stopContainers(started.map((c) => c.id))
  await removeContainers(created.map((c) => c.id))
  const createdVolumes = (await clusterVolumes(spec.name)).all.filter((volume) => !before.volumes.includes(volume))
  await removeVolumes(createdVolumes)
  if (created.length === now.length) await removeClusterNetworks(spec.name)
  if (!before.dirExisted) await forgetCluster(spec.name)
  else if (before.pending) await saveSpec(before.pending, undefined, 'pending')
  else await forgetPendingSpec(spec.name)
  if (before.dirExisted && saved) await writeComposeFile(spec.name, (await import('./compose-file.ts')).renderCompose(saved, variant))
  const kept = before.volumes.length > 0 ? ` Its existing volumes are untouched (${before.volumes.join(', ')}).` : ''
  const did = [
    created.length > 0 ? `removed the ${created.length} container(s) it created` : '',
    createdVolumes.length > 0 ? `removed the ${createdVolumes.length} volume(s) it created` : '',
    started.length > 0 ? `stopped the ${started.length} container(s) it started` : '',
  ].filter(Boolean)
  if (did.length === 0 && !kept) return ''
  return `${did.length > 0 ? `This kcl up was undone: ${did.join(', ')}` : 'This kcl up changed nothing'}; the saved state is as it was.${kept}`
}
