// Sticky split bucket tables (DESIGN.md "Route JSON"): which side owns each of the 10,000 buckets,
// and how a weight change moves as few buckets as it needs, last gained first given back.
import { BUCKET_COUNT, type BucketTable } from '../schema/snapshot.ts';

export type SplitWeight = { readonly service: string; readonly weight: number };
type Range = [number, number];
type Shrinker = { stack: Range[]; amount: number };
type Grower = Shrinker & { incoming: Range[][] };

const MAX_WEIGHT = 1_000_000; // as SplitEntrySchema

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0); // UTF-16 code-unit order, locale-free

/**
 * Each side's number of buckets: its weight's share of 10,000 by the largest remainder method;
 * ties in remainder go to the smaller service name; weight 0 → 0 buckets. Sums to 10,000.
 * Throws (a programmer error: RouteSchema rules these out) on a duplicate name, a weight that is
 * not an integer in [0, 1e6], or weights summing to 0.
 */
export function bucketQuotas(split: readonly SplitWeight[]): Map<string, number> {
  const problem = splitProblem(split);
  if (problem !== undefined) throw new RangeError(problem);
  const total = split.reduce((sum, s) => sum + s.weight, 0);
  const quotas = new Map<string, number>();
  const remainders: Array<{ service: string; remainder: number }> = [];
  for (const { service, weight } of split) {
    const exact = BUCKET_COUNT * weight; // weight ≤ MAX_WEIGHT keeps this and the sum exact integers
    quotas.set(service, Math.floor(exact / total));
    if (weight > 0) remainders.push({ service, remainder: exact % total });
  }
  remainders.sort((a, b) => b.remainder - a.remainder || byName(a.service, b.service));
  const left = BUCKET_COUNT - [...quotas.values()].reduce((a, b) => a + b, 0); // < remainders.length
  for (const { service } of remainders.slice(0, left)) quotas.set(service, (quotas.get(service) as number) + 1);
  return quotas;
}

/**
 * The bucket table for `split`, derived from the previous one so that users move as little as
 * the new quotas need. Pure: neither argument is modified; the result's keys are the split's
 * services in name order (a weight-0 side maps to []), each a stack of ranges in acquisition
 * order (bottom first), touching neighbours merged.
 *
 * - Without `previous`, sides get contiguous ranges in split order: the first side [0, q1), the
 *   next [q1, q1 + q2), and so on.
 * - Otherwise only sides whose quota dropped give buckets, only sides whose quota rose take them,
 *   and exactly the sum of the rises moves. Sides missing from the split count as weight 0 and are
 *   dropped. A shrinking side gives back its most recently gained buckets first, and deriving
 *   with the earlier split again restores the earlier table exactly (ranges and order).
 *
 * IMPORTANT: a `previous` that does not partition [0, 10000) is ignored (fresh layout).
 * Throws as `bucketQuotas` does.
 */
export function deriveBucketTable(previous: BucketTable | undefined, split: readonly SplitWeight[]): BucketTable {
  const quotas = bucketQuotas(split);
  if (previous === undefined || partitionProblem(previous) !== undefined) return initialTable(split, quotas);
  const stacks = new Map<string, Range[]>();
  for (const [side, ranges] of Object.entries(previous)) stacks.set(side, mergeTouching([], ranges));
  for (const side of quotas.keys()) if (!stacks.has(side)) stacks.set(side, []);
  const shrinkers: Shrinker[] = [];
  const growers: Grower[] = [];
  for (const side of [...stacks.keys()].sort(byName)) {
    const stack = stacks.get(side) as Range[];
    const delta = (quotas.get(side) ?? 0) - countBuckets(stack);
    if (delta < 0) shrinkers.push({ stack, amount: -delta });
    if (delta > 0) growers.push({ stack, amount: delta, incoming: [] });
  }
  // Cells in staircase order; each shrinker's first cell takes its topmost buckets.
  for (const { from, to, amount } of northWestCorner(shrinkers.map((s) => s.amount), growers.map((g) => g.amount))) {
    (growers[to] as Grower).incoming.push(popTop((shrinkers[from] as Shrinker).stack, amount));
  }
  // Reverse staircase order, so that the transposed plan of the undo pops exactly these blocks.
  for (const grower of growers) for (const block of grower.incoming.reverse()) mergeTouching(grower.stack, block);
  return Object.fromEntries([...quotas.keys()].sort(byName).map((side) => [side, stacks.get(side) as Range[]]));
}

/**
 * An O(1) lookup from a bucket to the index in `sides` of the side that owns it, or -1 (no owner,
 * or a bucket outside [0, 10000)). Builds a 10,000-entry array once; ranges outside [0, 10000) are
 * clipped and sides of `table` not in `sides` ignored. Validate the table first: with overlapping
 * ranges the later side wins. Throws if there are more than 32,767 sides.
 */
export function createBucketLookup(table: BucketTable, sides: readonly string[]): (bucket: number) => number {
  if (sides.length > 0x7fff) throw new RangeError(`bucket lookup: expected at most 32767 sides, got ${sides.length}`);
  const owner = new Int16Array(BUCKET_COUNT).fill(-1);
  sides.forEach((side, index) => {
    for (const [start, end] of Object.hasOwn(table, side) ? (table[side] ?? []) : []) {
      owner.fill(index, Math.max(0, start), Math.min(BUCKET_COUNT, end));
    }
  });
  return (bucket) => (Number.isInteger(bucket) && bucket >= 0 && bucket < BUCKET_COUNT ? (owner[bucket] as number) : -1);
}

/**
 * Why `table` is not a valid bucket table for `split`, or undefined if it is: its ranges must
 * exactly partition [0, 10000) among the split's services, each with its quota of buckets (a
 * quota-0 side may be absent). Never throws.
 */
export function validateBucketTable(table: BucketTable, split: readonly SplitWeight[]): string | undefined {
  const problem = splitProblem(split);
  if (problem !== undefined) return problem;
  const quotas = bucketQuotas(split);
  const unknown = Object.keys(table).find((side) => !quotas.has(side));
  if (unknown !== undefined) {
    return `bucket table: expected only the split's services (${[...quotas.keys()].join(', ')}), got side ${JSON.stringify(unknown)}`;
  }
  const partition = partitionProblem(table);
  if (partition !== undefined) return partition;
  for (const [side, quota] of quotas) {
    const count = Object.hasOwn(table, side) ? countBuckets(table[side] ?? []) : 0;
    if (count !== quota) return `bucket table: expected ${quota} buckets on ${JSON.stringify(side)} (its quota), got ${count}`;
  }
  return undefined;
}

function splitProblem(split: readonly SplitWeight[]): string | undefined {
  const seen = new Set<string>();
  for (const { service, weight } of split) {
    if (seen.has(service)) return `split: expected each service once, got ${JSON.stringify(service)} twice`;
    seen.add(service);
    if (!Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
      return `split: expected an integer weight from 0 to ${MAX_WEIGHT}, got ${weight} (${JSON.stringify(service)})`;
    }
  }
  return split.some((s) => s.weight > 0) ? undefined : 'split: expected at least one positive weight, got none';
}

/** Why the ranges do not partition [0, 10000) (whatever the sides), or undefined. */
function partitionProblem(table: BucketTable): string | undefined {
  const owner = new Array<string | undefined>(BUCKET_COUNT);
  for (const [side, ranges] of Object.entries(table)) {
    for (const [start, end] of ranges) {
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > BUCKET_COUNT || start >= end) {
        return `bucket table: expected ranges [start, end) with 0 ≤ start < end ≤ ${BUCKET_COUNT}, got [${start}, ${end}] (side ${JSON.stringify(side)})`;
      }
      for (let b = start; b < end; b++) {
        const other = owner[b];
        if (other !== undefined) return `bucket table: expected each bucket on one side, got bucket ${b} on ${JSON.stringify(other)} and ${JSON.stringify(side)}`;
        owner[b] = side;
      }
    }
  }
  for (let b = 0; b < BUCKET_COUNT; b++) {
    if (owner[b] === undefined) return `bucket table: expected every bucket in [0, ${BUCKET_COUNT}) to have a side, got bucket ${b} with none`;
  }
  return undefined;
}

function initialTable(split: readonly SplitWeight[], quotas: Map<string, number>): BucketTable {
  let next = 0;
  const table = new Map<string, Range[]>();
  for (const { service } of split) {
    const quota = quotas.get(service) as number;
    table.set(service, quota > 0 ? [[next, next + quota]] : []);
    next += quota;
  }
  return Object.fromEntries([...table.keys()].sort(byName).map((side) => [side, table.get(side) as Range[]]));
}

/**
 * The north-west-corner transport plan: supplies × demands (equal totals) as cells in staircase
 * order. Cell (i, j) gets the overlap of [Σ supplies before i, … + supply i) with the same interval
 * of demands, a symmetric rule, so the transposed problem yields exactly the transposed plan.
 */
function northWestCorner(supplies: number[], demands: number[]): Array<{ from: number; to: number; amount: number }> {
  const cells: Array<{ from: number; to: number; amount: number }> = [];
  const supply = [...supplies];
  const demand = [...demands];
  let i = 0;
  let j = 0;
  while (i < supply.length && j < demand.length) {
    const amount = Math.min(supply[i] as number, demand[j] as number);
    cells.push({ from: i, to: j, amount });
    supply[i] = (supply[i] as number) - amount;
    demand[j] = (demand[j] as number) - amount;
    if (supply[i] === 0) i++;
    if (demand[j] === 0) j++;
  }
  return cells;
}

/** Removes the topmost `count` buckets from `stack` and returns them as ranges in stack order. */
function popTop(stack: Range[], count: number): Range[] {
  const block: Range[] = [];
  let need = count;
  while (need > 0) {
    const [start, end] = stack.pop() as Range;
    const take = Math.min(need, end - start);
    if (take < end - start) stack.push([start, end - take]);
    block.push([end - take, end]);
    need -= take;
  }
  return block.reverse();
}

/** Appends `ranges` to `stack` (in place, copying each range), merging ranges that touch. */
function mergeTouching(stack: Range[], ranges: readonly (readonly [number, number])[]): Range[] {
  for (const [start, end] of ranges) {
    const top = stack.at(-1);
    if (top !== undefined && top[1] === start) top[1] = end;
    else stack.push([start, end]);
  }
  return stack;
}

function countBuckets(ranges: readonly (readonly [number, number])[]): number {
  return ranges.reduce((sum, [start, end]) => sum + (end - start), 0);
}
