// BENCHMARKS.md and bench/results.json from the sections, plus the console summary.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { round } from './stats.ts';
import { goalMet, type Row, type RunInfo, type Section } from './types.ts';

export type Machine = { cpu: string; cores: number; memoryGiB: number; os: string; kernel: string; node: string; tools: Record<string, string> };

/** First line a tool prints about itself (stdout or stderr: `nginx -v` writes to stderr). */
const firstLine = (cmd: string, args: string[]): string => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0]!.trim() || 'unknown';
};

export function describeMachine(zookeeperVersion: string): Machine {
  let os = 'unknown';
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    /* not Linux */
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os,
    kernel: release(),
    node: process.version,
    tools: {
      zookeeper: zookeeperVersion,
      redis: firstLine('redis-server', ['--version']),
      nginx: firstLine('nginx', ['-v']),
      wrk: firstLine('wrk', ['--version']).replace(/\s+Copyright.*/, ''),
    },
  };
}

const fmt = (x: number | undefined, unit: string): string => {
  if (x === undefined || Number.isNaN(x)) return '—';
  if (unit === 'yes/no') return x >= 1 ? 'yes' : 'no';
  const r = round(x); // display only: goals are checked on the unrounded numbers
  const n = Math.abs(r) >= 1000 ? r.toLocaleString('en-US', { maximumFractionDigits: 0 }) : String(r);
  return unit === '' ? n : `${n} ${unit}`;
};

const metText = (row: Row): string => (row.status !== undefined ? '—' : row.met === true ? 'yes' : row.met === false ? '**no**' : '');

function table(rows: Row[]): string[] {
  const lines = ['| measurement | median (or value) | p99 | max | n | goal | met? |', '| --- | ---: | ---: | ---: | ---: | --- | --- |'];
  for (const r of rows) {
    const name = r.name.replace(/^ +/, (m) => '&nbsp;'.repeat(m.length * 2));
    if (r.status !== undefined) {
      lines.push(`| ${name} | ${r.status} | | | | ${r.goal?.text ?? ''} | — |`);
      continue;
    }
    lines.push(`| ${name} | ${fmt(r.p50, r.unit)} | ${fmt(r.p99, r.unit)} | ${fmt(r.max, r.unit)} | ${r.n ?? ''} | ${r.goal?.text ?? ''} | ${metText(r)} |`);
  }
  return lines;
}

/** Fills `met` on every row from its goal. */
export function evaluate(sections: Section[]): void {
  for (const s of sections) for (const r of s.rows) r.met = r.status === undefined ? goalMet(r) : null;
}

export function goalRows(sections: Section[]): Array<{ section: string; row: Row }> {
  return sections.flatMap((s) => s.rows.filter((r) => r.goal !== undefined).map((row) => ({ section: s.title, row })));
}

const pct = (x: number | undefined) => (x === undefined ? 'unknown' : `${Math.round(x * 100)}%`);

export function renderMarkdown(sections: Section[], machine: Machine, run: RunInfo, howTo: string): string {
  const out: string[] = [];
  out.push('# zkedge benchmarks', '');
  out.push(
    `Measured ${run.startedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC by \`npm run bench${run.quick ? ' -- --quick' : ''}\` (${Math.round(run.seconds)} s). Every number below comes from that run; \`bench/results.json\` holds the raw samples. Other processes used ${pct(run.backgroundCpuAtStart)} of the machine's CPU when the run started (see each section for the moment before it).`,
    '',
  );
  out.push('| machine | |', '| --- | --- |');
  out.push(`| CPU | ${machine.cpu}, ${machine.cores} cores |`, `| memory | ${machine.memoryGiB} GiB |`, `| OS | ${machine.os}, Linux ${machine.kernel} |`, `| Node | ${machine.node} |`);
  for (const [k, v] of Object.entries(machine.tools)) out.push(`| ${k} | ${v} |`);
  out.push('', '## Goals', '');
  out.push(...table(goalRows(sections).map(({ row }) => row)), '');
  const missed = goalRows(sections).filter(({ row }) => row.met === false);
  out.push(missed.length === 0 ? 'Every goal was met in this run.' : `Missed in this run: ${missed.map(({ row }) => row.name.trim()).join('; ')}.`, '');
  for (const s of sections) {
    out.push(`## ${s.title}`, '');
    out.push(`_${s.seconds ?? '?'} s; other processes used ${pct(s.backgroundCpu)} of the CPU just before._`, '');
    if (s.error !== undefined) out.push(`**This measurement failed:** ${s.error.split('\n')[0]}`, '');
    if (s.rows.length > 0) out.push(...table(s.rows), '');
    for (const n of s.notes) out.push(n, '');
  }
  out.push(howTo.trim(), '');
  return out.join('\n');
}

export function writeResults(path: string, sections: Section[], machine: Machine, run: RunInfo): void {
  const body = { date: run.startedAt.toISOString(), seconds: Math.round(run.seconds), quick: run.quick, backgroundCpuAtStart: run.backgroundCpuAtStart, machine, sections };
  writeFileSync(path, `${JSON.stringify(body, null, 1)}\n`);
}

/** The console summary: one line per goal, then failures. */
export function summaryLines(sections: Section[]): string[] {
  const lines = ['', 'zkedge bench summary', ''];
  for (const { row } of goalRows(sections)) {
    const stat = row.goal!.stat;
    const value = fmt(row[stat], row.unit);
    const mark = row.met === true ? 'met   ' : row.met === false ? 'MISSED' : 'n/a   ';
    lines.push(`  ${mark} ${row.name.trim()}: ${stat} ${value} (goal ${row.goal!.text})`);
  }
  for (const s of sections) if (s.error !== undefined) lines.push(`  FAILED ${s.title}: ${s.error.split('\n')[0]}`);
  return lines;
}
