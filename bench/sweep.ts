import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sweepReplySchema, type SweepRequest, type SweepResult } from './sweep-protocol.js';

const SWEEP_PROCESS = fileURLToPath(new URL('./sweep-process.ts', import.meta.url));

/** Thrown when the sweep process failed or exited without an answer. */
export class SweepProcessError extends Error {
  override readonly name = 'SweepProcessError';
}

/**
 * Runs one sweep in a fresh Node process (bench/sweep-process.ts): fresh, so its peak memory is
 * the sweep's and not what earlier scenarios left behind. `--expose-gc` lets it start the heap
 * measure from a collected heap. `onMark` is called when the timed sweep starts and ends, for
 * measures taken outside the process (the CPU of DynamoDB Local and of the simulator).
 */
export function runSweepProcess(
  request: SweepRequest,
  onMark: (phase: 'start' | 'end') => void,
): Promise<SweepResult> {
  const child = fork(SWEEP_PROCESS, [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    child.on('message', (message: unknown) => {
      const reply = sweepReplySchema.safeParse(message);
      if (!reply.success) {
        settled = true;
        reject(new SweepProcessError(`Unreadable sweep reply: ${reply.error.message}`));
        return;
      }
      const { data } = reply;
      if (data.type === 'mark') return onMark(data.phase);
      settled = true;
      if (data.type === 'failed') reject(new SweepProcessError(data.message));
      else resolve(data.result);
    });
    child.once('error', (error) => {
      settled = true;
      reject(error);
    });
    child.once('exit', (code, signal) => {
      if (!settled) {
        reject(new SweepProcessError(`The sweep process exited (${signal ?? code}) without an answer`));
      }
    });
    child.send(request);
  });
}
