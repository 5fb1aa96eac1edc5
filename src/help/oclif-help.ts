import {Help, type Command, type Interfaces} from '@oclif/core'
import {helpCliOf, helpLayout, renderCommandHelp, renderRootHelp, renderTopicHelp, type HelpLayout} from './render.ts'

/**
 * kcl's help class for oclif (package.json oclif.helpClass; the binary hands it over in src/sea/main.ts). oclif still
 * works out what the command line asks help for; kcl's renderer draws it, so the text is the same as the one
 * src/help/fast-path.ts prints without oclif.
 */
export default class KclHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    this.log(renderRootHelp(helpCliOf(this.config), this.layout()))
  }

  protected override async showTopicHelp(topic: Interfaces.Topic): Promise<void> {
    this.log(renderTopicHelp(helpCliOf(this.config), topic.name, this.layout()))
  }

  override async showCommandHelp(command: Command.Loadable): Promise<void> {
    this.log(renderCommandHelp(helpCliOf(this.config), command.id, this.layout()))
  }

  private layout(): HelpLayout {
    return helpLayout(this.opts.sendToStderr ? process.stderr : process.stdout)
  }
}
