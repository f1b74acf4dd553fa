import * as z from 'zod';
import { sendToParent } from './child-processes.js';
import { runDispatchInvocation } from './dispatch.js';
import { dispatchGoSchema, dispatchRequestSchema, type DispatchReply } from './dispatch-protocol.js';

/*
 * One dispatcher invocation in a process of its own (bench/dispatch.ts forks one per shard group):
 * it loads its code and answers `ready`, runs when told `go` with the common start, and answers
 * what it measured, then exits.
 */

const reply = (message: DispatchReply) => sendToParent(message);

const nextMessage = () => new Promise<unknown>((resolve) => process.once('message', resolve));

try {
  const request = dispatchRequestSchema.parse(await nextMessage());
  // Listening before saying ready, so a `go` sent at once is not missed.
  const released = nextMessage();
  await reply({ type: 'ready' });
  const go = dispatchGoSchema.parse(await released);
  const result = await runDispatchInvocation({ ...request, startedAt: go.startedAt });
  await reply({ type: 'result', ...result });
} catch (error) {
  await reply({
    type: 'failed',
    message: error instanceof z.ZodError ? z.prettifyError(error) : String(error),
  });
  process.exitCode = 1;
}
process.disconnect?.();
