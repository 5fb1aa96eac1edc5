import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {answerFor, userAgent, type HelpManifest} from '../../src/help/fast-path.ts'
import {
  helpCli,
  helpSubject,
  renderCommandHelp,
  renderRootHelp,
  renderTopicHelp,
  wrap,
  type HelpCommand,
  type HelpLayout,
  type HelpPackageJson,
} from '../../src/help/render.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const plain: HelpLayout = {width: 80, bold: false}
const json = {name: 'json', type: 'boolean', description: 'Format output as json.', helpGroup: 'GLOBAL'} as const
const clusterName = {name: 'name', type: 'option', char: 'n', description: 'cluster to use', helpValue: 'NAME'} as const

const commands: Record<string, HelpCommand> = {
  'topic:list': {
    id: 'topic:list',
    summary: 'List topics.',
    args: {},
    flags: {json, internal: {name: 'internal', type: 'boolean', description: 'include internal topics'}, name: clusterName},
    examples: [{description: 'Your topics', command: '<%= config.bin %> topic list'}],
  },
  'topic:create': {
    id: 'topic:create',
    summary: 'Create a topic.',
    args: {topic: {name: 'topic', description: 'topic name', required: true}},
    flags: {
      partitions: {name: 'partitions', type: 'option', char: 'p', description: 'number of partitions', helpValue: 'N', default: 1},
      config: {name: 'config', type: 'option', char: 'c', description: 'topic config', helpValue: 'KEY=VALUE', multiple: true, default: []},
      secret: {name: 'secret', type: 'boolean', description: 'not for users', hidden: true},
    },
  },
  'group:describe': {id: 'group:describe', summary: 'Describe a group.', args: {}, flags: {}},
  produce: {
    id: 'produce',
    summary: 'Send messages to a topic.',
    description: 'Messages given as arguments are sent one by one.\n\nOtherwise stdin is read line by line.',
    strict: false,
    aliases: ['send'],
    args: {topic: {name: 'topic', description: 'topic to send to', required: true}, message: {name: 'message', description: 'messages to send'}},
    flags: {
      json,
      acks: {name: 'acks', type: 'option', options: ['all', '1', '0'], description: 'acknowledgement to wait for', default: 'all'},
      to: {name: 'to', type: 'option', description: 'where to', required: true, helpValue: 'POSITION'},
      'key-separator': {name: 'key-separator', type: 'option', char: 'K', description: 'split each line', helpValue: 'SEP'},
      key: {name: 'key', type: 'option', char: 'k', description: 'key for every message', helpValue: 'KEY'},
      color: {name: 'color', type: 'boolean', allowNo: true, description: 'colour the output'},
    },
    examples: [
      {description: 'One message', command: '<%= config.bin %> produce weather "it rains"'},
      '<%= config.bin %> produce weather < lines.txt',
    ],
  },
  up: {id: 'up', description: 'Start a cluster.\nRenders a compose file and starts it.', args: {}, flags: {}},
  secret: {id: 'secret', summary: 'Hidden.', hidden: true, args: {}, flags: {}},
}
const packageJson: HelpPackageJson = {
  name: 'kcl',
  version: '1.2.3',
  description: 'A Kafka cluster in one command.',
  oclif: {bin: 'kcl', topics: {topic: {description: 'Create and list topics.\nTopics hold the messages.'}, group: {description: 'Consumer groups.'}}},
}
const cli = helpCli(packageJson, commands, 'kcl/1.2.3 linux-x64 node-v26.10.0')

describe('help rendered from the manifest', () => {
  it('root help: version, usage, visible top-level topics and commands', () => {
    assert.equal(
      renderRootHelp(cli, plain),
      `A Kafka cluster in one command.

VERSION
  kcl/1.2.3 linux-x64 node-v26.10.0

USAGE
  $ kcl [COMMAND]

TOPICS
  group  Consumer groups.
  topic  Create and list topics.

COMMANDS
  produce  Send messages to a topic.
  up       Start a cluster.`,
    )
  })

  it('topic help: its first description line, usage, the rest of its description and its commands', () => {
    assert.equal(
      renderTopicHelp(cli, 'topic', plain),
      `Create and list topics.

USAGE
  $ kcl topic COMMAND

DESCRIPTION
  Topics hold the messages.

COMMANDS
  topic create  Create a topic.
  topic list    List topics.`,
    )
  })

  it('command help: usage, arguments, flags by group, description, aliases and examples', () => {
    assert.equal(
      renderCommandHelp(cli, 'produce', plain),
      `Send messages to a topic.

USAGE
  $ kcl produce TOPIC [MESSAGE...] --to POSITION [--json] [--acks all|1|0]
    [-K SEP] [-k KEY] [--[no-]color]

ARGUMENTS
  TOPIC         topic to send to
  [MESSAGE...]  messages to send

FLAGS
  -k, --key=KEY            key for every message
  -K, --key-separator=SEP  split each line
      --acks=all|1|0       acknowledgement to wait for [default: all]
      --[no-]color         colour the output
      --to=POSITION        (required) where to

GLOBAL FLAGS
  --json  Format output as json.

DESCRIPTION
  Messages given as arguments are sent one by one.

  Otherwise stdin is read line by line.

ALIASES
  $ kcl send

EXAMPLES
  One message

    $ kcl produce weather "it rains"

    $ kcl produce weather < lines.txt`,
    )
  })

  it('shows defaults but not empty ones, repeatable values with "...", and never hidden flags', () => {
    const help = renderCommandHelp(cli, 'topic:create', plain)
    assert.match(help, /-p, --partitions=N {9}number of partitions \[default: 1\]$/)
    assert.match(help, /-c, --config=KEY=VALUE\.\.\. {2}topic config\n/)
    assert.doesNotMatch(help, /secret|default: \]/)
  })

  it('takes the summary from the description\'s first line when there is none', () => {
    assert.match(renderCommandHelp(cli, 'up', plain), /^Start a cluster\.\n\nUSAGE\n {2}\$ kcl up\n\nDESCRIPTION\n {2}Renders a compose file and starts it\.$/)
  })

  it('shows only the sections asked for, as under a parse error', () => {
    const help = renderCommandHelp(cli, 'produce', plain, ['usage', 'arguments', 'flags'])
    assert.match(help, /^USAGE\n/)
    assert.match(help, /\nGLOBAL FLAGS\n {2}--json {2}Format output as json\.$/)
    assert.doesNotMatch(help, /Send messages|DESCRIPTION|EXAMPLES|ALIASES/)
  })

  it('keeps every line within the width and puts descriptions under the flags when there is no room beside them', () => {
    for (const width of [40, 50, 80, 120]) {
      for (const help of [renderRootHelp(cli, {width, bold: false}), renderCommandHelp(cli, 'produce', {width, bold: false})]) {
        const long = help.split('\n').filter((line) => line.length > width)
        assert.deepEqual(long, [], `width ${width}`)
      }
    }
    assert.match(renderCommandHelp(cli, 'produce', {width: 40, bold: false}), /\n {2}-k, --key=KEY\n {6}key for every message\n\n/)
  })

  it('breaks long example commands between shell words with "\\", never inside quotes', () => {
    const quoted = {description: 'Keys and values', command: "<%= config.bin %> consume Delivery --format '%k => %v (partition %p)' --exit-at-end"}
    const withExample = helpCli(packageJson, {consume: {id: 'consume', summary: 'Read.', args: {}, flags: {}, examples: [quoted]}}, 'ua')
    assert.match(
      renderCommandHelp(withExample, 'consume', {width: 48, bold: false}, ['examples']),
      /\n {4}\$ kcl consume Delivery --format \\\n {6}'%k => %v \(partition %p\)' --exit-at-end$/,
    )
  })

  it('sets section headers in bold only when asked', () => {
    assert.match(renderTopicHelp(cli, 'topic', {width: 80, bold: true}), /\n\u001B\[1mUSAGE\u001B\[22m\n/)
    assert.doesNotMatch(renderTopicHelp(cli, 'topic', plain), /\u001B/)
  })

  it('wraps at spaces, keeps a line\'s indentation and breaks words longer than a line', () => {
    assert.equal(wrap('one two three four', 12), 'one two\nthree four')
    assert.equal(wrap('  one two three', 10), '  one two\n  three')
    assert.equal(wrap('abcdefghijklmnop', 10), 'abcdefghij\nklmnop')
    assert.equal(wrap('para one\n\npara two', 80), 'para one\n\npara two')
  })

  it('knows commands, then topics by whole words: "group:describe" makes no topic "up"', () => {
    assert.equal(helpSubject(cli, 'up'), 'command')
    assert.equal(helpSubject(cli, 'topic'), 'topic')
    assert.equal(helpSubject(cli, 'gro'), undefined)
    assert.equal(helpSubject(cli, 'topic:list:extra'), undefined)
  })
})

describe('the fast path: what kcl answers without oclif', () => {
  const manifest: HelpManifest = {commands}
  const answer = (...argv: string[]) => answerFor(argv, packageJson, () => manifest, () => plain)
  const version = userAgent(packageJson)

  it('prints oclif\'s user agent for --version and -v', () => {
    assert.match(version, /^kcl\/1\.2\.3 (linux|wsl|darwin|win32)-\w+ node-v\d+\.\d+\.\d+$/)
    assert.equal(answer('--version'), version)
    assert.equal(answer('-v'), version)
  })

  it('answers help for nothing, --help or -h alone, a command or topic with --help or -h, and a bare topic', () => {
    const root = renderRootHelp(helpCli(packageJson, commands, version), plain)
    for (const argv of [[], ['--help'], ['-h']]) assert.equal(answer(...argv), root)
    const topicList = renderCommandHelp(cli, 'topic:list', plain)
    assert.equal(answer('topic', 'list', '--help'), topicList)
    assert.equal(answer('topic', 'list', '-h'), topicList)
    const topic = renderTopicHelp(cli, 'topic', plain)
    assert.equal(answer('topic', '--help'), topic)
    assert.equal(answer('topic'), topic)
  })

  it('leaves every other command line to oclif', () => {
    const others = [
      ['topic', 'list'],
      ['up'],
      ['topic', 'list', '--json', '--help'],
      ['--help', 'topic'],
      ['topic', 'list', '--', '--help'],
      ['topic', 'list', 'extra', '--help'],
      ['nosuch', '--help'],
      ['doctor', '-v'],
      ['--version', 'extra'],
      ['-v', '--help'],
      ['--json', '--help'],
    ]
    for (const argv of others) assert.equal(answer(...argv), undefined, argv.join(' '))
  })

  it('leaves help to oclif without a manifest, but still answers --version', () => {
    assert.equal(answerFor(['--help'], packageJson, () => undefined, () => plain), undefined)
    assert.equal(answerFor(['--version'], packageJson, () => undefined, () => plain), version)
  })
})

describe('kcl\'s own help', () => {
  it('fits 80 columns and lists every visible flag of every command', async () => {
    const {oclifManifest} = (await import(join(REPO, 'bin', 'build-fast-path.mjs'))) as {oclifManifest: (file: string) => Promise<HelpManifest>}
    const manifest = await oclifManifest(join(REPO, 'src', 'commands.ts'))
    const kcl = helpCli(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as HelpPackageJson, manifest.commands, 'kcl/0.0.0 linux-x64 node-v26.10.0')
    const helps = [renderRootHelp(kcl, plain), ...['topic', 'group', 'cluster', 'broker', 'profile'].map((topic) => renderTopicHelp(kcl, topic, plain))]
    for (const [id, command] of Object.entries(manifest.commands)) {
      const help = renderCommandHelp(kcl, id, plain)
      for (const flag of Object.values(command.flags).filter((flag) => !flag.hidden)) assert.match(help, new RegExp(` --(\\[no-\\])?${flag.name}[= ]`), `${id} --${flag.name}`)
      helps.push(help)
    }
    for (const help of helps) assert.deepEqual(help.split('\n').filter((line) => line.length > 80), [])
    // oclif 4.8's own help counted "group:describe" as a child of "up" and listed up as a topic.
    const topics = /\nTOPICS\n([\s\S]*?)\n\n/.exec(helps[0]!)?.[1] ?? ''
    assert.deepEqual(topics.split('\n').map((line) => line.trim().split(' ')[0]), ['broker', 'cluster', 'group', 'profile', 'topic'])
  })
})
