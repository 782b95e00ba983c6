/**
 * Generates real/http/k8s-protobuf.json: the protobuf message schemas of every stable built-in
 * API group version, which the HTTP front decodes kubectl's protobuf request bodies with
 * (real/http/protobuf.ts). Run it on checkouts of upstream's k8s.io/api and
 * k8s.io/apimachinery repositories (the staging copies in kubernetes/kubernetes are the same):
 *
 *   node --import ./sim/cli/register.mjs test/support/gen-protobuf.ts \
 *     --api <k8s.io/api checkout> --apimachinery <k8s.io/apimachinery checkout> \
 *     [--origin "<repo@commit, repo@commit>"]
 *
 * Two sources per package, both upstream's:
 * - generated.proto: the messages, field numbers and types, parsed with protobufjs into its
 *   JSON descriptor form (comments and options dropped).
 * - the package's Go types (the `json` and `protobuf` struct tags): what the protobuf schema
 *   does not say and the JSON form depends on. Go's generated code writes every non-pointer
 *   field, zero or not, while its JSON encoding omits a zero one tagged `omitempty`; a pointer
 *   is written only when set, zero included (`replicas: 0` is not `replicas` left out). Each
 *   field whose zero value JSON omits gets the option `omitEmpty`, and a field whose JSON name
 *   differs from its protobuf name gets `jsonName`; an embedded struct whose fields JSON writes
 *   in the enclosing object (`json:",inline"`, as Volume's VolumeSource) gets `inline`.
 *
 * Each group version's API group is its register.go's GroupName; the output maps
 * "apiVersion/Kind" to the message of every top-level kind (a message with `metadata` or a
 * `...List`) so the decoder finds a body's schema from its envelope's type meta.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import protobuf from 'protobufjs';

const ROOT = join(import.meta.dirname, '..', '..');
export const OUTPUT = join(ROOT, 'real', 'http', 'k8s-protobuf.json');

/** The apimachinery packages every API package imports. */
const APIMACHINERY_PACKAGES = [
  'pkg/apis/meta/v1',
  'pkg/api/resource',
  'pkg/runtime',
  'pkg/runtime/schema',
  'pkg/util/intstr',
];

/** Stable group versions only, as the API server serves (and core/api/schema has) them. */
const STABLE_VERSION = /^v\d+$/;

/** Groups of k8s.io/api that are not served resources (admission reviews, discovery docs). */
const NOT_SERVED = new Set(['admission', 'apidiscovery', 'imagepolicy']);

interface GoField {
  readonly protoName: string;
  readonly jsonName: string;
  readonly omitEmpty: boolean;
  /** Embedded with `json:",inline"`: its fields are the enclosing object's in JSON. */
  readonly inline: boolean;
}

/** Go struct fields carrying a protobuf tag, by struct name then protobuf field name. */
function goFields(dir: string): Map<string, Map<string, GoField>> {
  const out = new Map<string, Map<string, GoField>>();
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go') && !f.startsWith('zz_generated'))
    .sort();
  for (const file of files) {
    let struct: Map<string, GoField> | undefined;
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const start = /^type (\w+) struct \{/.exec(line);
      if (start !== null) {
        struct = new Map();
        out.set(start[1] as string, struct);
        continue;
      }
      if (line.startsWith('}')) {
        struct = undefined;
        continue;
      }
      // A named field (`Name Type`) or an embedded one (`Type`, mostly `json:",inline"`).
      const f =
        /^\s+\w+\s+(\S+)\s+`json:"([^"]*)".*protobuf:"([^"]*)"/.exec(line) ??
        /^\s+(\*?[\w.]+)\s+`json:"([^"]*)".*protobuf:"([^"]*)"/.exec(line);
      if (struct === undefined || f === null) continue;
      const [, goType, json, tag] = f as unknown as [string, string, string, string];
      const typeName = goType.replace(/^\*/, '').replace(/^\w+\./, '');
      // An embedded field's protobuf name, when its tag names none, is its type's, lower-cased.
      const protoName =
        /(?:^|,)name=(\w+)/.exec(tag)?.[1] ?? typeName.charAt(0).toLowerCase() + typeName.slice(1);
      const [jsonName = '', ...flags] = json.split(',');
      // A pointer is written when set; a slice or map only with elements, as JSON does.
      const omitEmpty =
        !goType.startsWith('*') && (flags.includes('omitempty') || flags.includes('omitzero'));
      const inline = flags.includes('inline');
      struct.set(protoName, { protoName, jsonName: jsonName || protoName, omitEmpty, inline });
    }
  }
  return out;
}

/** The package's API group: register.go's GroupName, or doc.go's `+groupName`. */
function groupName(dir: string): string {
  const register = join(dir, 'register.go');
  const fromRegister = existsSync(register)
    ? /\bGroupName = "([\w.]*)"/.exec(readFileSync(register, 'utf8'))
    : null;
  const m = fromRegister ?? /\+groupName=([\w.]*)/.exec(readFileSync(join(dir, 'doc.go'), 'utf8'));
  if (m === null) throw new Error(`${dir} names no API group (register.go, doc.go)`);
  return m[1] as string;
}

interface Package {
  readonly dir: string;
  /** The API group and version, for API packages. */
  readonly groupVersion?: string;
}

function packages(apiDir: string, machineryDir: string): Package[] {
  const out: Package[] = APIMACHINERY_PACKAGES.map((p) => ({ dir: join(machineryDir, p) }));
  const groups = readdirSync(apiDir, { withFileTypes: true }).filter((e) => e.isDirectory());
  for (const group of groups.map((e) => e.name).sort()) {
    if (NOT_SERVED.has(group)) continue;
    const groupDir = join(apiDir, group);
    for (const version of readdirSync(groupDir).sort()) {
      const dir = join(groupDir, version);
      if (!STABLE_VERSION.test(version) || !existsSync(join(dir, 'generated.proto'))) continue;
      const g = groupName(dir);
      out.push({ dir, groupVersion: g === '' ? version : `${g}/${version}` });
    }
  }
  return out;
}

type JsonNamespace = { nested?: Record<string, JsonNamespace>; fields?: Record<string, JsonField> };
type JsonField = { type: string; id: number; rule?: string; keyType?: string; options?: object };

/** The message descriptors of one package's namespace, annotated from its Go types. */
function annotate(ns: JsonNamespace, go: Map<string, Map<string, GoField>>, where: string): void {
  for (const [name, child] of Object.entries(ns.nested ?? {})) {
    if (child.fields === undefined) {
      annotate(child, go, `${where}.${name}`);
      continue;
    }
    const struct = go.get(name);
    for (const [fieldName, field] of Object.entries(child.fields)) {
      delete field.options;
      const g = struct?.get(fieldName);
      const options: Record<string, unknown> = {};
      if (g?.omitEmpty === true) options.omitEmpty = true;
      if (g?.inline === true) options.inline = true;
      // `-`: not in JSON at all; the special types that have it (RawExtension) are read whole.
      else if (g !== undefined && g.jsonName !== fieldName && g.jsonName !== '-')
        options.jsonName = g.jsonName;
      if (Object.keys(options).length > 0) field.options = options;
    }
  }
}

function lookupNamespace(root: JsonNamespace, path: string): JsonNamespace {
  let ns = root;
  for (const part of path.split('.')) {
    const next = ns.nested?.[part];
    if (next === undefined) throw new Error(`no namespace ${path}`);
    ns = next;
  }
  return ns;
}

export async function generate(apiDir: string, machineryDir: string, origin: string) {
  const root = new protobuf.Root();
  const pkgs = packages(apiDir, machineryDir);
  const protoPackages = new Map<Package, string>();
  for (const p of pkgs) {
    const source = readFileSync(join(p.dir, 'generated.proto'), 'utf8');
    const parsed = protobuf.parse(source, root, { keepCase: true, alternateCommentMode: false });
    if (parsed.package === undefined) throw new Error(`${p.dir}/generated.proto has no package`);
    protoPackages.set(p, parsed.package);
  }
  root.resolveAll();
  const json = root.toJSON() as JsonNamespace;
  const kinds: Record<string, string> = {};
  for (const p of pkgs) {
    const pkg = protoPackages.get(p) as string;
    const ns = lookupNamespace(json, pkg);
    annotate(ns, goFields(p.dir), pkg);
    if (p.groupVersion === undefined) continue;
    for (const [name, m] of Object.entries(ns.nested ?? {})) {
      if (m.fields?.metadata !== undefined) kinds[`${p.groupVersion}/${name}`] = `${pkg}.${name}`;
    }
  }
  const data = {
    origin,
    generator: 'test/support/gen-protobuf.ts',
    kinds,
    root: json,
  };
  return prettier.format(JSON.stringify(data), { parser: 'json', filepath: OUTPUT });
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  const api = arg('--api');
  const machinery = arg('--apimachinery');
  if (api === undefined || machinery === undefined) {
    console.error('usage: gen-protobuf.ts --api DIR --apimachinery DIR [--origin TEXT]');
    process.exit(2);
  }
  const origin =
    arg('--origin') ??
    'generated.proto and Go types of k8s.io/api and k8s.io/apimachinery (Apache-2.0)';
  writeFileSync(OUTPUT, await generate(api, machinery, origin));
  console.log(`wrote ${OUTPUT}`);
}
