/**
 * The objects the kinds ask the API server to ensure at start (upstream's bootstrap
 * controllers, such as the one that keeps the `kubernetes` Service in "default"). They are
 * created through the registry like any other object, once the system namespaces exist.
 */
import { DEFINITIONS, type RangeConfig } from '../api/kinds/index.ts';
import type { Clock } from '../ports/clock.ts';
import type { Registry } from './registry/registry.ts';
import { requestInfoFor } from './request-info.ts';

const RETRY_US = 1_000_000;

/** Creates each bootstrap object, retrying until the store takes it or already has it. */
export async function ensureBootstrapObjects(
  registry: Registry,
  clock: Clock,
  ranges: RangeConfig,
): Promise<void> {
  for (const def of DEFINITIONS) {
    for (const obj of def.bootstrap?.(ranges) ?? []) {
      const info = requestInfoFor(def, 'create', obj.metadata.namespace);
      while (true) {
        const r = await registry.create(info, obj);
        if (r.status === 201 || r.status === 409) break;
        await clock.sleep(RETRY_US);
      }
    }
  }
}
