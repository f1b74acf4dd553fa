import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { countThrottledCalls, emitKmsThrottled } from './kms-throttles.js';
import { onePerProcess } from './one-per-process.js';
import { tracer } from './tracer.js';

/**
 * One client per AWS service and process, created on first use (a function builds only the ones
 * it calls) and wrapped by the tracer, so every SDK call is an X-Ray subsegment. Region and
 * credentials come from the Lambda runtime. Adapters take these as their default client.
 */
function oneTraced<Client>(create: () => Client): () => Client {
  return onePerProcess(() => tracer.captureAWSv3Client(create()));
}

/** The process's DynamoDB client. */
export const dynamoDbClient = oneTraced(() => new DynamoDBClient({}));
/** The process's KMS client (the token vault's data keys); its throttled calls are counted for the alarm. */
export const kmsClient = oneTraced(() => countThrottledCalls(new KMSClient({}), emitKmsThrottled));
/** The process's Secrets Manager client. */
export const secretsManagerClient = oneTraced(() => new SecretsManagerClient({}));
/** The process's EventBridge client. */
export const eventBridgeClient = oneTraced(() => new EventBridgeClient({}));
/** The process's SNS client. */
export const snsClient = oneTraced(() => new SNSClient({}));
/** The process's SES v2 client. */
export const sesClient = oneTraced(() => new SESv2Client({}));
