// A service document made ready for routing: parsed targets, an alias table, the target policy.
import { createTargetPolicy, hostOf, type TargetPolicy } from '../../shared/net/allowed-targets.ts';
import type { ServiceDocument } from '../../shared/schema/snapshot.ts';
import { createAliasTable, type AliasTable } from '../../shared/select/alias-table.ts';

export type InstanceView = { id: string; url: URL; weight: number; zone: string | undefined };

export type ServiceView = {
  readonly name: string;
  readonly hash: string;
  readonly doc: ServiceDocument;
  /** Instances the edge may send to: weight > 0 and allowed by the service's target policy. */
  readonly instances: readonly InstanceView[];
  readonly alias: AliasTable;
  readonly policy: TargetPolicy;
  /** True when any routable instance carries a zone (zone preference applies). */
  readonly hasZones: boolean;
  /** Transports pool connections per key: the name and target policy, so a policy change gets new pools. */
  readonly poolKey: string;
};

/** Built once per document hash and shared by every snapshot version that references it. */
export function createServiceView(doc: ServiceDocument, hash: string): ServiceView {
  const policy = createTargetPolicy(doc.config.allowedTargets);
  const instances: InstanceView[] = [];
  for (const id of Object.keys(doc.instances).sort()) {
    const inst = doc.instances[id]!;
    const url = new URL(inst.url);
    // The daemon filters too; the edge checks again because the store is not trusted.
    if (inst.weight <= 0 || !policy.isAllowed(hostOf(url))) continue;
    instances.push({ id, url, weight: inst.weight, zone: inst.zone });
  }
  return { name: doc.name, hash, doc, instances, alias: createAliasTable(instances.map((i) => i.weight)), policy, hasZones: instances.some((i) => i.zone !== undefined), poolKey: `${doc.name}|${JSON.stringify(doc.config.allowedTargets ?? null)}` };
}
