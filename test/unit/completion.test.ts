import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {before, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {complete, dynamicKindOf, type Completion, type CompletionManifest} from '../../src/completion/complete.ts'
import {completionScript, SHELLS} from '../../src/completion/scripts.ts'
import {answerFor, type HelpManifest} from '../../src/help/fast-path.ts'
import type {HelpPackageJson} from '../../src/help/render.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const topics = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {oclif: {topics: Record<string, {description: string}>}}).oclif.topics
let manifest: CompletionManifest

before(async () => {
  const {oclifManifest} = (await import(join(REPO, 'bin', 'build-fast-path.mjs'))) as {oclifManifest: (file: string) => Promise<CompletionManifest>}
  manifest = await oclifManifest(join(REPO, 'src', 'commands.ts'))
})

/** The values offered for a command line typed after `kcl` (a trailing space: completing a new word). */
function offered(line: string): string[] | Completion {
  const words = line.split(' ')
  const completion = complete(manifest, topics, words)
  return completion.kind === 'values' ? completion.candidates.map((c) => c.value) : completion
}

describe('completion', () => {
  it('offers commands and topics, then the commands of a topic', () => {
    const top = offered('') as string[]
    for (const word of ['up', 'down', 'status', 'topic', 'group', 'produce', 'consume', 'doctor', 'completion', 'cluster', 'broker']) assert.ok(top.includes(word), word)
    assert.ok(!top.includes('__complete'))
    assert.deepEqual(offered('topic '), ['create', 'delete', 'describe', 'list'])
    assert.deepEqual(offered('topic de'), ['delete', 'describe'])
    assert.deepEqual(offered('st'), ['status'])
  })

  it('offers a command\'s flags not given yet, and repeatable ones again', () => {
    const flags = offered('up --') as string[]
    for (const flag of ['--brokers', '--name', '--port', '--image', '--dry-run', '--json', '--help']) assert.ok(flags.includes(flag), flag)
    assert.ok(!(offered('up --brokers 3 --') as string[]).includes('--brokers'))
    assert.ok((offered('produce t -H a=1 --') as string[]).includes('--header'))
    assert.deepEqual(offered('status --n'), ['--name'])
  })

  it('offers the values a flag or argument allows, also after --flag=', () => {
    assert.deepEqual(offered('consume t --output '), ['json', 'raw', 'text'])
    assert.deepEqual(offered('produce t --compression z'), ['zstd'])
    assert.deepEqual(offered('consume t --output=j'), ['--output=json'])
    assert.deepEqual(offered('completion '), ['bash', 'fish', 'powershell', 'zsh'])
  })

  it('asks for topics, groups, clusters and brokers where those belong, with the connection flags given', () => {
    assert.deepEqual(offered('consume Del'), {kind: 'dynamic', dynamic: 'topic', prefix: 'Del', lead: '', flags: {}})
    assert.deepEqual(offered('consume -b localhost:9092 t --group g'), {kind: 'dynamic', dynamic: 'group', prefix: 'g', lead: '', flags: {'bootstrap-server': 'localhost:9092'}})
    assert.deepEqual(offered('topic describe --name dev '), {kind: 'dynamic', dynamic: 'topic', prefix: '', lead: '', flags: {name: 'dev'}})
    assert.deepEqual(offered('status --name='), {kind: 'dynamic', dynamic: 'cluster', prefix: '', lead: '--name=', flags: {}})
    assert.deepEqual(offered('broker stop -n dev '), {kind: 'dynamic', dynamic: 'broker', prefix: '', lead: '', flags: {name: 'dev'}})
    assert.deepEqual(offered('group reset g1 --topic '), {kind: 'dynamic', dynamic: 'topic', prefix: '', lead: '', flags: {}})
    assert.deepEqual(offered('topic describe -b h:9093 --tls '), {kind: 'dynamic', dynamic: 'topic', prefix: '', lead: '', flags: {'bootstrap-server': 'h:9093', tls: 'true'}})
  })

  it('offers nothing for free text: messages, numbers, templates', () => {
    assert.deepEqual(offered('produce t '), {kind: 'none'})
    assert.deepEqual(offered('up --brokers '), {kind: 'none'})
    assert.deepEqual(offered('consume t --format '), {kind: 'none'})
  })

  it('has decided, for every flag value and argument of every command, what completes it', () => {
    // Free text on purpose: new names, numbers, sizes, templates, messages. A new flag or argument lands here or gets
    // options or a dynamic kind.
    const free = new Set([
      'up --brokers', 'up --image', 'up --kafka-version', 'up --ui-port', 'ui --port', 'ui --host', 'up --port', 'up --heap', 'up --timeout', 'cluster:restore --timeout', 'doctor --brokers', 'doctor --port',
      'consume --from', 'consume --max-messages', 'consume --partition', 'consume --format',
      'produce message', 'produce --key', 'produce --key-separator', 'produce --header', 'produce --partition', 'produce --generate', 'produce --rate',
      'topic:create --partitions', 'topic:create --replication-factor', 'topic:create --config', 'group:reset --to',
      'profile:create name',
    ].map((entry) => entry.replace(/^(\S+) /, '$1 ')))
    const undecided: string[] = []
    for (const command of Object.values(manifest.commands)) {
      for (const flag of Object.values(command.flags)) {
        // Host names, files and user names: the shell's own completion (or none) is as good as any.
        if (flag.type !== 'option' || flag.options || ['bootstrap-server', 'command-config', 'tls-ca', 'tls-cert', 'tls-key', 'sasl-username', 'sasl-password'].includes(flag.name)) continue
        if (!dynamicKindOf(command.id, 'flag', flag.name) && !free.has(`${command.id} --${flag.name}`)) undecided.push(`${command.id} --${flag.name}`)
      }
      for (const arg of Object.values(command.args)) {
        if (arg.options || dynamicKindOf(command.id, 'arg', arg.name) || free.has(`${command.id} ${arg.name}`)) continue
        undecided.push(`${command.id} ${arg.name}`)
      }
    }
    assert.deepEqual(undecided, [])
  })

  it('is answered by the fast path for commands, flags and values, and left to kcl\'s own code for dynamic ones', () => {
    const packageJson = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as HelpPackageJson
    const answer = (...argv: string[]) => answerFor(['__complete', ...argv], packageJson, () => manifest as HelpManifest, () => ({width: 80, bold: false}))
    assert.equal(answer('topic', 'de'), 'delete\tDelete a topic and all its messages.\ndescribe\tShow a topic\'s partitions (leader, replicas, in-sync replicas, offsets) and its own configs.')
    assert.equal(answer('consume', 't', '--output='), '--output=json\n--output=raw\n--output=text')
    assert.equal(answer('produce', 't', ''), '')
    assert.equal(answer('topic', 'describe', ''), undefined)
    assert.match(answer() ?? '', /^broker\t/)
  })

  it('has a script for every shell, each calling `__complete`', () => {
    for (const shell of SHELLS) assert.match(completionScript(shell), /__complete/, shell)
  })
})
