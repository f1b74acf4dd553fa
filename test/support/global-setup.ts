import type { TestProject } from 'vitest/node';
import { startLocalDynamoDb, type LocalDynamoDb } from '#local/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

/** The engine and how many tiers of this run still use it. */
interface SharedEngine {
  engine: Promise<LocalDynamoDb>;
  tiers: number;
}

/**
 * Vitest loads this file once per tier (project) that lists it, all in its main process: the
 * engine is kept on the process, so that the tiers of one run share one engine (one JVM) and the
 * last tier's teardown stops it.
 */
const SHARED_ENGINE = Symbol.for('webex-auth-keeper/test/dynamodb-local');
const processWide = globalThis as typeof globalThis & { [SHARED_ENGINE]?: SharedEngine };

/** One real DynamoDB Local engine per test run; tests isolate themselves by table name. */
export async function setup(project: TestProject): Promise<void> {
  const shared = (processWide[SHARED_ENGINE] ??= { engine: startLocalDynamoDb(), tiers: 0 });
  shared.tiers += 1;
  project.provide('dynamoEndpoint', (await shared.engine).endpoint);
}

export async function teardown(): Promise<void> {
  const shared = processWide[SHARED_ENGINE];
  if (!shared) return;
  shared.tiers -= 1;
  if (shared.tiers > 0) return;
  delete processWide[SHARED_ENGINE];
  await (await shared.engine).stop();
}
