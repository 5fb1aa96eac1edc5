/**
 * A step of a long operation as domain modules describe it, free of any rendering library; src/ui/progress.ts
 * shows it live in a terminal, as plain lines in a log, or not at all.
 */
export interface ProgressTask {
  title: string
  /** Does the step's work; may retitle the step as it learns more. */
  run?: (retitle: (title: string) => void) => Promise<void>
  /** Steps that run at the same time under this one, e.g. one per broker. */
  concurrent?: ProgressTask[]
}
