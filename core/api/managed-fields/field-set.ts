/**
 * A set of field paths (structured-merge-diff's fieldpath.Set) as a trie of path elements in
 * upstream's FieldsV1 spelling: `f:<field>`, `k:<json of the key fields>` for an item of an
 * associative list, `v:<json value>` for an item of a set, `i:<index>`. A node is a member of
 * the set itself, or only the parent of members, or both (FieldsV1 marks that with ".").
 */
import type { FieldsV1 } from '../meta-types.ts';

export class FieldSet {
  member = false;
  readonly children = new Map<string, FieldSet>();

  child(element: string): FieldSet {
    let c = this.children.get(element);
    if (c === undefined) {
      c = new FieldSet();
      this.children.set(element, c);
    }
    return c;
  }

  /** Adds the member at `path` (a list of path elements). */
  insert(path: readonly string[]): void {
    let node: FieldSet = this;
    for (const e of path) node = node.child(e);
    node.member = true;
  }

  get empty(): boolean {
    if (this.member) return false;
    for (const c of this.children.values()) if (!c.empty) return false;
    return true;
  }

  has(path: readonly string[]): boolean {
    let node: FieldSet | undefined = this;
    for (const e of path) {
      node = node.children.get(e);
      if (node === undefined) return false;
    }
    return node.member;
  }

  /** True if this set holds `path` or anything below it. */
  hasPrefix(path: readonly string[]): boolean {
    let node: FieldSet | undefined = this;
    for (const e of path) {
      node = node.children.get(e);
      if (node === undefined) return false;
    }
    return !node.empty;
  }

  union(other: FieldSet): FieldSet {
    const out = this.copy();
    out.addAll(other);
    return out;
  }

  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && !other.member;
    for (const [e, c] of this.children) {
      const o = other.children.get(e);
      const d = o === undefined ? c.copy() : c.difference(o);
      if (!d.empty) out.children.set(e, d);
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && other.member;
    for (const [e, c] of this.children) {
      const o = other.children.get(e);
      if (o === undefined) continue;
      const i = c.intersection(o);
      if (!i.empty) out.children.set(e, i);
    }
    return out;
  }

  copy(): FieldSet {
    const out = new FieldSet();
    out.addAll(this);
    return out;
  }

  private addAll(other: FieldSet): void {
    if (other.member) this.member = true;
    for (const [e, c] of other.children) this.child(e).addAll(c);
  }

  /** Every member's path, in FieldsV1 order (parents before children). */
  members(prefix: readonly string[] = []): string[][] {
    const out: string[][] = [];
    if (this.member) out.push([...prefix]);
    for (const e of sortedElements(this.children.keys())) {
      out.push(...(this.children.get(e) as FieldSet).members([...prefix, e]));
    }
    return out;
  }

  /** The FieldsV1 JSON trie. */
  toFieldsV1(): FieldsV1 {
    const out: Record<string, FieldsV1> = {};
    for (const e of sortedElements(this.children.keys())) {
      const c = this.children.get(e) as FieldSet;
      if (c.empty) continue;
      if (c.children.size === 0 || [...c.children.values()].every((x) => x.empty)) out[e] = {};
      else out[e] = c.member ? { '.': {}, ...c.toFieldsV1() } : c.toFieldsV1();
    }
    return out;
  }

  static fromFieldsV1(v: FieldsV1): FieldSet {
    const out = new FieldSet();
    for (const [e, c] of Object.entries(v)) {
      if (e === '.') {
        out.member = true;
        continue;
      }
      const child = FieldSet.fromFieldsV1(c);
      if (Object.keys(c).length === 0) child.member = true;
      out.children.set(e, child);
    }
    return out;
  }
}

/** structured-merge-diff orders field names before keys, values and indexes. */
const RANK: Readonly<Record<string, number>> = { f: 0, v: 1, i: 2, k: 3 };

function sortedElements(elements: Iterable<string>): string[] {
  return [...elements].sort((a, b) => {
    const ra = RANK[a[0] as string] ?? 4;
    const rb = RANK[b[0] as string] ?? 4;
    if (ra !== rb) return ra - rb;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** fieldpath.Path.String(): `.spec.containers[name="c"].image`, `.metadata.finalizers[="x"]`. */
export function pathString(path: readonly string[]): string {
  return path
    .map((e) => {
      const body = e.slice(2);
      switch (e[0]) {
        case 'f':
          return `.${body}`;
        case 'k': {
          const key = JSON.parse(body) as Record<string, unknown>;
          const parts = Object.keys(key)
            .sort()
            .map((k) => `${k}=${JSON.stringify(key[k])}`);
          return `[${parts.join(',')}]`;
        }
        case 'v':
          return `[=${body}]`;
        default:
          return `[${body}]`;
      }
    })
    .join('');
}
