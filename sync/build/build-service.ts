// One service's document from its ZooKeeper nodes: validated config, instances with effective weights.
import { own } from '../../shared/own.ts';
import { parseJsonText } from '../../shared/schema/parse.ts';
import { INSTANCE_KEYS, InstanceSchema, unknownKeys } from '../../shared/schema/instance.ts';
import { SERVICE_CONFIG_KEYS, ServiceConfigSchema, type ServiceConfig } from '../../shared/schema/service-config.ts';
import type { DocumentInstance, ServiceDocument } from '../../shared/schema/snapshot.ts';
import { createTargetPolicy, hostOf } from '../../shared/net/allowed-targets.ts';
import type { ServiceEntry } from '../zookeeper/tree-cache.ts';
import type { NodeValidator, Report } from './node-validator.ts';

/** Warnings for the unknown top-level fields of a node's JSON (never fatal). */
export const unknownFieldWarnings = (raw: string, known: readonly string[]) => (): string[] => {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return [];
  }
  return unknownKeys(value, known).map((k) => `unknown field ${JSON.stringify(k)} ignored`);
};

/**
 * Builds the document of one service, or undefined when its ServiceConfig was never valid (a
 * service is not published with a config nobody wrote, e.g. without its allowedTargets).
 */
export function buildServiceDocument(entry: ServiceEntry, validator: NodeValidator, report: (r: Report) => void): ServiceDocument | undefined {
  const configPath = entry.node?.path ?? '';
  const configRaw = entry.node?.data ?? '';
  const config: ServiceConfig | undefined = validator.validate(
    configPath,
    configRaw,
    (raw) => parseJsonText(ServiceConfigSchema, raw, configPath, {}),
    unknownFieldWarnings(configRaw, SERVICE_CONFIG_KEYS),
  );
  if (config === undefined) return undefined;
  const policy = createTargetPolicy(config.allowedTargets);
  const instances: Record<string, DocumentInstance> = {};
  for (const id of [...entry.instances.keys()].sort()) {
    const node = entry.instances.get(id)!;
    const inst = validator.validate(
      node.path,
      node.data,
      (raw) => parseJsonText(InstanceSchema, raw, node.path),
      unknownFieldWarnings(node.data, INSTANCE_KEYS),
    );
    if (inst === undefined) continue;
    const refused = policy.reasonRefused(hostOf(new URL(inst.url)));
    if (refused !== undefined) {
      report({ path: node.path, reason: `instance left out: ${refused}`, severity: 'error', once: true });
      continue;
    }
    instances[id] = {
      url: inst.url,
      weight: own(config.weights, id) ?? inst.weight,
      ...(inst.zone !== undefined ? { zone: inst.zone } : {}),
      ...(inst.capacityRps !== undefined ? { capacityRps: inst.capacityRps } : {}),
      ...(inst.meta !== undefined ? { meta: inst.meta } : {}),
    };
  }
  return { name: entry.name, config, instances };
}
