// The APIs the protocol layer knows, by key. `index.ts` registers every spec in messages/; other
// code may register more with registerApi (tests, experiments).

import type { ApiSpec } from './schema.ts'
import { parseVersions } from './versions.ts'

const specs = new Map<number, ApiSpec>()

export function registerApi(spec: ApiSpec): void {
  if (spec.request.apiKey !== spec.apiKey || spec.response.apiKey !== spec.apiKey) {
    throw new Error(
      `ApiSpec ${spec.name}: apiKey ${spec.apiKey} but request ${spec.request.apiKey}, response ${spec.response.apiKey}`,
    )
  }
  specs.set(spec.apiKey, spec)
}

export function apiSpec(apiKey: number): ApiSpec | undefined {
  return specs.get(apiKey)
}

export function registeredApis(): ApiSpec[] {
  return [...specs.values()].sort((a, b) => a.apiKey - b.apiKey)
}

/** Whether we can decode requests and encode responses of `apiKey` at `apiVersion`. */
export function supportsVersion(apiKey: number, apiVersion: number): boolean {
  const spec = specs.get(apiKey)
  if (!spec) return false
  const r = parseVersions(spec.request.validVersions)
  return apiVersion >= r.min && apiVersion <= r.max
}
