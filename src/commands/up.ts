import {Flags} from '@oclif/core'
import {KclCommand} from '../base-command.ts'
import {DEFAULT_UP_TIMEOUT_SECONDS, planUp, upSteps, type UpResult} from '../cluster/up.ts'
import {withClusterLock} from '../cluster/store.ts'
import {DEFAULT_BASE_PORT, DEFAULT_CLUSTER_NAME, DEFAULT_HEAP, KAFKA_VERSION, MAX_BROKERS, OLDEST_KAFKA_VERSION, OLDEST_NATIVE_VERSION, SECURITY_MODES, WEB_UIS, kafkaVersionImage, nativeKafkaImage, validateClusterName, type WebUi} from '../cluster/spec.ts'
import {validateWaitSeconds} from '../cluster/wait-limit.ts'
import {preflight} from '../doctor/preflight.ts'
import {renderUpReady} from '../ui/cluster-report.ts'
import {progressMode, runProgress} from '../ui/progress.ts'

export default class Up extends KclCommand {
  static summary = 'Start a local Kafka cluster and wait until it is ready.'
  static description = `Renders a compose file from kcl's templates (KRaft, no ZooKeeper), starts it with docker compose and waits until every broker serves, the controller quorum has a leader and a client can use the cluster through localhost. Data lives in Docker volumes and survives \`kcl down\`.

Run again on a running cluster to see its addresses; nothing changes. Set KCL_KAFKA_IMAGE (or --image) to use another apache/kafka-compatible image, e.g. from a registry mirror.`
  static examples = [
    {description: 'One broker on localhost:9092', command: '<%= config.bin %> up'},
    {description: 'Three brokers (9092-9094) with a controller quorum of three', command: '<%= config.bin %> up --brokers 3'},
    {description: 'A second cluster beside the first', command: '<%= config.bin %> up --name dev --brokers 3 --port 19092'},
    {description: 'The Kafka release your production runs', command: '<%= config.bin %> up --kafka-version 3.9.1'},
    {description: 'TLS and SASL (SCRAM) on localhost:9092; the profile "local" holds the credentials', command: '<%= config.bin %> up --security sasl_ssl'},
    {description: 'The native image (apache/kafka-native): faster start, less memory', command: '<%= config.bin %> up --brokers 3 --native'},
    {description: 'Show the compose file without starting anything', command: '<%= config.bin %> up --brokers 3 --dry-run'},
    {description: 'With Kafdrop beside the brokers, on localhost:9000', command: '<%= config.bin %> up --brokers 3 --ui kafdrop'},
  ]
  static enableJsonFlag = true
  static flags = {
    brokers: Flags.integer({description: `number of brokers, 1 to ${MAX_BROKERS} [default: 1]`, helpValue: 'N'}),
    name: Flags.string({char: 'n', description: `cluster name [default: ${DEFAULT_CLUSTER_NAME}]`, helpValue: 'NAME'}),
    image: Flags.string({description: 'apache/kafka-compatible image (env: KCL_KAFKA_IMAGE)', helpValue: 'IMAGE', exclusive: ['kafka-version']}),
    'kafka-version': Flags.string({
      description: `Kafka release to run, ${OLDEST_KAFKA_VERSION} or newer: the image apache/kafka:VERSION (repository from env: KCL_KAFKA_REPOSITORY) [default: ${KAFKA_VERSION}]`,
      helpValue: 'VERSION',
    }),
    native: Flags.boolean({
      description: `run the GraalVM native image apache/kafka-native:VERSION (Kafka ${OLDEST_NATIVE_VERSION} or newer): starts in a fraction of the time, in a fraction of the memory; for local use only (no JVM options, serial GC)`,
      exclusive: ['image'],
    }),
    port: Flags.integer({char: 'p', description: `host port of broker 1; broker n gets port + n - 1 [default: ${DEFAULT_BASE_PORT}]`, helpValue: 'PORT'}),
    expose: Flags.boolean({description: 'publish broker ports on all network interfaces, not only 127.0.0.1; --no-expose goes back to 127.0.0.1 only', allowNo: true}),
    heap: Flags.string({description: `Java heap per broker [default: ${DEFAULT_HEAP}]`, helpValue: 'SIZE'}),
    ui: Flags.option({
      options: [...(Object.keys(WEB_UIS) as WebUi[]), 'none'] as const,
      description: 'run a web UI container beside the brokers (its image must be pullable); none removes it',
    })(),
    'ui-port': Flags.integer({description: 'host port of the web UI [default: 9000 for kafdrop, 8080 for kafka-ui]', helpValue: 'PORT'}),
    security: Flags.option({
      options: SECURITY_MODES,
      description:
        'secure the listener published to this machine: plaintext, ssl (TLS, client certificates required), sasl_plaintext or sasl_ssl (user admin, SCRAM-SHA-512 or PLAIN) [default: plaintext]',
      helpValue: 'MODE',
    })(),
    timeout: Flags.integer({description: 'seconds to wait for the cluster to be ready', default: DEFAULT_UP_TIMEOUT_SECONDS, helpValue: 'S'}),
    'dry-run': Flags.boolean({description: 'print the compose file and start nothing'}),
  }

  async run(): Promise<UpResult | {composeFile: string}> {
    const {flags} = await this.parse(Up)
    validateWaitSeconds(flags.timeout)
    const request = {
      name: flags.name,
      brokers: flags.brokers,
      basePort: flags.port,
      image: flags.native
        ? nativeKafkaImage(flags['kafka-version'] ?? KAFKA_VERSION, flags.security)
        : flags['kafka-version'] === undefined
          ? flags.image
          : kafkaVersionImage(flags['kafka-version']),
      expose: flags.expose,
      heap: flags.heap,
      ui: flags.ui,
      uiPort: flags['ui-port'],
      security: flags.security,
    }
    if (flags['dry-run']) {
      const plan = await planUp(request, {dryRun: true})
      if (!this.jsonEnabled()) process.stdout.write(plan.composeYaml)
      return {composeFile: plan.composeYaml}
    }
    const ready = await withClusterLock(validateClusterName(flags.name ?? DEFAULT_CLUSTER_NAME), 'kcl up', async () => {
      const plan = await planUp(request)
      if (plan.adopted) this.logToStderr(plan.adopted)
      if (plan.spec.expose && !this.jsonEnabled()) {
        this.warn('--expose publishes the brokers on every network interface: anyone who can reach this machine can read and write your topics.')
      }
      const {steps, result, interrupted} = await upSteps(plan, {preflight, timeoutSeconds: flags.timeout})
      await runProgress(steps, progressMode(this.jsonEnabled()), interrupted)
      return result()
    })
    if (!this.jsonEnabled()) this.log(renderUpReady(ready))
    return ready
  }
}
