import {Flags} from '@oclif/core'
import {KclCommand} from '../base-command.ts'
import {MAX_BROKERS} from '../cluster/spec.ts'
import type {DoctorReport} from '../doctor/doctor.ts'
import {doctorRun, type RepairOutcome} from '../doctor/repair.ts'
import {clusterNameFlag, yesFlag} from '../flags.ts'
import {confirm} from '../ui/confirm.ts'
import {renderDoctorReport, renderDoctorRun, renderRepairPlan, renderRepairs} from '../ui/doctor-report.ts'

export default class Doctor extends KclCommand {
  static summary = 'Find, explain and fix what stops a local Kafka cluster from working.'
  static description = `Checks Docker (command, daemon, socket permission), Compose, memory and disk for the brokers, image architecture, host ports and Docker's address pools, leftovers and name conflicts, and, when a cluster runs, its brokers, advertised listeners, controller quorum, partitions and the cluster ids in its volumes. Prints the fix under each problem.

--fix repairs what is safe (removes exited kcl containers and unused kcl networks, starts stopped brokers), asking first; it never deletes volumes or anything kcl did not create, and prints the commands for those instead. Exits 1 when a check fails; warnings alone do not.`
  static examples = [
    {description: 'Check this machine and the running cluster', command: '<%= config.bin %> doctor'},
    {description: 'Check what `kcl up --brokers 3 --port 19092` needs, with details', command: '<%= config.bin %> doctor --brokers 3 --port 19092 --verbose'},
    {description: 'Repair what is safe to repair, without asking', command: '<%= config.bin %> doctor --name dev --fix --yes'},
    {description: 'For scripts', command: '<%= config.bin %> doctor --json'},
  ]
  static enableJsonFlag = true
  static flags = {
    name: clusterNameFlag,
    brokers: Flags.integer({description: `check for a cluster of N brokers, 1 to ${MAX_BROKERS} [default: the cluster's, else 1]`, helpValue: 'N'}),
    port: Flags.integer({char: 'p', description: 'check host ports from PORT on [default: the cluster\'s, else 9092]', helpValue: 'PORT'}),
    verbose: Flags.boolean({char: 'v', description: 'show details of every check'}),
    fix: Flags.boolean({description: 'repair what is safe to repair (asks first; --yes to not ask)'}),
    yes: yesFlag,
  }

  async run(): Promise<DoctorReport & {repairs?: RepairOutcome[]}> {
    const {flags} = await this.parse(Doctor)
    const human = !this.jsonEnabled()
    const show = (text: string): void => {
      if (human) this.log(text)
    }
    const options = {name: flags.name, brokers: flags.brokers, port: flags.port, verbose: flags.verbose}
    const run = await doctorRun(
      options,
      flags.fix
        ? {
            approve: async (report, planned) => {
              show(renderDoctorReport(report, {verbose: flags.verbose}) + '\n\n' + renderRepairPlan(planned))
              return confirm('Fix these now?', {yes: flags.yes, what: 'repair with kcl doctor --fix'})
            },
            repaired: (repairs) => show('\n' + renderRepairs(repairs) + '\n'),
          }
        : undefined,
    )
    show(renderDoctorRun(run, {verbose: flags.verbose}))
    if (!run.report.ok || run.repairs?.some((repair) => !repair.ok)) process.exitCode = 1
    return run.repairs ? {...run.report, repairs: run.repairs} : run.report
  }
}
