/**
 * Objects every cluster starts with, from the definitions' `bootstrap` lists: upstream's
 * post-start hooks (scheduling/bootstrap-system-priority-classes, ...). Each is created unless it
 * exists, and an existing one is left as it is, as the hooks do.
 */
import { DEFINITIONS } from '../api/kinds/index.ts';
import type { Clock } from '../ports/clock.ts';
import type { Registry } from './registry/registry.ts';
import { requestInfoFor } from './request-info.ts';

/**
 * Upstream polls for 30 s and then stops the API server; ksim retries every second until the
 * store takes the object, which is the same outcome for a server that is restarted on failure.
 */
export async function ensureBootstrapObjects(registry: Registry, clock: Clock): Promise<void> {
  for (const definition of DEFINITIONS) {
    for (const obj of definition.bootstrap ?? []) {
      const info = requestInfoFor(definition, 'create', obj.metadata.namespace);
      while (true) {
        const r = await registry.create(info, obj);
        if (r.status === 201 || r.status === 409) break;
        await clock.sleep(1_000_000);
      }
    }
  }
}
