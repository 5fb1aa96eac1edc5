import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {createServer as createHttpServer} from 'node:http'
import {mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {execa} from 'execa'
import {Metadata} from '../../src/kafka-client/protocol/messages/index.ts'
import {metadataFor, startFakeBroker, startRawServer} from '../support/fake-broker.ts'
import {kcl, tempKclHome} from '../support/kcl.ts'

// Bad input, table-driven: each case is one kcl command line that must fail with exactly one clear line (an
// optional "Try this:" hint below it, and for oclif's parse errors the usage after a blank line), a non-zero
// exit, no stack trace, nothing on stdout, and no unclassified error (the ones that suggest KCL_DEBUG). Nothing
// may change: kcl's files, the Docker containers and volumes, and the shared cluster's topics, records, configs
// and groups are compared before and after all cases. Most cases need no cluster; the rest share one broker.
// Cases run 6 at a time: each is its own kcl process.
const HOME = tempKclHome()
const CLUSTER = {name: 'bi-shared', port: 26350}
const B = ['-b', `localhost:${CLUSTER.port}`]
const N = ['--name', CLUSTER.name]
// One line per message however long: oclif wraps errors to the terminal's width.
const ENV = {KCL_HOME: HOME, OCLIF_COLUMNS: '1000'}
const FILES = join(HOME, 'bad-files')

const closing: (() => Promise<unknown>)[] = []
after(() => Promise.all(closing.map((close) => close())))

interface Case {
  /** What is wrong, as the test's name. */
  what: string
  args: string[] | (() => string[])
  /** The error line must match this. */
  error: RegExp
  input?: string
  env?: Record<string, string | undefined>
  /** Lines before the error that are allowed (progress notices on stderr), e.g. a leaderless partition's wait. */
  notices?: RegExp
  /** The exit code, when it is not just "not 0". */
  exit?: number
}

const write = (name: string, content: string | Buffer): string => {
  const file = join(FILES, name)
  writeFileSync(file, content)
  return file
}

/** Addresses of servers on loopback that are not Kafka, or a Kafka that lies, set up before the cases run. */
const servers = {http: '', garbage: '', silentClose: '', leaderless: ''}

// -- cases that need no cluster ----------------------------------------------------------------------------------

const offline: Case[] = [
  // kcl up: names, numbers, images, flags (nothing starts: the checks come first)
  {what: 'up: 0 brokers', args: ['up', '--brokers', '0'], error: /--brokers must be a whole number from 1 to 9, not 0/},
  {what: 'up: 10 brokers', args: ['up', '--brokers', '10'], error: /--brokers must be a whole number from 1 to 9, not 10/},
  {what: 'up: a name with a space', args: ['up', '--name', 'Not Valid'], error: /"Not Valid" is not a valid cluster name/},
  {what: 'up: a name too long', args: ['up', '--name', 'a'.repeat(41)], error: /is not a valid cluster name/},
  {what: 'up: a name with a slash', args: ['up', '--name', '../etc'], error: /"\.\.\/etc" is not a valid cluster name/},
  {what: 'up: port above 65535', args: ['up', '--port', '70000'], error: /--port must be a whole number from 1024 to 65535/},
  {what: 'up: port near 65535 with 3 brokers', args: ['up', '--brokers', '3', '--port', '65534'], error: /--port must be a whole number from 1024 to 65533 for 3 broker\(s\), not 65534/},
  {what: 'up: a privileged port', args: ['up', '--port', '80'], error: /--port must be a whole number from 1024/},
  {what: 'up: a port that is not a number', args: ['up', '--port', 'abc'], error: /Parsing --port: Expected an integer but received: abc/},
  {what: 'up: --timeout -1', args: ['up', '--timeout', '-1'], error: /--timeout must be a whole number of seconds from 1 to 3600, not -1/},
  {what: 'up: --timeout 0', args: ['up', '--timeout', '0'], error: /--timeout must be a whole number of seconds from 1 to 3600, not 0/},
  {what: 'up: a huge --timeout', args: ['up', '--timeout', '99999999999'], error: /--timeout must be a whole number of seconds from 1 to 3600/},
  {what: 'up: an image reference with a space', args: ['up', '--image', 'bad image'], error: /"bad image" is not a Docker image reference/},
  {what: 'up: KCL_KAFKA_IMAGE that is no image', args: ['up', '--name', 'bi-new', '--dry-run'], env: {KCL_KAFKA_IMAGE: 'Bad Image'}, error: /KCL_KAFKA_IMAGE="Bad Image" is not a Docker image reference/},
  {what: 'up: a heap size without a unit', args: ['up', '--heap', '512'], error: /--heap/},
  {what: 'up: an unknown web UI', args: ['up', '--ui', 'nosuch'], error: /Expected --ui=nosuch to be one of: kafdrop, kafka-ui, none/},
  {what: 'up: a privileged web UI port', args: ['up', '--ui', 'kafdrop', '--ui-port', '80'], error: /--ui-port/},
  {what: 'up: an unknown security mode', args: ['up', '--security', 'tls13'], error: /Expected --security=tls13 to be one of/},
  {what: 'up: a Kafka release older than 3.7', args: ['up', '--kafka-version', '2.8.0'], error: /Kafka 2\.8\.0 is older than kcl can run/},
  {what: 'up: a Kafka version that is no version', args: ['up', '--kafka-version', 'latest!'], error: /latest!/},
  {what: 'up: --image and --kafka-version together', args: ['up', '--image', 'apache/kafka:4.0.0', '--kafka-version', '4.0.0'], error: /cannot also be provided when using/},
  {what: 'up: an unknown flag', args: ['up', '--bogus'], error: /Nonexistent flag: --bogus/},
  {what: 'an unknown command', args: ['nosuch'], error: /command nosuch not found/},
  {what: 'status of a cluster that does not exist', args: ['status', '--name', 'bi-nosuch'], error: /There is no kcl cluster named "bi-nosuch"/, exit: 4},
  {what: 'down of a cluster that does not exist', args: ['down', '--name', 'bi-nosuch'], error: /There is no kcl cluster named "bi-nosuch"/, exit: 4},
  {what: 'down with a bad name', args: ['down', '--name', 'Bad Name'], error: /"Bad Name" is not a valid cluster name/},
  {what: 'doctor for 0 brokers', args: ['doctor', '--brokers', '0'], error: /--brokers must be a whole number from 1 to 9, not 0/},
  {what: 'cluster restore with --timeout 0', args: ['cluster', 'restore', '--timeout', '0', ...N], error: /--timeout must be a whole number of seconds from 1 to 3600, not 0/},
  {what: 'broker stop of a broker id that is no number', args: ['broker', 'stop', 'abc', ...N], error: /"abc" is not a broker id: give its node id, a whole number from 1/},
  {what: 'broker start of broker 0', args: ['broker', 'start', '0', ...N], error: /"0" is not a broker id/},
  {what: 'completion for an unknown shell', args: ['completion', 'nosh'], error: /Expected nosh to be one of: bash, zsh, fish, powershell/},

  // where to connect
  {what: '-b with port 0', args: ['topic', 'list', '-b', 'localhost:0'], error: /--bootstrap-server must be host:port\[,host:port…\]; "localhost:0" is not/},
  {what: '-b with port 99999', args: ['topic', 'list', '-b', 'localhost:99999'], error: /"localhost:99999" is not/},
  {what: '-b without a port', args: ['topic', 'list', '-b', 'localhost'], error: /"localhost" is not/},
  {what: '-b without a host', args: ['topic', 'list', '-b', ':9092'], error: /":9092" is not/},
  {what: '-b with a URL', args: ['topic', 'list', '-b', 'http://localhost:9092'], error: /"http:\/\/localhost:9092" is not/},
  {what: 'KCL_BOOTSTRAP_SERVER that is no address', args: ['topic', 'list'], env: {KCL_BOOTSTRAP_SERVER: 'not an address'}, error: /KCL_BOOTSTRAP_SERVER must be host:port/},
  {what: 'a port nothing listens on', args: ['topic', 'list', '-b', 'localhost:1'], error: /Cannot reach Kafka at localhost:1 \(connection refused\)/, exit: 3},
  {what: 'an HTTP server on the bootstrap port', args: () => ['topic', 'list', '-b', servers.http], error: /is not a Kafka broker \(it answered with HTTP\)/, exit: 3},
  {what: 'a server that answers random bytes', args: () => ['topic', 'list', '-b', servers.garbage], error: /is not a Kafka broker \(it answered with text: "garbage!…"\)/, exit: 3},
  {what: 'a server that closes every connection', args: () => ['topic', 'list', '-b', servers.silentClose], error: /closed the connection/, exit: 3},
  {what: 'an unknown profile', args: ['topic', 'list', '--profile', 'nosuch'], error: /There is no profile named "nosuch"/},
  {what: 'KCL_PROFILE naming no profile', args: ['topic', 'list'], env: {KCL_PROFILE: 'nosuch'}, error: /There is no profile named "nosuch"/},
  {what: 'profile use of an unknown profile', args: ['profile', 'use', 'nosuch'], error: /There is no profile named "nosuch"/},
  {what: 'profile show of an unknown profile', args: ['profile', 'show', 'nosuch'], error: /There is no profile named "nosuch"/},
  {what: 'profile delete of an unknown profile', args: ['profile', 'delete', 'nosuch'], error: /There is no profile named "nosuch"/},
  {what: 'profile create with a bad name', args: ['profile', 'create', 'Bad Name', '-b', 'localhost:9092'], error: /"Bad Name" is not a valid profile name/},
  {what: 'profile create without servers', args: ['profile', 'create', 'bi-empty'], error: /bootstrap servers/},
  {what: '--command-config that does not exist', args: ['topic', 'list', '--command-config', '/nonexistent/client.properties'], error: /Cannot read the --command-config file \/nonexistent\/client.properties: ENOENT/},
  {what: '--command-config that is a directory', args: () => ['topic', 'list', '--command-config', FILES], error: /Cannot read the --command-config file .*: EISDIR/},
  {what: '--command-config with an unknown security.protocol', args: () => ['topic', 'list', '--command-config', join(FILES, 'bogus.properties')], error: /cannot honour these settings of .*security\.protocol=BOGUS/},
  {what: '--command-config with binary garbage', args: () => ['topic', 'list', '--command-config', join(FILES, 'garbage.properties')], error: /cannot honour these settings/},
  {what: '--tls-ca that is not PEM', args: () => ['topic', 'list', '--tls-ca', join(FILES, 'bogus.properties'), '-b', 'localhost:1'], error: /is not a PEM file/},
  {what: '--tls-ca that does not exist', args: ['topic', 'list', '--tls-ca', '/nonexistent/ca.pem', '-b', 'localhost:1'], error: /\/nonexistent\/ca\.pem/},
  {what: 'an unknown SASL mechanism', args: ['topic', 'list', '--sasl-mechanism', 'kerberos', '-b', 'localhost:1'], error: /Expected --sasl-mechanism=kerberos to be one of/},

  // produce: flags that cannot go together, numbers, headers (checked before anything is sent)
  {what: 'produce: --key and --key-separator', args: ['produce', 't', 'x', '--key', 'k', '--key-separator', ':', '-b', 'localhost:1'], error: /--key and --key-separator cannot be used together/},
  {what: 'produce: --input json with --key', args: ['produce', 't', '--input', 'json', '--key', 'k', '-b', 'localhost:1'], error: /--input json reads keys from the JSON lines/},
  {what: 'produce: an empty --key-separator', args: ['produce', 't', '--key-separator', '', '-b', 'localhost:1'], error: /--key-separator cannot be empty/},
  {what: 'produce: --generate 0', args: ['produce', 't', '--generate', '0', '-b', 'localhost:1'], error: /--generate must be 1 or more, not 0/},
  {what: 'produce: --generate with messages', args: ['produce', 't', 'x', '--generate', '5', '-b', 'localhost:1'], error: /Give either messages or --generate, not both/},
  {what: 'produce: --rate without --generate', args: ['produce', 't', '--rate', '5', '-b', 'localhost:1'], error: /--rate only applies to --generate/},
  {what: 'produce: --rate 0', args: ['produce', 't', '--generate', '5', '--rate', '0', '-b', 'localhost:1'], error: /--rate must be above 0, not 0/},
  {what: 'produce: --partition -1', args: ['produce', 't', 'x', '--partition', '-1', '-b', 'localhost:1'], error: /--partition must be 0 or more, not -1/},
  {what: 'produce: --acks 2', args: ['produce', 't', 'x', '--acks', '2'], error: /Expected --acks=2 to be one of: all, 1, 0/},
  {what: 'produce: --compression brotli', args: ['produce', 't', 'x', '--compression', 'brotli'], error: /Expected --compression=brotli to be one of/},
  {what: 'produce: a topic name with a space', args: ['produce', 'bad name', 'x', '-b', 'localhost:1'], error: /contains " "/},
  {what: 'produce: no topic', args: ['produce'], error: /Missing 1 required arg: topic/},

  // consume
  {what: 'consume: --max-messages 0', args: ['consume', 't', '--max-messages', '0', '-b', 'localhost:1'], error: /--max-messages must be 1 or more, not 0/},
  {what: 'consume: --partition -1', args: ['consume', 't', '--partition', '-1', '-b', 'localhost:1'], error: /--partition must be 0 or more, not -1/},
  {what: 'consume: --group with --partition', args: ['consume', 't', '--group', 'g', '--partition', '0', '-b', 'localhost:1'], error: /--partition cannot be used with --group/},
  {what: 'consume: an empty --group', args: ['consume', 't', '--group', ' ', '-b', 'localhost:1'], error: /--group cannot be empty/},
  {what: 'consume: --group-protocol without --group', args: ['consume', 't', '--group-protocol', 'classic', '-b', 'localhost:1'], error: /--group-protocol only applies with --group/},
  {what: 'consume: --format with --output json', args: ['consume', 't', '--format', '%v', '--output', 'json', '-b', 'localhost:1'], error: /--format and --output json\/raw cannot be used together/},
  {what: 'consume: an unknown --format field', args: ['consume', 't', '--format', '%z', '-b', 'localhost:1'], error: /--format has an unknown field "%z"/},
  {what: 'consume: the last -0 records', args: ['consume', 't', '--from', '-0', '-b', 'localhost:1'], error: /--from "-0" is not a position/},
  {what: 'consume: --max-messages -3', args: ['consume', 't', '--max-messages', '-3', '-b', 'localhost:1'], error: /--max-messages must be 1 or more, not -3/},
  {what: 'ui on port 70000', args: ['ui', '--port', '70000', '--no-open', '-b', 'localhost:1'], error: /--port must be 0 to 65535, not 70000/},
  {what: 'produce: --rate -5', args: ['produce', 't', '--generate', '5', '--rate', '-5', '-b', 'localhost:1'], error: /--rate must be above 0, not -5/},
  {what: 'SASL user without a mechanism', args: ['topic', 'list', '--sasl-username', 'u', '-b', 'localhost:1'], error: /A SASL user name or password was given without a mechanism/},
  {what: 'a client key without its certificate', args: ['topic', 'list', '--tls-key', '/tmp/key.pem', '-b', 'localhost:1'], error: /Mutual TLS needs both --tls-cert and --tls-key/},
  {what: 'a profile with a bad address', args: ['profile', 'create', 'bi-p', '-b', 'bad host'], error: /"bad host" is not/},
  {what: 'group reset without --topic and --to', args: ['group', 'reset', 'g', '-b', 'localhost:1'], error: /Missing required flag/},
  {what: 'consume: an unknown --output', args: ['consume', 't', '--output', 'xml'], error: /Expected --output=xml to be one of: text, json, raw/},
  {what: 'consume: a topic name of 250 characters', args: ['consume', 'x'.repeat(250), '-b', 'localhost:1'], error: /at most 249/},

  // topic create
  {what: 'topic create: a name with a space', args: ['topic', 'create', 'bad name', '-b', 'localhost:1'], error: /contains " "/},
  {what: 'topic create: ..', args: ['topic', 'create', '..', '-b', 'localhost:1'], error: /cannot be a topic name/},
  {what: 'topic create: 0 partitions', args: ['topic', 'create', 'p0', '--partitions', '0', '-b', 'localhost:1'], error: /--partitions must be from 1 to 10000, not 0/},
  {what: 'topic create: 100 billion partitions', args: ['topic', 'create', 'p0', '--partitions', '99999999999', '-b', 'localhost:1'], error: /--partitions must be from 1 to 10000, not 99999999999/},
  {what: 'topic create: replication factor 0', args: ['topic', 'create', 'p0', '--replication-factor', '0', '-b', 'localhost:1'], error: /--replication-factor must be 1 or more, not 0/},
  {what: 'topic create: partitions that are no number', args: ['topic', 'create', 'p0', '--partitions', 'many'], error: /Parsing --partitions: Expected an integer but received: many/},
  {what: 'topic create: a --config without =', args: ['topic', 'create', 'cfg', '--config', 'retention.ms', '-b', 'localhost:1'], error: /not key=value/},
  {what: 'group reset: a position that is none', args: ['group', 'reset', 'g', '--topic', 't', '--to', 'middle', '-b', 'localhost:1'], error: /--to "middle" is not a position/},
]

// -- cases on the shared cluster ----------------------------------------------------------------------------------

const online: Case[] = [
  {what: 'topic create: replication factor above the brokers', args: ['topic', 'create', 'bi-rf3', '--replication-factor', '3', ...B], error: /more than the 1 broker/},
  {what: 'topic create: an unknown config', args: ['topic', 'create', 'bi-cfg', '--config', 'no.such.config=1', ...B], error: /rejected a topic config/},
  {what: 'topic create: a topic that exists', args: ['topic', 'create', 'bi-t', ...B], error: /Topic "bi-t" already exists/},
  {what: 'topic describe: no such topic', args: ['topic', 'describe', 'bi-nosuch', ...B], error: /does not exist/},
  {what: 'topic delete: no such topic', args: ['topic', 'delete', 'bi-nosuch', '--yes', ...B], error: /does not exist/},
  {what: 'topic delete without --yes off a terminal', args: ['topic', 'delete', 'bi-t', ...B], input: '', error: /without confirmation/},
  {what: 'produce: no such topic', args: ['produce', 'bi-nosuch', 'x', ...B], error: /Topic "bi-nosuch" does not exist/},
  {what: 'produce: a partition the topic does not have', args: ['produce', 'bi-t', 'x', '--partition', '9', ...B], error: /has partitions 0 to 1; there is no partition 9/},
  {what: 'produce: a header without =', args: ['produce', 'bi-t', 'x', '--header', 'novalue', ...B], error: /--header "novalue" is not key=value/},
  {what: 'produce: a header without a name', args: ['produce', 'bi-t', 'x', '--header', '=v', ...B], error: /--header "=v" is not key=value/},
  {what: 'produce: JSON input with a broken line 2 (line 1 not sent either)', args: ['produce', 'bi-t', '--input', 'json', ...B], input: '{"value":"fine"}\n{"value": oops}\n', error: /Line 2 is not valid JSON/},
  {what: 'produce: JSON headers that are a string', args: ['produce', 'bi-t', '--input', 'json', ...B], input: '{"value":"v","headers":"h"}\n', error: /Line 1: "headers" must be a list of \[name, value\] pairs/},
  {what: 'produce: a line over max.message.bytes', args: ['produce', 'bi-small', ...B], input: 'x'.repeat(5000), error: /Line 1 is \d+ bytes; topic "bi-small" accepts at most 2000/},
  {what: 'produce: a line without a newline that grows without limit', args: ['produce', 'bi-small', ...B], input: 'y'.repeat(300_000), error: /Line 1 is already over \d+ bytes; topic "bi-small"/},
  {what: 'produce: a message argument over max.message.bytes', args: ['produce', 'bi-small', 'z'.repeat(3000), ...B], error: /Message 1 is \d+ bytes; topic "bi-small" accepts at most 2000/},
  {what: 'consume: no such topic', args: ['consume', 'bi-nosuch', '--exit-at-end', ...B], error: /Topic "bi-nosuch" does not exist/},
  {what: 'consume: a position that is none', args: ['consume', 'bi-t', '--from', 'middle', ...B], error: /--from "middle" is not a position/},
  {what: 'consume: an absurd @timestamp', args: ['consume', 'bi-t', '--from', '@99999999999999999999', '--exit-at-end', ...B], error: /is not a timestamp from 1970 to 9999/},
  {what: 'consume: a negative @timestamp', args: ['consume', 'bi-t', '--from', '@-5', '--exit-at-end', ...B], error: /"-5" is not a timestamp from 1970 to 9999/},
  {what: 'consume: a date after 9999', args: ['consume', 'bi-t', '--from', '@10000-01-01', '--exit-at-end', ...B], error: /is not a timestamp from 1970 to 9999/},
  {what: 'consume: a partition the topic does not have', args: ['consume', 'bi-t', '--partition', '9', '--exit-at-end', ...B], error: /has partitions 0 to 1; there is no partition 9/},
  {what: 'consume: a partition without a leader (--exit-at-end waits 30 s, then says so)', args: () => ['consume', 'lost', '--exit-at-end', '-b', servers.leaderless], error: /A partition of topic "lost" has no leader right now/, notices: /^lost\[0\] without a leader: waiting up to 30 s for one$/, exit: 3},
  {what: 'group describe: no such group', args: ['group', 'describe', 'bi-nosuch', ...B], error: /Group "bi-nosuch" does not exist/},
  {what: 'group reset: an absurd @timestamp', args: ['group', 'reset', 'bi-g', '--topic', 'bi-t', '--to', '@10000-01-01', '--execute', ...B], error: /is not a timestamp from 1970 to 9999/},
  {what: 'group reset: no such topic', args: ['group', 'reset', 'bi-g', '--topic', 'bi-nosuch', '--to', 'earliest', '--execute', ...B], error: /Topic "bi-nosuch" does not exist/},
  {what: 'up: KCL_KAFKA_IMAGE that is no image, for the existing cluster', args: ['up', ...N], env: {KCL_KAFKA_IMAGE: 'Bad Image'}, error: /KCL_KAFKA_IMAGE="Bad Image" is not a Docker image reference/},
  {what: 'up: another broker count for the existing cluster', args: ['up', ...N, '--brokers', '3'], error: /Cluster "bi-shared" already exists with 1 broker\(s\); it cannot change to 3/},
  {what: 'cluster failover of a 1-broker cluster', args: ['cluster', 'failover', ...N], error: /Cluster "bi-shared" has a single broker, which is also its only controller/},
  {what: 'broker stop of a broker the cluster does not have', args: ['broker', 'stop', '7', ...N], error: /Kafka cluster "bi-shared" has no broker 7: its only broker is 1/},
]

/** The lines of stderr: the error (and its hint), after any allowed notices; the usage after a blank line is oclif's. */
function assertOneClearLine(c: Case, result: {exitCode?: number; stdout: unknown; stderr: unknown; timedOut?: boolean}): void {
  const stderr = String(result.stderr)
  assert.equal(result.timedOut, false, `${c.what}: kcl returned`)
  assert.notEqual(result.exitCode, 0, `${c.what}: exit code\n${stderr}`)
  if (c.exit !== undefined) assert.equal(result.exitCode, c.exit, `${c.what}: exit code\n${stderr}`)
  assert.equal(String(result.stdout), '', `${c.what}: nothing on stdout`)
  assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+/, `${c.what}: no stack trace`)
  assert.doesNotMatch(stderr, /KCL_DEBUG/, `${c.what}: a classified error, not one that suggests KCL_DEBUG\n${stderr}`)
  const lines = stderr.split(/\n\nUSAGE\n/)[0]!.split('\n').filter((line) => line.trim() !== '')
  const notices = c.notices ? lines.filter((line) => c.notices!.test(line)) : []
  const [error, hint, ...more] = lines.slice(notices.length)
  assert.match(error ?? '', /^ › {3}Error: /, `${c.what}: the first line is the error\n${stderr}`)
  assert.match(error!, c.error, `${c.what}\n${stderr}`)
  if (hint !== undefined) assert.match(hint, /^ › {3}Try this: \S/, `${c.what}: the second line can only be a hint\n${stderr}`)
  assert.deepEqual(more, [], `${c.what}: one error line and a hint at most\n${stderr}`)
}

async function runCase(c: Case): Promise<void> {
  const args = typeof c.args === 'function' ? c.args() : c.args
  const result = await kcl(args, {env: {...ENV, ...c.env}, input: c.input ?? '', timeoutMs: 90_000})
  assertOneClearLine(c, result)
}

// -- what must not change -----------------------------------------------------------------------------------------

/** kcl's files (state, profiles, secrets), each with a hash of its content. */
function filesOf(dir: string): string[] {
  return readdirSync(dir, {recursive: true, encoding: 'utf8'})
    .filter((path) => statSync(join(dir, path)).isFile())
    .map((path) => `${path} ${createHash('sha256').update(readFileSync(join(dir, path))).digest('hex')}`)
    .sort()
}

/** This file's Docker containers (with state and image) and volumes. */
async function dockerOf(): Promise<string[]> {
  const containers = await execa('docker', ['ps', '-a', '--filter', 'name=kcl-bi-', '--format', '{{.Names}} {{.State}} {{.Image}}'])
  const volumes = await execa('docker', ['volume', 'ls', '--filter', 'name=kcl-bi-', '--format', '{{.Name}}'])
  return [...containers.stdout.split('\n'), ...volumes.stdout.split('\n')].filter(Boolean).sort()
}

/** The shared cluster's topics (partitions, offsets, configs) and groups (committed offsets). */
async function clusterOf(): Promise<unknown> {
  const json = async (args: string[]) => {
    const result = await kcl([...args, '--json', ...B], {env: ENV, timeoutMs: 60_000})
    assert.equal(result.exitCode, 0, String(result.stderr))
    return JSON.parse(String(result.stdout))
  }
  const topics = ((await json(['topic', 'list'])) as {name: string}[]).map((t) => t.name).sort()
  const described = await Promise.all(topics.map((topic) => json(['topic', 'describe', topic])))
  const groups = ((await json(['group', 'list'])) as {groupId: string}[]).map((g) => g.groupId).sort()
  const offsets = await Promise.all(groups.map(async (group) => ((await json(['group', 'describe', group])) as {offsets: unknown}).offsets))
  return {topics: described, groups, offsets}
}

before(async () => {
  mkdirSync(FILES, {recursive: true})
  write('bogus.properties', 'security.protocol=BOGUS\n')
  write('garbage.properties', Buffer.from([0, 1, 0x67, 0x3d, 0xff, 0xfe, 0x0a]))

  const http = createHttpServer((_req, res) => res.end('hello'))
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  closing.push(() => new Promise((resolve) => http.close(resolve)))
  servers.http = `127.0.0.1:${(http.address() as AddressInfo).port}`
  const garbage = await startRawServer((socket) => socket.on('data', () => socket.write(Buffer.from('\x00\x00\x00\x08garbage!\xff\xfe\xfd'))))
  const silentClose = await startRawServer((socket) => socket.destroy())
  closing.push(() => garbage.close(), () => silentClose.close())
  servers.garbage = garbage.address
  servers.silentClose = silentClose.address
  // A "broker" whose topic's only partition has no leader: a stopped broker held its only replica.
  const leaderless = await startFakeBroker()
  closing.push(() => leaderless.close())
  leaderless.on(Metadata, () => {
    const metadata = metadataFor(leaderless, {lost: 1})
    for (const partition of metadata.topics[0]!.partitions) Object.assign(partition, {leaderId: -1, isrNodes: [], offlineReplicas: [2], replicaNodes: [2]})
    return metadata
  })
  servers.leaderless = leaderless.address

  const up = await kcl(['up', ...N, '--port', String(CLUSTER.port)], {env: ENV, timeoutMs: 400_000})
  assert.equal(up.exitCode, 0, String(up.stderr))
  const setup = [
    ['topic', 'create', 'bi-t', '--partitions', '2', ...B],
    ['topic', 'create', 'bi-small', '--config', 'max.message.bytes=2000', ...B],
    ['produce', 'bi-t', 'one', 'two', 'three', ...B],
    ['consume', 'bi-t', '--group', 'bi-g', '--exit-at-end', ...B],
  ]
  for (const args of setup) {
    const result = await kcl(args, {env: ENV, timeoutMs: 120_000})
    assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`)
  }
}, {timeout: 600_000})

after(async () => {
  await kcl(['down', ...N, '--volumes', '--yes'], {env: ENV, timeoutMs: 120_000})
})

describe('bad input: one clear line, non-zero exit, no stack trace, nothing changed', () => {
  let before: {files: string[]; docker: string[]; cluster: unknown}

  it(`has at least 60 cases (${offline.length + online.length})`, async () => {
    assert.ok(offline.length + online.length >= 60)
    assert.equal(new Set([...offline, ...online].map((c) => c.what)).size, offline.length + online.length, 'each case named once')
    before = {files: filesOf(HOME), docker: await dockerOf(), cluster: await clusterOf()}
  })

  describe('without a cluster', {concurrency: 6}, () => {
    for (const c of offline) it(c.what, () => runCase(c))
  })

  describe('on the shared cluster', {concurrency: 6}, () => {
    for (const c of online) it(c.what, () => runCase(c))
  })

  it("left kcl's files, Docker and the cluster's topics, records, configs and groups as they were", async () => {
    assert.deepEqual(filesOf(HOME), before.files)
    assert.deepEqual(await dockerOf(), before.docker)
    assert.deepEqual(await clusterOf(), before.cluster)
  })
})
