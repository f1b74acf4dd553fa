import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { InvalidCiphertextException } from '@aws-sdk/client-kms';
import { ResourceExistsException, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import type { CallCount } from './cost.js';

/**
 * Counts the AWS calls the functions make, at the SDK clients: a middleware on each client records
 * every command by `Service:Command` (whatever adapter sends it), with its billed units, and the
 * capacity DynamoDB reports consumed. DynamoDB calls go on to DynamoDB Local; every other service
 * is answered in memory by {@link AwsStandIn}, so the bench needs no AWS account.
 */

/** A client the middleware can be added to (any AWS SDK v3 client). */
export interface InstrumentableClient {
  config: { serviceId: string };
  middlewareStack: {
    add: (
      middleware: (
        next: (args: { input: object }) => Promise<{ output: unknown }>,
        context: { commandName?: string },
      ) => (args: { input: object }) => Promise<{ output: unknown }>,
      options: { step: 'initialize'; name: string; priority: 'high' },
    ) => void;
  };
}

/** DynamoDB commands that read (their capacity is read units); the others write. */
const DYNAMODB_READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

/** What the clients did: calls by `Service:Command`, DynamoDB capacity, unmetered DynamoDB calls. */
export interface AwsCallSnapshot {
  requests: Record<string, CallCount>;
  readUnits: number;
  writeUnits: number;
  /** DynamoDB calls that asked for no consumed capacity: priced at one unit each, and reported. */
  unmeteredDynamoDbCalls: number;
}

type ConsumedCapacity = { CapacityUnits?: number };

/** The running count of every instrumented client. */
export class AwsCallTally {
  private requests = new Map<string, CallCount>();
  private readUnits = 0;
  private writeUnits = 0;
  private unmetered = 0;

  record(key: string, units: number): void {
    const count = this.requests.get(key) ?? { calls: 0, units: 0 };
    this.requests.set(key, { calls: count.calls + 1, units: count.units + units });
  }

  recordCapacity(command: string, consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): void {
    if (consumed === undefined) {
      this.unmetered += 1;
      if (DYNAMODB_READS.has(command)) this.readUnits += 1;
      else this.writeUnits += 1;
      return;
    }
    const units = (Array.isArray(consumed) ? consumed : [consumed]).reduce(
      (total, each) => total + (each.CapacityUnits ?? 0),
      0,
    );
    if (DYNAMODB_READS.has(command)) this.readUnits += units;
    else this.writeUnits += units;
  }

  snapshot(): AwsCallSnapshot {
    return {
      requests: Object.fromEntries([...this.requests].map(([key, count]) => [key, { ...count }])),
      readUnits: this.readUnits,
      writeUnits: this.writeUnits,
      unmeteredDynamoDbCalls: this.unmetered,
    };
  }
}

/** What was counted between two snapshots. */
export function callsBetween(before: AwsCallSnapshot, after: AwsCallSnapshot): AwsCallSnapshot {
  const requests: Record<string, CallCount> = {};
  for (const [key, count] of Object.entries(after.requests)) {
    const earlier = before.requests[key] ?? { calls: 0, units: 0 };
    if (count.calls > earlier.calls) {
      requests[key] = { calls: count.calls - earlier.calls, units: count.units - earlier.units };
    }
  }
  return {
    requests,
    readUnits: after.readUnits - before.readUnits,
    writeUnits: after.writeUnits - before.writeUnits,
    unmeteredDynamoDbCalls: after.unmeteredDynamoDbCalls - before.unmeteredDynamoDbCalls,
  };
}

/** Billed units of one call: entries for EventBridge, recipients for SES, else one request. */
function billedUnits(service: string, command: string, input: Record<string, unknown>): number {
  if (service === 'EventBridge' && command === 'PutEvents') return (input.Entries as unknown[]).length;
  if (service === 'SESv2' && command === 'SendEmail') {
    const destination = (input.Destination ?? {}) as Record<string, unknown[] | undefined>;
    return ['ToAddresses', 'CcAddresses', 'BccAddresses'].reduce(
      (total, field) => total + (destination[field]?.length ?? 0),
      0,
    );
  }
  return 1;
}

/**
 * Adds the counting middleware to a client, first in its chain; with a stand-in, calls to services
 * other than DynamoDB are answered by it and never leave the process.
 */
export function instrumentClient(
  client: InstrumentableClient,
  tally: AwsCallTally,
  standIn: AwsStandIn,
): void {
  const service = client.config.serviceId.replace(/\s+/g, '');
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
      const input = args.input as Record<string, unknown>;
      const key = `${service}:${command}`;
      tally.record(key, billedUnits(service, command, input));
      if (service !== 'DynamoDB') return { output: { $metadata: {}, ...standIn.answer(key, input) } };
      const answer = await next(args);
      tally.recordCapacity(
        command,
        (answer.output as { ConsumedCapacity?: ConsumedCapacity }).ConsumedCapacity,
      );
      return answer;
    },
    { step: 'initialize', name: 'benchAwsCalls', priority: 'high' },
  );
}

type Responder = (input: Record<string, unknown>) => Record<string, unknown>;

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/**
 * Answers the calls the functions make to Secrets Manager, KMS, SQS, SNS, SES and EventBridge, in
 * memory and as the service would for a successful call: secrets are kept by name, a data key's
 * ciphertext decrypts to its plaintext (under the same encryption context only), messages sent
 * to the queue are kept for the bench to hand to the worker. A call it cannot answer fails loudly.
 */
export class AwsStandIn {
  readonly secrets = new Map<string, string>();
  /** Bodies sent to the validation queue, oldest first. */
  readonly queued: string[] = [];
  /** Entries put on the event bus, oldest first: what the bus's rule hands on to the notifier's queue. */
  readonly events: { Source: string; DetailType: string; Detail: string }[] = [];
  private readonly dataKeys = new Map<string, { plaintext: Uint8Array; context: string }>();

  private readonly responders: Record<string, Responder> = {
    'SecretsManager:CreateSecret': (input) => {
      const name = String(input.Name);
      if (this.secrets.has(name))
        throw new ResourceExistsException({ message: `${name} exists`, $metadata: {} });
      this.secrets.set(name, String(input.SecretString));
      return { Name: name, ARN: this.secretArn(name), VersionId: randomUUID() };
    },
    'SecretsManager:PutSecretValue': (input) => {
      const name = this.secretName(input.SecretId);
      this.secrets.set(name, String(input.SecretString));
      return { Name: name, ARN: this.secretArn(name), VersionId: randomUUID() };
    },
    'SecretsManager:GetSecretValue': (input) => {
      const name = this.secretName(input.SecretId);
      const value = this.secrets.get(name);
      if (value === undefined)
        throw new ResourceNotFoundException({ message: `${name} not found`, $metadata: {} });
      return { Name: name, ARN: this.secretArn(name), SecretString: value, VersionId: randomUUID() };
    },
    'SecretsManager:DeleteSecret': (input) => {
      this.secrets.delete(this.secretName(input.SecretId));
      return {};
    },
    'SecretsManager:RestoreSecret': () => ({}),
    'SecretsManager:TagResource': () => ({}),
    'KMS:GenerateDataKey': (input) => {
      const plaintext = randomBytes(Number(input.NumberOfBytes ?? 32));
      return {
        KeyId: String(input.KeyId),
        Plaintext: plaintext,
        CiphertextBlob: this.wrap(plaintext, input),
      };
    },
    'KMS:Encrypt': (input) => ({
      KeyId: String(input.KeyId),
      CiphertextBlob: this.wrap(input.Plaintext as Uint8Array, input),
    }),
    'KMS:Decrypt': (input) => {
      const entry = this.dataKeys.get(Buffer.from(input.CiphertextBlob as Uint8Array).toString('base64'));
      if (!entry || entry.context !== JSON.stringify(input.EncryptionContext ?? {})) {
        throw new InvalidCiphertextException({
          message: 'The ciphertext does not decrypt here',
          $metadata: {},
        });
      }
      return { Plaintext: entry.plaintext };
    },
    'SQS:SendMessageBatch': (input) => {
      const entries = input.Entries as { Id: string; MessageBody: string }[];
      this.queued.push(...entries.map((entry) => entry.MessageBody));
      return {
        Successful: entries.map((entry) => ({
          Id: entry.Id,
          MessageId: randomUUID(),
          MD5OfMessageBody: md5(entry.MessageBody),
        })),
        Failed: [],
      };
    },
    'SQS:SendMessage': (input) => {
      this.queued.push(String(input.MessageBody));
      return { MessageId: randomUUID(), MD5OfMessageBody: md5(String(input.MessageBody)) };
    },
    'EventBridge:PutEvents': (input) => {
      const entries = input.Entries as { Source: string; DetailType: string; Detail: string }[];
      this.events.push(...entries);
      return { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) };
    },
    'SNS:Publish': () => ({ MessageId: randomUUID() }),
    'SESv2:SendEmail': () => ({ MessageId: randomUUID() }),
  };

  /** The service's answer to one call; throws for a call the bench does not know. */
  answer(key: string, input: Record<string, unknown>): Record<string, unknown> {
    const responder = this.responders[key];
    if (!responder)
      throw new Error(`The bench's AWS stand-in cannot answer ${key}: add it to bench/aws-calls.ts`);
    return responder(input);
  }

  private wrap(plaintext: Uint8Array, input: Record<string, unknown>): Uint8Array {
    const ciphertext = randomBytes(64);
    this.dataKeys.set(ciphertext.toString('base64'), {
      plaintext: Uint8Array.from(plaintext),
      context: JSON.stringify(input.EncryptionContext ?? {}),
    });
    return ciphertext;
  }

  /** A secret id is its name or its ARN (`...:secret:<name>`). */
  private secretName(secretId: unknown): string {
    const id = String(secretId);
    return id.startsWith('arn:') ? id.slice(id.indexOf(':secret:') + ':secret:'.length) : id;
  }

  private secretArn(name: string): string {
    return `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}`;
  }
}
