// The entry of a log cleaner thread: a Bun Worker that cleanings run on (cleaner-pass.ts), so
// their reads, decompression, key map and writes never hold the event loop that serves produce
// and fetch. The main thread (cleaner-thread.ts) starts it and sends, in order:
//   init  {addonPath, control, throttleState}: answered by `ready`
//   clean {job}: answered by any number of `swap` {baseOffset, count}, each awaiting the main
//         thread's `swapped` {ok}, then `done` {result} or `failed` {message}
// The native addon's path comes with init, because the single executable embeds the addon where
// only the main thread was told; so nothing that loads it is imported before init.

import type { CleanJob, PassResult } from './cleaner-pass.ts'

export type ToCleanerThread =
  | {
      type: 'init'
      addonPath: string
      /** Int32Array: [0] is 1 once the broker is stopping. */
      control: SharedArrayBuffer
      throttleState: SharedArrayBuffer
    }
  | { type: 'clean'; job: CleanJob }
  | { type: 'swapped'; ok: boolean }

export type FromCleanerThread =
  | { type: 'ready' }
  | { type: 'swap'; baseOffset: number; count: number }
  | { type: 'done'; result: PassResult | null }
  | { type: 'failed'; message: string }

declare const self: Worker

const post = (message: FromCleanerThread) => self.postMessage(message)
let run: ((job: CleanJob) => Promise<PassResult | null>) | null = null
let swapped: ((ok: boolean) => void) | null = null

self.onmessage = (event: MessageEvent<ToCleanerThread>) => {
  const message = event.data
  if (message.type === 'swapped') {
    swapped?.(message.ok)
    swapped = null
  } else if (message.type === 'init') {
    void init(message).then(
      () => post({ type: 'ready' }),
      (error) => post({ type: 'failed', message: describe(error) }),
    )
  } else if (run === null) {
    post({ type: 'failed', message: 'the cleaner thread got a job before init' })
  } else {
    run(message.job).then(
      (result) => post({ type: 'done', result }),
      (error) => post({ type: 'failed', message: describe(error) }),
    )
  }
}

async function init(message: Extract<ToCleanerThread, { type: 'init' }>): Promise<void> {
  ;(globalThis as { sluiceEmbeddedAddon?: string }).sluiceEmbeddedAddon = message.addonPath
  const [{ runCleanJob }, { SharedThrottle }, { SegmentReadBuffer }] = await Promise.all([
    import('./cleaner-pass.ts'),
    import('./cleaner-throttle.ts'),
    import('./segment-batches.ts'),
  ])
  const control = new Int32Array(message.control)
  const stopping = () => Atomics.load(control, 0) !== 0
  const throttle = new SharedThrottle(message.throttleState, stopping)
  const buffer = new SegmentReadBuffer()
  run = (job) =>
    runCleanJob(job, {
      throttle: (bytes) => throttle.take(bytes),
      get stopping() {
        return stopping()
      },
      buffer,
      swap: (group) =>
        new Promise<boolean>((resolve) => {
          swapped = resolve
          post({ type: 'swap', ...group })
        }),
    })
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
