// FindCoordinator (key 10): versions 0-4, flexible from 3.
//
// Behaviour:
// * Sluice runs as one node, so it coordinates every group (key type 0) and every transactional
//   id (key type 1): the answer is this broker's advertised node id, host and port.
// * v4 (KIP-699) answers each of `coordinatorKeys` separately.
// * An empty key or an unknown key type is INVALID_REQUEST, as Kafka answers.

import type {
  Coordinator,
  FindCoordinatorRequest,
  FindCoordinatorResponse,
} from '../protocol/messages/10-find-coordinator.ts'
import { ErrorCode } from '../protocol/errors.ts'
import type { Handler, RequestContext } from './handler.ts'

const KEYS_PER_REQUEST_MAX = 10_000

function coordinatorFor(key: string, keyType: number, ctx: RequestContext): Coordinator {
  const { nodeId, advertised } = ctx.broker
  if (keyType !== 0 && keyType !== 1)
    return {
      key,
      nodeId: -1,
      host: '',
      port: -1,
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: `Unknown key type ${keyType}.`,
    }
  if (key === '')
    return {
      key,
      nodeId: -1,
      host: '',
      port: -1,
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: 'The key must not be empty.',
    }
  return {
    key,
    nodeId,
    host: advertised.host,
    port: advertised.port,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
  }
}

export const findCoordinator: Handler<FindCoordinatorRequest, FindCoordinatorResponse> = {
  apiKey: 10,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    const keyType = ctx.header.apiVersion >= 1 ? request.keyType : 0
    if (ctx.header.apiVersion >= 4) {
      const keys = request.coordinatorKeys.slice(0, KEYS_PER_REQUEST_MAX)
      return {
        throttleTimeMs: 0,
        coordinators: keys.map((key) => coordinatorFor(key, keyType, ctx)),
      }
    }
    const c = coordinatorFor(request.key, keyType, ctx)
    return {
      throttleTimeMs: 0,
      errorCode: c.errorCode,
      errorMessage: c.errorMessage,
      nodeId: c.nodeId,
      host: c.host,
      port: c.port,
    }
  },
}
