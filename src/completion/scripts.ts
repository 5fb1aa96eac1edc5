// The shell scripts `kcl completion SHELL` prints, kept as plain files in completion-scripts/. Each one asks kcl itself
// (`kcl __complete WORD…`, see ./complete-command.ts) on every TAB with the words up to the cursor, so commands, flags
// and the values of a newer kcl complete without installing the script again. Each calls the program as it was typed
// (kcl, or a path to it).
import {readPackageFile} from '../package-files.ts'

export const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const
export type Shell = (typeof SHELLS)[number]

const FILES: Record<Shell, string> = {bash: 'kcl.bash', zsh: 'kcl.zsh', fish: 'kcl.fish', powershell: 'kcl.ps1'}

export function completionScript(shell: Shell): string {
  return readPackageFile(`completion-scripts/${FILES[shell]}`)
}
