import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { onePerProcess } from './one-per-process.js';

/*
 * The clients of a function that loads no tracer (the sweep dispatcher: dispatcher-composition.ts
 * says why): plain ones, apart from aws-clients.ts, which imports the X-Ray SDK. One per service
 * and process, created on first use, as there.
 */

/** The process's untraced DynamoDB client. */
export const untracedDynamoDbClient = onePerProcess(() => new DynamoDBClient({}));
/** The process's untraced SQS client. */
export const untracedSqsClient = onePerProcess(() => new SQSClient({}));
