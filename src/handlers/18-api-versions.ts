// ApiVersions (key 18): versions 0-4, flexible from 3 (the response header stays v0 always).
//
// Behaviour:
// * The key list is derived from the handler list (index.ts): each handler's apiKey, minVersion
//   and maxVersion, sorted by key, so what we advertise is exactly what we answer.
// * A request above our maximum never reaches this handler: dispatch answers it at v0 with
//   UNSUPPORTED_VERSION and the full key list (KIP-511), via `unsupportedApiVersionsResponse`.
// * v3+: an invalid clientSoftwareName/Version (Kafka's pattern: alphanumerics, `-` and `.`,
//   starting and ending alphanumeric) is INVALID_REQUEST with no keys, as Kafka answers.
// * Features: none supported or finalized (epoch -1), and zkMigrationReady false. librdkafka,
//   KafkaJS and the Java clients of 3.x need no feature to talk to a single node.

import type {
  ApiVersionsResponse,
  ApiVersionsResponseKey,
} from '../protocol/messages/18-api-versions.ts'
import { ErrorCode } from '../protocol/errors.ts'
import type { AnyHandler, Handler } from './handler.ts'

const softwarePattern = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/

/** The advertised ranges of a handler list, sorted by API key. */
export function advertisedApiKeys(handlers: readonly AnyHandler[]): ApiVersionsResponseKey[] {
  return handlers
    .map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion }))
    .sort((a, b) => a.apiKey - b.apiKey)
}

/** What dispatch sends, at v0, for an ApiVersions request above our maximum version. */
export function unsupportedApiVersionsResponse(
  handlers: readonly AnyHandler[],
): ApiVersionsResponse {
  return { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: advertisedApiKeys(handlers) }
}

/** The ApiVersions handler for a handler list (given lazily: the list includes this handler). */
export function createApiVersionsHandler(listHandlers: () => readonly AnyHandler[]): Handler<18> {
  let cached: ApiVersionsResponseKey[] | null = null
  return {
    apiKey: 18,
    minVersion: 0,
    maxVersion: 4,
    handle(request, ctx) {
      const base = { throttleTimeMs: 0, finalizedFeaturesEpoch: -1, zkMigrationReady: false }
      if (ctx.header.apiVersion >= 3) {
        const { clientSoftwareName: name, clientSoftwareVersion: version } = request
        if (!softwarePattern.test(name) || !softwarePattern.test(version)) {
          return { ...base, errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [] }
        }
      }
      cached ??= advertisedApiKeys(listHandlers())
      return {
        ...base,
        errorCode: ErrorCode.NONE,
        apiKeys: cached,
        supportedFeatures: [],
        finalizedFeatures: [],
      }
    },
  }
}
