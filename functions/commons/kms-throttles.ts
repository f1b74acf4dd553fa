import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KMSClient } from '@aws-sdk/client-kms';
import { KMS_THROTTLED_METRIC } from './validation-metrics.js';

/** True for KMS's answer to a request over the account's quota (ThrottlingException, or a 429). */
export function isThrottling(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as Error & { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === 'ThrottlingException' || status === 429;
}

/**
 * Calls `onThrottled` for each call of the client that failed throttled once the SDK's retries are
 * spent (the middleware sits at `initialize`, outside the retries), then lets the error go on
 * unchanged: the count is all it adds.
 */
export function countThrottledCalls(client: KMSClient, onThrottled: () => void): KMSClient {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (isThrottling(error)) onThrottled();
        throw error;
      }
    },
    { step: 'initialize', name: 'countThrottledKmsCalls' },
  );
  return client;
}

/**
 * Emits one `KmsThrottled` data point at once, as its own EMF line (Powertools' single metric), so
 * the count does not depend on the handler's metrics being flushed; namespace and service come
 * from the function's Powertools environment.
 */
export function emitKmsThrottled(): void {
  new Metrics().singleMetric().addMetric(KMS_THROTTLED_METRIC, MetricUnit.Count, 1);
}
