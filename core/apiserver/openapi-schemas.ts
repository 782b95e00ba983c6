/**
 * The component schemas of the OpenAPI v3 documents (openapi.ts), named as upstream names them
 * (`io.k8s.api.core.v1.Container`): built from the kinds' field tree (core/api/schema), the
 * declarations' descriptions, required members and aliases (generated-docs.ts, the doc
 * comments kubernetes-types copies from upstream's spec), the kinds' strategic-merge metadata
 * (`x-kubernetes-patch-strategy`, `-patch-merge-key`, `-list-type`, `-list-map-keys`: the
 * same metadata ksim's own patch and apply code reads, so a client computing a strategic merge
 * patch from these documents agrees with the server) and each kind's
 * `x-kubernetes-group-version-kind`. A custom resource's schema is its CRD's openAPIV3Schema
 * with apiVersion, kind and metadata added, as upstream's crd builder adds them.
 *
 * Where the field tree cannot tell what upstream's schema says, this follows upstream's
 * generated spec (api/openapi-spec/v3): numbers are integers but for the three doubles of
 * JSONSchemaProps; Quantity, Time, MicroTime and IntOrString are named schemas of their own.
 */
import type { PatchField, ResourceDefinition } from '../api/kinds/index.ts';
import { ATOMIC_TYPES } from '../api/managed-fields/type-model.ts';
import { schemaDocs, type TypeDocs } from '../api/schema/docs.ts';
import {
  BOOLEAN,
  elementType,
  isList,
  isMap,
  kindType,
  NUMBER,
  STRING,
  structFields,
  type TypeCode,
} from '../api/schema/index.ts';

export type Schema = Readonly<Record<string, unknown>>;

export const SCHEMA_REF_PREFIX = '#/components/schemas/';

/** Package prefixes of the declarations' modules that are not `io.k8s.api.<group>.<version>`. */
const PACKAGES: Readonly<Record<string, string>> = {
  'meta/v1': 'io.k8s.apimachinery.pkg.apis.meta.v1',
  'api/resource': 'io.k8s.apimachinery.pkg.api.resource',
  runtime: 'io.k8s.apimachinery.pkg.runtime',
  'util/intstr': 'io.k8s.apimachinery.pkg.util.intstr',
  'apiextensions/v1': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1',
};

/** Upstream's name of a declared type: `io.k8s.api.core.v1.Container` for core/v1.Container. */
export function componentName(type: string): string {
  const dot = type.indexOf('.');
  const module = type.slice(0, dot);
  return `${PACKAGES[module] ?? `io.k8s.api.${module.replace('/', '.')}`}${type.slice(dot)}`;
}

/** Upstream's name of a custom resource's schema: `com.example.stable.v1.CronTab`. */
export function customComponentName(d: ResourceDefinition): string {
  const r = d.resource;
  return `${r.group.split('.').reverse().join('.')}.${r.version}.${r.kind}`;
}

export const ref = (name: string): Schema => ({ $ref: `${SCHEMA_REF_PREFIX}${name}` });

/** The alias types' own schemas (upstream's OpenAPIDefinition of each Go type). */
const ALIAS_SCHEMAS: Readonly<Record<string, Schema>> = {
  'api/resource.Quantity': { oneOf: [{ type: 'string' }, { type: 'number' }] },
  'meta/v1.Time': { type: 'string', format: 'date-time' },
  'meta/v1.MicroTime': { type: 'string', format: 'date-time' },
  'util/intstr.IntOrString': { 'x-kubernetes-int-or-string': true },
  'apiextensions/v1.JSONSchemaPropsOrArray': { 'x-kubernetes-preserve-unknown-fields': true },
  'apiextensions/v1.JSONSchemaPropsOrBool': { 'x-kubernetes-preserve-unknown-fields': true },
  'apiextensions/v1.JSONSchemaPropsOrStringArray': {
    'x-kubernetes-preserve-unknown-fields': true,
  },
};

/** IntOrString is spelled out in the declarations; its description is upstream's. */
const INT_OR_STRING_DESCRIPTION =
  'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.';

/** The members upstream declares float64 (`type: number, format: double`). */
const DOUBLE_MEMBERS: ReadonlySet<string> = new Set([
  'apiextensions/v1.JSONSchemaProps.maximum',
  'apiextensions/v1.JSONSchemaProps.minimum',
  'apiextensions/v1.JSONSchemaProps.multipleOf',
]);

interface Gvk {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** A component's schema and the components it refers to. */
interface Built {
  readonly schema: Schema;
  readonly refs: readonly string[];
}

/**
 * The component schemas of one catalog. Each declared type is built once, on first need, and
 * shared by every group version's document that refers to it.
 */
export class SchemaSet {
  private readonly built = new Map<string, Built>();
  private readonly patches = new Map<string, Map<string, PatchField>>();
  private readonly gvks = new Map<string, Gvk[]>();
  private readonly custom = new Map<string, ResourceDefinition>();

  constructor(definitions: readonly ResourceDefinition[]) {
    for (const d of definitions) {
      const r = d.resource;
      const root = kindType(r.apiVersion, r.kind);
      if (root === undefined) {
        if (d.openApiSchema !== undefined) this.custom.set(customComponentName(d), d);
        continue;
      }
      const gvks = this.gvks.get(root) ?? [];
      if (!gvks.some((g) => g.group === r.group && g.version === r.version && g.kind === r.kind))
        gvks.push({ group: r.group, version: r.version, kind: r.kind });
      this.gvks.set(root, gvks);
      for (const f of d.patch) this.notePatch(root, f);
    }
  }

  /** The component name of `d`'s objects, if the documents describe them. */
  rootOf(d: ResourceDefinition): string | undefined {
    const root = kindType(d.resource.apiVersion, d.resource.kind);
    if (root !== undefined) return componentName(root);
    return d.openApiSchema === undefined ? undefined : customComponentName(d);
  }

  /** `names` and every component they refer to, by name, in name order. */
  closure(names: readonly string[]): ReadonlyMap<string, Schema> {
    const out = new Map<string, Schema>();
    const pending = [...names];
    for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
      if (out.has(name)) continue;
      const b = this.component(name);
      out.set(name, b.schema);
      pending.push(...b.refs);
    }
    return new Map([...out].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  }

  /** Records a patch field's metadata on the member of the type its path ends in. */
  private notePatch(root: TypeCode, f: PatchField): void {
    const steps = f.path.split('.');
    let type = root;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i] as string;
      const items = step.endsWith('[]');
      const name = items ? step.slice(0, -2) : step;
      const member = structFields(type)?.[name];
      if (member === undefined) return;
      if (i === steps.length - 1) {
        const byMember = this.patches.get(type) ?? new Map<string, PatchField>();
        byMember.set(name, f);
        this.patches.set(type, byMember);
        return;
      }
      type = items && isList(member) ? elementType(member) : member;
    }
  }

  private component(name: string): Built {
    let b = this.built.get(name);
    if (b === undefined) {
      b = this.buildComponent(name);
      this.built.set(name, b);
    }
    return b;
  }

  private buildComponent(name: string): Built {
    const custom = this.custom.get(name);
    if (custom !== undefined) return this.customSchema(custom);
    const type = this.typeNamed(name);
    const docs = schemaDocs();
    const alias = ALIAS_SCHEMAS[type];
    if (alias !== undefined) {
      const description = docs.aliases[type] ?? INT_OR_STRING_DESCRIPTION;
      return { schema: { description, ...alias }, refs: [] };
    }
    return this.structSchema(type, docs.types[type]);
  }

  /** The declared type of a component name (the inverse of componentName). */
  private typeNamed(name: string): string {
    let found = this.names.get(name);
    if (found === undefined) {
      const docs = schemaDocs();
      for (const t of [...Object.keys(docs.types), ...Object.keys(ALIAS_SCHEMAS)])
        this.names.set(componentName(t), t);
      found = this.names.get(name);
    }
    if (found === undefined) throw new Error(`no declared type is named ${name}`);
    return found;
  }

  private readonly names = new Map<string, string>();

  private structSchema(type: string, docs: TypeDocs | undefined): Built {
    const refs: string[] = [];
    const members = structFields(type) ?? {};
    const patches = this.patches.get(type);
    const properties: Record<string, Schema> = {};
    for (const member of Object.keys(members).sort()) {
      const fieldDocs = docs?.f[member];
      const description = fieldDocs?.[0] ?? '';
      const code = DOUBLE_MEMBERS.has(`${type}.${member}`)
        ? 'double'
        : (members[member] as TypeCode);
      const schema = this.memberSchema(code, fieldDocs?.[1], refs);
      properties[member] = {
        ...schema,
        ...(description === '' ? {} : { description }),
        ...patchExtensions(patches?.get(member), code),
      };
    }
    const required = (docs?.r ?? []).filter((m) => m in members);
    const gvks = this.gvks.get(type);
    const schema: Schema = {
      ...(docs === undefined || docs.d === '' ? {} : { description: docs.d }),
      type: 'object',
      ...(required.length === 0 ? {} : { required }),
      ...(Object.keys(properties).length === 0 ? {} : { properties }),
      ...(ATOMIC_TYPES.has(type) ? { 'x-kubernetes-map-type': 'atomic' } : {}),
      ...(gvks === undefined ? {} : { 'x-kubernetes-group-version-kind': gvks }),
    };
    return { schema, refs };
  }

  /**
   * A member's schema: a reference to a named type is wrapped in allOf, so that the member's
   * own description sits beside it (upstream's v3 spec does the same).
   */
  private memberSchema(code: TypeCode, alias: string | undefined, refs: string[]): Schema {
    const inner = this.valueSchema(code, alias, refs);
    return '$ref' in inner ? { allOf: [inner] } : inner;
  }

  private valueSchema(code: TypeCode, alias: string | undefined, refs: string[]): Schema {
    if (isList(code)) {
      return { type: 'array', items: this.valueSchema(elementType(code), alias, refs) };
    }
    if (isMap(code)) {
      return {
        type: 'object',
        additionalProperties: this.valueSchema(elementType(code), alias, refs),
      };
    }
    if (alias !== undefined) {
      refs.push(componentName(alias));
      return ref(componentName(alias));
    }
    switch (code) {
      case STRING:
        return { type: 'string' };
      case NUMBER:
        return { type: 'integer' };
      case 'double':
        return { type: 'number', format: 'double' };
      case BOOLEAN:
        return { type: 'boolean' };
      case 'x':
        return { 'x-kubernetes-preserve-unknown-fields': true };
      default:
        refs.push(componentName(code));
        return ref(componentName(code));
    }
  }

  private customSchema(d: ResourceDefinition): Built {
    const r = d.resource;
    const schema = d.openApiSchema as Schema;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    // Every kind's apiVersion, kind and metadata carry the same descriptions: a built-in's.
    const [builtin] = this.gvks.keys();
    const described = builtin === undefined ? undefined : schemaDocs().types[builtin]?.f;
    const objectMeta = componentName('meta/v1.ObjectMeta');
    return {
      schema: {
        ...schema,
        type: 'object',
        properties: {
          apiVersion: { type: 'string', description: described?.apiVersion?.[0] ?? '' },
          kind: { type: 'string', description: described?.kind?.[0] ?? '' },
          metadata: { allOf: [ref(objectMeta)], description: described?.metadata?.[0] ?? '' },
          ...properties,
        },
        'x-kubernetes-group-version-kind': [{ group: r.group, version: r.version, kind: r.kind }],
      },
      refs: [objectMeta],
    };
  }
}

/** A member's strategic-merge metadata as upstream's spec spells it. */
function patchExtensions(f: PatchField | undefined, code: TypeCode): Schema {
  if (f === undefined) return {};
  const out: Record<string, unknown> = { 'x-kubernetes-patch-strategy': f.patchStrategy };
  if (f.patchMergeKey !== undefined) out['x-kubernetes-patch-merge-key'] = f.patchMergeKey;
  if (isList(code) && f.patchStrategy.split(',').includes('merge')) {
    if (f.patchMergeKey === undefined) out['x-kubernetes-list-type'] = 'set';
    else {
      out['x-kubernetes-list-type'] = 'map';
      out['x-kubernetes-list-map-keys'] = [f.patchMergeKey];
    }
  }
  return out;
}
