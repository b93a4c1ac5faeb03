// The etcd client a broker uses, and its fault handling (etcd3's `faultHandling`, cockatiel
// policies). etcd3's defaults suit a client that can wait: each endpoint sits behind a circuit
// breaker that, after three consecutive failures, refuses every call to it for 5 s (and for
// another 5 s each time the one trial call let through then fails), and a broken watch stream
// reconnects after an exponential backoff of up to 30 s. While etcd is killed and restarted, the
// lease keep-alive (which retries every 100 ms) opens the breaker at once, so once etcd was back
// the brokers' registrations, campaigns and watches stayed refused for 17-19 s (bench/
// etcd-recovery.ts), several times broker.session.timeout.ms, with every partition offline.
//
// Here a single endpoint has no breaker (there is no other endpoint to send the call to, so
// refusing it only delays recovery: the callers back off themselves, the lease keep-alive and
// register() alike); several endpoints keep one, but one that tries a failing endpoint again
// after a fraction of a session rather than 5 s; and a watch reconnects within half a second.
// The global policy stays etcd3's (three immediate retries of a recoverable error, each on the
// next endpoint). None of this changes what a call does once it reaches etcd: leases, their
// expiry and the compare-and-set writes of the registration and the controller election are
// etcd's.

import { Etcd3, isRecoverableError } from 'etcd3'
import {
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  noop,
  type IBackoff,
} from 'cockatiel'

/** How long a failing endpoint of several is skipped before a call tries it again. */
const endpointHalfOpenAfterMs = 500
/** The longest wait before a broken watch stream connects again (etcd3's default: 30 s). */
const watchBackoffMsMax = 500

export function etcdClient(endpoints: string[]): Etcd3 {
  return new Etcd3({
    hosts: endpoints,
    dialTimeout: 5_000,
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + 10_000 }),
    faultHandling: {
      host: () =>
        endpoints.length === 1
          ? noop
          : circuitBreaker(handleWhen(isRecoverableError), {
              halfOpenAfter: endpointHalfOpenAfterMs,
              breaker: new ConsecutiveBreaker(3),
            }),
      // etcd3's type names cockatiel 1's IBackoff, but it calls next() on the value first, as on
      // cockatiel 3's factory (its own default is `new ExponentialBackoff()`, the same class).
      watchBackoff: new ExponentialBackoff({
        initialDelay: 50,
        maxDelay: watchBackoffMsMax,
      }) as unknown as IBackoff<unknown>,
    },
  })
}
