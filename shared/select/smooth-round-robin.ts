// Smooth weighted round robin (nginx's algorithm): exact proportions over every window of
// sum(weights) picks, and the heavy instance's turns are spread out, not bunched. O(n) a pick.

export type RoundRobin = { pick(): number };

/** Indexes into `weights`; entries with weight ≤ 0 are never picked; -1 when none is positive. */
export function createSmoothRoundRobin(weights: readonly number[]): RoundRobin {
  const current = new Float64Array(weights.length);
  let total = 0;
  for (const w of weights) if (w > 0) total += w;
  return {
    pick() {
      let best = -1;
      for (let i = 0; i < weights.length; i++) {
        const w = weights[i]!;
        if (w <= 0) continue;
        current[i]! += w;
        if (best === -1 || current[i]! > current[best]!) best = i;
      }
      if (best !== -1) current[best]! -= total;
      return best;
    },
  };
}
