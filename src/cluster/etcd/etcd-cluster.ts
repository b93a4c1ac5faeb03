// Cluster mode's metadata, kept in etcd (keys.ts) and mirrored here (metadata-image.ts): the
// ClusterMetadataView that replication and the handlers read, this broker's registration under a
// lease, the controller election, the controller's decisions (leader-election.ts) written by
// compare-and-set, and the local replicas created and deleted as the image says.
//
// Every write that depends on what it read is a transaction conditioned on the key's mod
// revision as this broker last saw it; the controller's writes are also conditioned on its own
// election key (P/controller, created at `controllerRevision`), so a deposed controller, paused
// past its lease and woken with a stale image, cannot overwrite a newer decision. A refused
// write needs no retry here: the watch brings the newer state, and the reaction to it runs again.

import { EtcdLeaseInvalidError, type Etcd3, type Lease, type Watcher } from 'etcd3'
import { ConfigError, resolveLogConfig, type BrokerConfig } from '../../config.ts'
import type { LogConfig } from '../../storage/log-config.ts'
import type { LogManager } from '../../storage/log-manager.ts'
import { ErrorCode } from '../../protocol/errors.ts'
import type {
  AlterIsrRequest,
  BrokerEndpoint,
  ElectionResult,
  PartitionAssignment,
  ReassignmentRequest,
  ReassignmentResult,
} from '../partition-state.ts'
import type { ClusterMetadata } from './cluster-metadata.ts'
import { EtcdTopics } from './etcd-topics.ts'
import { EtcdBrokerConfigs } from './etcd-broker-configs.ts'
import { setDynamicBrokerConfigStore } from '../../config/dynamic-broker-configs.ts'
import { MetadataKeys } from './keys.ts'
import { etcdClient } from './etcd-client.ts'
import { preferPreferredLeader, reconcilePartition } from './leader-election.ts'
import {
  cancelReassignment,
  completeReassignment,
  originalReplicas,
  startReassignment,
} from './reassignment.ts'
import { checkReassignmentTarget } from './replica-checks.ts'
import {
  encodePartition,
  MetadataImage,
  type ImageChange,
  type PartitionRecord,
} from './metadata-image.ts'

const registerRetryMs = 200
const registerBackoffMsMax = 2_000

/** Another live broker holds this node.id: a configuration error, not a passing one. */
class NodeIdInUseError extends Error {}

/** etcd no longer holds this cluster's id: its metadata is gone (see onMetadataLost). */
class MetadataLostError extends Error {}

/** The one line said when etcd has lost this cluster's metadata; tests look for its start. */
function metadataLostLine(p: { endpoints: string; prefix: string; found: string | null }): string {
  const holds = p.found === null ? 'no cluster id' : `another cluster id (${p.found})`
  return (
    `etcd has lost this cluster's metadata: ${p.endpoints} holds ${holds} under ${p.prefix} ` +
    `(restarted without its data, or the wrong etcd or metadata.etcd.prefix)`
  )
}

export class EtcdClusterMetadata implements ClusterMetadata {
  readonly image: MetadataImage
  readonly keys: MetadataKeys
  readonly topics: EtcdTopics
  /** The dynamic broker configs, kept in etcd and applied as they change. */
  readonly brokerConfigs: EtcdBrokerConfigs
  private readonly listeners = new Set<(changed: readonly PartitionAssignment[]) => void>()
  private revisionWaiters: { revision: number; resolve: () => void }[] = []
  private watcher: Watcher | null = null
  private lease: Lease | null = null
  /** The registration lease last lost, until its registration is revoked or gone. */
  private lostLease: Lease | null = null
  private logs: LogManager | null = null
  private advertised: () => { host: string; port: number } = () => ({ host: '', port: 0 })
  /** The create revision of P/controller while this broker holds it, else 0. */
  private controllerRevision = 0
  private controllerDirty = false
  private controllerRunning: Promise<void> | null = null
  /** The campaign in flight from a change of the controller key, and whether one should follow. */
  private campaigning: Promise<void> | null = null
  private campaignAgain = false
  private rebalanceTimer: ReturnType<typeof setInterval> | null = null
  private localReplicas: Promise<void> = Promise.resolve()
  /** A pass of syncLocalReplicas is queued and has not started. */
  private localReplicasPending = false
  /** The partitions (topic NUL partition) whose assignment named this broker when last seen. */
  private readonly hosted = new Set<string>()
  private closed = false
  private clientClosed = false
  /** Set once etcd is found to have lost this cluster's metadata: nothing is written there. */
  private metadataLost: string | null = null
  private registered = false
  private reregistering: Promise<void> | null = null

  private constructor(
    private readonly etcd: Etcd3,
    private readonly config: BrokerConfig,
    readonly log: (line: string) => void,
  ) {
    this.keys = new MetadataKeys(config['metadata.etcd.prefix'].replace(/\/+$/, ''))
    this.image = new MetadataImage(this.keys)
    this.topics = new EtcdTopics(this)
    this.brokerConfigs = new EtcdBrokerConfigs(this)
  }

  /**
   * The etcd client, for every read and write of the metadata. Once etcd has lost the cluster's
   * metadata, any use throws with the line that says so: an empty etcd is not the truth, so
   * nothing (a topic created, a config altered) may be written into it.
   */
  get client(): Etcd3 {
    if (this.metadataLost !== null) throw new Error(this.metadataLost)
    return this.etcd
  }

  /** Connects, writes the cluster id if none is stored, loads the image and starts watching. */
  static async open(options: {
    config: BrokerConfig
    clusterIdCandidate: string
    /** The cluster id in the log dir's meta.properties; null for a new log dir. */
    localClusterId?: { clusterId: string; path: string } | null
    log: (line: string) => void
  }): Promise<EtcdClusterMetadata> {
    const endpoints = options.config['metadata.etcd.endpoints']!
    const client = etcdClient(endpoints)
    const metadata = new EtcdClusterMetadata(client, options.config, options.log)
    try {
      const stored = await client.get(metadata.keys.clusterId).string()
      const local = options.localClusterId ?? null
      // A log dir of a cluster that etcd does not know: never start a new cluster over it (its
      // replicas would all be deleted as topics gone). Kafka: InconsistentClusterIdException.
      if (stored === null && local !== null) {
        throw new MetadataLostError(
          `${metadataLostLine({ endpoints: endpoints.join(','), prefix: metadata.keys.prefix, found: null })}, ` +
            `but ${local.path} says this broker belongs to cluster ${local.clusterId}: restore ` +
            `etcd's data from a backup (etcdctl snapshot restore) or fix metadata.etcd.endpoints; ` +
            `the local logs are kept`,
        )
      }
      await client
        .if(metadata.keys.clusterId, 'Create', '==', 0)
        .then(client.put(metadata.keys.clusterId).value(options.clusterIdCandidate))
        .commit()
      await metadata.load()
      setDynamicBrokerConfigStore(options.config, metadata.brokerConfigs)
      metadata.brokerConfigs.apply()
    } catch (error) {
      client.close()
      if (error instanceof MetadataLostError) throw new ConfigError(error.message)
      throw new Error(
        `cannot reach etcd at ${endpoints.join(',')} (metadata.etcd.endpoints): ${(error as Error).message}`,
      )
    }
    return metadata
  }

  get brokerConfig(): BrokerConfig {
    return this.config
  }

  get nodeId(): number {
    return this.config['node.id']
  }

  get clusterId(): string {
    return this.image.clusterId!
  }

  // --- ClusterMetadataView -------------------------------------------------------------------

  controllerId(): number {
    return this.image.controllerId
  }

  liveBrokers(): readonly BrokerEndpoint[] {
    const live = [...this.image.brokers.values()]
    // This broker is answering, so it is live, even while its registration is gone from etcd (a
    // lapsed lease it is renewing, etcd paused or restarted). Without it a moment when every
    // lease had lapsed gave Metadata answers listing no broker at all, and librdkafka dropped
    // every connection and waited minutes before bootstrapping again (nemesis seed 505).
    const self = this.image.brokers.has(this.nodeId) ? undefined : this.unregisteredSelf()
    if (self) live.push(self)
    return live.sort((a, b) => a.nodeId - b.nodeId)
  }

  broker(nodeId: number): BrokerEndpoint | undefined {
    const registered = this.image.brokers.get(nodeId)
    if (registered || nodeId !== this.nodeId) return registered
    return this.unregisteredSelf()
  }

  /** This broker as liveBrokers lists it while its registration is gone (once it listens). */
  private unregisteredSelf(): BrokerEndpoint | undefined {
    const { host, port } = this.advertised()
    if (port === 0) return undefined
    return { nodeId: this.nodeId, host, port, rack: this.config['broker.rack'] }
  }

  assignment(topic: string, partition: number): PartitionAssignment | undefined {
    return this.image.assignment(topic, partition)
  }

  *localAssignments(): Iterable<PartitionAssignment> {
    for (const assignment of this.image.assignments()) {
      if (!assignment.replicas.includes(this.nodeId)) continue
      this.hosted.add(`${assignment.topic}\u0000${assignment.partition}`)
      yield assignment
    }
  }

  onChange(listener: (changed: readonly PartitionAssignment[]) => void): () => void {
    this.listeners.add(listener)
    listener([...this.localAssignments()])
    return () => this.listeners.delete(listener)
  }

  async alterIsr(request: AlterIsrRequest): Promise<PartitionAssignment | null> {
    const current = this.image.assignment(request.topic, request.partition)
    if (
      this.metadataLost !== null ||
      !current ||
      current.leader !== this.nodeId ||
      current.leaderEpoch !== request.leaderEpoch ||
      current.partitionEpoch !== request.expectedPartitionEpoch ||
      !request.isr.includes(this.nodeId) ||
      !request.isr.every((nodeId) => current.replicas.includes(nodeId)) ||
      // A broker that is not registered cannot join (Kafka: INELIGIBLE_REPLICA).
      !request.isr.every((nodeId) => current.isr.includes(nodeId) || this.eligible(nodeId))
    ) {
      return null
    }
    const { topic: _topic, partition: _partition, ...record } = current
    const next: PartitionRecord = {
      ...record, // a reassignment in progress stays in progress; the controller completes it
      isr: [...request.isr],
      partitionEpoch: current.partitionEpoch + 1,
    }
    const written = await this.writePartition(current, next, { asController: false })
    return written ? (this.image.assignment(request.topic, request.partition) ?? null) : null
  }

  /**
   * A change whose answer was lost may still be applied later (etcd may commit a request after
   * its caller gave up on it), but only while the partition key keeps the revision the change
   * was conditioned on, which is at most the one this image holds. Writing the same record again
   * on that condition moves the revision past it; if the condition fails, the key has moved past
   * it already. Either way the stored record, once the image has caught up, is final for the lost
   * change: its partition epoch tells whether it was applied.
   */
  async fenceIsrChange(request: {
    topic: string
    partition: number
  }): Promise<PartitionAssignment | null> {
    const key = this.keys.partition(request.topic, request.partition)
    const modRevision = this.image.modRevision(key)
    const current = this.image.assignment(request.topic, request.partition)
    if (modRevision === undefined || !current || this.metadataLost !== null) return null
    const { topic: _topic, partition: _partition, ...record } = current
    const result = await this.client
      .if(key, 'Mod', '==', modRevision)
      .then(this.client.put(key).value(encodePartition(record)))
      .commit()
    await this.waitForRevision(Number(result.header.revision))
    return this.image.assignment(request.topic, request.partition) ?? null
  }

  // --- ClusterMetadata -----------------------------------------------------------------------

  configFor = (topic: string): LogConfig =>
    resolveLogConfig({ ...this.image.topics.get(topic)?.configs }, this.config)

  topicIdFor = (topic: string): string | undefined => this.image.topics.get(topic)?.topicId

  async attach(options: {
    logs: LogManager
    advertised: () => { host: string; port: number }
  }): Promise<void> {
    this.logs = options.logs
    this.advertised = options.advertised
    await this.syncLocalReplicas()
  }

  /**
   * Registers this broker under a new lease and campaigns for the controller. Throws when another
   * live broker holds this node.id. If the lease is lost later (a pause or a cut from etcd past
   * broker.session.timeout.ms, or etcd restarted without its data), the broker registers again
   * under a new lease, retrying until etcd answers, as Kafka's broker re-creates its ZooKeeper
   * registration after a session expiry; until then the controller treats it as gone.
   */
  async register(): Promise<void> {
    try {
      await this.registerOnce()
    } catch (error) {
      if (error instanceof NodeIdInUseError || this.closed) throw error
      if (error instanceof MetadataLostError) return this.onMetadataLost(error)
      const message = (error as Error).message
      if (this.registered) {
        // Registered, but the campaign failed: the next change of the controller key campaigns.
        this.log(`cluster: controller campaign failed: ${message}`)
        return
      }
      // The new lease lost at once (a start slowed past broker.session.timeout.ms under load,
      // nemesis seed 303): start anyway and register as after a lost lease, rather than exit.
      this.log(`cluster: registering failed (${message}); retrying in the background`)
      this.reregistering ??= this.reregister().finally(() => (this.reregistering = null))
    }
  }

  /** One attempt: a new lease, the registration under it, the campaign. */
  private async registerOnce(): Promise<void> {
    // Only into the etcd that holds this cluster: one restarted without its data must not get
    // a registration and a controller as if the cluster had no topics.
    const found = await this.client.get(this.keys.clusterId).string()
    if (found !== this.clusterId) {
      const endpoints = this.config['metadata.etcd.endpoints']!.join(',')
      throw new MetadataLostError(metadataLostLine({ endpoints, prefix: this.keys.prefix, found }))
    }
    const ttlSeconds = Math.ceil(this.config['broker.session.timeout.ms'] / 1000)
    const lease = this.client.lease(ttlSeconds)
    this.lease = lease
    try {
      await this.registerUnder(lease, ttlSeconds)
    } catch (error) {
      lease.revoke().catch(() => undefined) // no lease left kept alive by a failed attempt
      throw error
    }
    this.log(
      `cluster: registered node ${this.nodeId} at ${this.advertised().host}:${this.advertised().port}`,
    )
    await this.campaign()
  }

  private async registerUnder(lease: Lease, ttlSeconds: number): Promise<void> {
    const leaseId = await lease.grant()
    // Only a granted lease is watched: a failed grant also fires 'lost', and the caller retries.
    lease.on('lost', (error) => this.onLeaseLost(lease, error))
    if (lease.revoked()) throw new Error('the new lease was lost at once')
    const { host, port } = this.advertised()
    const endpoint: BrokerEndpoint = {
      nodeId: this.nodeId,
      host,
      port,
      rack: this.config['broker.rack'],
    }
    // A crashed process's registration lives until its lease expires: wait it out (bounded).
    const deadline = Date.now() + 2 * ttlSeconds * 1000 + 5_000
    const key = this.keys.broker(this.nodeId)
    const value = JSON.stringify(endpoint)
    for (;;) {
      const result = await this.client
        .if(key, 'Create', '==', 0)
        .then(this.client.put(key).value(value).lease(leaseId))
        .commit()
      if (result.succeeded) {
        await this.waitForRevision(Number(result.header.revision))
        break
      }
      if (await this.takeOverLostRegistration({ key, value, leaseId })) break
      if (Date.now() > deadline || this.closed) {
        throw new NodeIdInUseError(
          `node.id ${this.nodeId} is already registered in etcd by a live broker: each broker needs its own node.id`,
        )
      }
      await Bun.sleep(registerRetryMs)
    }
    // Lost meanwhile ('lost' found no loop to wake, or one that already looked): try again.
    if (lease.revoked()) throw new Error('the lease was lost while registering')
    this.registered = true
  }

  /**
   * Moves this broker's registration from the lease it lost to `leaseId` if that lease still
   * holds it, in one transaction, then revokes the lost lease; whether it did. etcd restarted on
   * its data dir keeps its leases and lets them run a full TTL again, and the broker, which gives
   * a lease up after two TTLs without a keep-alive (etcd3's rule), has often given it up by then:
   * under load etcd's restart alone takes seconds (bench/etcd-recovery.ts --short: down 1.5-9.5 s
   * for kills of 0-3 s). The registration never lapsed in etcd, so no broker saw this one go, and
   * none must: revoking it first and registering anew (as before) deleted the key for a moment,
   * and the controller moved this broker's leaderships and took it out of every ISR, to take it
   * back in seconds later. A lease of another process (a broker with the same node.id) is left
   * alone. Revoking the lost lease deletes what else it held (the controller key: an election).
   */
  private async takeOverLostRegistration(registration: {
    key: string
    value: string
    leaseId: string
  }): Promise<boolean> {
    const lost = this.lostLease
    if (!lost) return false
    const lostLeaseId = await lost.grant().catch(() => null)
    if (lostLeaseId === null) return false
    const { key, value, leaseId } = registration
    const result = await this.client
      .if(key, 'Lease', '==', lostLeaseId)
      .then(this.client.put(key).value(value).lease(leaseId))
      .commit()
    if (!result.succeeded) return false
    this.log(`cluster: moved ${key} from the lost lease ${lostLeaseId} to ${leaseId}; revoking it`)
    await this.waitForRevision(Number(result.header.revision))
    this.lostLease = null
    // Should etcd fail now, the lost lease, kept alive by nobody, expires within its TTL anyway.
    await lost.revoke().catch((error) => {
      this.log(
        `cluster: revoking the lost lease ${lostLeaseId} failed: ${(error as Error).message}`,
      )
    })
    return true
  }

  private onLeaseLost(lease: Lease, error: Error): void {
    if (this.closed || this.lease !== lease) return
    this.lostLease = lease
    this.log(`cluster: lost the registration lease (${error.message}); registering again`)
    this.registered = false
    this.controllerRevision = 0 // the controller key went with the lease
    // A loop already running sees `registered` false again when its attempt ends, and goes on.
    this.reregistering ??= this.reregister().finally(() => (this.reregistering = null))
  }

  /**
   * A write under `lease` refused because etcd no longer has that lease (it expired while this
   * process was paused or starved under load, or it was revoked): the registration is gone, though
   * the keep-alive, which asks only every third of the TTL, may not have said so yet. Taken as the
   * keep-alive's loss would be, at once: one re-registration, and nothing more under the dead
   * lease. Before, the broker went on campaigning with it at each change of the controller key
   * until the keep-alive noticed.
   */
  private leaseRefused(lease: Lease, refused: { write: string; error: Error }): void {
    if (lease.revoked()) return // its loss is already known (and handled once)
    lease.release() // stops the keep-alive, which would only say the same later
    this.onLeaseLost(lease, new Error(`${refused.write} was refused: ${refused.error.message}`))
  }

  /**
   * register() until this broker is registered or closes, backing off while etcd is unreachable.
   * A new lease can be lost while register() campaigns (a pause under load): then go round again.
   */
  private async reregister(): Promise<void> {
    let backoffMs = registerRetryMs
    let failures = 0
    while (!this.closed && !this.registered) {
      try {
        await this.registerOnce()
        if (this.registered) {
          if (failures > 0) this.log(`cluster: registered again after ${failures} failed attempts`)
          return
        }
      } catch (error) {
        if (error instanceof MetadataLostError) return this.onMetadataLost(error)
        // One line per doubling of the wait, not one per attempt, while etcd is away.
        if (failures++ === 0 || backoffMs < registerBackoffMsMax) {
          this.log(
            `cluster: registering again failed (${(error as Error).message}); retrying in ${backoffMs} ms`,
          )
        }
      }
      await Bun.sleep(backoffMs)
      backoffMs = Math.min(backoffMs * 2, registerBackoffMsMax)
    }
  }

  /**
   * etcd holds no longer this cluster's id (restarted without its data, say): Kafka's brokers meet
   * the same when ZooKeeper loses its data, and refuse to start then (InconsistentClusterId). The
   * rule is to lose nothing: this broker stops watching etcd and writes nothing there (no
   * registration, no campaign, no topic or ISR change), deletes no local replica, and goes on
   * serving with the metadata it had, frozen, until an operator restores etcd's data and
   * restarts the brokers. One line says so.
   */
  private onMetadataLost(error: MetadataLostError): void {
    if (this.metadataLost !== null) return
    this.metadataLost = error.message
    this.registered = false
    this.controllerRevision = 0
    if (this.rebalanceTimer) clearInterval(this.rebalanceTimer)
    this.rebalanceTimer = null
    void this.watcher?.cancel().catch(() => undefined)
    this.watcher = null
    this.log(
      `cluster: ${error.message}. This broker keeps its logs and serves with the metadata it ` +
        `had, but registers nowhere and changes nothing (no leader election, no ISR change, no ` +
        `topic change): restore etcd's data from a backup (etcdctl snapshot restore), then ` +
        `restart the brokers one at a time`,
    )
  }

  async controlledShutdown(): Promise<void> {
    if (!this.registered || !this.lease) return
    const timeoutMs = this.config['controlled.shutdown.timeout.ms']
    const startedMs = Date.now()
    try {
      await this.lease.put(this.keys.shutdown(this.nodeId)).value('')
    } catch (error) {
      // A lost lease or an unreachable etcd: stop anyway; the session timeout moves leadership.
      this.log(
        `cluster: controlled shutdown could not ask the controller: ${(error as Error).message}`,
      )
      return
    }
    const deadline = startedMs + timeoutMs
    while (this.movableLeaderships() > 0 && Date.now() < deadline && !this.closed) {
      await Bun.sleep(50)
    }
    const left = this.movableLeaderships()
    this.log(
      left === 0
        ? `cluster: controlled shutdown moved this broker's leaderships in ${Date.now() - startedMs} ms`
        : `cluster: controlled shutdown timed out after ${timeoutMs} ms with ${left} leaderships not moved`,
    )
  }

  /**
   * Before the process halts (every log dir offline): stops acting and revokes the lease, which
   * deletes the registration at once, so the controller moves this broker's leaderships now
   * rather than after broker.session.timeout.ms. Bounded: an unreachable etcd only delays that.
   */
  async resign(options: { timeoutMs: number }): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.rebalanceTimer) clearInterval(this.rebalanceTimer)
    const revoked = this.lease?.revoke().catch(() => undefined)
    await Promise.race([revoked, Bun.sleep(options.timeoutMs)])
  }

  async close(): Promise<void> {
    if (this.clientClosed) return
    this.clientClosed = true
    this.closed = true
    if (this.rebalanceTimer) clearInterval(this.rebalanceTimer)
    await this.watcher?.cancel().catch(() => undefined)
    // Revoking deletes the registration, the controller key and any shutdown request at once,
    // so the others react now rather than after the session timeout.
    await this.lease?.revoke().catch(() => undefined)
    this.etcd.close()
  }

  // --- the image ------------------------------------------------------------------------------

  /** Resolves once the image has applied every write up to `revision`. */
  waitForRevision(revision: number): Promise<void> {
    if (this.image.revision >= revision) return Promise.resolve()
    return new Promise((resolve) => this.revisionWaiters.push({ revision, resolve }))
  }

  /** Resolves once the local replicas match the image as it is now. */
  localReplicasSynced(): Promise<void> {
    return this.localReplicas
  }

  private async load(): Promise<void> {
    const response = await this.client.getAll().prefix(this.keys.root).exec()
    for (const kv of response.kvs) {
      this.image.apply(kv.key.toString(), kv.value.toString(), Number(kv.mod_revision))
    }
    const revision = Number(response.header.revision)
    this.image.revision = Math.max(this.image.revision, revision)
    const watcher = await this.client
      .watch()
      .prefix(this.keys.root)
      .startRevision(String(revision + 1))
      .create()
    watcher.on('put', (kv) =>
      this.onEvent(kv.key.toString(), kv.value.toString(), Number(kv.mod_revision)),
    )
    watcher.on('delete', (kv) => this.onEvent(kv.key.toString(), null, Number(kv.mod_revision)))
    watcher.on('error', (error) => this.log(`cluster: etcd watch error: ${error.message}`))
    this.watcher = watcher
  }

  private onEvent(key: string, value: string | null, modRevision: number): void {
    const change = this.image.apply(key, value, modRevision)
    this.react(change)
    const ready = this.revisionWaiters.filter((w) => w.revision <= this.image.revision)
    this.revisionWaiters = this.revisionWaiters.filter((w) => w.revision > this.image.revision)
    for (const waiter of ready) waiter.resolve()
  }

  private react(change: ImageChange): void {
    if (change.brokerConfigs !== null && this.brokerConfigs.concerns(change.brokerConfigs)) {
      this.brokerConfigs.apply()
    }
    if (change.topics.length > 0 || change.removedPartitions.length > 0) {
      void this.syncLocalReplicas()
      for (const topic of new Set(change.topics)) this.topics.changed(topic)
    }
    // A replica moved away (KIP-455) is told too, so that replication stops it at once.
    const local = change.assignments.filter((a) => {
      const id = `${a.topic}\u0000${a.partition}`
      if (a.replicas.includes(this.nodeId)) return this.hosted.add(id)
      return this.hosted.delete(id)
    })
    for (const { topic, partition } of change.removedPartitions)
      this.hosted.delete(`${topic}\u0000${partition}`)
    if (local.length > 0) for (const listener of this.listeners) listener(local)
    if (this.image.controllerId === -1 && this.registered && !this.closed) this.requestCampaign()
    if (this.deposed()) {
      this.log('cluster: no longer the controller')
      this.controllerRevision = 0 // our lease expired: stop acting
    }
    if (change.brokersChanged || change.assignments.length > 0) this.scheduleController()
  }

  /**
   * Whether the controller key is no longer the one this broker's campaign created. Judged only
   * once the image has reached that write: etcd often answers the campaign before the watch has
   * brought the events just before it, and those still show the key deleted or another's. Taken
   * for a deposition, they left a controller that never acted (nemesis seed 101: every partition
   * offline for good; test/cluster/controller-campaign.test.ts).
   */
  private deposed(): boolean {
    if (this.controllerRevision === 0 || this.image.revision < this.controllerRevision) return false
    return this.image.modRevision(this.keys.controller) !== this.controllerRevision
  }

  private eligible(nodeId: number): boolean {
    return this.image.brokers.has(nodeId) && !this.image.shuttingDown.has(nodeId)
  }

  /** Partitions this broker leads that another in-sync, eligible replica could lead. */
  private movableLeaderships(): number {
    let count = 0
    for (const a of this.image.assignments()) {
      if (a.leader !== this.nodeId) continue
      if (a.isr.some((nodeId) => nodeId !== this.nodeId && this.eligible(nodeId))) count++
    }
    return count
  }

  // --- local replicas -------------------------------------------------------------------------

  /**
   * Creates the logs of replicas assigned here and deletes those of topics gone or moved away.
   * A pass reads the image when it starts, so one not started yet serves every change made
   * before: a topic's creation arrives as one event per partition, and a pass per event walked
   * every local replica again for each of them.
   */
  private syncLocalReplicas(): Promise<void> {
    if (this.localReplicasPending) return this.localReplicas
    this.localReplicasPending = true
    this.localReplicas = this.localReplicas.then(async () => {
      this.localReplicasPending = false
      const logs = this.logs
      if (!logs || this.closed) return
      for (const log of [...logs.all()]) {
        const topic = this.image.topics.get(log.topic)
        const assignment = this.image.assignment(log.topic, log.partition)
        const gone = !topic || log.partition >= topic.partitions
        const movedAway = assignment !== undefined && !assignment.replicas.includes(this.nodeId)
        // A replica of an earlier topic of that name (partition.metadata): created anew below.
        const topicId = logs.topicIdOf(log)
        const stale = topic !== undefined && topicId !== undefined && topicId !== topic.topicId
        if (gone || movedAway || stale) {
          this.log(
            `cluster: deleting the local replica ${log.topic}-${log.partition}${stale ? ' (stale topic id)' : ''}`,
          )
          await logs.delete(log.topic, log.partition)
        }
      }
      const missing = []
      const configs = new Map<string, LogConfig>()
      for (const { topic, partition } of this.localAssignments()) {
        let config = configs.get(topic)
        if (!config) configs.set(topic, (config = this.configFor(topic)))
        const existing = logs.get(topic, partition)
        if (existing) existing.updateConfig(config)
        else missing.push({ topic, partition, config, topicId: this.topicIdFor(topic) })
      }
      // Off the event loop, a few at a time: the replicas of a new topic (__consumer_offsets'
      // 50) created in one turn held it long enough to lose the etcd lease (issue 13).
      await logs.getOrCreateAll(missing)
    })
    this.localReplicas = this.localReplicas.catch((error) =>
      this.log(`cluster: syncing local replicas failed: ${(error as Error).message}`),
    )
    return this.localReplicas
  }

  // --- the controller -------------------------------------------------------------------------

  /**
   * Campaigns for the controller now that the image shows no controller. One campaign at a time:
   * the events seen while one is in flight make one more follow it (if there is still no
   * controller then and this broker is still registered), not one each. A watch answer brings
   * many events at once, and each used to start its own campaign: up to ten within a millisecond,
   * all refused alike when the lease had already expired in etcd (nemesis runs at load 26-31).
   */
  private requestCampaign(): void {
    if (this.campaigning) {
      this.campaignAgain = true
      return
    }
    this.campaigning = (async () => {
      do {
        this.campaignAgain = false
        // A failed campaign (etcd unreachable) must not end the process: the next change of the
        // controller key campaigns again.
        await this.campaign().catch((error) =>
          this.log(`cluster: controller campaign failed: ${(error as Error).message}`),
        )
      } while (
        this.campaignAgain &&
        this.image.controllerId === -1 &&
        this.registered &&
        !this.closed
      )
      this.campaigning = null
    })()
  }

  private async campaign(): Promise<void> {
    const lease = this.lease
    if (!lease || lease.revoked() || this.closed) return
    const leaseId = await lease.grant()
    let result
    try {
      result = await this.client
        .if(this.keys.controller, 'Create', '==', 0)
        .then(this.client.put(this.keys.controller).value(String(this.nodeId)).lease(leaseId))
        .commit()
    } catch (error) {
      if (!(error instanceof EtcdLeaseInvalidError)) throw error
      return this.leaseRefused(lease, {
        write: `the controller campaign under lease ${leaseId}`,
        error,
      })
    }
    if (!result.succeeded) return
    const revision = Number(result.header.revision)
    this.controllerRevision = revision
    await this.waitForRevision(revision)
    if (this.controllerRevision !== revision) return // the lease was lost meanwhile
    this.log(`cluster: node ${this.nodeId} is the controller`)
    if (this.config['auto.leader.rebalance.enable'] && !this.rebalanceTimer) {
      const intervalMs = this.config['leader.imbalance.check.interval.seconds'] * 1000
      this.rebalanceTimer = setInterval(() => {
        this.preferredLeaders().catch((error) =>
          this.log(`cluster: preferred leader election failed: ${(error as Error).message}`),
        )
      }, intervalMs)
      this.rebalanceTimer.unref?.()
    }
    this.scheduleController()
  }

  /**
   * Runs the controller's reconciliation once more after the current run (coalesced). Every
   * event that can change a decision comes here: a broker registered, gone or shutting down, a
   * partition written (topics created, ISR changes), and this broker becoming the controller.
   * A write refused by its compare-and-set needs no retry (the watch brings the newer state,
   * which comes here again); a pass that failed on an etcd error does, after a backoff, since no
   * event may follow to retry it (a controller briefly cut off from etcd, its lease intact).
   */
  private scheduleController(): void {
    if (this.controllerRevision === 0 || this.closed) return
    this.controllerDirty = true
    this.controllerRunning ??= (async () => {
      let backoffMs = registerRetryMs
      while (this.controllerDirty && this.controllerRevision !== 0 && !this.closed) {
        this.controllerDirty = false
        try {
          await this.reconcileAll()
          backoffMs = registerRetryMs
        } catch (error) {
          this.log(
            `cluster: controller pass failed (${(error as Error).message}); retrying in ${backoffMs} ms`,
          )
          await Bun.sleep(backoffMs)
          backoffMs = Math.min(backoffMs * 2, registerBackoffMsMax)
          this.controllerDirty = true
        }
      }
      this.controllerRunning = null
    })()
  }

  private async reconcileAll(): Promise<void> {
    const writes: Promise<boolean>[] = []
    const eligible = (nodeId: number) => this.eligible(nodeId)
    for (const current of this.image.assignments()) {
      // A live partition's leadership first; a move whose targets are all in sync completes
      // on the next pass (the write of the first brings the partition back here).
      const next =
        reconcilePartition(current, {
          eligible,
          uncleanLeaderElection: this.uncleanLeaderElection(current.topic),
        }) ?? completeReassignment(current, { eligible })
      if (next) writes.push(this.writePartition(current, next, { asController: true }))
    }
    await Promise.all(writes)
  }

  /** unclean.leader.election.enable: the topic's override, else the broker's. */
  private uncleanLeaderElection(topic: string): boolean {
    const override = this.image.topics.get(topic)?.configs['unclean.leader.election.enable']
    if (override === undefined) return this.config['unclean.leader.election.enable']
    return override.trim().toLowerCase() === 'true'
  }

  /** The controller's periodic preferred election (auto.leader.rebalance.enable). */
  private async preferredLeaders(): Promise<void> {
    if (this.controllerRevision === 0) return
    await this.electLeaders({ type: 'preferred', partitions: null })
  }

  async electLeaders(request: {
    type: 'preferred' | 'unclean'
    partitions: readonly { topic: string; partition: number }[] | null
  }): Promise<ElectionResult[]> {
    const everything = request.partitions === null
    const targets = request.partitions ?? [...this.image.assignments()]
    const eligible = (nodeId: number) => this.eligible(nodeId)
    const results: ElectionResult[] = []
    for (const { topic, partition } of targets) {
      const result = (errorCode: number, errorMessage: string | null = null) =>
        results.push({ topic, partition, errorCode, errorMessage })
      const current = this.image.assignment(topic, partition)
      if (!current) {
        result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition} does not exist`)
        continue
      }
      const next =
        request.type === 'preferred'
          ? preferPreferredLeader(current, { eligible })
          : current.leader === -1
            ? reconcilePartition(current, { eligible, uncleanLeaderElection: true })
            : null
      if (!next || next.leader === current.leader) {
        if (everything) continue
        const needed =
          request.type === 'preferred'
            ? current.leader !== current.replicas[0]
            : current.leader === -1
        if (!needed)
          result(ErrorCode.ELECTION_NOT_NEEDED, 'Leader election not needed for topic partition.')
        else if (request.type === 'preferred')
          result(
            ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
            `The preferred replica of ${topic}-${partition} is not live and in sync.`,
          )
        else
          result(
            ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
            `No live replica of ${topic}-${partition} can lead.`,
          )
        continue
      }
      // Any broker may elect: the write is conditioned on the partition as this image saw it,
      // so it cannot overwrite the controller's newer decision.
      const written = await this.writePartition(current, next, {
        asController: this.controllerRevision !== 0,
      })
      if (written) result(ErrorCode.NONE)
      else result(ErrorCode.REQUEST_TIMED_OUT, `${topic}-${partition} changed meanwhile; retry.`)
    }
    return results
  }

  async alterPartitionReassignments(
    requests: readonly ReassignmentRequest[],
    options: { allowReplicationFactorChange: boolean },
  ): Promise<ReassignmentResult[]> {
    const results: ReassignmentResult[] = []
    for (const request of requests) {
      const { topic, partition } = request
      const outcome = await this.reassign(request, options)
      results.push({
        topic,
        partition,
        errorCode: outcome?.errorCode ?? ErrorCode.NONE,
        errorMessage: outcome?.errorMessage ?? null,
      })
    }
    return results
  }

  /** One partition's move (or cancel): null when done, else Kafka's error. */
  private async reassign(
    request: ReassignmentRequest,
    options: { allowReplicationFactorChange: boolean },
  ): Promise<{ errorCode: number; errorMessage: string } | null> {
    const { topic, partition, replicas: target } = request
    const current = this.image.assignment(topic, partition)
    if (!current) {
      return {
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        errorMessage: `Unable to find partition ${topic}-${partition}.`,
      }
    }
    const eligible = (nodeId: number) => this.eligible(nodeId)
    let next
    if (target === null) {
      next = cancelReassignment(current, { eligible })
      if (next === null) {
        return {
          errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS,
          errorMessage: `No ongoing reassignment for ${topic}-${partition}.`,
        }
      }
    } else {
      const invalid = checkReassignmentTarget(target, {
        registered: (nodeId) => this.image.brokers.has(nodeId),
        originalReplicas: originalReplicas(current),
        allowReplicationFactorChange: options.allowReplicationFactorChange,
      })
      if (invalid) return invalid
      next = startReassignment(current, target, { eligible })
      if (next === null) return null // already there
    }
    if (next === 'unsafe') {
      return {
        errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        errorMessage: `No replica of ${topic}-${partition} in sync could lead after this change.`,
      }
    }
    const written = await this.writePartition(current, next, {
      asController: this.controllerRevision !== 0,
    })
    if (!written) {
      return {
        errorCode: ErrorCode.REQUEST_TIMED_OUT,
        errorMessage: `${topic}-${partition} changed meanwhile; retry.`,
      }
    }
    this.log(
      `cluster: ${topic}-${partition} ${target === null ? 'reassignment cancelled' : 'reassigned'}: ` +
        `replicas [${next.replicas.join(',')}] adding [${next.addingReplicas ?? ''}] removing [${next.removingReplicas ?? ''}]`,
    )
    return null
  }

  /**
   * Writes `next` over `current` if the stored partition is still the one this image holds (and,
   * for the controller, if it still holds the election key); resolves whether it was written,
   * after the image has applied it.
   */
  private async writePartition(
    current: PartitionAssignment,
    next: PartitionRecord,
    options: { asController: boolean },
  ): Promise<boolean> {
    const key = this.keys.partition(current.topic, current.partition)
    const modRevision = this.image.modRevision(key)
    if (modRevision === undefined || this.metadataLost !== null) return false
    let txn = this.client.if(key, 'Mod', '==', modRevision)
    if (options.asController) {
      if (this.controllerRevision === 0) return false
      txn = txn.and(this.keys.controller, 'Create', '==', this.controllerRevision)
    }
    const result = await txn.then(this.client.put(key).value(encodePartition(next))).commit()
    if (!result.succeeded) return false
    await this.waitForRevision(Number(result.header.revision))
    if (current.leader !== next.leader) {
      this.log(
        `cluster: ${current.topic}-${current.partition} leader ${current.leader} -> ${next.leader} ` +
          `(epoch ${next.leaderEpoch}), isr [${next.isr.join(',')}]`,
      )
    }
    return true
  }
}
