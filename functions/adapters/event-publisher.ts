import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { eventBridgeClient, snsClient } from '#commons/aws-clients.js';
import type { AuthorizationEvent } from '#domain/model.js';
import type { EventPublisher } from '#domain/ports.js';

/** The `Source` of every event this product puts on the bus. */
export const EVENT_SOURCE = 'webex-auth-keeper';

/** The bus refused the event (PutEvents reports failures per entry, not as an error). */
export class EventPublishError extends Error {
  override readonly name = 'EventPublishError';
}

/** `authorization.<type>`, the DetailType subscribers match on. */
export function detailTypeOf(event: AuthorizationEvent): string {
  return `authorization.${event.type}`;
}

/**
 * Authorization events on AWS, for machines: every event on the EventBridge bus (Source
 * `webex-auth-keeper`, DetailType `authorization.<type>`, the event as Detail) and on the SNS
 * event topic (the event as JSON, with the message attributes subscribers filter on: `tenantId`,
 * `integration`, `type`, `severity`). People are mailed by the notifier, which the bus feeds
 * (functions/domain/notifier.ts), writing the mail from the event. Bus first, then SNS: a
 * failure of either throws, and the validator's outbox retries the whole event.
 */
export class AwsEventPublisher implements EventPublisher {
  private readonly eventBridge: EventBridgeClient;
  private readonly sns: SNSClient;

  constructor(
    private readonly options: {
      eventBusName: string;
      topicArn: string;
      /** The process's traced client when absent. */
      eventBridge?: EventBridgeClient;
      /** The process's traced client when absent. */
      sns?: SNSClient;
    },
  ) {
    this.eventBridge = options.eventBridge ?? eventBridgeClient();
    this.sns = options.sns ?? snsClient();
  }

  async publish(event: AuthorizationEvent): Promise<void> {
    const output = await this.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.options.eventBusName,
            Source: EVENT_SOURCE,
            DetailType: detailTypeOf(event),
            Detail: JSON.stringify(event),
            Time: new Date(event.occurredAt),
          },
        ],
      }),
    );
    if ((output.FailedEntryCount ?? 0) > 0) {
      const entry = output.Entries?.[0];
      throw new EventPublishError(
        `EventBridge refused event ${event.eventId}: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim(),
      );
    }
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.options.topicArn,
        Message: JSON.stringify(event),
        MessageAttributes: {
          tenantId: { DataType: 'String', StringValue: event.tenantId },
          integration: { DataType: 'String', StringValue: event.integration },
          type: { DataType: 'String', StringValue: event.type },
          severity: { DataType: 'String', StringValue: event.severity },
        },
      }),
    );
  }
}
