// `sluice topic reassign`: moves one partition to other brokers with AlterPartitionReassignments
// (KIP-455), cancels a move with --cancel, or, with neither, lists the topic's moves in progress
// (ListPartitionReassignments), a small kafka-reassign-partitions.sh.

import { flag, option, wholeNumber, type ParsedOptions } from './args.ts'
import { API, BrokerError, type Client } from './client.ts'
import { UsageError } from './usage.ts'

export async function reassign(client: Client, topic: string, parsed: ParsedOptions) {
  const replicasText = option(parsed, '--replicas')
  const cancel = flag(parsed, '--cancel')
  if (replicasText === undefined && !cancel) return listMoves(client, topic)
  if (replicasText !== undefined && cancel) {
    throw new UsageError(`'topic reassign' takes --replicas or --cancel, not both`)
  }
  const partition = wholeNumber(parsed, '--partition')
  if (partition === undefined) throw new UsageError(`'topic reassign' needs --partition`)
  let replicas: number[] | null = null
  if (replicasText !== undefined) {
    if (!/^\d+(,\d+)*$/.test(replicasText)) {
      throw new UsageError(`--replicas '${replicasText}': expected broker ids such as 1,2,3`)
    }
    replicas = replicasText.split(',').map(Number)
  }
  const body = {
    timeoutMs: 30_000,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, replicas }] }],
  }
  const response = await client.any(API.alterPartitionReassignments, body)
  const result = response.responses[0]?.partitions[0]
  const errorCode = response.errorCode || result?.errorCode
  if (errorCode) {
    const what = cancel ? 'cancel the move of' : 'move'
    throw new BrokerError(
      `cannot ${what} '${topic}-${partition}'`,
      errorCode,
      result?.errorMessage ?? response.errorMessage,
    )
  }
  console.log(
    cancel
      ? `Cancelled the move of ${topic}-${partition}.`
      : `Moving ${topic}-${partition} to brokers ${replicas!.join(',')}.`,
  )
  return 0
}

async function listMoves(client: Client, topic: string): Promise<number> {
  const metadata = await client.metadata([topic])
  const described = metadata.topics[0]
  if (!described || described.errorCode !== 0) {
    throw new BrokerError(`cannot describe topic '${topic}'`, described?.errorCode ?? -1)
  }
  const partitionIndexes = described.partitions.map((p) => p.partitionIndex)
  const body = { timeoutMs: 30_000, topics: [{ name: topic, partitionIndexes }] }
  const response = await client.any(API.listPartitionReassignments, body)
  if (response.errorCode !== 0) {
    throw new BrokerError('cannot list reassignments', response.errorCode, response.errorMessage)
  }
  const moves = response.topics.flatMap((t) => t.partitions)
  if (moves.length === 0) console.log(`No partition of ${topic} is moving.`)
  for (const move of moves) {
    console.log(
      `\tTopic: ${topic}\tPartition: ${move.partitionIndex}\tReplicas: ${move.replicas.join(',')}` +
        `\tAdding: ${move.addingReplicas.join(',')}\tRemoving: ${move.removingReplicas.join(',')}`,
    )
  }
  return 0
}
