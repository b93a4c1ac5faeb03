// DescribeCluster (key 60): versions 0-1, flexible from 0.
//
// Behaviour: the live brokers and the controller id from the cluster view (on a single node, this
// broker alone, as its own controller). v1's endpointType must be 1
// (brokers): asking a broker for controllers (2) is MISMATCHED_ENDPOINT_TYPE, any other value
// UNSUPPORTED_ENDPOINT_TYPE, as Kafka answers. Authorized operations: everything (no ACLs yet).

import { ErrorCode } from '../protocol/errors.ts'
import { authorizedOperationsOmitted, clusterOperations } from '../cluster/authorized-operations.ts'
import type { Handler } from './handler.ts'

const BROKERS = 1
const CONTROLLERS = 2

export const describeCluster: Handler<60> = {
  apiKey: 60,
  minVersion: 0,
  maxVersion: 1,
  handle(request, ctx) {
    const { broker } = ctx
    const endpointType = ctx.header.apiVersion >= 1 ? request.endpointType : BROKERS
    const base = {
      throttleTimeMs: 0,
      endpointType,
      clusterId: broker.clusterId,
      controllerId: broker.cluster.controllerId(),
    }
    if (endpointType !== BROKERS) {
      const errorCode =
        endpointType === CONTROLLERS
          ? ErrorCode.MISMATCHED_ENDPOINT_TYPE
          : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE
      const errorMessage = `This broker answers DescribeCluster for brokers (endpointType 1), not endpointType ${endpointType}.`
      return {
        ...base,
        errorCode,
        errorMessage,
        brokers: [],
        clusterAuthorizedOperations: authorizedOperationsOmitted,
      }
    }
    return {
      ...base,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      brokers: broker.cluster.liveBrokers().map((live) => ({
        brokerId: live.nodeId,
        host: live.host,
        port: live.port,
        rack: live.rack,
      })),
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
        ? clusterOperations
        : authorizedOperationsOmitted,
    }
  },
}
