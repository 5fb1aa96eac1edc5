import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {classifyDockerFailure} from '../../src/docker/errors.ts'

function classify(stderr: string, command = 'docker', spawnErrorCode?: string) {
  return classifyDockerFailure({command, stderr, spawnErrorCode})
}

describe('docker error classification', () => {
  it('recognises a missing docker binary and a missing docker-compose', () => {
    assert.match(classify('', 'docker', 'ENOENT')?.message ?? '', /Docker is not installed/)
    assert.match(classify('', 'docker-compose', 'ENOENT')?.message ?? '', /Docker Compose is not installed/)
  })

  it('recognises a stopped daemon, with the address it tried', () => {
    const error = classify('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?')
    assert.match(error?.message ?? '', /not running \(nothing answers at unix:\/\/\/var\/run\/docker.sock\)/)
    assert.match(error?.hint ?? '', /systemctl start docker.*Docker Desktop.*colima/)
    assert.equal(error?.exitCode, 3)
    assert.match(classify("Couldn't connect to Docker daemon at http+docker://localhost - is it running?", 'docker-compose')?.message ?? '', /not running/)
  })

  it('recognises a socket the user may not use', () => {
    const error = classify(
      'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.24/info": dial unix /var/run/docker.sock: connect: permission denied',
    )
    assert.match(error?.message ?? '', /Permission denied on the Docker socket \/var\/run\/docker.sock/)
    assert.match(error?.hint ?? '', /usermod -aG docker/)
  })

  it('recognises no compose plugin, taken ports, name conflicts and exhausted address pools', () => {
    assert.match(classify("docker: 'compose' is not a docker command.")?.message ?? '', /Compose is not installed/)
    const port = classify('Error response from daemon: driver failed programming external connectivity on endpoint x: Bind for 127.0.0.1:9092 failed: port is already allocated')
    assert.match(port?.message ?? '', /Port 9092 is already in use/)
    assert.match(port?.hint ?? '', /--port 19092/)
    assert.match(classify('listen tcp4 127.0.0.1:9093: bind: address already in use')?.message ?? '', /Port 9093/)
    assert.match(classify('Conflict. The container name "/zookeeper" is already in use by container "abc".')?.message ?? '', /"zookeeper" already exists/)
    assert.match(classify('Error response from daemon: Pool overlaps with other one on this address space')?.message ?? '', /address pools/)
  })

  it('recognises an image that cannot be pulled', () => {
    const offline = classify('Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.0.0.53:53: no such host')
    assert.match(offline?.message ?? '', /could not download the image/)
    assert.match(offline?.hint ?? '', /--image or KCL_KAFKA_IMAGE/)
    const v1 = classify('Pulling kafka-1 (apache/kafka:4.3.1)...\nERROR: Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io: no such host', 'docker-compose')
    assert.match(v1?.message ?? '', /image apache\/kafka:4\.3\.1/)
    assert.match(classify('Error response from daemon: manifest for apache/kafka:9.9.9 not found: manifest unknown')?.message ?? '', /apache\/kafka:9\.9\.9/)
  })

  it('leaves other failures to the caller', () => {
    assert.equal(classify('Error: No such container: x'), undefined)
  })
})
