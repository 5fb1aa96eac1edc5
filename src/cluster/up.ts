import {detectCompose, runCompose, type ComposeTool} from '../docker/compose.ts'
import {clusterContainers, containerLogTail, type ContainerInfo} from '../docker/containers.ts'
import {DockerFailureError} from '../docker/errors.ts'
import {ExitCode, KclError, usageError} from '../errors.ts'
import {brokerMetadata, clientRoundTrip, describeQuorum, firstAnswer} from '../kafka-client/index.ts'
import {sleep, type ProgressTask} from '../progress.ts'
import {
  DEFAULT_CLUSTER_NAME,
  composeProjectName,
  controllerIds,
  dockerBootstrapServers,
  dockerNetworkName,
  hostBootstrapServers,
  hostPort,
  imageFromEnvironment,
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
import {composeFilePath, forgetCluster, readSpec, saveCluster} from './store.ts'

export const DEFAULT_UP_TIMEOUT_SECONDS = 180
const POLL_MS = 150

export interface UpPlan {
  spec: ClusterSpec
  composeYaml: string
  compose: ComposeTool | undefined
  /** The spec saved by an earlier `kcl up`, when the cluster existed before (so its volumes may hold data). */
  saved: ClusterSpec | undefined
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
  const saved = await readSpec(name)
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
  // yaml (through the renderer) is loaded only by the commands that write compose files.
  const {renderCompose} = await import('./compose-file.ts')
  return {spec, composeYaml: renderCompose(spec, compose?.variant ?? 'v2'), compose, saved}
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
  const native = /-native:[^/]+$/.test(spec.image)
  return new DockerFailureError('image-pull', `Docker could not download the image ${spec.image}: the registry cannot be reached or does not have it.`, {
    hint: native ? `Pull it where a registry can be reached (docker pull ${spec.image}; native images exist from Kafka 3.8.0 on), or run kcl up without --native.` : error.hint,
    exitCode: error.exitCode,
  })
}

/** Polls one broker until it answers on its host port and sees itself registered with the controller. */
async function waitForBroker(spec: ClusterSpec, nodeId: number, deadline: number, abort: AbortSignal): Promise<void> {
  const address = {host: '127.0.0.1', port: hostPort(spec, nodeId)}
  const security = await clusterSecurity(spec)
  for (let attempt = 0; ; attempt++) {
    if (abort.aborted) return
    const metadata = await brokerMetadata(address, 2000, security).catch((error: Error) => error)
    if (!(metadata instanceof Error) && metadata.brokers.some((b) => b.nodeId === nodeId)) return
    // Looking at the container costs a docker call: do it now and then, to fail fast when it died.
    if (attempt % 10 === 9 || Date.now() > deadline) {
      const container = (await clusterContainers(spec.name)).find((c) => c.nodeId === nodeId)
      if (!container || container.state === 'exited' || container.state === 'dead') {
        throw await notReadyError(spec, nodeId, container, container ? `stopped (exit code ${container.exitCode}) while starting` : 'has no container')
      }
      const lastAnswer = metadata instanceof KclError ? ` (last answer: ${metadata.message})` : ''
      if (Date.now() > deadline) throw await notReadyError(spec, nodeId, container, `did not become ready in time${lastAnswer}`)
    }
    await sleep(POLL_MS)
  }
}

async function waitForQuorum(spec: ClusterSpec, deadline: number): Promise<number> {
  const addresses = nodeIds(spec).map((id) => ({host: '127.0.0.1', port: hostPort(spec, id)}))
  const voters = controllerIds(spec).length
  const security = await clusterSecurity(spec)
  for (;;) {
    const quorum = await firstAnswer(addresses, (address) => describeQuorum(address, 2000, security)).catch(() => undefined)
    if (quorum && quorum.leaderId >= 0 && quorum.voters.length === voters) return quorum.leaderId
    if (Date.now() > deadline) {
      throw new KclError('The KRaft controller quorum has no leader.', {
        hint: `Check the controllers' logs (docker logs kcl-${spec.name}-kafka-1-1) and \`kcl doctor\`.`,
        exitCode: ExitCode.environment,
      })
    }
    await sleep(POLL_MS)
  }
}

async function waitForRoundTrip(spec: ClusterSpec, deadline: number): Promise<void> {
  const servers = hostBootstrapServers(spec).split(',')
  const security = await clusterSecurity(spec)
  for (;;) {
    const seen = await clientRoundTrip(servers, 3000, security).catch((error: Error) => error)
    if (Array.isArray(seen) && seen.length === spec.brokers) return
    if (Date.now() > deadline) {
      const why = Array.isArray(seen) ? `it sees ${seen.length} of ${spec.brokers} brokers` : seen.message
      throw new KclError(`A Kafka client cannot use the cluster through localhost: ${why}.`, {
        hint: 'Check that nothing else answers on these ports and that localhost resolves to this machine; `kcl doctor` checks both.',
        exitCode: ExitCode.environment,
      })
    }
    await sleep(POLL_MS)
  }
}

/**
 * The steps of `kcl up` and, once they have run, what to tell the user. Steps: write the compose file,
 * start the containers, then per broker wait until it serves, then the quorum and a client round trip.
 */
export async function upSteps(plan: UpPlan, options: {preflight: Preflight; timeoutSeconds?: number}): Promise<{steps: ProgressTask[]; result: () => UpResult}> {
  const {spec, composeYaml, saved} = plan
  const compose = plan.compose ?? (await detectCompose())
  const project = composeProjectName(spec.name)
  const timeoutMs = (options.timeoutSeconds ?? DEFAULT_UP_TIMEOUT_SECONDS) * 1000
  // A web UI's container (kcl up --ui) carries the cluster's label but no node id.
  const brokerContainers = (await clusterContainers(spec.name)).filter((c) => c.nodeId !== undefined)
  const alreadyRunning =
    saved !== undefined && brokerContainers.length === spec.brokers && brokerContainers.every((c) => c.state === 'running')
  if (alreadyRunning && !sameSpec(saved, spec)) {
    throw usageError(
      `Cluster "${spec.name}" is running with other settings (port ${saved.basePort}, image ${saved.image}, security ${securityOf(saved)}).`,
      `Stop it with \`kcl down --name ${spec.name}\` (data is kept), then run kcl up again with the new flags.`,
    )
  }

  let composeFile = composeFilePath(spec.name)
  let activeController = -1
  let deadline = 0
  const abort = new AbortController()
  const steps: ProgressTask[] = []
  if (!alreadyRunning) {
    steps.push({
      title: 'Check Docker, compose, container names and ports',
      run: async (retitle) => {
        await options.preflight(spec)
        retitle(`Checked Docker, compose, container names and ports ${hostPort(spec, 1)}-${hostPort(spec, spec.brokers)}`)
      },
    })
    steps.push({
      title: `Write compose file (${compose.command.join(' ')} ${compose.version})`,
      run: async (retitle) => {
        composeFile = await saveCluster(spec, composeYaml)
        retitle(`Wrote ${composeFile}`)
      },
    })
    if (securityOf(spec) !== 'plaintext') {
      steps.push({
        title: `Secure the published listener (${securityOf(spec)})`,
        run: async (retitle) => {
          await prepareSecretsVolume(spec)
          retitle(`Secured the published listener (${securityOf(spec)}): ${securedWith(spec)}`)
        },
      })
    }
    steps.push({
      title: `Start ${spec.brokers} Kafka container(s) from ${spec.image}`,
      run: async (retitle) => {
        try {
          await runCompose(compose, {name: project, file: composeFile}, ['up', '--detach'], {timeoutMs})
        } catch (error) {
          // A cluster that never started leaves nothing behind; an existing one keeps its volumes.
          await runCompose(compose, {name: project, file: composeFile}, ['down', ...(saved ? [] : ['--volumes'])]).catch(() => {})
          if (!saved) await forgetCluster(spec.name)
          throw withImageNamed(error, spec)
        }
        retitle(`Started ${spec.brokers} Kafka container(s) from ${spec.image}`)
      },
    })
  }
  if (usesSasl(securityOf(spec))) {
    steps.push({
      title: 'Create the SASL user admin',
      run: async (retitle) => {
        deadline ||= Date.now() + timeoutMs
        const address = {host: '127.0.0.1', port: hostPort(spec, 1)}
        // A running cluster whose user already authenticates needs nothing (a Kafka tool costs seconds).
        if (alreadyRunning && (await brokerMetadata(address, 2000, await clusterSecurity(spec)).then(() => true, () => false))) {
          return retitle('The SASL user admin authenticates (SCRAM-SHA-512 and PLAIN)')
        }
        const first = (await clusterContainers(spec.name)).find((c) => c.nodeId === 1 && c.state === 'running')
        if (!first) throw await notReadyError(spec, 1, undefined, 'is not running')
        await createScramCredentials(spec, first.id, deadline)
        retitle('Created the SASL user admin (SCRAM-SHA-512 and PLAIN)')
      },
    })
  }
  steps.push({
    title: 'Wait for brokers',
    concurrent: nodeIds(spec).map((nodeId) => ({
      title: brokerLabel(spec, nodeId),
      run: async (retitle) => {
        deadline ||= Date.now() + timeoutMs
        try {
          await waitForBroker(spec, nodeId, deadline, abort.signal)
        } catch (error) {
          abort.abort()
          throw error
        }
        retitle(`${brokerLabel(spec, nodeId)}: ready`)
      },
    })),
  })
  steps.push({
    title: 'Controller quorum',
    run: async (retitle) => {
      activeController = await waitForQuorum(spec, deadline)
      retitle(`Controller quorum: node ${activeController} is the active controller`)
    },
  })
  steps.push({
    title: 'Client round trip through localhost',
    run: async (retitle) => {
      await waitForRoundTrip(spec, deadline)
      retitle(`Client round trip through localhost: all ${spec.brokers} broker(s) seen`)
    },
  })
  steps.push({
    title: `Save profile ${spec.name}`,
    run: async (retitle) => {
      await saveProfile(spec.name, await clusterSettings(spec), {cluster: spec.name})
      retitle(`Saved profile ${spec.name} (kcl profile show ${spec.name})`)
    },
  })

  const result = (): UpResult => ({
    name: spec.name,
    brokers: spec.brokers,
    alreadyRunning,
    bootstrapServers: hostBootstrapServers(spec),
    dockerBootstrapServers: dockerBootstrapServers(spec),
    dockerNetwork: dockerNetworkName(spec),
    activeController,
    clusterId: spec.clusterId,
    composeFile,
    exposed: spec.expose,
    webUi: spec.ui ? {name: WEB_UIS[spec.ui].title, url: `http://localhost:${spec.uiPort}/`} : undefined,
    security: securityOf(spec),
  })
  return {steps, result}
}
