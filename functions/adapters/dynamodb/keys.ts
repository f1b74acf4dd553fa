import { createHash } from 'node:crypto';
import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { Page } from '#domain/ports.js';
import { tableDefinition } from '#adapters/table-definition.js';

/** Key layout of the single table (DESIGN.md). */
export const keys = {
  tenant: (tenantId: string) => ({ pk: `TENANT#${tenantId}`, sk: 'TENANT' }),
  authorization: (tenantId: string, integration: string) => ({
    pk: `TENANT#${tenantId}`,
    sk: `AUTH#${integration}`,
  }),
  event: (tenantId: string, occurredAt: string, eventId: string) => ({
    pk: `TENANT#${tenantId}`,
    sk: `EVENT#${occurredAt}#${eventId}`,
  }),
  state: (stateHash: string) => ({ pk: `STATE#${stateHash}`, sk: 'STATE' }),
};

export const TENANT_PREFIX = 'TENANT#';
/** The `tenants` index's partition value: every tenant item carries it, nothing else does. */
export const TENANT_LIST = 'TENANT';
export const AUTH_PREFIX = 'AUTH#';
export const EVENT_PREFIX = 'EVENT#';

/** The `due` partition an authorization lives in: stable, spread evenly over the shards. */
export function dueShardOf(tenantId: string, integration: string): string {
  const digest = createHash('sha256').update(`${tenantId}#${integration}`).digest();
  return `DUE#${digest.readUInt32BE(0) % tableDefinition.dueShards}`;
}

/** A page of the `tenants` index, which lists every tenant item (and nothing else) in one partition. */
export function tenantListQuery(
  tableName: string,
  limit: number,
): Omit<QueryCommandInput, 'ExclusiveStartKey' | 'ReturnConsumedCapacity'> {
  const { indexName, partitionKey } = tableDefinition.tenantIndex;
  return {
    TableName: tableName,
    IndexName: indexName,
    KeyConditionExpression: '#list = :list',
    ExpressionAttributeNames: { '#list': partitionKey.name },
    ExpressionAttributeValues: { ':list': TENANT_LIST },
    Limit: limit,
  };
}

/**
 * A cursor the listing refuses: `malformed` when it does not decode to a cursor at all,
 * `other_query` when it is well formed but does not fit this query (issued for other filters,
 * another listing or another tenant), which the caller fixes by starting again without it.
 */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  constructor(readonly reason: 'malformed' | 'other_query' = 'malformed') {
    super(
      reason === 'other_query'
        ? 'The pagination cursor belongs to another query'
        : 'The pagination cursor is not valid',
    );
  }
}

// Safe integers only: a larger number would fail in the marshaller, not as a refused cursor.
const cursorSchema = z.record(z.string(), z.union([z.string(), z.int()]));

/**
 * Opaque pagination cursor: DynamoDB's LastEvaluatedKey, base64url-encoded. Not signed: it only
 * says where a listing the caller may read anyway starts, its shape is checked on decoding and
 * DynamoDB refuses a start key that does not fit the query.
 */
export function encodeCursor(lastEvaluatedKey: Record<string, unknown> | undefined): string | undefined {
  return lastEvaluatedKey ? Buffer.from(JSON.stringify(lastEvaluatedKey)).toString('base64url') : undefined;
}

export function decodeCursor(cursor: string | undefined): Record<string, string | number> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through: any undecodable cursor is the caller's error
  }
  throw new InvalidCursorError();
}

/**
 * The error to throw when a query with a cursor failed: DynamoDB refuses (ValidationException) a
 * start key that does not fit the query, e.g. another listing's or another tenant's cursor, which
 * is the caller's error and must not surface as a 500. Any other failure is returned unchanged.
 */
export function cursorFailure(error: unknown, cursor: string | undefined): unknown {
  const refusedStartKey =
    cursor !== undefined && error instanceof Error && error.name === 'ValidationException';
  return refusedStartKey ? new InvalidCursorError('other_query') : error;
}

export function toEpochSeconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

/** The per-item reasons of a cancelled transaction, in the order of its items (none otherwise). */
export function cancellationReasons(error: unknown): { Code?: string }[] {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return [];
  return (error as Error & { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
}

/** True when a DynamoDB call failed on its condition (plain or inside a transaction). */
export function isConditionFailure(error: unknown): boolean {
  if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return true;
  return cancellationReasons(error).some((reason) => reason.Code === 'ConditionalCheckFailed');
}

/** True when a transaction was cancelled by the condition of its item at `index`. */
export function isConditionFailureOfItem(error: unknown, index: number): boolean {
  return cancellationReasons(error)[index]?.Code === 'ConditionalCheckFailed';
}

/** Receives the read/write capacity each call consumed (the bench sums it); optional. */
export type CapacityMeter = (consumed: { read: number; write: number }) => void;

export function meter(
  capacityMeter: CapacityMeter | undefined,
  consumed: { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number } | undefined,
  kind: 'read' | 'write',
): void {
  if (!capacityMeter || !consumed) return;
  const units =
    consumed.CapacityUnits ??
    (kind === 'read' ? consumed.ReadCapacityUnits : consumed.WriteCapacityUnits) ??
    0;
  capacityMeter(kind === 'read' ? { read: units, write: 0 } : { read: 0, write: units });
}

/**
 * One page of a listing the caller pages through: the query from the caller's cursor, a start key
 * DynamoDB refuses reported as InvalidCursorError, the read metered, the items parsed, and the
 * cursor of the next page when there is one.
 */
export async function queryPage<T>(
  documentClient: DynamoDBDocumentClient,
  query: Omit<QueryCommandInput, 'ExclusiveStartKey' | 'ReturnConsumedCapacity'>,
  page: { cursor: string | undefined; capacityMeter: CapacityMeter | undefined; schema: z.ZodType<T> },
): Promise<Page<T>> {
  const output = await documentClient
    .send(
      new QueryCommand({
        ...query,
        ExclusiveStartKey: decodeCursor(page.cursor),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    )
    .catch((error: unknown) => {
      throw cursorFailure(error, page.cursor);
    });
  meter(page.capacityMeter, output.ConsumedCapacity, 'read');
  const cursor = encodeCursor(output.LastEvaluatedKey);
  return {
    items: (output.Items ?? []).map((item) => page.schema.parse(item)),
    ...(cursor ? { cursor } : {}),
  };
}
