import {execa} from 'execa'

/** Names of the containers, volumes or networks Docker holds for a kcl cluster (by its label), to prove what exists. */
export async function clusterResources(kind: 'container' | 'volume' | 'network', cluster: string): Promise<string[]> {
  const [args, format] = kind === 'container' ? [['ps', '--all'], '{{.Names}}'] : [[kind, 'ls'], '{{.Name}}']
  const {stdout} = await execa('docker', [...args, '--filter', `label=com.kcl.cluster=${cluster}`, '--format', format])
  return stdout.split('\n').filter(Boolean).sort()
}

/** Whether the `docker compose` v2 plugin works here; the e2e tests run kcl with both compose variants when it does. */
export async function hasComposeV2(): Promise<boolean> {
  return !(await execa('docker', ['compose', 'version'], {reject: false})).failed
}
