import * as z from 'zod';

/** Error names of AWS throttling: the SDK's own retries ran out, the next attempt may pass. */
const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'TransactionConflictException',
  'LimitExceededException',
]);

/** Network failures below any AWS answer. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'AbortError']);

/** The parts of an AWS SDK v3 error (a ServiceException) or a Node network error that say whether it passes. */
const thrownShape = z.looseObject({
  name: z.string().optional(),
  code: z.string().optional(),
  $fault: z.string().optional(),
  $retryable: z.looseObject({}).optional(),
  $metadata: z.looseObject({ httpStatusCode: z.number().optional() }).optional(),
});

/**
 * Whether a thrown error is a passing failure of the platform rather than of our code or data:
 * AWS throttling, a server-side fault (5xx) of DynamoDB, KMS, Secrets Manager, SQS, SNS or
 * EventBridge, or the network. The validator worker lets SQS retry these and never counts them
 * against an authorization (functions/domain/check-failures.ts). A client fault (4xx: a validation
 * error, a missing secret, a KMS key we may not use) and any error of ours (a parse failure) are
 * not passing: retrying the same check would fail the same way.
 */
export function isTransientAwsFailure(error: unknown): boolean {
  const parsed = thrownShape.safeParse(error);
  if (!parsed.success) return false;
  const { name, code, $fault, $retryable, $metadata } = parsed.data;
  if ($retryable !== undefined || $fault === 'server') return true;
  if (($metadata?.httpStatusCode ?? 0) >= 500) return true;
  if (name !== undefined && (THROTTLING_NAMES.has(name) || NETWORK_NAMES.has(name))) return true;
  return code !== undefined && NETWORK_CODES.has(code);
}
