import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import type { BudgetClaim, CheckBudgetState, CheckBudgetStore, ClaimAnswer } from '#domain/check-budget.js';
import { isConditionFailure, meter, type CapacityMeter } from './keys.js';

/** A budget item nobody claimed for this long goes away (TTL); the next claim starts it afresh. */
const IDLE_RETENTION_SECONDS = 2 * 86_400;

const slotSchema = z.object({ owner: z.string(), until: z.number() });

const budgetItemSchema = z
  .object({
    paceAt: z.number().optional(),
    retryAfterUntil: z.number().optional(),
  })
  .catchall(z.unknown());

const SLOT_ATTRIBUTE = /^slot(\d{1,4})$/;

function keyOf(scope: string) {
  return { pk: `BUDGET#${scope}`, sk: 'BUDGET' };
}

/** The state of an item as DynamoDB returned it; an unreadable slot counts as held. */
export function budgetStateOf(item: Record<string, unknown> | undefined): CheckBudgetState {
  const parsed = budgetItemSchema.parse(item ?? {});
  const slots = new Map<number, number>();
  for (const [name, value] of Object.entries(parsed)) {
    const match = SLOT_ATTRIBUTE.exec(name);
    if (!match?.[1]) continue;
    const slot = slotSchema.safeParse(value);
    slots.set(Number(match[1]), slot.success ? slot.data.until : Number.POSITIVE_INFINITY);
  }
  return {
    slots,
    ...(parsed.paceAt !== undefined ? { paceAt: parsed.paceAt } : {}),
    ...(parsed.retryAfterUntil !== undefined ? { retryAfterUntil: parsed.retryAfterUntil } : {}),
  };
}

/**
 * The per-org Webex call budgets (check-budget.ts): one item per scope, `BUDGET#<scope> / BUDGET`,
 * holding the pace (`paceAt`), the slots (`slot0`, `slot1`, ...: owner and until) and Webex's
 * Retry-After (`retryAfterUntil`), times in epoch milliseconds. Every change is one conditional
 * UpdateItem, so workers racing for one org's budget never both get the same slot or start.
 */
export class DynamoDbCheckBudgetStore implements CheckBudgetStore {
  constructor(
    private readonly documentClient: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly capacityMeter?: CapacityMeter,
  ) {}

  async claim(scope: string, claim: BudgetClaim): Promise<ClaimAnswer> {
    const noRetryAfter = '(attribute_not_exists(retryAfterUntil) OR retryAfterUntil <= :now)';
    const slotFree = '(attribute_not_exists(#slot) OR #slot.#until < :now)';
    const pace =
      claim.mode === 'continue'
        ? 'paceAt >= :now AND paceAt <= :latestStart'
        : '(attribute_not_exists(paceAt) OR paceAt < :now)';
    const movePace = claim.mode === 'continue' ? 'paceAt = paceAt + :cost' : 'paceAt = :restartedPace';
    try {
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(scope),
          UpdateExpression: `SET ${movePace}, #slot = :hold, expiresAt = :expiresAt`,
          ConditionExpression: `${noRetryAfter} AND ${slotFree} AND ${pace}`,
          ExpressionAttributeNames: { '#slot': `slot${claim.slot}`, '#until': 'until' },
          ExpressionAttributeValues: {
            ':now': claim.now,
            ':hold': { owner: claim.owner, until: claim.holdUntil },
            ':expiresAt': Math.floor(claim.now / 1000) + IDLE_RETENTION_SECONDS,
            ...(claim.mode === 'continue'
              ? { ':cost': claim.costMs, ':latestStart': claim.latestStart }
              : { ':restartedPace': claim.now + claim.costMs }),
          },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter(this.capacityMeter, output.ConsumedCapacity, 'write');
      const before = budgetStateOf(output.Attributes);
      const othersHeld = [...before.slots].filter(
        ([slot, until]) => slot !== claim.slot && until >= claim.now,
      ).length;
      if (claim.mode === 'restart') return { start: claim.now, othersHeld };
      return { start: z.number().parse(before.paceAt), othersHeld };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // The document client leaves the exception's item in the wire format.
      const item = error instanceof ConditionalCheckFailedException ? error.Item : undefined;
      return { refused: budgetStateOf(item ? unmarshall(item) : undefined) };
    }
  }

  async release(scope: string, slot: number, owner: string, extraCostMs: number): Promise<void> {
    try {
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(scope),
          UpdateExpression:
            extraCostMs > 0
              ? 'REMOVE #slot SET paceAt = if_not_exists(paceAt, :zero) + :extra'
              : 'REMOVE #slot',
          ConditionExpression: '#slot.#owner = :owner',
          ExpressionAttributeNames: { '#slot': `slot${slot}`, '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':owner': owner,
            ...(extraCostMs > 0 ? { ':zero': 0, ':extra': extraCostMs } : {}),
          },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter(this.capacityMeter, output.ConsumedCapacity, 'write');
    } catch (error) {
      // The slot passed its time and another check holds it now: nothing of ours is left to free.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async holdOff(scope: string, until: number): Promise<void> {
    try {
      const output = await this.documentClient.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(scope),
          UpdateExpression: 'SET retryAfterUntil = :until, expiresAt = if_not_exists(expiresAt, :expiresAt)',
          ConditionExpression: 'attribute_not_exists(retryAfterUntil) OR retryAfterUntil < :until',
          ExpressionAttributeValues: {
            ':until': until,
            ':expiresAt': Math.floor(until / 1000) + IDLE_RETENTION_SECONDS,
          },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter(this.capacityMeter, output.ConsumedCapacity, 'write');
    } catch (error) {
      // A later Retry-After is recorded already: it holds the org's checks longer.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async read(scope: string): Promise<CheckBudgetState> {
    const output = await this.documentClient.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keyOf(scope),
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    meter(this.capacityMeter, output.ConsumedCapacity, 'read');
    return budgetStateOf(output.Item);
  }
}
