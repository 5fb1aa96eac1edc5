import type {Command} from '@oclif/core'

// The command table: oclif's manifest (oclif.manifest.json, made at build time from every command) answers help and
// parses flags, and a command line loads only the command it runs, with its own dependencies. One bundle can carry the
// table (dist/kcl.cjs, the standalone binary), so no command file needs to be found on disk. Keep it sorted by id.
export const COMMAND_LOADERS: Record<string, () => Promise<{default: Command.Class}>> = {
  'broker:restart': () => import('./commands/broker/restart.ts'),
  'broker:start': () => import('./commands/broker/start.ts'),
  'broker:stop': () => import('./commands/broker/stop.ts'),
  'cluster:failover': () => import('./commands/cluster/failover.ts'),
  'cluster:restore': () => import('./commands/cluster/restore.ts'),
  completion: () => import('./commands/completion.ts'),
  consume: () => import('./commands/consume.ts'),
  doctor: () => import('./commands/doctor.ts'),
  down: () => import('./commands/down.ts'),
  'group:delete': () => import('./commands/group/delete.ts'),
  'group:describe': () => import('./commands/group/describe.ts'),
  'group:list': () => import('./commands/group/list.ts'),
  'group:reset': () => import('./commands/group/reset.ts'),
  produce: () => import('./commands/produce.ts'),
  'profile:create': () => import('./commands/profile/create.ts'),
  'profile:delete': () => import('./commands/profile/delete.ts'),
  'profile:list': () => import('./commands/profile/list.ts'),
  'profile:show': () => import('./commands/profile/show.ts'),
  'profile:use': () => import('./commands/profile/use.ts'),
  status: () => import('./commands/status.ts'),
  'topic:create': () => import('./commands/topic/create.ts'),
  'topic:delete': () => import('./commands/topic/delete.ts'),
  'topic:describe': () => import('./commands/topic/describe.ts'),
  'topic:list': () => import('./commands/topic/list.ts'),
  ui: () => import('./commands/ui.ts'),
  up: () => import('./commands/up.ts'),
}

/** One command's class, loaded with its dependencies; undefined for an id kcl does not have. */
export async function loadCommand(id: string): Promise<Command.Class | undefined> {
  return (await COMMAND_LOADERS[id]?.())?.default
}

/** Every command's class, by id: what the build computes oclif's manifest from. */
export async function loadAllCommands(): Promise<Record<string, Command.Class>> {
  return Object.fromEntries(await Promise.all(Object.entries(COMMAND_LOADERS).map(async ([id, load]) => [id, (await load()).default] as const)))
}
