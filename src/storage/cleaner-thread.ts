// One log cleaner thread as the main thread holds it: a Bun Worker running cleaner-worker.ts,
// one cleaning at a time. The worker does the reading and writing; each `.cleaned` segment it
// finishes comes back here as a swap request, and the swap itself (commit, then the synchronous
// replaceSegments) runs on the main thread, which owns the PartitionLog: a reader on the event
// loop sees the old segments or the new one, never a mix.
//
// Where the worker's code is: beside the start-up bundle (scripts/bundle.sh builds
// dist/sluice-cleaner-worker.js), in the single executable (scripts/release.sh embeds it as
// src/storage/cleaner-worker.js beside the entry), else the source file beside this one.

import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { addonPath } from '../native.ts'
import type { CleanJob, PassResult } from './cleaner-pass.ts'
import type { FromCleanerThread, ToCleanerThread } from './cleaner-worker.ts'

export const BUNDLED_WORKER_FILE = 'sluice-cleaner-worker.js'

function workerEntry(): string {
  const candidates = [
    join(dirname(Bun.main), BUNDLED_WORKER_FILE),
    join(dirname(Bun.main), 'src/storage/cleaner-worker.js'),
  ]
  return candidates.find((path) => existsSync(path)) ?? join(import.meta.dir, 'cleaner-worker.ts')
}

export interface CleanerThreadShared {
  control: SharedArrayBuffer
  throttleState: SharedArrayBuffer
}

export class CleanerThread {
  private onMessage: ((message: FromCleanerThread) => void) | null = null
  private failure: string | null = null
  private terminated = false

  private constructor(private readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<FromCleanerThread>) => this.onMessage?.(event.data)
    worker.onerror = (event: ErrorEvent) => {
      this.failure = `the cleaner thread failed: ${event.message}`
      this.onMessage?.({ type: 'failed', message: this.failure })
    }
    worker.unref() // a cleaner thread never keeps a stopping process alive
  }

  /** Starts a thread and waits until it has loaded the cleaner's code. */
  static async start(shared: CleanerThreadShared): Promise<CleanerThread> {
    const thread = new CleanerThread(new Worker(workerEntry()))
    const ready = thread.next()
    thread.send({ type: 'init', addonPath, ...shared })
    const message = await ready
    if (message.type !== 'ready') {
      thread.terminate()
      throw new Error(message.type === 'failed' ? message.message : 'cleaner thread: no ready')
    }
    return thread
  }

  get alive(): boolean {
    return !this.terminated && this.failure === null
  }

  /**
   * Runs `job` on the thread; `swap` is called (on the main thread) for every group it cleaned
   * and says whether the group was swapped in. Throws what the thread threw.
   */
  async run(
    job: CleanJob,
    swap: (group: { baseOffset: number; count: number }) => Promise<boolean>,
  ): Promise<PassResult | null> {
    if (!this.alive) throw new Error(this.failure ?? 'the cleaner thread was stopped')
    // Referenced while it works: Bun's event loop, with nothing else referenced (a process
    // without a listener: the bench, tools, tests), polls instead of sleeping while it waits for
    // an unreferenced Worker's message, which cost the main thread 10-20% of a core for as long
    // as a cleaning lasted (issue 14's "gzip got slower": see bench/RESULTS.md).
    this.worker.ref()
    try {
      return await this.exchange(job, swap)
    } finally {
      if (!this.terminated) this.worker.unref()
    }
  }

  private async exchange(
    job: CleanJob,
    swap: (group: { baseOffset: number; count: number }) => Promise<boolean>,
  ): Promise<PassResult | null> {
    this.send({ type: 'clean', job })
    for (;;) {
      const message = await this.next()
      switch (message.type) {
        case 'swap': {
          let ok = false
          try {
            ok = await swap(message)
          } finally {
            this.send({ type: 'swapped', ok })
          }
          break
        }
        case 'done':
          return message.result
        case 'failed':
          throw new Error(message.message)
        case 'ready':
          throw new Error('cleaner thread: unexpected ready')
      }
    }
  }

  terminate(): void {
    if (this.terminated) return
    this.terminated = true
    this.onMessage?.({ type: 'failed', message: 'the cleaner thread was stopped' })
    void this.worker.terminate()
  }

  private next(): Promise<FromCleanerThread> {
    if (this.failure !== null) return Promise.resolve({ type: 'failed', message: this.failure })
    return new Promise((resolve) => {
      this.onMessage = (message) => {
        this.onMessage = null
        resolve(message)
      }
    })
  }

  private send(message: ToCleanerThread): void {
    this.worker.postMessage(message)
  }
}
