import {Args} from '@oclif/core'
import {KclCommand} from '../base-command.ts'
import {completionScript, SHELLS} from '../completion/scripts.ts'

export default class Completion extends KclCommand {
  static summary = 'Print the shell completion script for bash, zsh, fish or PowerShell.'
  static description = `Commands, flags and flag values complete, and so do the names of kcl's clusters, the topics and consumer groups of the cluster the command line points at (-b, --name, or the only one running) and broker ids. Lookups give up after 2 s (KCL_COMPLETE_TIMEOUT_MS) and offer nothing rather than hang.

The script asks kcl itself on every TAB, so it keeps up with newer kcl versions without being installed again.`
  static examples = [
    {description: 'bash: add to ~/.bashrc', command: 'source <(<%= config.bin %> completion bash)'},
    {description: 'zsh: add to ~/.zshrc, after compinit', command: 'source <(<%= config.bin %> completion zsh)'},
    {description: 'fish: save it where fish finds completions', command: '<%= config.bin %> completion fish > ~/.config/fish/completions/kcl.fish'},
    {description: 'PowerShell 7.3 or newer: add to $PROFILE', command: '<%= config.bin %> completion powershell | Out-String | Invoke-Expression'},
  ]
  static args = {
    shell: Args.string({description: 'the shell', required: true, options: [...SHELLS]}),
  }

  async run(): Promise<void> {
    const {args} = await this.parse(Completion)
    process.stdout.write(completionScript(args.shell as (typeof SHELLS)[number]))
  }
}
