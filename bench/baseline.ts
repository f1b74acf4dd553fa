import { performance } from 'node:perf_hooks';
import { ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sealedTokensSchema } from '#domain/model.js';
import { ROLES_READ_SCOPE } from '#domain/validator-evidence.js';
import type { TokenVault, WebexClient } from '#domain/ports.js';

export interface BaselineInput {
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  vault: TokenVault;
  webex: WebexClient;
  now: Date;
  /** Check at most this many due authorizations; the rest of the scan still runs to its end. */
  sample: number;
}

export interface BaselineReport {
  /** Items the scan returned (the whole table). */
  scanned: number;
  due: number;
  checked: number;
  /** Time of the whole loop, scan and checks. */
  measuredMs: number;
  /** Time spent in the checks alone. */
  checkMs: number;
  /** The scan's time plus every due authorization checked at the sample's rate. */
  projectedMs: number;
  /** True when the projection extrapolates a sample rather than timing every check. */
  extrapolated: boolean;
  /** Read capacity the scan consumed (the checks read nothing more: the scan gave the items). */
  readCapacity: number;
}

/**
 * The script a team would write by hand: Scan the table page by page; for each authorization
 * item that is active and past its next check, read its token, ask Webex who it is (and list
 * roles where the scope allows it, as the validator does), record the check. One at a time.
 */
export async function runBaseline(input: BaselineInput): Promise<BaselineReport> {
  const started = performance.now();
  let scanned = 0;
  let due = 0;
  let checked = 0;
  let checkMs = 0;
  let readCapacity = 0;
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await input.documentClient.send(
      new ScanCommand({
        TableName: input.tableName,
        ExclusiveStartKey: exclusiveStartKey,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    readCapacity += page.ConsumedCapacity?.CapacityUnits ?? 0;
    for (const item of page.Items ?? []) {
      scanned += 1;
      const isAuthorization = typeof item.sk === 'string' && item.sk.startsWith('AUTH#');
      const isDue = typeof item.nextCheckAt === 'number' && item.nextCheckAt <= input.now.getTime();
      if (!isAuthorization || item.status !== 'active' || !isDue) continue;
      due += 1;
      if (checked >= input.sample) continue;
      const checkStarted = performance.now();
      const material = await input.vault.open(
        { tenantId: String(item.tenantId), integration: String(item.integration) },
        sealedTokensSchema.parse(item.sealedTokens),
      );
      await input.webex.getMe(material.accessToken);
      const scopes: unknown = item.scopes;
      if (Array.isArray(scopes) && scopes.includes(ROLES_READ_SCOPE)) {
        await input.webex.listRoles(material.accessToken);
      }
      await input.documentClient.send(
        new UpdateCommand({
          TableName: input.tableName,
          Key: { pk: item.pk, sk: item.sk },
          // Only the check time: the sweep measured next must find the same authorizations due.
          UpdateExpression: 'SET validatedAt = :now',
          ExpressionAttributeValues: { ':now': new Date().toISOString() },
        }),
      );
      checked += 1;
      checkMs += performance.now() - checkStarted;
    }
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);
  const measuredMs = performance.now() - started;
  const perCheckMs = checked > 0 ? checkMs / checked : 0;
  return {
    scanned,
    due,
    checked,
    measuredMs,
    checkMs,
    projectedMs: measuredMs - checkMs + perCheckMs * due,
    extrapolated: checked < due,
    readCapacity,
  };
}
