/**
 * Command lines kcl answers without loading oclif (src/help/fast-path.ts), each with one that goes through oclif (an
 * extra flag or argument is enough) and must print the same text.
 */
export const FAST_PATH_AND_OCLIF_ARGVS: ReadonlyArray<[fastPath: string[], throughOclif: string[]]> = [
  [['--version'], ['--version', 'extra']],
  [['-v'], ['--version', 'extra']],
  [[], ['--json', '--help']],
  [['-h'], ['--json', '--help']],
  [['topic', '--help'], ['topic', '--json', '--help']],
  [['topic'], ['topic', '--json', '--help']],
  [['topic', 'list', '--help'], ['topic', 'list', '--json', '--help']],
  [['produce', '-h'], ['produce', '-h', '--key', 'k']],
  [['group', 'reset', '--help'], ['group', 'reset', 'g1', '--help']],
]

/** DEBUG for oclif's own debug output, on stderr: a run that loads oclif writes some, one that doesn't writes none. */
export const OCLIF_DEBUG = {DEBUG: 'oclif:*'}

/** The part of a command's help that oclif's parse errors repeat below the message: USAGE to the last flags. */
export function usageToFlags(help: string): string {
  const end = help.search(/\n\n(DESCRIPTION|ALIASES|EXAMPLES)\n/)
  return help.slice(help.indexOf('USAGE\n'), end === -1 ? undefined : end)
}

export function commandLine(argv: string[]): string {
  return ['kcl', ...argv].join(' ')
}
