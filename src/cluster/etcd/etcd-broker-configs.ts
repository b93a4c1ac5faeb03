// Cluster mode's dynamic broker configs (config/dynamic-broker-configs.ts): both layers in etcd,
// at P/broker-configs/default (the cluster-wide default, resource name "") and
// P/broker-configs/<nodeId> (keys.ts), as Kafka keeps them in its metadata log. Every broker
// watches them through the metadata image and applies the default and its own values as they
// change, so an AlterConfigs on "" sent to any broker reaches all of them, and one on broker N's id
// sent to any broker is stored for N and applied by N alone (as Kafka's KRaft controller accepts
// it whichever broker forwarded it); precedence is Kafka's
// (this broker's value, the cluster default, server.properties, the default).
//
// A change is a compare-and-set on the key's mod revision as the image last saw it, so two
// brokers editing the same layer at once cannot lose either edit (the loser reads again).

import type { Etcd3 } from 'etcd3'
import type { BrokerConfig } from '../../config.ts'
import {
  dynamicConfigError,
  setDynamicBrokerConfigs,
  type DynamicBrokerConfigStore,
  type DynamicConfigTarget,
} from '../../config/dynamic-broker-configs.ts'
import type { BrokerConfigsTarget, MetadataKeys } from './keys.ts'
import type { MetadataImage } from './metadata-image.ts'

export class EtcdBrokerConfigs implements DynamicBrokerConfigStore {
  /** Any broker stores a change of another broker's configs; that broker applies it. */
  readonly keepsOtherBrokers = true

  constructor(
    private readonly etcd: {
      client: Etcd3
      keys: MetadataKeys
      image: MetadataImage
      brokerConfig: BrokerConfig
      log(line: string): void
      waitForRevision(revision: number): Promise<void>
    },
  ) {}

  private get nodeId(): number {
    return this.etcd.brokerConfig['node.id']
  }

  private targetOf(target: DynamicConfigTarget): BrokerConfigsTarget {
    return target === 'clusterDefault' ? 'default' : target
  }

  /** Whether a change of `target`'s configs concerns this broker. */
  concerns(target: BrokerConfigsTarget): boolean {
    return target === 'default' || target === this.nodeId
  }

  read(target: DynamicConfigTarget) {
    const stored = this.targetOf(target)
    return {
      values: this.etcd.image.brokerConfigs.get(stored) ?? {},
      version: this.etcd.image.modRevision(this.etcd.keys.brokerConfigs(stored)) ?? 0,
    }
  }

  async replace(target: DynamicConfigTarget, values: Record<string, string>, version: number) {
    const { client, keys } = this.etcd
    const key = keys.brokerConfigs(this.targetOf(target))
    // A missing key compares as mod revision 0, so version 0 means "still absent".
    const write =
      Object.keys(values).length === 0
        ? client.delete().key(key)
        : client.put(key).value(JSON.stringify(values))
    const result = await client.if(key, 'Mod', '==', version).then(write).commit()
    if (!result.succeeded) return false
    await this.etcd.waitForRevision(Number(result.header.revision))
    return true
  }

  /** Lays the image's default and this broker's values over the config (at start, on change). */
  apply(): void {
    setDynamicBrokerConfigs(this.etcd.brokerConfig, {
      clusterDefault: this.checked('default'),
      broker: this.checked(this.nodeId),
    })
  }

  /** The stored values that may be applied; a bad one (written by hand) is logged and skipped. */
  private checked(target: BrokerConfigsTarget): Record<string, string> {
    const values: Record<string, string> = {}
    for (const [name, value] of Object.entries(this.etcd.image.brokerConfigs.get(target) ?? {})) {
      const error = dynamicConfigError(name, value)
      if (error === null) values[name] = value
      else
        this.etcd.log(
          `cluster: ignoring ${this.etcd.keys.brokerConfigs(target)} ${name}=${value}: ${error}`,
        )
    }
    return values
  }
}
