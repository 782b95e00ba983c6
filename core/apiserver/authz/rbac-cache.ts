/**
 * The API server's in-memory view of RBAC (what upstream's RBAC authorizer reads through
 * informer listers): roles, cluster roles and their bindings, fed by mirrors of the watch
 * caches. ClusterRole aggregation is resolved here: a cluster role with an aggregationRule
 * grants the rules of every other cluster role its selectors match, in name order without
 * repeats, as upstream's clusterrole-aggregation controller computes them (through matched
 * roles' own aggregation, which the controller reaches by iterating to a fixpoint).
 */
import { deepEqual } from '../../api/meta-validation.ts';
import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
} from '../../api/rbac-types.ts';
import { labelSelectorMatcher } from '../../api/selectors.ts';
import type { KObject } from '../../api/types.ts';
import type { MirrorHandlers } from '../cache-mirror.ts';

type Resource = 'roles' | 'clusterroles' | 'rolebindings' | 'clusterrolebindings';

export const RBAC_RESOURCES: readonly Resource[] = [
  'clusterroles',
  'clusterrolebindings',
  'roles',
  'rolebindings',
];

export class RbacCache {
  private readonly roles = new Map<string, Role>();
  private readonly clusterRoles = new Map<string, ClusterRole>();
  private readonly roleBindings = new Map<string, Map<string, RoleBinding>>();
  private readonly clusterRoleBindingsByName = new Map<string, ClusterRoleBinding>();
  private aggregated = new Map<string, readonly PolicyRule[]>();
  private readonly synced = new Set<Resource>();
  private waiters: Array<() => void> = [];
  private readonly listeners: Array<() => void> = [];
  private changes = 0;

  /** Grows with every change: what was computed from the cache at one value holds until the next. */
  get generation(): number {
    return this.changes;
  }

  /** The mirror handlers of one of the four resources. */
  handlers(resource: Resource): MirrorHandlers {
    return {
      reset: () => this.reset(resource),
      upsert: (obj) => this.upsert(resource, obj),
      remove: (obj) => this.remove(resource, obj),
      synced: () => {
        this.synced.add(resource);
        this.changed();
      },
    };
  }

  /** Every resource has been listed once. */
  get isSynced(): boolean {
    return this.synced.size === RBAC_RESOURCES.length;
  }

  /** Resolves once `predicate` holds of the cache (checked after every change). */
  waitFor(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (predicate()) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  /** Called after every change (the aggregation writer listens). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  role(namespace: string, name: string): Role | undefined {
    return this.roles.get(`${namespace}/${name}`);
  }

  clusterRole(name: string): ClusterRole | undefined {
    return this.clusterRoles.get(name);
  }

  allClusterRoles(): readonly ClusterRole[] {
    return [...this.clusterRoles.values()];
  }

  clusterRoleBindings(): Iterable<ClusterRoleBinding> {
    return this.clusterRoleBindingsByName.values();
  }

  roleBindingsIn(namespace: string): Iterable<RoleBinding> {
    return this.roleBindings.get(namespace)?.values() ?? [];
  }

  hasClusterRoleBinding(name: string): boolean {
    return this.clusterRoleBindingsByName.has(name);
  }

  hasRoleBinding(namespace: string, name: string): boolean {
    return this.roleBindings.get(namespace)?.has(name) ?? false;
  }

  /** A cluster role's rules, aggregated ones included; undefined if there is no such role. */
  clusterRoleRules(name: string): readonly PolicyRule[] | undefined {
    return this.effectiveRules(name, new Set());
  }

  private effectiveRules(name: string, visiting: Set<string>): readonly PolicyRule[] | undefined {
    const role = this.clusterRoles.get(name);
    if (role === undefined) return undefined;
    if (role.aggregationRule === undefined) return role.rules ?? [];
    const memo = this.aggregated.get(name);
    if (memo !== undefined) return memo;
    visiting.add(name);
    const selectors = role.aggregationRule.clusterRoleSelectors ?? [];
    const out: PolicyRule[] = [];
    for (const selector of selectors) {
      const matcher = labelSelectorMatcher(selector);
      const matched = [...this.clusterRoles.values()]
        .filter((r) => r.metadata.name !== name && matcher.matches(r.metadata.labels))
        .map((r) => r.metadata.name ?? '')
        .sort();
      for (const other of matched) {
        if (visiting.has(other)) continue;
        for (const rule of this.effectiveRules(other, visiting) ?? []) {
          if (!out.some((r) => deepEqual(r, rule))) out.push(rule);
        }
      }
    }
    visiting.delete(name);
    this.aggregated.set(name, out);
    return out;
  }

  private reset(resource: Resource): void {
    this.synced.delete(resource);
    this.mapOf(resource).clear();
    this.changed();
  }

  private upsert(resource: Resource, obj: KObject): void {
    const { namespace = '', name = '' } = obj.metadata;
    switch (resource) {
      case 'roles':
        this.roles.set(`${namespace}/${name}`, obj as Role);
        break;
      case 'clusterroles':
        this.clusterRoles.set(name, obj as ClusterRole);
        break;
      case 'rolebindings': {
        let inNamespace = this.roleBindings.get(namespace);
        if (inNamespace === undefined) {
          inNamespace = new Map();
          this.roleBindings.set(namespace, inNamespace);
        }
        inNamespace.set(name, obj as RoleBinding);
        break;
      }
      case 'clusterrolebindings':
        this.clusterRoleBindingsByName.set(name, obj as ClusterRoleBinding);
        break;
    }
    this.changed();
  }

  private remove(resource: Resource, obj: KObject): void {
    const { namespace = '', name = '' } = obj.metadata;
    switch (resource) {
      case 'roles':
        this.roles.delete(`${namespace}/${name}`);
        break;
      case 'clusterroles':
        this.clusterRoles.delete(name);
        break;
      case 'rolebindings':
        this.roleBindings.get(namespace)?.delete(name);
        break;
      case 'clusterrolebindings':
        this.clusterRoleBindingsByName.delete(name);
        break;
    }
    this.changed();
  }

  private mapOf(resource: Resource): Map<string, unknown> {
    switch (resource) {
      case 'roles':
        return this.roles;
      case 'clusterroles':
        return this.clusterRoles;
      case 'rolebindings':
        return this.roleBindings;
      case 'clusterrolebindings':
        return this.clusterRoleBindingsByName;
    }
  }

  private changed(): void {
    this.changes++;
    this.aggregated = new Map();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
    for (const l of this.listeners) l();
  }
}
