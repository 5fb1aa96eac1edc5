import assert from 'node:assert/strict'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {clusterResources} from '../support/docker.ts'
import {kcl, tempKclHome} from '../support/kcl.ts'

// `kcl up --native` runs apache/kafka-native, which cannot be pulled on the machines kcl is tested on (no registry):
// what is proven here is the way it fails when its image cannot be had, on a real engine. A repository that exists
// nowhere makes the pull fail the same way on a machine that can reach a registry.
const CLUSTER = 'perf-native'
const PORT = '26750'
/** stderr as one line: oclif wraps long messages and prefixes each line. */
const flat = (stderr: string) => stderr.replace(/\s*\n ›\s+/g, ' ').replace(/\s+/g, ' ')

describe('kcl up --native without the native image', () => {
  it('fails with one line naming the image and how to get it, exit 3, and leaves nothing behind', async () => {
    const home = tempKclHome()
    const up = await kcl(['up', '--native', '--name', CLUSTER, '--port', PORT], {env: {KCL_HOME: home, KCL_KAFKA_REPOSITORY: 'kcl-test/absent', KCL_KAFKA_IMAGE: undefined}})
    assert.equal(up.exitCode, 3, up.stderr)
    const error = up.stderr.split('\n').filter((line) => line.includes('Error:'))
    assert.equal(error.length, 1, up.stderr)
    assert.match(flat(up.stderr), /Docker could not download the image kcl-test\/absent-native:4\.4\.0: the registry cannot be reached or does not have it\./)
    assert.match(flat(up.stderr), /or run kcl up without --native/)
    assert.doesNotMatch(up.stderr, /\n\s+at /, 'no stack trace')
    for (const kind of ['container', 'volume', 'network'] as const) assert.deepEqual(await clusterResources(kind, CLUSTER), [], kind)
    assert.equal(existsSync(join(home, 'clusters', CLUSTER)), false, 'the cluster is not remembered')
  })

  it('refuses a release without a native image, or SASL on one before 4.4, in one line before touching Docker', async () => {
    const old = await kcl(['up', '--native', '--kafka-version', '3.7.0', '--name', CLUSTER], {env: {KCL_HOME: tempKclHome()}})
    assert.equal(old.exitCode, 2)
    assert.match(flat(old.stderr), /Kafka 3\.7\.0 has no native image: apache\/kafka-native starts with Kafka 3\.8\.0\./)
    const sasl = await kcl(['up', '--native', '--kafka-version', '3.9.1', '--security', 'sasl_ssl', '--name', CLUSTER], {env: {KCL_HOME: tempKclHome()}})
    assert.equal(sasl.exitCode, 2)
    assert.match(flat(sasl.stderr), /The native image of Kafka 3\.9\.1 cannot do SASL/)
    const both = await kcl(['up', '--native', '--image', 'kcl-test/kafka:4.4.0', '--name', CLUSTER], {env: {KCL_HOME: tempKclHome()}})
    assert.equal(both.exitCode, 2)
    assert.match(both.stderr, /--image/)
  })
})
