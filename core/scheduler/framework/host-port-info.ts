/**
 * Host ports in use on a node (pkg/scheduler/framework/types.go HostPortInfo): ip ->
 * "protocol/port". 0.0.0.0 conflicts with every address. Entries are counted so that removing
 * one of two pods that (wrongly, e.g. bound by nodeName) share a port keeps the other's.
 */
import { DEFAULT_BIND_ALL_HOST_IP, type HostPort } from './pod-info.ts';

export class HostPortInfo {
  private readonly byIp = new Map<string, Map<string, number>>();

  get size(): number {
    return this.byIp.size;
  }

  add(p: HostPort): void {
    let m = this.byIp.get(p.ip);
    if (m === undefined) {
      m = new Map();
      this.byIp.set(p.ip, m);
    }
    const k = `${p.protocol}/${p.port}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }

  remove(p: HostPort): void {
    const m = this.byIp.get(p.ip);
    if (m === undefined) return;
    const k = `${p.protocol}/${p.port}`;
    const n = (m.get(k) ?? 0) - 1;
    if (n > 0) m.set(k, n);
    else m.delete(k);
    if (m.size === 0) this.byIp.delete(p.ip);
  }

  conflicts(p: HostPort): boolean {
    const k = `${p.protocol}/${p.port}`;
    if (p.ip === DEFAULT_BIND_ALL_HOST_IP) {
      for (const m of this.byIp.values()) if (m.has(k)) return true;
      return false;
    }
    return (
      this.byIp.get(DEFAULT_BIND_ALL_HOST_IP)?.has(k) === true ||
      this.byIp.get(p.ip)?.has(k) === true
    );
  }

  /** Overwrites this with `other`'s ports. */
  setFrom(other: HostPortInfo): void {
    if (this.byIp.size === 0 && other.byIp.size === 0) return;
    this.byIp.clear();
    for (const [ip, m] of other.byIp) this.byIp.set(ip, new Map(m));
  }

  clone(): HostPortInfo {
    const c = new HostPortInfo();
    for (const [ip, m] of this.byIp) c.byIp.set(ip, new Map(m));
    return c;
  }
}
