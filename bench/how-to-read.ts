// The "How to run and read" section of BENCHMARKS.md.
export const HOW_TO_READ = `## How to run and read

\`npm run bench\` (never part of \`npm test\`) installs what it needs (npm packages; Debian's
zookeeper, redis-server, nginx and wrk when run as root), then starts everything on 127.0.0.1:
ZooKeeper and Redis (dev/servers.ts), the sync daemon and the Node edge as the tests wire them,
a Node backend, a bare undici proxy and nginx with one worker. It takes about five minutes on two
cores, rewrites this file and \`bench/results.json\`, prints a summary, and stops every process it
started by pid, also when a measurement fails or on Ctrl-C. \`npm run bench -- --quick\` (fewer
samples) and \`--only=propagation,selection,proxy,scale,burst\` write to \`.bench-tmp/\` instead;
\`--cpu-prof\` makes every bench child process write a CPU profile to \`.bench-tmp/profiles/\`;
\`node bin/run-ts.mjs bench/profile-summary.ts FILE.cpuprofile [--filter TEXT]\` lists where a
profile spends its time.

Reading the tables:
- **median (or value)**, **p99**, **max** are over the **n** samples of that row (nearest-rank
  percentiles, no interpolation). A row with a single measurement shows it in the first column.
- A goal is checked against the column it names: p99 where the issue asks for a p99 (propagation,
  added latency), the median for costs (build, CPU per change, apply time, cold load, ns per pick).
  **met?** is computed from the numbers in this file; nothing is rounded in the goal's favour.
- Indented rows break the row above into its parts or give context; they carry no goal.
- The machine is shared: the bench records how much CPU other processes used just before each
  section (top of the section). On two cores, wrk, the proxy and the backend compete for the same
  CPUs, so proxy numbers are lower than on a dedicated machine; compare the ratios.
- Numbers move between runs by 10–30 % on a loaded machine: read a miss by how far it is from its
  goal, and re-run before reading much into a small one.
`;
