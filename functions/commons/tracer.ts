import { Tracer } from '@aws-lambda-powertools/tracer';
import type { WebexCallTracing } from '#adapters/webex-client.js';

/**
 * The function's X-Ray tracer (service name from POWERTOOLS_SERVICE_NAME, set by the stack).
 * Outside Lambda it switches itself off, so the local run and tests never look for a daemon.
 * HTTPS capture is off: it would record every Webex URL with its query; the Webex calls are
 * traced by {@link webexCallTracing} instead, named by the call, and the AWS SDK calls by
 * `captureAWSv3Client` on each client.
 */
export const tracer = new Tracer({ captureHTTPsRequests: false });

/**
 * Webex calls as X-Ray subsegments of the current invocation (`webex.refresh`, ...), with the HTTP
 * status as an annotation. The subsegment is not made the active one: the validator sends two
 * calls at once, and neither may become the other's parent.
 */
export function webexCallTracing(on: Tracer = tracer): WebexCallTracing {
  return async (name, call) => {
    const subsegment = on.getSegment()?.addNewSubsegment(name);
    try {
      return await call({ recordStatus: (status) => subsegment?.addAnnotation('httpStatus', status) });
    } catch (error) {
      subsegment?.addError(error instanceof Error ? error : String(error));
      throw error;
    } finally {
      subsegment?.close();
    }
  };
}
