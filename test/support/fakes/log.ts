import type { Log, LogAttributes } from '#domain/ports.js';

/** One line a RecordingLog kept, its attributes merged. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes: LogAttributes;
}

/** A log that keeps what was written, to assert that nothing secret reaches it. */
export class RecordingLog implements Log {
  readonly lines: LogLine[] = [];
  debug(message: string, ...attributes: LogAttributes[]): void {
    this.record('debug', message, attributes);
  }
  info(message: string, ...attributes: LogAttributes[]): void {
    this.record('info', message, attributes);
  }
  warn(message: string, ...attributes: LogAttributes[]): void {
    this.record('warn', message, attributes);
  }
  error(message: string, ...attributes: LogAttributes[]): void {
    this.record('error', message, attributes);
  }
  /** Everything written, as one string to search. */
  get text(): string {
    return JSON.stringify(this.lines);
  }
  private record(level: LogLine['level'], message: string, attributes: LogAttributes[]): void {
    this.lines.push({ level, message, attributes: Object.assign({}, ...attributes) as LogAttributes });
  }
}
