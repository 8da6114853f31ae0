// JSON logs to stderr through pino; level from the process config (`silent` in tests).
import { pino } from 'pino';
import type { Logger } from '../shared/log.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export function createLogger(component: string, level: LogLevel = 'info'): Logger {
  return pino({ level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2)) as unknown as Logger;
}
