// What each measurement returns: rows for the tables (a value beside its goal) and raw details.
import type { Resources } from './resources.ts';

export type Goal = {
  /** As printed, e.g. "p99 ≤ 10 ms". */
  text: string;
  /** Which column the goal is checked against. */
  stat: 'p50' | 'p99' | 'max';
  op: '<=' | '>=';
  limit: number;
};

export type Row = {
  name: string;
  unit: string;
  n?: number;
  p50?: number;
  p99?: number;
  max?: number;
  goal?: Goal;
  /** Computed from the goal by the report; null when there is no goal or no value. */
  met?: boolean | null;
  /** Shown instead of numbers, e.g. "not implemented". */
  status?: string;
  note?: string;
};

export type Section = {
  id: string;
  title: string;
  rows: Row[];
  /** How it was measured and what the numbers mean, one paragraph per entry. */
  notes: string[];
  details: Record<string, unknown>;
  error?: string;
  seconds?: number;
  /** Share of the machine's CPU that other processes used in the second before the section. */
  backgroundCpu?: number | undefined;
};

export type RunInfo = { startedAt: Date; seconds: number; quick: boolean; backgroundCpuAtStart: number | undefined };

export type BenchContext = {
  resources: Resources;
  zkConnect: string;
  redisUrl: string;
  /** Smaller counts and shorter runs, for trying the bench out (not for BENCHMARKS.md). */
  quick: boolean;
  /** When set, bench children write `--cpu-prof` profiles here (run.ts --cpu-prof). */
  cpuProfDir?: string;
  log(line: string): void;
};

/** Checks a row's goal against its numbers. */
export function goalMet(row: Row): boolean | null {
  if (row.goal === undefined) return null;
  const v = row[row.goal.stat];
  if (v === undefined || Number.isNaN(v)) return null;
  return row.goal.op === '<=' ? v <= row.goal.limit : v >= row.goal.limit;
}
