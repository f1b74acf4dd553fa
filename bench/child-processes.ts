import { fork, type ChildProcess } from 'node:child_process';
import * as z from 'zod';

/** Thrown when a bench child process failed, answered what cannot be read, or exited without an answer. */
export class BenchProcessError extends Error {
  override readonly name = 'BenchProcessError';
}

/** In a child process: sends `message` to the bench, resolved once it is written. */
export function sendToParent(message: unknown): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send?.(message, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}

/**
 * The replies every bench child sends beside its own, which runChildProcesses handles itself: its
 * code is loaded, or it failed. Each protocol's reply schema includes both.
 */
export const readyReplySchema = z.strictObject({ type: z.literal('ready') });
export const failedReplySchema = z.strictObject({ type: z.literal('failed'), message: z.string() });
type LifecycleReply = z.infer<typeof readyReplySchema> | z.infer<typeof failedReplySchema>;

/**
 * Forks `count` children of `script` (TypeScript through tsx, over IPC) and sends each its first
 * message. Every reply is parsed with `replySchema`; once every child has said `ready`, `go`
 * makes the message that starts them all together; any other reply goes to `onReply`, which
 * answers the child's result, or nothing yet. Resolves with every child's answer once all have
 * answered; the first failure (an error, an unreadable reply, a `failed` reply, a child that exits
 * without answering) kills the others and rejects, once.
 */
export function runChildProcesses<Reply extends { type: string }, Answer>(input: {
  script: string;
  count: number;
  /** Node options beside tsx's loader. */
  execArgv?: readonly string[];
  /** How a child is named in errors: `Sweep process`, `Dispatcher process`. */
  label: string;
  firstMessage: (index: number) => unknown;
  replySchema: z.ZodType<Reply>;
  go: () => unknown;
  onReply: (index: number, reply: Exclude<Reply, LifecycleReply>) => Answer | undefined;
}): Promise<Answer[]> {
  return new Promise((resolve, reject) => {
    const children: ChildProcess[] = [];
    const answers: (Answer | undefined)[] = Array.from({ length: input.count }, () => undefined);
    let ready = 0;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill();
      reject(error);
    };
    const onMessage = (index: number, message: unknown) => {
      const parsed = input.replySchema.safeParse(message);
      if (!parsed.success) {
        fail(
          new BenchProcessError(
            `Unreadable reply of ${input.label.toLowerCase()} ${index}: ${parsed.error.message}`,
          ),
        );
        return;
      }
      const reply = parsed.data;
      if (reply.type === 'failed') {
        const failure = 'message' in reply ? String(reply.message) : 'failed, saying nothing';
        fail(new BenchProcessError(`${input.label} ${index}: ${failure}`));
      } else if (reply.type === 'ready') {
        ready += 1;
        if (ready < input.count) return;
        const go = input.go();
        for (const child of children) child.send(go as object);
      } else {
        const answer = input.onReply(index, reply as Exclude<Reply, LifecycleReply>);
        if (answer === undefined) return;
        answers[index] = answer;
        const all = answers.filter((each) => each !== undefined);
        if (all.length === input.count && !settled) {
          settled = true;
          resolve(all);
        }
      }
    };
    for (let index = 0; index < input.count; index += 1) {
      const child = fork(input.script, [], {
        execArgv: ['--import', 'tsx', ...(input.execArgv ?? [])],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      child.on('message', (message: unknown) => onMessage(index, message));
      child.once('error', fail);
      child.once('exit', (code, signal) => {
        if (answers[index] === undefined) {
          fail(new BenchProcessError(`${input.label} ${index} exited (${signal ?? code}) without an answer`));
        }
      });
      child.send(input.firstMessage(index) as object);
    }
  });
}
