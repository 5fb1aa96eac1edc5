import type {ComponentChildren} from 'preact'
import {useEffect, useRef, useState} from 'preact/hooks'

export interface ActionDialogProps {
  title: string
  /** The form's fields. */
  children: ComponentChildren
  /** What will happen, in words, shown before anything is done; undefined while the form is incomplete. */
  describe: () => string | undefined
  confirmLabel: string
  /** Does it; resolves with the sentence that says what was done. */
  run: () => Promise<string>
  onClose: () => void
}

/** A modal form that asks "are you sure?" with a plain sentence before it changes anything. */
export function ActionDialog({title, children, describe, confirmLabel, run, onClose}: ActionDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null)
  const [step, setStep] = useState<'edit' | 'confirm' | 'working' | 'done'>('edit')
  const [message, setMessage] = useState<string>()
  const [error, setError] = useState<string>()
  useEffect(() => {
    dialog.current?.showModal()
  }, [])

  const review = (event: Event) => {
    event.preventDefault()
    const description = describe()
    if (description === undefined) return
    setMessage(description)
    setError(undefined)
    setStep('confirm')
  }
  const confirm = async () => {
    setStep('working')
    try {
      setMessage(await run())
      setStep('done')
    } catch (failure) {
      setError((failure as Error).message)
      setStep('edit')
    }
  }
  const headingId = `dialog-${title.replace(/\W+/g, '-').toLowerCase()}`
  return (
    <dialog ref={dialog} aria-labelledby={headingId} onClose={onClose}>
      <h2 id={headingId}>{title}</h2>
      {step === 'edit' && (
        <form onSubmit={review}>
          {children}
          {error && <p role="alert" class="bad">{error}</p>}
          <div class="buttons">
            <button type="submit">Review…</button>
            <button type="button" onClick={() => dialog.current?.close()}>Cancel</button>
          </div>
        </form>
      )}
      {(step === 'confirm' || step === 'working') && (
        <div>
          <p>{message}</p>
          <div class="buttons">
            <button type="button" disabled={step === 'working'} onClick={confirm}>{step === 'working' ? 'Working…' : confirmLabel}</button>
            <button type="button" disabled={step === 'working'} onClick={() => setStep('edit')}>Back</button>
          </div>
        </div>
      )}
      {step === 'done' && (
        <div>
          <p role="status" class="good">{message}</p>
          <div class="buttons">
            <button type="button" onClick={() => dialog.current?.close()}>Close</button>
          </div>
        </div>
      )}
    </dialog>
  )
}
