import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {KclError} from '../../src/errors.ts'
import {adoptionOf, parseProperties, type DataVolume} from '../../src/cluster/existing.ts'
import {dataVolumeName, dataVolumeNode, newClusterSpec, savedSpecProblem} from '../../src/cluster/spec.ts'
import {readSpec, saveSpec, withClusterLock} from '../../src/cluster/store.ts'
import {kclHome} from '../../src/home.ts'

const ID_A = 'iKJKHqRBRpWQ8ZyJ0G0XDg'
const ID_B = '92RFHqRBRpWQ8ZyJ0G0XDg'

function meta(nodeId: number, clusterId: string): string {
  return `#\n#Wed Dec 02 12:00:00 UTC 2026\nnode.id=${nodeId}\ndirectory.id=abc\nversion=1\ncluster.id=${clusterId}\n`
}

function volumes(...metas: (string | undefined)[]): DataVolume[] {
  return metas.map((m, index) => ({nodeId: index + 1, volume: dataVolumeName('dl', index + 1), meta: m}))
}

function refused(work: () => unknown, pattern: RegExp): void {
  assert.throws(work, (error: unknown) => error instanceof KclError && error.exitCode === 2 && pattern.test(error.message) && /kcl down --name dl --volumes --yes/.test(error.hint ?? ''))
}

describe('adopting a cluster from its data volumes', () => {
  it('names data volumes by node and knows only its own', () => {
    assert.equal(dataVolumeName('dl', 2), 'kcl-dl_kafka-2-data')
    assert.equal(dataVolumeNode('dl', 'kcl-dl_kafka-2-data'), 2)
    for (const other of ['kcl-dl_secrets', 'kcl-dl-2_kafka-1-data', 'kcl-dl_kafka-0-data', 'kcl-dl_kafka-1_kafka-1-data', 'kcl-d_kafka-1-data', 'kcl-dl_kafka-x-data']) {
      assert.equal(dataVolumeNode('dl', other), undefined, other)
    }
  })

  it('reads the cluster id and broker count of whole, formatted volumes', () => {
    assert.deepEqual(adoptionOf('dl', volumes(meta(1, ID_A), meta(2, ID_A), meta(3, ID_A)), {}), {brokers: 3, clusterId: ID_A})
    assert.deepEqual(adoptionOf('dl', volumes(meta(1, ID_A)), {requested: 1}), {brokers: 1, clusterId: ID_A})
    assert.equal(parseProperties(meta(1, ID_A))['cluster.id'], ID_A)
  })

  it('takes volumes a start left unformatted (interrupted early) as they are', () => {
    assert.deepEqual(adoptionOf('dl', volumes(undefined, undefined, undefined), {}), {brokers: 3, clusterId: undefined})
    assert.deepEqual(adoptionOf('dl', volumes(meta(1, ID_A), undefined, undefined), {}), {brokers: 3, clusterId: ID_A})
  })

  it('refuses volumes of two clusters, a gap, a node in the wrong volume, or another broker count, with the way out', () => {
    refused(() => adoptionOf('dl', volumes(meta(1, ID_A), meta(2, ID_B), meta(3, ID_A)), {saved: 3}), /belong to different Kafka clusters .*iKJK.* on node\(s\) 1, 3; 92RF.* on node\(s\) 2/)
    refused(() => adoptionOf('dl', [{nodeId: 2, volume: 'kcl-dl_kafka-2-data', meta: meta(2, ID_B)}], {requested: 3}), /volumes for node\(s\) 2 but none for node\(s\) 1/)
    refused(() => adoptionOf('dl', volumes(meta(2, ID_A)), {}), /holds node 2's data, not node 1's/)
    refused(() => adoptionOf('dl', volumes(meta(1, ID_A)), {requested: 3}), /data of 1 broker\(s\) .*cannot start with 3/)
    refused(() => adoptionOf('dl', volumes(meta(1, ID_A), meta(2, ID_A), meta(3, ID_A)), {saved: 1}), /data of 3 broker\(s\) .*cannot start with 1/)
  })

  it('with a saved spec, takes the volumes of some of its nodes (one wiped, as kcl doctor suggests)', () => {
    const wiped = volumes(meta(1, ID_A), meta(2, ID_A), meta(3, ID_A)).filter((v) => v.nodeId !== 2)
    assert.deepEqual(adoptionOf('dl', wiped, {saved: 3}), {brokers: 3, clusterId: ID_A})
  })
})

describe('saved cluster state', () => {
  const good = () => ({...newClusterSpec({name: 'dl', brokers: 3}), clusterId: ID_A}) as Record<string, unknown>

  it('accepts what kcl writes, older specs without security, and unknown fields', () => {
    assert.equal(savedSpecProblem(good(), 'dl'), undefined)
    const {security: _, ...old} = good()
    assert.equal(savedSpecProblem({...old, comment: 'mine'}, 'dl'), undefined)
  })

  it('names the first bad field of a broken or hand-edited spec', () => {
    const cases: [unknown, RegExp][] = [
      [{}, /"name" must be "dl" \(the name of its directory\), not missing/],
      [null, /must hold a JSON object, not null/],
      ['dl', /must hold a JSON object, not "dl"/],
      [[good()], /must hold a JSON object/],
      [{...good(), name: 'other'}, /"name" must be "dl" .*not "other"/],
      [{...good(), brokers: 1e9}, /"brokers" must be a whole number from 1 to 9, not 1000000000/],
      [{...good(), brokers: '3'}, /"brokers" .* not "3"/],
      [{...good(), basePort: 65535}, /"basePort" must be a whole number from 1024 to 65533/],
      [{...good(), image: 'bad image'}, /"image" must be a Docker image reference/],
      [{...good(), expose: 'no'}, /"expose" must be true or false, not "no"/],
      [{...good(), heap: '-1'}, /"heap"/],
      [{...good(), clusterId: 'x'}, /"clusterId" must be a KRaft cluster id/],
      [{...good(), ui: 'grafana'}, /"ui" must be kafdrop or kafka-ui/],
      [{...good(), ui: 'kafdrop', uiPort: 80}, /"uiPort"/],
      [{...good(), uiPort: 9000}, /"ui" must be set when "uiPort" is/],
      [{...good(), security: 'tls'}, /"security" must be plaintext, ssl/],
    ]
    for (const [value, pattern] of cases) assert.match(savedSpecProblem(value, 'dl') ?? 'accepted', pattern, JSON.stringify(value))
  })

  it('refuses a broken cluster.json with one line naming the file, and the way out', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kcl-unit-home-'))
    const env = {KCL_HOME: home}
    await saveSpec(newClusterSpec({name: 'dl'}), env)
    const file = join(home, 'clusters', 'dl', 'cluster.json')
    assert.equal((await readSpec('dl', env))?.name, 'dl')
    for (const [text, pattern] of [['{', /cluster\.json is not valid JSON\./], ['{}', /cluster\.json: "name" must be "dl"/], ['null', /must hold a JSON object/]] as const) {
      writeFileSync(file, text)
      await assert.rejects(readSpec('dl', env), (error: unknown) => error instanceof KclError && error.message.startsWith(file) && pattern.test(error.message) && /adopts the cluster's data/.test(error.hint ?? ''))
    }
  })

  it('writes the spec whole through a rename, leaving no temporary file', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kcl-unit-home-'))
    await saveSpec(newClusterSpec({name: 'dl'}), {KCL_HOME: home})
    assert.deepEqual(readdirSync(join(home, 'clusters', 'dl')), ['cluster.json'])
    assert.equal(JSON.parse(readFileSync(join(home, 'clusters', 'dl', 'cluster.json'), 'utf8')).name, 'dl')
  })

  it('resolves KCL_HOME to an absolute path and ignores a relative XDG_DATA_HOME', () => {
    assert.equal(kclHome({KCL_HOME: 'rel/home'}), join(process.cwd(), 'rel/home'))
    assert.equal(kclHome({KCL_HOME: '/abs/home'}), '/abs/home')
    assert.match(kclHome({XDG_DATA_HOME: 'relative'}), /\/\.local\/share\/kcl$/)
    assert.equal(kclHome({XDG_DATA_HOME: '/data'}), '/data/kcl')
  })
})

describe('the per-cluster lock', () => {
  it('makes a second holder wait, then refuse with one line naming the holder; frees the lock after', async () => {
    const env = {KCL_HOME: mkdtempSync(join(tmpdir(), 'kcl-unit-home-'))}
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const first = withClusterLock('dl', 'kcl up', () => held, {env})
    await new Promise((resolve) => setTimeout(resolve, 50))
    await assert.rejects(
      withClusterLock('dl', 'kcl up', async () => assert.fail('ran beside the holder'), {env, waitMs: 300}),
      (error: unknown) => error instanceof KclError && error.exitCode === 3 && /Another `kcl up` \(process \d+, since .*\) is changing cluster "dl"/.test(error.message),
    )
    assert.equal(await withClusterLock('other', 'kcl up', async () => 'free', {env, waitMs: 0}), 'free', 'one lock per cluster')
    const waiter = withClusterLock('dl', 'kcl down', async () => 'after', {env, waitMs: 5000})
    release()
    await first
    assert.equal(await waiter, 'after')
    assert.equal(existsSync(join(env.KCL_HOME, 'locks')), false, 'nothing of the lock is left')
  })

  it('takes over the lock of a process that is gone (kill -9)', async () => {
    const env = {KCL_HOME: mkdtempSync(join(tmpdir(), 'kcl-unit-home-'))}
    const child = spawn(process.execPath, ['-e', ''])
    await new Promise((resolve) => child.on('exit', resolve))
    mkdirSync(join(env.KCL_HOME, 'locks'))
    writeFileSync(join(env.KCL_HOME, 'locks', 'dl.lock'), JSON.stringify({pid: child.pid, command: 'kcl up', since: 'then'}))
    assert.equal(await withClusterLock('dl', 'kcl up', async () => 'ran', {env, waitMs: 0}), 'ran')
    mkdirSync(join(env.KCL_HOME, 'locks'), {recursive: true})
    writeFileSync(join(env.KCL_HOME, 'locks', 'dl.lock'), 'garbage')
    assert.equal(await withClusterLock('dl', 'kcl up', async () => 'ran', {env, waitMs: 0}), 'ran')
    assert.equal(existsSync(join(env.KCL_HOME, 'locks')), false)
  })
})
