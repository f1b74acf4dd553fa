import { fork, type ChildProcess } from 'node:child_process';

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

/** What a message handler may do with the group: answer for one child, fail all, or tell all. */
export interface ChildGroup<Answer> {
  answer(index: number, value: Answer): void;
  fail(error: Error): void;
  sendAll(message: unknown): void;
}

/**
 * Forks `count` children of `script` (TypeScript through tsx, over IPC), sends each its first
 * message, and hands every message to `onMessage`. Resolves with every child's answer once all
 * have answered; the first failure (an error, a child that exits without answering, or `fail`)
 * kills the others and rejects, once.
 */
export function runChildProcesses<Answer>(input: {
  script: string;
  count: number;
  /** Node options beside tsx's loader. */
  execArgv?: readonly string[];
  /** How a child is named in errors: `Sweep process`, `Dispatcher process`. */
  label: string;
  firstMessage: (index: number) => unknown;
  onMessage: (index: number, message: unknown, group: ChildGroup<Answer>) => void;
}): Promise<Answer[]> {
  return new Promise((resolve, reject) => {
    const children: ChildProcess[] = [];
    const answers: (Answer | undefined)[] = Array.from({ length: input.count }, () => undefined);
    let settled = false;
    const group: ChildGroup<Answer> = {
      answer(index, value) {
        answers[index] = value;
        const all = answers.filter((each) => each !== undefined);
        if (all.length === input.count && !settled) {
          settled = true;
          resolve(all);
        }
      },
      fail(error) {
        if (settled) return;
        settled = true;
        for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill();
        reject(error);
      },
      sendAll(message) {
        for (const child of children) child.send(message as object);
      },
    };
    for (let index = 0; index < input.count; index += 1) {
      const child = fork(input.script, [], {
        execArgv: ['--import', 'tsx', ...(input.execArgv ?? [])],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      child.on('message', (message: unknown) => input.onMessage(index, message, group));
      child.once('error', (error) => group.fail(error));
      child.once('exit', (code, signal) => {
        if (answers[index] === undefined) {
          group.fail(
            new BenchProcessError(`${input.label} ${index} exited (${signal ?? code}) without an answer`),
          );
        }
      });
      child.send(input.firstMessage(index) as object);
    }
  });
}
