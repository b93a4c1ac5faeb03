// The type of a loaded broker config, derived from the definitions so that each key has its
// parsed type (`config['num.partitions']: number`, `config['log.dirs']: string[]`). It lives in
// this folder, apart from config.ts that loads it, so that the folder's files can name it
// without importing config.ts, which imports them.

import { brokerConfigDefinitions, type BrokerConfigName } from './broker-definitions.ts'

type Definitions = typeof brokerConfigDefinitions
type ValueOf<D> = (D extends { type: 'int' | 'long' | 'double' }
  ? number
  : D extends { type: 'boolean' }
    ? boolean
    : D extends { type: 'list' }
      ? string[]
      : string) &
  unknown
type Nullable<D, V> = D extends { default: null } ? V | null : V

export type BrokerConfig = {
  readonly [K in Exclude<BrokerConfigName, 'log.dirs'>]: Nullable<
    Definitions[K],
    ValueOf<Definitions[K]>
  >
} & {
  /** Resolved: log.dirs when set, else [log.dir]. */
  readonly 'log.dirs': string[]
}
