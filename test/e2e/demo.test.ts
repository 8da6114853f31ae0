import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startProcess, exitOf } from '../../dev/process.ts';

const RUN_TS = fileURLToPath(new URL('../../bin/run-ts.mjs', import.meta.url));
const DEMO = fileURLToPath(new URL('../../scripts/demo.ts', import.meta.url));

describe('npm run demo -- --once', () => {
  it('starts the whole plane, prints the 1:2:7 split and the split after a weight change, and stops everything', async () => {
    const demo = startProcess(process.execPath, [RUN_TS, DEMO, '--once']);
    const code = await exitOf(demo);
    const out = demo.output();
    expect(code, out).toBe(0);
    expect(out).toMatch(/Traffic split \(snapshot version \d+, 1000 requests\)/);
    expect(out).toMatch(/b3\s+7\s+70\.0%/);
    expect(out).toMatch(/Traffic split after the weight change \(snapshot version \d+/);
    expect(out).toMatch(/b1\s+7\s+43\.8%/);
    expect(out).toMatch(/\$ zkedge plan --rps 800[\s\S]*demo\s+b1\s+-\s+7\s+350\.0\s+200\s+175\.0%\s+OVER/);
    expect(out).toContain('stopped everything the demo started.');
    // the observed share of b3 is printed next to the expected one and stays close to it
    const observed = Number(/b3\s+7\s+70\.0%\s+([\d.]+)%/.exec(out)![1]);
    expect(Math.abs(observed - 70)).toBeLessThan(6);
  }, 90_000);
});
