// Reads a V8 .cpuprofile (node --cpu-prof) and prints the functions with the most self time and
// the most inclusive time: `node bin/run-ts.mjs bench/profile-summary.ts FILE [--top 25] [--filter TEXT]`.
// --filter keeps only samples whose stack contains a frame matching TEXT (e.g. a function name).
import { readFileSync } from 'node:fs';

type Frame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: Frame; children?: number[] };
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

const argv = process.argv.slice(2);
const file = argv.find((a) => !a.startsWith('--') && argv[argv.indexOf(a) - 1] !== '--top' && argv[argv.indexOf(a) - 1] !== '--filter');
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
if (file === undefined) {
  console.error('usage: profile-summary.ts FILE.cpuprofile [--top N] [--filter TEXT]');
  process.exit(2);
}
const top = Number(option('--top') ?? 25);
const filter = option('--filter');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const keyOf = (f: Frame) => `${f.functionName || '(anonymous)'} ${f.url.replace(/^file:\/\/.*?\/(node_modules|shared|sync|edge|bench|dev)\//, '$1/')}:${f.lineNumber + 1}`;

const self = new Map<string, number>();
const total = new Map<string, number>();
let sampled = 0;
let all = 0;
profile.samples.forEach((id, i) => {
  const dt = (profile.timeDeltas[i] ?? 0) / 1000;
  all += dt;
  const stack: string[] = [];
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) stack.push(keyOf(byId.get(cur)!.callFrame));
  if (filter !== undefined && !stack.some((k) => k.includes(filter))) return;
  sampled += dt;
  self.set(stack[0]!, (self.get(stack[0]!) ?? 0) + dt);
  for (const k of new Set(stack)) total.set(k, (total.get(k) ?? 0) + dt);
});

const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, ms] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms.toFixed(1).padStart(9)} ms ${((100 * ms) / sampled).toFixed(1).padStart(5)}%  ${k}`);
};
console.log(`${file}: ${all.toFixed(0)} ms sampled${filter ? `, ${sampled.toFixed(0)} ms under "${filter}"` : ''}`);
print('self time', self);
print('inclusive time', total);
