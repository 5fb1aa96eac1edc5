import type {FixStep} from './types.ts'

/** The fixes that differ per OS, written once: how to install, start and size Docker on Linux, macOS and Windows. */

export const installDocker: FixStep[] = [
  {os: 'linux', text: 'Install Docker Engine: sudo apt-get install docker.io (Debian/Ubuntu), sudo dnf install moby-engine (Fedora), or see https://docs.docker.com/engine/install/'},
  {os: 'macos', text: 'Install Docker Desktop (https://docs.docker.com/desktop/) or colima: brew install colima docker && colima start'},
  {os: 'windows', text: 'Install Docker Desktop (https://docs.docker.com/desktop/) with the WSL 2 backend.'},
]

/** An engine other than the local default socket or pipe: the fix then names it, as the one kcl talks to. */
function isCustomEndpoint(endpoint: string | undefined): endpoint is string {
  return endpoint !== undefined && !/^unix:\/\/\/(var\/)?run\/docker\.sock$|^npipe:/.test(endpoint)
}

export function startDaemon(endpoint: string | undefined): FixStep[] {
  return [
    {os: 'linux', text: 'Start it: sudo systemctl start docker (and sudo systemctl enable docker to start it at boot).'},
    {os: 'macos', text: 'Start Docker Desktop (open -a Docker), or run colima start.'},
    {os: 'windows', text: 'Start Docker Desktop and wait until it says "Engine running".'},
    ...(isCustomEndpoint(endpoint) ? [{text: `kcl talks to ${endpoint} (DOCKER_HOST or the docker context); unset DOCKER_HOST or run docker context use default if that is not your engine.`}] : []),
  ]
}

export function restartDaemon(endpoint: string | undefined): FixStep[] {
  return [
    {os: 'linux', text: 'Restart it: sudo systemctl restart docker (your containers and volumes are kept; kcl clusters start again with kcl up).'},
    {os: 'macos', text: 'Restart Docker Desktop (its whale menu: Restart), or run colima restart.'},
    {os: 'windows', text: 'Restart Docker Desktop (its whale menu: Restart) and wait until it says "Engine running".'},
    ...(isCustomEndpoint(endpoint) ? [{text: `kcl talks to ${endpoint} (DOCKER_HOST or the docker context): that engine is the stuck one.`}] : []),
  ]
}

export function socketPermission(socket: string): FixStep[] {
  return [
    {os: 'linux', text: `Add your user to the docker group: sudo usermod -aG docker $USER, then log out and in again (or run newgrp docker). Check with: ls -l ${socket}`},
    {os: 'linux', text: 'Or use rootless Docker: https://docs.docker.com/engine/security/rootless/'},
    {os: 'macos', text: 'Restart Docker Desktop (or colima restart); it owns the socket for your user.'},
    {os: 'windows', text: 'Restart Docker Desktop; your user must be in the docker-users group.'},
  ]
}

export const installCompose: FixStep[] = [
  {os: 'linux', text: 'Install the Compose plugin: sudo apt-get install docker-compose-plugin (Docker\'s apt repository) or docker-compose (Debian/Ubuntu); see https://docs.docker.com/compose/install/linux/'},
  {os: 'macos', text: 'Docker Desktop includes Compose; with colima: brew install docker-compose and add ~/.docker/cli-plugins to cliPluginsExtraDirs as brew says.'},
  {os: 'windows', text: 'Docker Desktop includes Compose; update it if `docker compose version` fails.'},
]

export function moreMemory(needGiB: string): FixStep[] {
  return [
    {os: 'linux', text: `Free memory for Docker (about ${needGiB} GiB), or ask for less: kcl up --brokers 1 --heap 256m.`},
    {os: 'macos', text: `Give Docker more memory: Docker Desktop → Settings → Resources → Memory (≥ ${needGiB} GiB), or colima stop && colima start --memory ${Math.ceil(Number(needGiB)) + 1}. Or ask for less: kcl up --brokers 1 --heap 256m.`},
    {os: 'windows', text: `Give WSL 2 more memory (memory=${Math.ceil(Number(needGiB)) + 1}GB in %UserProfile%\\.wslconfig, then wsl --shutdown), or ask for less: kcl up --brokers 1 --heap 256m.`},
  ]
}

export function moreDisk(root: string): FixStep[] {
  return [
    {text: 'Free space Docker uses: docker system df shows it; docker image prune and docker builder prune remove what no container needs.'},
    {os: 'linux', text: `Or free space on the file system holding ${root}.`},
    {os: 'macos', text: 'Or raise the disk limit: Docker Desktop → Settings → Resources → Disk usage limit, or colima start --disk 100.'},
    {os: 'windows', text: 'Or raise the disk limit: Docker Desktop → Settings → Resources → Disk usage limit.'},
  ]
}
