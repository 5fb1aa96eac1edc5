#!/usr/bin/env node
// Generates kcl's Kafka request and response codecs (src/kafka-client/protocol/messages/) from Kafka's own message
// definitions, the common/message/*.json files inside the kafka-clients jar of the Kafka version kcl pins
// (package.json config.kafkaVersion). The jar is taken from the test environment's cache or Maven's local
// repository, else downloaded from Maven Central into ~/.cache/kcl-build. Run `npm run gen:protocol` after
// changing the API list below or the pinned Kafka version; the output is committed, the JSON is not.
//
// Only flexible versions are generated for the APIs that have them (Kafka 2.4 and later speak them; 3.0 has
// every one kcl uses): the oldest Kafka kcl supports is 3.0. Connections negotiate the newest version both sides
// know from ApiVersions.

import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {inflateRawSync} from 'node:zlib'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outDir = join(root, 'src/kafka-client/protocol/messages')

/**
 * The APIs kcl speaks, each from the version it needs at least (the first flexible one where there is one) to
 * the newest the definitions know, or `max`: kcl names topics by name, so versions that name them only by topic
 * id (Produce 13+, Fetch 13+, OffsetCommit and OffsetFetch 10+) are left out; brokers keep serving the older
 * ones. To add an API: add its name here (as in <Name>Request.json) and run `npm run gen:protocol`.
 */
const APIS = {
  ApiVersions: {min: 0},
  SaslHandshake: {min: 1},
  SaslAuthenticate: {min: 2},
  Metadata: {min: 9},
  DescribeCluster: {min: 0},
  DescribeQuorum: {min: 0},
  CreateTopics: {min: 5},
  DeleteTopics: {min: 4},
  DescribeConfigs: {min: 4},
  ListOffsets: {min: 6},
  InitProducerId: {min: 2},
  Produce: {min: 9, max: 12},
  Fetch: {min: 12, max: 12},
  FindCoordinator: {min: 4},
  ListGroups: {min: 3},
  DescribeGroups: {min: 5},
  ConsumerGroupDescribe: {min: 0},
  DeleteGroups: {min: 2},
  OffsetFetch: {min: 8, max: 9},
  OffsetCommit: {min: 8, max: 9},
  JoinGroup: {min: 6},
  SyncGroup: {min: 4},
  Heartbeat: {min: 4},
  LeaveGroup: {min: 4},
  ConsumerGroupHeartbeat: {min: 0},
  IncrementalAlterConfigs: {min: 1},
  ShareGroupHeartbeat: {min: 1},
  ShareGroupDescribe: {min: 1},
  ShareFetch: {min: 1},
  ShareAcknowledge: {min: 1},
  DescribeShareGroupOffsets: {min: 0},
}

/** Definitions of data inside other messages (not requests or responses) that kcl reads and writes. */
const DATA = ['ConsumerProtocolSubscription', 'ConsumerProtocolAssignment']

// ---------------------------------------------------------------------------------------------------------------
// The jar: found locally or fetched from Maven Central, then read with a small zip reader (stored and deflated
// entries; jars use nothing else).

async function kafkaClientsJar(version) {
  const name = `kafka-clients-${version}.jar`
  const cache = join(homedir(), '.cache')
  const candidates = [
    join(cache, 'kcl-test-env', `kafka-${version}`, 'libs', name),
    join(cache, 'kcl-test-env', 'm2', 'org/apache/kafka/kafka-clients', version, name),
    join(homedir(), '.m2/repository/org/apache/kafka/kafka-clients', version, name),
    join(cache, 'kcl-build', name),
  ]
  const found = candidates.find((file) => existsSync(file))
  if (found) return readFileSync(found)
  const url = `https://repo1.maven.org/maven2/org/apache/kafka/kafka-clients/${version}/${name}`
  process.stderr.write(`downloading ${url}\n`)
  const response = await fetch(url)
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`)
  const jar = Buffer.from(await response.arrayBuffer())
  const sha1 = await (await fetch(`${url}.sha1`)).text()
  if (createHash('sha1').update(jar).digest('hex') !== sha1.trim().slice(0, 40)) throw new Error(`${url}: checksum mismatch`)
  mkdirSync(join(cache, 'kcl-build'), {recursive: true})
  writeFileSync(join(cache, 'kcl-build', name), jar)
  return jar
}

/** The files of a zip archive whose names match `wanted`, by name. */
function unzip(zip, wanted) {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  if (end < 0) throw new Error('not a zip file')
  const count = zip.readUInt16LE(end + 10)
  let at = zip.readUInt32LE(end + 16)
  const files = new Map()
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(at + 10)
    const compressedSize = zip.readUInt32LE(at + 20)
    const nameLength = zip.readUInt16LE(at + 28)
    const extraLength = zip.readUInt16LE(at + 30)
    const commentLength = zip.readUInt16LE(at + 32)
    const local = zip.readUInt32LE(at + 42)
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength)
    at += 46 + nameLength + extraLength + commentLength
    if (!wanted(name)) continue
    const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)
    const data = zip.subarray(dataAt, dataAt + compressedSize)
    files.set(name, method === 0 ? data : inflateRawSync(data))
  }
  return files
}

// ---------------------------------------------------------------------------------------------------------------
// Versions

/** "3+", "1-4", "5", "none" → [from, to] (to Infinity), or null. */
function parseVersions(spec) {
  if (spec === undefined || spec === 'none') return null
  const plus = /^(\d+)\+$/.exec(spec)
  if (plus) return [Number(plus[1]), Infinity]
  const range = /^(\d+)-(\d+)$/.exec(spec)
  if (range) return [Number(range[1]), Number(range[2])]
  if (/^\d+$/.test(spec)) return [Number(spec), Number(spec)]
  throw new Error(`bad version spec ${spec}`)
}

const intersect = (a, b) => (a && b ? [Math.max(a[0], b[0]), Math.min(a[1], b[1])] : null)
const isEmpty = (range) => !range || range[0] > range[1]

/**
 * A condition in the generated code that is true for the versions in `range`, given that `v` lies in `within`:
 * '' when always, null when never.
 */
function condition(range, within) {
  const effective = intersect(range, within)
  if (isEmpty(effective)) return null
  const checks = []
  if (effective[0] > within[0]) checks.push(`v >= ${effective[0]}`)
  if (effective[1] < within[1]) checks.push(`v <= ${effective[1]}`)
  return checks.join(' && ')
}

// ---------------------------------------------------------------------------------------------------------------
// Types

const camel = (name) => name[0].toLowerCase() + name.slice(1)
const kebab = (name) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()

const PRIMITIVES = {
  bool: {ts: 'boolean', zero: 'false'},
  int8: {ts: 'number', zero: '0'},
  int16: {ts: 'number', zero: '0'},
  uint16: {ts: 'number', zero: '0'},
  int32: {ts: 'number', zero: '0'},
  uint32: {ts: 'number', zero: '0'},
  int64: {ts: 'bigint', zero: '0n'},
  float64: {ts: 'number', zero: '0'},
  uuid: {ts: 'string', zero: 'ZERO_UUID'},
  string: {ts: 'string', zero: "''"},
  bytes: {ts: 'Buffer', zero: 'EMPTY'},
  records: {ts: 'Buffer', zero: 'null'},
}

/** A field's default value as TypeScript source. */
function defaultValue(field, structs) {
  const type = field.type
  if (type.startsWith('[]')) return field.default === 'null' ? 'null' : '[]'
  const primitive = PRIMITIVES[type]
  if (!primitive) {
    if (field.default === 'null') return 'null'
    const struct = structs.get(type)
    struct.defaultUsed = true
    return `${struct.defaultName}()`
  }
  const given = field.default
  if (given === undefined) return primitive.zero
  if (given === 'null') return 'null'
  if (type === 'bool') return String(given === true || given === 'true')
  if (type === 'string') return JSON.stringify(given)
  if (type === 'int64') return `${BigInt(given)}n`
  if (type === 'uuid' || type === 'bytes' || type === 'records') throw new Error(`unexpected default for ${field.name}`)
  return String(Number(given))
}

class Message {
  constructor(spec, range) {
    this.spec = spec
    this.name = spec.name
    this.range = range // the versions generated
    this.flexible = parseVersions(spec.flexibleVersions)
    this.structs = new Map() // type name → {name, fields, defaultName}
    this.collect(this.name, spec.fields ?? [])
    for (const common of spec.commonStructs ?? []) this.collect(common.name, common.fields, true)
  }

  /** Registers the struct named `name` and the structs nested in its fields. */
  collect(name, fields, common = false) {
    const typeName = name === this.name || name.startsWith(this.name) ? name : `${this.name}${name}`
    this.structs.set(name, {name: typeName, fields, defaultName: `default${typeName}`, common})
    for (const field of fields) {
      if (!field.fields) continue
      const inner = field.type.startsWith('[]') ? field.type.slice(2) : field.type
      this.collect(inner, field.fields)
    }
  }

  /** The structs some generated version uses, starting from the message itself. */
  reachable() {
    const seen = new Map()
    const visit = (name) => {
      const struct = this.structs.get(name)
      if (!struct || seen.has(name)) return
      seen.set(name, struct)
      for (const field of this.live(struct.fields)) visit(field.type.startsWith('[]') ? field.type.slice(2) : field.type)
    }
    visit(this.name)
    return seen
  }

  /** Fields present in some generated version (the rest never appear on kcl's wire). */
  live(fields) {
    return fields.filter((field) => !isEmpty(intersect(parseVersions(field.versions), this.range)) || this.taggedIn(field))
  }

  taggedIn(field) {
    return field.tag !== undefined && !isEmpty(intersect(parseVersions(field.taggedVersions), this.range))
  }

  /** The field's type as read (`input`: as given to a writer, where nested structs may leave fields out). */
  tsType(field, input = false) {
    const nullable = !isEmpty(intersect(parseVersions(field.nullableVersions), this.range))
    const struct = (name) => `${this.structs.get(name).name}${input ? 'Input' : ''}`
    let type
    if (field.type.startsWith('[]')) {
      const inner = field.type.slice(2)
      type = `${PRIMITIVES[inner]?.ts ?? struct(inner)}[]`
    } else {
      type = PRIMITIVES[field.type]?.ts ?? struct(field.type)
    }
    return nullable || field.type === 'records' ? `${type} | null` : type
  }

  /** Whether callers may leave the field out of a message they write (it then takes its default). */
  optional(field) {
    return field.default !== undefined || field.tag !== undefined || field.ignorable === true || !isEmpty(intersect(parseVersions(field.nullableVersions), this.range)) || condition(parseVersions(field.versions), this.range) !== ''
  }

  /** Per struct: its type as read, and as given to a writer (fields with a default may be left out). */
  interfaces() {
    const out = []
    for (const [, struct] of this.reachable()) {
      const read = [`export interface ${struct.name} {`]
      const input = [`export interface ${struct.name}Input {`]
      for (const field of this.live(struct.fields)) {
        const about = field.about ? `  /** ${field.about.replace(/\*\//g, '* /').replace(/\s+/g, ' ')} */` : undefined
        if (about) read.push(about)
        read.push(`  ${camel(field.name)}: ${this.tsType(field)}`)
        input.push(`  ${camel(field.name)}${this.optional(field) ? '?' : ''}: ${this.tsType(field, true)}`)
      }
      out.push([...read, '}'].join('\n'), [...input, '}'].join('\n'))
    }
    return out
  }

  /** Default values of the structs that are some field's default. */
  defaults() {
    const out = []
    for (const [, struct] of this.structs) {
      if (!struct.defaultUsed) continue
      const entries = this.live(struct.fields).map((field) => `${camel(field.name)}: ${defaultValue(field, this.structs)}`)
      out.push(`const ${struct.defaultName} = (): ${struct.name} => ({${entries.join(', ')}})`)
    }
    return out
  }

  // -- writing --------------------------------------------------------------------------------------------------

  /** Statements writing `value` (an expression) of `field`'s type, for versions in `within`. */
  writeValue(field, value, within, indent) {
    const flexible = condition(this.flexible, within)
    const nullable = condition(parseVersions(field.nullableVersions), within)
    const pad = ' '.repeat(indent)
    const type = field.type
    // A statement starting with "(" would continue the line before it: `void` starts it instead.
    const pick = (compact, classic) => (flexible === '' ? compact : flexible === null ? classic : `void (${flexible} ? ${compact} : ${classic})`)
    if (type.startsWith('[]')) {
      const inner = type.slice(2)
      const item = `${camel(field.name)}Item`
      const each = PRIMITIVES[inner] ? this.primitiveWrite(inner, item, within) : `write${this.structs.get(inner).name}(w, v, ${item})`
      const loop = `for (const ${item} of ${value}) ${each}`
      return [`${pad}${pick(`w.compactLength(${value})`, `w.length(${value})`)}`, `${pad}${nullable === null ? loop : `if (${value} !== null) ${loop}`}`]
    }
    if (PRIMITIVES[type]) return [`${pad}${this.primitiveWrite(type, value, within)}`]
    const struct = this.structs.get(type)
    if (nullable !== null) {
      return [`${pad}if (${value} === null) w.int8(-1)`, `${pad}else {`, `${pad}  w.int8(1)`, `${pad}  write${struct.name}(w, v, ${value})`, `${pad}}`]
    }
    return [`${pad}write${struct.name}(w, v, ${value})`]
  }

  primitiveWrite(type, value, within) {
    const flexible = condition(this.flexible, within)
    const pick = (compact, classic) => (flexible === '' ? compact : flexible === null ? classic : `void (${flexible} ? ${compact} : ${classic})`)
    switch (type) {
      case 'string':
        return pick(`w.compactString(${value})`, `w.string(${value})`)
      case 'bytes':
      case 'records':
        return pick(`w.compactBytes(${value})`, `w.bytes(${value})`)
      default:
        return `w.${type}(${value})`
    }
  }

  writer(struct) {
    const within = this.range
    const lines = [`export function write${struct.name}(w: Writer, v: number, data: ${struct.name}Input): void {`]
    const tagged = []
    const valueOf = (field) => {
      const name = camel(field.name)
      return this.optional(field) ? `(data.${name} === undefined ? ${defaultValue(field, this.structs)} : data.${name})` : `data.${name}`
    }
    for (const field of this.live(struct.fields)) {
      if (field.tag !== undefined && this.taggedIn(field)) {
        tagged.push(field)
        continue
      }
      const when = condition(parseVersions(field.versions), within)
      if (when === null) continue
      const value = camel(field.name)
      const fieldWithin = intersect(parseVersions(field.versions), within)
      const body = [`const ${value} = ${valueOf(field)}`, ...this.writeValue(field, value, fieldWithin, 0)]
      if (when === '') lines.push(...body.map((line) => `  ${line}`))
      else lines.push(`  if (${when}) {`, ...body.map((line) => `    ${line}`), '  }')
    }
    const flexible = condition(this.flexible, within)
    if (flexible !== null) {
      const body = []
      if (tagged.length === 0) body.push('w.uvarint(0)')
      else {
        body.push('const tags: [number, Writer][] = []')
        for (const field of tagged) {
          const value = camel(field.name)
          const when = condition(parseVersions(field.taggedVersions), within)
          const taggedWithin = intersect(parseVersions(field.taggedVersions), within)
          body.push(`const ${value} = ${valueOf(field)}`)
          body.push(`if (${when ? `${when} && ` : ''}!isDefault(${value}, ${defaultValue(field, this.structs)})) {`)
          body.push('  const tw = new Writer(64)')
          body.push(...this.writeValue(field, value, taggedWithin, 2).map((line) => line.replace(/\bw\./g, 'tw.').replace(/\(w, v,/g, '(tw, v,')))
          body.push(`  tags.push([${field.tag}, tw])`)
          body.push('}')
        }
        body.push('w.taggedFields(tags)')
      }
      if (flexible === '') lines.push(...body.map((line) => `  ${line}`))
      else lines.push(`  if (${flexible}) {`, ...body.map((line) => `    ${line}`), '  }')
    }
    lines.push('}')
    return lines.join('\n')
  }

  // -- reading --------------------------------------------------------------------------------------------------

  readValue(field, within) {
    const flexible = condition(this.flexible, within)
    const nullable = condition(parseVersions(field.nullableVersions), within)
    const pick = (compact, classic) => (flexible === '' ? compact : flexible === null ? classic : `(${flexible} ? ${compact} : ${classic})`)
    const type = field.type
    if (type.startsWith('[]')) {
      const inner = type.slice(2)
      const item = PRIMITIVES[inner] ? `() => ${this.primitiveRead(inner, within, false)}` : `() => read${this.structs.get(inner).name}(r, v)`
      const read = pick(`r.compactArray(${item})`, `r.array(${item})`)
      return nullable === null ? `r.required(${read}, '${field.name}')` : read
    }
    if (PRIMITIVES[type]) return this.primitiveRead(type, within, nullable !== null)
    const struct = this.structs.get(type)
    if (nullable !== null) return `(r.int8() < 0 ? null : read${struct.name}(r, v))`
    return `read${struct.name}(r, v)`
  }

  primitiveRead(type, within, nullable) {
    const flexible = condition(this.flexible, within)
    const pick = (compact, classic) => (flexible === '' ? compact : flexible === null ? classic : `(${flexible} ? ${compact} : ${classic})`)
    switch (type) {
      case 'string':
        return nullable ? pick('r.compactNullableString()', 'r.nullableString()') : pick('r.compactString()', 'r.string()')
      case 'bytes':
        return nullable ? pick('r.compactNullableBytes()', 'r.nullableBytes()') : pick('r.compactBytes()', 'r.bytes()')
      case 'records':
        return pick('r.compactNullableBytes()', 'r.nullableBytes()')
      default:
        return `r.${type}()`
    }
  }

  reader(struct) {
    const within = this.range
    const lines = [`export function read${struct.name}(r: Reader, v: number): ${struct.name} {`]
    const fields = this.live(struct.fields)
    const names = []
    const tagged = []
    for (const field of fields) {
      const name = camel(field.name)
      names.push(name)
      if (field.tag !== undefined && this.taggedIn(field)) {
        tagged.push(field)
        lines.push(`  let ${name}: ${this.tsType(field)} = ${defaultValue(field, this.structs)}`)
        continue
      }
      const when = condition(parseVersions(field.versions), within)
      const fieldWithin = intersect(parseVersions(field.versions), within)
      const read = when === null ? defaultValue(field, this.structs) : this.readValue(field, fieldWithin)
      lines.push(`  const ${name}: ${this.tsType(field)} = ${when ? `${when} ? ${read} : ${defaultValue(field, this.structs)}` : read}`)
    }
    const flexible = condition(this.flexible, within)
    if (flexible !== null) {
      const cases = tagged.map((field) => {
        const taggedWithin = intersect(parseVersions(field.taggedVersions), within)
        return `case ${field.tag}: ${camel(field.name)} = ${this.readValue(field, taggedWithin)}; break`
      })
      const body = cases.length === 0 ? 'r.skipTaggedFields()' : `r.taggedFields((tag) => {\n    switch (tag) {\n      ${cases.join('\n      ')}\n    }\n  })`
      lines.push(flexible === '' ? `  ${body}` : `  if (${flexible}) ${body}`)
    }
    lines.push(`  return {${names.join(', ')}}`, '}')
    return lines.join('\n')
  }

  source() {
    const code = []
    for (const [, struct] of this.reachable()) code.push(this.writer(struct), this.reader(struct))
    // Functions that never look at the version say so (the compiler refuses unused parameters).
    const used = code.map((fn) => (/\bv\b/.test(fn.slice(fn.indexOf('{'))) ? fn : fn.replace('v: number', '_v: number')))
    return [...this.interfaces(), ...used, ...this.defaults()]
  }

}

// ---------------------------------------------------------------------------------------------------------------

function parseJson(text) {
  return JSON.parse(text.replace(/^\s*\/\/.*$/gm, ''))
}

function header(version) {
  return `// Generated by bin/gen-protocol.mjs from Kafka ${version}'s message definitions (common/message/*.json in
// kafka-clients-${version}.jar). Do not edit: change the generator and run \`npm run gen:protocol\`.
/* eslint-disable */
`
}

/** The primitives a generated file uses. */
function imports(code) {
  const names = ['EMPTY', 'ZERO_UUID', 'isDefault'].filter((name) => new RegExp(`\\b${name}\\b`).test(code))
  names.push('type Reader', /new Writer\(/.test(code) ? 'Writer' : 'type Writer')
  return `import {${names.join(', ')}} from '../primitives.ts'\n`
}

async function main() {
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).config.kafkaVersion
  const files = unzip(await kafkaClientsJar(version), (name) => /^common\/message\/[A-Za-z]+\.json$/.test(name))
  const definition = (name) => {
    const file = files.get(`common/message/${name}.json`)
    if (!file) throw new Error(`kafka-clients ${version} has no ${name}.json`)
    return parseJson(file.toString('utf8'))
  }
  rmSync(outDir, {recursive: true, force: true})
  mkdirSync(outDir, {recursive: true})
  const index = []
  const write = (file, parts) => {
    const code = parts.join('\n\n').replace(/\n\n\n+/g, '\n\n')
    writeFileSync(join(outDir, `${file}.ts`), `${header(version)}${imports(code)}\n${code}`)
  }
  for (const [name, {min, max = Infinity}] of Object.entries(APIS)) {
    const request = definition(`${name}Request`)
    const response = definition(`${name}Response`)
    const valid = parseVersions(request.validVersions)
    const range = [Math.max(min, valid[0]), Math.min(max, valid[1])]
    const requestMessage = new Message(request, range)
    const responseMessage = new Message(response, range)
    const flexible = parseVersions(request.flexibleVersions)
    const file = kebab(name)
    // ApiVersions answers with response header v0 in every version, so a client can read an old broker's answer.
    const responseHeaderFlexible = name === 'ApiVersions' ? null : flexible
    const lines = [
      ...requestMessage.source(),
      ...responseMessage.source(),
      [
        `/** ${name} (API key ${request.apiKey}), versions ${range[0]} to ${range[1]}. */`,
        `export const ${name} = {`,
        `  name: '${name}',`,
        `  key: ${request.apiKey},`,
        `  minVersion: ${range[0]},`,
        `  maxVersion: ${range[1]},`,
        `  /** Request header v2 and tagged fields from this version on. */`,
        `  flexibleFrom: ${flexible ? flexible[0] : 'Infinity'},`,
        `  /** Response header v1 (with tagged fields) from this version on. */`,
        `  responseFlexibleFrom: ${responseHeaderFlexible ? responseHeaderFlexible[0] : 'Infinity'},`,
        `  writeRequest: write${requestMessage.name},`,
        `  readRequest: read${requestMessage.name},`,
        `  writeResponse: write${responseMessage.name},`,
        `  readResponse: read${responseMessage.name},`,
        '} as const',
      ].join('\n'),
      '',
    ]
    write(file, lines)
    index.push(`export * from './${file}.ts'`)
  }
  for (const name of DATA) {
    const spec = definition(name)
    const valid = parseVersions(spec.validVersions)
    const message = new Message(spec, valid)
    const file = kebab(name)
    write(file, [...message.source(), ''])
    index.push(`export * from './${file}.ts'`)
  }
  const names = Object.keys(APIS)
  const list = [...names.map((name) => `import {${name}} from './${kebab(name)}.ts'`), '', '/** Every API kcl speaks. */', `export const APIS = [${names.join(', ')}] as const`]
  writeFileSync(join(outDir, 'index.ts'), `${header(version)}\n${index.join('\n')}\n\n${list.join('\n')}\n`)
  process.stdout.write(`wrote ${readdirSync(outDir).length} files to ${outDir}\n`)
}

await main()
