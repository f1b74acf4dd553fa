import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Log } from '#domain/ports.js';
import {
  MAX_WEBHOOK_BODY_BYTES,
  receiveServiceAppNotification,
  WebhookBodyError,
  WebhookSignatureError,
  type ServiceAppWebhookDependencies,
} from '#domain/service-app-webhook.js';

/*
 * The HTTP side of the `serviceApp` webhook: Webex posts JSON and reads only the status. Every
 * verified delivery is answered 200, whatever became of it (a replay, an unknown org), so Webex
 * never resends it; a delivery that is not Webex's (no or a bad signature) gets 401, a signed one
 * that is not a notification 400 naming the field. No answer says more than that.
 */

type Answer = APIGatewayProxyStructuredResultV2;

function jsonAnswer(statusCode: number, body: Record<string, unknown>): Answer {
  return {
    statusCode,
    headers: {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
    body: JSON.stringify(body),
  };
}

/** The body as Webex sent it: the signature is over these exact bytes. */
function rawBodyOf(event: APIGatewayProxyEventV2): string {
  const body = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

/**
 * Answers one delivery of the `serviceApp` webhook (POST, JSON body, `X-Spark-Signature`), counting
 * each outcome; the use case's unexpected failures are left to the handler's failure rendering.
 */
export async function answerServiceAppWebhook(
  event: APIGatewayProxyEventV2,
  deps: ServiceAppWebhookDependencies,
  metrics: Metrics,
  log: Log,
): Promise<Answer> {
  const body = rawBodyOf(event);
  if (Buffer.byteLength(body, 'utf8') > MAX_WEBHOOK_BODY_BYTES) {
    metrics.addMetric('WebhookRefused', MetricUnit.Count, 1);
    return jsonAnswer(413, { error: 'body_too_large' });
  }
  try {
    const receipt = await receiveServiceAppNotification(deps, {
      body,
      signature: event.headers['x-spark-signature'],
    });
    metrics.addMetric(
      receipt.outcome === 'handled' ? 'WebhookHandled' : 'WebhookIgnored',
      MetricUnit.Count,
      1,
    );
    return jsonAnswer(200, { received: true });
  } catch (error) {
    if (error instanceof WebhookSignatureError) {
      log.warn('A serviceApp webhook delivery was refused', { reason: error.message });
      metrics.addMetric('WebhookRefused', MetricUnit.Count, 1);
      return jsonAnswer(401, { error: 'bad_signature' });
    }
    if (error instanceof WebhookBodyError) {
      log.warn('A signed serviceApp webhook delivery is not a notification', { field: error.field });
      metrics.addMetric('WebhookRefused', MetricUnit.Count, 1);
      return jsonAnswer(400, { error: 'invalid_notification', field: error.field });
    }
    throw error;
  }
}
