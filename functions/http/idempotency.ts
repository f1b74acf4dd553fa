import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import type { Clock } from '#domain/ports.js';
import { invalid, ProblemError, type Answer } from './admin-answers.js';

/*
 * `Idempotency-Key` on the admin API's POSTs: the first request with a key runs and its answer is
 * kept 24 hours; a repeat (same caller, method, path, query and body) answers that first answer
 * without running again. Only successes are kept: a refused or failed request releases its key,
 * so a retry runs again (and is refused again, or succeeds once the cause is fixed).
 */

/** How long a first answer is kept, and so how long a key may not be reused for another request. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/**
 * How long a claim protects a request still running. The admin function stops within API
 * Gateway's 29 s, so a claim older than this belongs to a run that died: a retry may take it over.
 */
export const IDEMPOTENCY_LOCK_SECONDS = 60;

/** The first answer, as the API gave it. */
export interface StoredAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** A key held by an earlier request: still running, or done with its answer. */
export type HeldKey =
  { state: 'running'; fingerprint: string } | { state: 'done'; fingerprint: string; answer: StoredAnswer };

/** Where keys and first answers live (the table; its TTL removes them). */
export interface IdempotencyStore {
  /**
   * Claims the key for this request, unless an earlier one holds it: a done one until it expires,
   * a running one until its lock ends. Answers what holds it otherwise.
   */
  claim(input: {
    key: string;
    fingerprint: string;
    now: Date;
    lockedUntil: Date;
    expiresAt: Date;
  }): Promise<'claimed' | HeldKey>;
  /** Keeps the first answer under the claimed key. */
  complete(key: string, answer: StoredAnswer): Promise<void>;
  /** Gives the key up: the request was refused or failed. */
  release(key: string): Promise<void>;
}

/** The header's value: what clients send (a UUID mostly), printable ASCII without spaces. */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 printable ASCII characters, no spaces');

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The request's body as sent (API Gateway may base64 it). */
function bodyText(event: APIGatewayProxyEventV2): string {
  if (event.body === undefined) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/**
 * Runs a POST at most once per `Idempotency-Key`; other methods, and a POST without the header,
 * just run. The key is scoped to the caller (the signing IAM principal) and the route, so two
 * callers never see each other's answers; the same key with another query or body is refused
 * (422), as is a repeat while the first still runs (409).
 */
export async function answerOnce(
  input: { event: APIGatewayProxyEventV2; caller: string; store: IdempotencyStore; clock: Clock },
  run: () => Promise<Answer>,
): Promise<Answer> {
  const { event, caller, store, clock } = input;
  const header = event.headers['idempotency-key'];
  if (event.requestContext.http.method.toUpperCase() !== 'POST' || header === undefined) return run();
  const parsed = idempotencyKeySchema.safeParse(header);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? 'invalid';
    throw invalid(`Invalid header: Idempotency-Key: ${message}`, [
      { path: 'header.idempotency-key', message },
    ]);
  }
  const key = sha256(`${caller}\n${event.rawPath}\n${parsed.data}`);
  const fingerprint = sha256(`${event.rawQueryString ?? ''}\n${bodyText(event)}`);
  const now = clock.now();
  const held = await store.claim({
    key,
    fingerprint,
    now,
    lockedUntil: new Date(now.getTime() + IDEMPOTENCY_LOCK_SECONDS * 1000),
    expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_SECONDS * 1000),
  });
  if (held !== 'claimed') return answerOfHeld(held, fingerprint);
  let answer: Answer;
  try {
    answer = await run();
  } catch (error) {
    await store.release(key);
    throw error;
  }
  const statusCode = answer.statusCode ?? 200;
  if (statusCode >= 300) {
    await store.release(key);
    return answer;
  }
  await store.complete(key, {
    statusCode,
    headers: Object.fromEntries(
      Object.entries(answer.headers ?? {}).map(([name, value]) => [name, String(value)]),
    ),
    body: answer.body ?? '',
  });
  return answer;
}

function answerOfHeld(held: HeldKey, fingerprint: string): Answer {
  if (held.fingerprint !== fingerprint) {
    throw new ProblemError(
      422,
      'idempotency-key-reused',
      'Idempotency key reused',
      'This Idempotency-Key was used within 24 hours for another query or body; use a new key',
    );
  }
  if (held.state === 'running') {
    throw new ProblemError(
      409,
      'idempotency-key-in-use',
      'Request still running',
      'The first request with this Idempotency-Key is still running; retry in a minute for its answer',
    );
  }
  return {
    ...held.answer,
    headers: { ...held.answer.headers, 'Idempotent-Replayed': 'true' },
  };
}
