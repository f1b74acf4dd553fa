import type { TestProject } from 'vitest/node';
import { startLocalDynamoDb, type LocalDynamoDb } from '../../local/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

let engine: LocalDynamoDb | undefined;

/** One real DynamoDB Local engine per test run; tests isolate themselves by table name. */
export async function setup(project: TestProject): Promise<void> {
  engine = await startLocalDynamoDb();
  project.provide('dynamoEndpoint', engine.endpoint);
}

export async function teardown(): Promise<void> {
  await engine?.stop();
}
