// Producer ids and the InitProducerId rules.
//
// Ids: allocated in blocks of 1000 (Kafka's ProducerIdManager block size). The end of the
// current block is written to `__sluice_producer_ids.json` in the first log dir before any id of
// the block is handed out, so an id is never given twice, across restarts and crashes alike. The
// write and its fsyncs run on Bun's thread pool: with the disk busy, an fsync on the event loop
// held every client's requests for 0.1-1.2 s (the topic image's, bench/RESULTS.md, issue 17).
//
// InitProducerId: an idempotent producer (no transactional id) always gets a fresh id with epoch 0,
// as in Kafka. A transactional id keeps its id and gets its epoch bumped (KIP-360); a request that
// names an older id/epoch than the current one is PRODUCER_FENCED. Transactions themselves
// (AddPartitionsToTxn, EndTxn, markers) arrive later; transactional ids live in memory until then.

import { join } from 'node:path'
import { readTextIfExists, writeTextFileAtomicAsync } from '../storage/checkpoint.ts'

export const producerIdsFileName = '__sluice_producer_ids.json'
export const producerIdBlockSize = 1000
const producerEpochMax = 0x7fff

export interface InitProducerIdResult {
  errorName: 'NONE' | 'PRODUCER_FENCED'
  producerId: number
  producerEpoch: number
}

/** The allocator of producer ids and the epochs of transactional ids (in memory for now). */
export class ProducerIds {
  private nextProducerId = 0
  private blockEnd = 0
  private readonly transactional = new Map<string, { producerId: number; producerEpoch: number }>()
  private idChain: Promise<unknown> = Promise.resolve()

  private constructor(private readonly dir: string) {}

  /** Continues after the last block written to `dir`, or starts at 0. */
  static load(dir: string): ProducerIds {
    const ids = new ProducerIds(dir)
    const text = readTextIfExists(join(dir, producerIdsFileName))
    if (text !== null) {
      const { blockEnd } = JSON.parse(text) as { blockEnd: number }
      ids.nextProducerId = ids.blockEnd = blockEnd
    }
    return ids
  }

  /** A fresh producer id; the block it comes from is on disk before it is returned. */
  allocate(): Promise<number> {
    const result = this.idChain.then(async () => {
      if (this.nextProducerId >= this.blockEnd) {
        const blockEnd = this.nextProducerId + producerIdBlockSize
        const text = JSON.stringify({ blockEnd }) + '\n'
        await writeTextFileAtomicAsync(join(this.dir, producerIdsFileName), text)
        this.blockEnd = blockEnd
      }
      return this.nextProducerId++
    })
    this.idChain = result.catch(() => undefined)
    return result
  }

  async initProducerId(request: {
    transactionalId: string | null
    producerId: number
    producerEpoch: number
  }): Promise<InitProducerIdResult> {
    if (request.transactionalId === null) {
      return { errorName: 'NONE', producerId: await this.allocate(), producerEpoch: 0 }
    }
    const current = this.transactional.get(request.transactionalId)
    const named = request.producerId >= 0
    if (current && named) {
      const matches =
        request.producerId === current.producerId && request.producerEpoch === current.producerEpoch
      const isRetry =
        request.producerId === current.producerId &&
        request.producerEpoch === current.producerEpoch - 1
      if (isRetry) return { errorName: 'NONE', ...current }
      if (!matches) return { errorName: 'PRODUCER_FENCED', producerId: -1, producerEpoch: -1 }
    }
    let next: { producerId: number; producerEpoch: number }
    if (current && current.producerEpoch < producerEpochMax - 1) {
      next = { producerId: current.producerId, producerEpoch: current.producerEpoch + 1 }
    } else {
      next = { producerId: await this.allocate(), producerEpoch: 0 }
    }
    this.transactional.set(request.transactionalId, next)
    return { errorName: 'NONE', ...next }
  }
}
