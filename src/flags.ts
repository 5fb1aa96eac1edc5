import {Flags} from '@oclif/core'

/** Flags shared by many commands, declared once so they read the same everywhere. */
export const clusterNameFlag = Flags.string({
  char: 'n',
  description: 'kcl cluster to use (default: the only one running, else "local")',
  helpValue: 'NAME',
})

export const bootstrapServerFlag = Flags.string({
  char: 'b',
  description: 'Kafka to connect to, host:port[,host:port…]; any Kafka, not only kcl\'s (env: KCL_BOOTSTRAP_SERVER)',
  helpValue: 'HOST:PORT',
})

export const yesFlag = Flags.boolean({char: 'y', description: 'do not ask for confirmation', default: false})
