import { CommanderError } from 'commander';
import { ApiProblemError, TransportError, UsageError, type ApiClientOptions } from './api-client.js';

/* How the CLI speaks: where it writes, its exit codes, its errors (text or JSON) and its progress. */

/** Exit codes, for scripts (README and docs/admin-api.md list them). */
export const EXIT = {
  ok: 0,
  apiError: 1,
  usage: 2,
  unreachable: 3,
  inconclusive: 4,
  unhealthy: 5,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * Which of two exit codes a command that did several things ends with: a refusal before an
 * authorization that is not healthy, before a check without a verdict, before success.
 */
export function worseExit(a: ExitCode, b: ExitCode): ExitCode {
  const rank: ExitCode[] = [EXIT.ok, EXIT.inconclusive, EXIT.unhealthy, EXIT.apiError];
  return rank.indexOf(a) >= rank.indexOf(b) ? a : b;
}

/** Where the CLI writes; the process streams by default, strings in tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Whether stderr is a terminal: the progress of long commands is shown only there. */
  stderrIsTty?: boolean;
  /** Overrides for the API client (tests). */
  client?: Partial<ApiClientOptions>;
}

/** What a command prints with: the API's JSON with --json, else the human text. */
export type Printer = (document: unknown, human: () => string) => void;

/** Progress of a command that works through several items. */
export interface Progress {
  /** The item now being worked on. */
  step(label: string): void;
  /** Clears the progress line. */
  done(): void;
}

const NO_PROGRESS: Progress = { step: () => undefined, done: () => undefined };

/**
 * One line on stderr, rewritten in place (`[2/5] offboarding acme`). Only on a terminal and
 * never with --json: a pipe or a script reading stderr gets no control characters.
 */
export function progressOn(io: CliIo, json: boolean, total: number): Progress {
  if (json || !io.stderrIsTty || total < 2) return NO_PROGRESS;
  let index = 0;
  return {
    step: (label) => {
      index += 1;
      io.stderr(`\r\x1b[2K[${index}/${total}] ${label}`);
    },
    done: () => io.stderr('\r\x1b[2K'),
  };
}

/** The `type` of the CLI's own errors, in the URN form the admin API uses without a docs page. */
const CLI_ERROR = 'urn:webex-auth-keeper:cli:';

interface ErrorReport {
  code: ExitCode;
  type: string;
  title: string;
  detail: string;
  status?: number;
}

/**
 * Commander's message on one line: `error: unknown command 'tenant'\n(Did you mean tenants?)`
 * becomes `unknown command 'tenant' (did you mean tenants?)`.
 */
function commanderMessage(error: CommanderError): string {
  // `option '--limit <n>' argument 'ten' is invalid. must be ...` as `--limit must be ... (given: ten)`.
  const invalid = /^error: option '(--[\w-]+)[^']*' argument '(.*)' is invalid\. (.*)$/s.exec(error.message);
  if (invalid) return `${invalid[1]} ${invalid[3]} (given: ${invalid[2]})`;
  return error.message
    .replace(/^error: /, '')
    .replace(/\s*\n\(Did you mean (.+)\?\)$/, ' (did you mean $1?)')
    .replace(/\s*\n\s*/g, ' ');
}

function reportOf(error: unknown): ErrorReport {
  if (error instanceof ApiProblemError) {
    return {
      code: EXIT.apiError,
      type: error.problem.type ?? 'about:blank',
      title: error.problem.title,
      detail: error.problem.detail ?? error.message,
      status: error.problem.status,
    };
  }
  if (error instanceof TransportError) {
    return {
      code: EXIT.unreachable,
      type: `${CLI_ERROR}unreachable`,
      title: 'API not reached',
      detail: error.message,
    };
  }
  if (error instanceof UsageError) {
    return { code: EXIT.usage, type: `${CLI_ERROR}usage`, title: 'Bad usage', detail: error.message };
  }
  if (error instanceof CommanderError) {
    return {
      code: EXIT.usage,
      type: `${CLI_ERROR}usage`,
      title: 'Bad usage',
      detail: commanderMessage(error),
    };
  }
  return {
    code: EXIT.unreachable,
    type: `${CLI_ERROR}unexpected`,
    title: 'Unexpected failure',
    detail: `unexpected failure: ${error instanceof Error ? error.message : String(error)}`,
  };
}

/**
 * Reports a failure on stderr and answers its exit code: one line (with a pointer to --help for
 * bad usage), or with --json `{"error": {type, title, detail, status?}}`.
 */
export function reportError(error: unknown, io: CliIo, json: boolean): ExitCode {
  const report = reportOf(error);
  if (json) {
    const { type, title, detail, status } = report;
    io.stderr(
      `${JSON.stringify({ error: { type, title, detail, ...(status !== undefined ? { status } : {}) } })}\n`,
    );
    return report.code;
  }
  const line = error instanceof ApiProblemError ? error.message : report.detail;
  const hint = report.code === EXIT.usage ? 'Run with --help for usage.\n' : '';
  io.stderr(`webex-auth-keeper: ${line}\n${hint}`);
  return report.code;
}
