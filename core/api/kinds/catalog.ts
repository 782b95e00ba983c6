/**
 * The resources one API server serves: the built-in kinds, which never change, plus groups of
 * definitions added and removed while it runs (the versions of a CustomResourceDefinition, once
 * Established). Each API server holds its own catalog, as each upstream kube-apiserver keeps its
 * own crdHandler; the lookups are the same maps the static table had, so a request pays one
 * Map.get as before. `generation` moves on every change, so whatever is derived from the whole
 * catalog (discovery and OpenAPI documents) is rebuilt only when it is stale.
 */
import { assert } from '../../util/assert.ts';
import type { ResourceDefinition } from './definition.ts';

export class DefinitionCatalog {
  private readonly groups = new Map<string, readonly ResourceDefinition[]>();
  private byKind = new Map<string, ResourceDefinition>();
  private byPath = new Map<string, ResourceDefinition>();
  private byVersionKind = new Map<string, ResourceDefinition>();
  private sorted: readonly ResourceDefinition[] = [];
  private changes = 0;

  constructor(private readonly builtins: readonly ResourceDefinition[]) {
    this.rebuild();
  }

  /** Moves on with every change of the served set. */
  get generation(): number {
    return this.changes;
  }

  /** Every served definition, sorted by group then resource (discovery's order). */
  get all(): readonly ResourceDefinition[] {
    return this.sorted;
  }

  /** The definition serving `kind` at `apiVersion`: the kind's own, or another version of it. */
  forVersion(apiVersion: string, kind: string): ResourceDefinition | undefined {
    return this.byVersionKind.get(`${apiVersion}|${kind}`);
  }

  /** A kind's own definition: the one that stores it, not another version's view of it. */
  forKind(kind: string): ResourceDefinition | undefined {
    return this.byKind.get(kind);
  }

  /** The resource a URL names: "apps/v1" and "replicasets". */
  forPath(apiVersion: string, resource: string): ResourceDefinition | undefined {
    return this.byPath.get(`${apiVersion}|${resource}`);
  }

  /**
   * Serves `definitions` under `name` instead of what that name served before (nothing, when
   * `definitions` is empty). The caller has checked that they clash with nothing else served.
   */
  set(name: string, definitions: readonly ResourceDefinition[]): void {
    const before = this.groups.get(name);
    if (before === undefined && definitions.length === 0) return;
    if (definitions.length === 0) this.groups.delete(name);
    else this.groups.set(name, definitions);
    this.rebuild();
  }

  /** The definitions served under `name`. */
  group(name: string): readonly ResourceDefinition[] {
    return this.groups.get(name) ?? [];
  }

  private rebuild(): void {
    const served = [...this.builtins, ...[...this.groups.values()].flat()];
    this.sorted = [...served].sort(
      (a, b) =>
        compare(a.resource.group, b.resource.group) ||
        compare(a.resource.resource, b.resource.resource),
    );
    // A custom kind may share its name with a built-in one of another group; by name alone,
    // the built-in one is meant (manifests, admission lookups), so it is entered last.
    const custom = served.slice(this.builtins.length);
    this.byKind = new Map(
      [...custom, ...this.builtins]
        .filter((d) => d.storedAs === undefined)
        .map((d) => [d.resource.kind, d]),
    );
    this.byPath = new Map(
      this.sorted.map((d) => [`${d.resource.apiVersion}|${d.resource.resource}`, d]),
    );
    this.byVersionKind = new Map(
      this.sorted.map((d) => [`${d.resource.apiVersion}|${d.resource.kind}`, d]),
    );
    for (const d of this.sorted) {
      if (d.storedAs === undefined) continue;
      const storage = this.byKind.get(d.storedAs.kind)?.resource;
      assert(
        storage !== undefined &&
          storage.resource === d.resource.resource &&
          storage.namespaced === d.resource.namespaced,
        `${d.resource.apiVersion} ${d.resource.resource} must have the resource name and scope of the ${d.storedAs.kind} storage it is served from`,
      );
    }
    this.changes++;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
