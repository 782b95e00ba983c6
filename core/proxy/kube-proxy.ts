/**
 * kube-proxy in iptables mode: informers on Services, EndpointSlices and its Node; on a change
 * it asks its SyncRunner for a sync, which renders the node's rules (rules.ts) and applies them
 * through the Netfilter port with iptables-restore --noflush semantics.
 *
 * Partial syncs as upstream: the top-level chains are rewritten every time, but only the
 * Services that changed since the last successful sync get their own chains written; a full
 * sync (the first, after a failure, on a Node label change, and every FULL_SYNC_PERIOD) writes
 * everything and first ensures the jumps from the built-in chains. Stale per-Service chains are
 * found with iptables-save and deleted, as upstream does outside large-cluster mode.
 *
 * Everything is rebuilt at a restart, and the rendering depends only on the API objects, so a
 * restarted kube-proxy renders the same rules as before it crashed.
 *
 * Upstream builds every Service's rules at every sync and then writes only the changed ones;
 * here each Service's part of the rules is kept until the Service or its EndpointSlices change
 * (rules-cache.ts), so a sync builds only what it writes: the same lines, in the same order.
 */
import type { EndpointSlice } from '../api/kinds/endpoint-slice.ts';
import type { Service } from '../api/kinds/service-types.ts';
import { keyOf } from '../api/meta.ts';
import type { ApiClient } from '../client/api-client.ts';
import { Informer } from '../client/informer.ts';
import { US_PER_SECOND, type Micros } from '../ports/clock.ts';
import type { Netfilter } from '../ports/netfilter.ts';
import type { ProcessPorts } from '../ports/process.ts';
import { endpointsOfSlices, sliceService, type EndpointInfo } from './endpoints.ts';
import { endpointChainName } from './hash.ts';
import { JUMP_CHAINS, KUBELET_JUMP_CHAINS } from './jump-chains.ts';
import {
  DEFAULT_MASQUERADE_MARK,
  isServiceChainName,
  LARGE_CLUSTER_ENDPOINTS_THRESHOLD,
  renderRules,
  type ProxierConfig,
  type ProxyRules,
} from './rules.ts';
import { RulesCache } from './rules-cache.ts';
import { servicePorts, type ServicePortInfo } from './service-port.ts';
import { SyncRunner } from './sync-runner.ts';

import { conntrackState, staleConntrack, type ConntrackState } from './conntrack-cleanup.ts';

export interface KubeProxyOptions extends Partial<ProxierConfig> {
  readonly nodeName: string;
  readonly nodeIP: string;
  /** --iptables-min-sync-period (default 1 s). */
  readonly minSyncPeriodUs?: Micros;
  /** --iptables-sync-period (default 30 s): the retry interval after a failed sync. */
  readonly syncPeriodUs?: Micros;
}

/** proxyutil.FullSyncPeriod: a full resync at least this often. */
export const FULL_SYNC_PERIOD_US = 3600 * US_PER_SECOND;
export const DEFAULT_MIN_SYNC_PERIOD_US = US_PER_SECOND;
export const DEFAULT_SYNC_PERIOD_US = 30 * US_PER_SECOND;
/** The proxier's burstSyncs. */
const BURST_SYNCS = 2;
const CACHE_SYNC_POLL_US = 100_000;
/** KUBE-SEP names kept before they are forgotten all at once. */
const CHAIN_NAMES_KEPT = 10_000;

export class KubeProxy {
  readonly config: ProxierConfig;
  private readonly services: Informer<'Service'>;
  private readonly slices: Informer<'EndpointSlice'>;
  private readonly node: Informer<'Node'>;
  private readonly runner: SyncRunner;
  /** Per Service ("ns/name"): its ports, sorted by name. */
  private readonly portsByService = new Map<string, ServicePortInfo[]>();
  /** Per Service: its slices by slice key. */
  private readonly slicesByService = new Map<string, Map<string, EndpointSlice>>();
  /** Per Service: endpoints per service port key, recomputed when its slices change. */
  private readonly endpointsByService = new Map<string, Map<string, EndpointInfo[]>>();
  private readonly changed = new Set<string>();
  private readonly rules: RulesCache;
  /**
   * KUBE-SEP chain names already hashed: a slice change recomputes its Service's endpoints,
   * mostly the same ones (upstream's endpointInfo keeps its name the same way). Bounded.
   */
  private chainNames = new Map<string, string>();
  private initialized = false;
  private needFullSync = true;
  private lastFullSyncUs: Micros = 0;
  private lastCleanupUs: Micros = 0;
  /**
   * The rules of the last successful sync, rendered in full only when asked for (tests, the
   * invariant checker, `ksim run`): a partial sync writes only the changed Services' chains,
   * and rendering every Service's chains again at each sync, for a copy mostly unread, doubled
   * its rendering.
   */
  private applied: { readonly rules: ProxyRules; text: string | undefined } | undefined;
  private nodeLabels = '';
  /** The UDP service ports as of the last successful sync (conntrack-cleanup.ts). */
  private tracked: ConntrackState = new Map();
  private readonly syncPeriodUs: Micros;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly netfilter: Netfilter,
    api: ApiClient,
    private readonly options: KubeProxyOptions,
  ) {
    this.config = {
      nodeIP: options.nodeIP,
      clusterCIDR: options.clusterCIDR,
      masqueradeAll: options.masqueradeAll ?? false,
      masqueradeMark: options.masqueradeMark ?? DEFAULT_MASQUERADE_MARK,
      localhostNodePorts: options.localhostNodePorts ?? true,
      randomFully: options.randomFully ?? true,
      conntrackTCPLiberal: options.conntrackTCPLiberal ?? false,
    };
    this.syncPeriodUs = options.syncPeriodUs ?? DEFAULT_SYNC_PERIOD_US;
    this.rules = new RulesCache(this.config);
    this.runner = new SyncRunner(ports.clock, () => this.sync(), {
      minIntervalUs: options.minSyncPeriodUs ?? DEFAULT_MIN_SYNC_PERIOD_US,
      maxIntervalUs: FULL_SYNC_PERIOD_US,
      burst: BURST_SYNCS,
    });
    this.services = new Informer(ports, api, 'Service');
    this.services.addEventHandler({
      onAdd: (s) => this.serviceChanged(s),
      onUpdate: (_, s) => this.serviceChanged(s),
      onDelete: (s) => this.serviceDeleted(s),
    });
    this.slices = new Informer(ports, api, 'EndpointSlice');
    this.slices.addEventHandler({
      onAdd: (s) => this.sliceChanged(s, false),
      onUpdate: (_, s) => this.sliceChanged(s, false),
      onDelete: (s) => this.sliceChanged(s, true),
    });
    this.node = new Informer(ports, api, 'Node', {
      fieldSelector: `metadata.name=${options.nodeName}`,
    });
    this.node.addEventHandler({
      onAdd: (n) => this.nodeChanged(n.metadata.labels),
      onUpdate: (_, n) => this.nodeChanged(n.metadata.labels),
    });
    this.services.start();
    this.slices.start();
    this.node.start();
    ports.spawn(() => this.waitForSync());
  }

  /** The full ruleset of the last sync, as iptables-restore text; undefined before the first. */
  get lastRenderedRules(): string | undefined {
    const a = this.applied;
    if (a === undefined) return undefined;
    a.text ??= renderRules(a.rules);
    return a.text;
  }

  private async waitForSync(): Promise<void> {
    while (!this.services.hasSynced || !this.slices.hasSynced)
      await this.ports.clock.sleep(CACHE_SYNC_POLL_US);
    this.initialized = true;
    this.runner.start();
    this.runner.run();
  }

  private serviceChanged(service: Service): void {
    const key = keyOf(service);
    const ports = servicePorts(service).sort((a, b) => compare(a.name, b.name));
    if (ports.length === 0) this.portsByService.delete(key);
    else this.portsByService.set(key, ports);
    this.markChanged(key);
  }

  private serviceDeleted(service: Service): void {
    const key = keyOf(service);
    this.portsByService.delete(key);
    this.markChanged(key);
  }

  private sliceChanged(slice: EndpointSlice, deleted: boolean): void {
    const service = sliceService(slice);
    if (service === undefined) return;
    let slices = this.slicesByService.get(service);
    if (slices === undefined) this.slicesByService.set(service, (slices = new Map()));
    if (deleted) slices.delete(keyOf(slice));
    else slices.set(keyOf(slice), slice);
    if (slices.size === 0) {
      this.slicesByService.delete(service);
      this.endpointsByService.delete(service);
    } else {
      this.endpointsByService.set(
        service,
        endpointsOfSlices([...slices.values()], this.options.nodeName, (name, protocol, ep) =>
          this.chainName(name, protocol, ep),
        ),
      );
    }
    this.markChanged(service);
  }

  private chainName(servicePortName: string, protocol: string, endpoint: string): string {
    const key = `${servicePortName} ${protocol} ${endpoint}`;
    let name = this.chainNames.get(key);
    if (name === undefined) {
      if (this.chainNames.size >= CHAIN_NAMES_KEPT) this.chainNames = new Map();
      name = endpointChainName(servicePortName, protocol, endpoint);
      this.chainNames.set(key, name);
    }
    return name;
  }

  private nodeChanged(labels: Readonly<Record<string, string>> | undefined): void {
    // Topology labels decide which endpoints hints select: a change needs every chain rewritten.
    const text = JSON.stringify(Object.entries(labels ?? {}).sort());
    if (text === this.nodeLabels) return;
    this.nodeLabels = text;
    this.needFullSync = true;
    if (this.initialized) this.runner.run();
  }

  private markChanged(service: string): void {
    this.changed.add(service);
    this.rules.invalidate(service);
    if (this.initialized) this.runner.run();
  }

  /** One syncProxyRules. */
  private async sync(): Promise<void> {
    const now = this.ports.clock.now();
    const full = this.needFullSync || now - this.lastFullSyncUs > FULL_SYNC_PERIOD_US;
    const changed = new Set(this.changed);
    this.changed.clear();
    if (full) {
      const error = await this.ensureJumps();
      if (error !== undefined) return this.failed(changed);
    }
    // A full sync builds every Service's rules again, as each of upstream's syncs does.
    if (full) this.rules.clear();
    const services = [...this.portsByService.keys()].sort(compare);
    const ports = services.flatMap((k) => this.portsByService.get(k) ?? []);
    const endpoints = new Map<string, EndpointInfo[]>();
    for (const byPort of this.endpointsByService.values())
      for (const [k, eps] of byPort) endpoints.set(k, eps);
    const rules = this.rules.build(services, (k) => this.portsByService.get(k) ?? [], endpoints);
    // iptables-save is costly on a large node: there upstream looks for stale chains only once
    // per syncPeriod (stale chains are unreferenced, so harmless meanwhile).
    const large = rules.endpointCount > LARGE_CLUSTER_ENDPOINTS_THRESHOLD;
    const cleanup = !large || now - this.lastCleanupUs > this.syncPeriodUs;
    const stale = cleanup ? await this.staleChains(rules.activeNatChains) : [];
    const text = renderRules(rules, {
      ...(full ? {} : { services: changed }),
      staleChains: stale,
    });
    const r = await this.netfilter.restore(text);
    const chainsWritten = rules.natChains.filter(
      (l) => l.service !== undefined && (full || changed.has(l.service)),
    ).length;
    const counts = {
      node: this.options.nodeName,
      full,
      servicePorts: ports.length,
      endpoints: rules.endpointCount,
      filterRules: rules.filterRules.length,
      natRules: rules.natRules.length + rules.natTail.length,
      chainsWritten,
      chainsDeleted: r.ok ? stale.length : 0,
    };
    if (!r.ok) {
      this.ports.trace.emit('proxy.sync', { ...counts, ok: false, error: r.message });
      return this.failed(changed);
    }
    this.ports.trace.emit('proxy.sync', { ...counts, ok: true });
    // A full sync without stale chains wrote exactly the full rendering.
    this.applied = { rules, text: full && stale.length === 0 ? text : undefined };
    if (this.ports.trace.debugEnabled)
      this.ports.trace.debug('proxy.rules', {
        node: this.options.nodeName,
        rules: this.lastRenderedRules ?? '',
      });
    await this.flushConntrack(conntrackState(ports, endpoints));
    if (cleanup) this.lastCleanupUs = now;
    this.needFullSync = false;
    if (full) this.lastFullSyncUs = now;
  }

  /**
   * Deletes the conntrack entries the rules just made stale. Upstream logs a failed deletion
   * and goes on; the entries then time out as the kernel's do.
   */
  private async flushConntrack(next: ConntrackState): Promise<void> {
    for (const filter of staleConntrack(this.tracked, next))
      await this.netfilter.deleteConntrack(filter);
    this.tracked = next;
  }

  /** The changes are consumed: only a full sync can recover, after syncPeriod as upstream. */
  private failed(changed: ReadonlySet<string>): void {
    for (const s of changed) this.changed.add(s);
    this.needFullSync = true;
    this.runner.retryAfter(this.syncPeriodUs);
  }

  private async ensureJumps(): Promise<string | undefined> {
    const jumps = this.config.localhostNodePorts
      ? [...JUMP_CHAINS, ...KUBELET_JUMP_CHAINS]
      : JUMP_CHAINS;
    for (const j of jumps) {
      const c = await this.netfilter.ensureChain(j.table, j.chain);
      if (!c.ok) return c.message;
      const r = await this.netfilter.ensureRule('prepend', j.table, j.from, j.rule);
      if (!r.ok) return r.message;
    }
    return undefined;
  }

  private async staleChains(active: ReadonlySet<string>): Promise<string[]> {
    const saved = await this.netfilter.save('nat');
    if (!saved.ok) return [];
    const out: string[] = [];
    for (const line of saved.value.split('\n')) {
      if (!line.startsWith(':')) continue;
      const chain = line.slice(1).split(' ')[0] ?? '';
      if (isServiceChainName(chain) && !active.has(chain)) out.push(chain);
    }
    return out;
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
