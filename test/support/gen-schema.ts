/**
 * Generates core/api/schema/generated.ts: the field tree of every stable (v1, v2) type in the
 * kubernetes-types declarations, read with the TypeScript compiler API. The API server needs
 * the kinds' schemas at run time (unknown fields under fieldValidation, the structure server-side
 * apply walks) and the declarations are the upstream OpenAPI types as TypeScript.
 *
 * It also generates core/api/schema/generated-docs.ts: what the OpenAPI documents need beyond
 * the tree, kept apart so the request path never loads it: the declarations' doc comments
 * (upstream's descriptions, which kubernetes-types copies from the OpenAPI spec), which members
 * are required (not optional in the declaration), and which members are of a named alias
 * (Quantity, Time, IntOrString) that upstream's schemas name.
 *
 * test/core/api/schema.test.ts checks the committed file is what this writes, and rewrites it
 * with `npm run gen:schema` (KSIM_REWRITE=1).
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as prettier from 'prettier';
import ts from 'typescript';
import type { FieldDocs, TypeDocs } from '../../core/api/schema/docs.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const TYPES_DIR = join(ROOT, 'node_modules', 'kubernetes-types');
export const OUTPUT = join(ROOT, 'core', 'api', 'schema', 'generated.ts');
export const DOCS_OUTPUT = join(ROOT, 'core', 'api', 'schema', 'generated-docs.ts');

/** Files of stable API versions, and the shared ones they refer to. */
function declarationFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.d.ts') && /^(v\d+|resource|runtime)\.d\.ts$/.test(entry.name))
        out.push(path);
    }
  };
  walk(TYPES_DIR);
  return out;
}

/** "core/v1" for node_modules/kubernetes-types/core/v1.d.ts. */
function moduleName(file: string): string {
  return relative(TYPES_DIR, file).replace(/\.d\.ts$/, '');
}

function encodeType(type: ts.Type, checker: ts.TypeChecker, names: Map<ts.Symbol, string>): string {
  const t = checker.getNonNullableType(type);
  if (t.isUnion()) {
    const parts = new Set(t.types.map((u) => encodeType(u, checker, names)));
    return parts.size === 1 ? [...parts][0]! : 'x';
  }
  if (t.flags & ts.TypeFlags.StringLike) return 's';
  if (t.flags & ts.TypeFlags.NumberLike) return 'n';
  if (t.flags & ts.TypeFlags.BooleanLike) return 'b';
  if (checker.isArrayType(t)) {
    const [elem] = checker.getTypeArguments(t as ts.TypeReference);
    return `[${encodeType(elem!, checker, names)}`;
  }
  const symbol = t.aliasSymbol ?? t.getSymbol();
  const named = symbol === undefined ? undefined : names.get(symbol);
  if (named !== undefined) return named;
  const index = t.getStringIndexType();
  if (index !== undefined) return `{${encodeType(index, checker, names)}`;
  return 'x';
}

interface Declarations {
  readonly checker: ts.TypeChecker;
  readonly names: Map<ts.Symbol, string>;
  readonly interfaces: readonly { name: string; decl: ts.InterfaceDeclaration }[];
  readonly aliases: readonly { name: string; decl: ts.TypeAliasDeclaration }[];
}

function readDeclarations(): Declarations {
  const files = declarationFiles();
  const program = ts.createProgram(files, { strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const names = new Map<ts.Symbol, string>();
  const interfaces: { name: string; decl: ts.InterfaceDeclaration }[] = [];
  const aliases: { name: string; decl: ts.TypeAliasDeclaration }[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file)!;
    const mod = moduleName(file);
    source.forEachChild((node) => {
      if (ts.isTypeAliasDeclaration(node)) {
        aliases.push({ name: `${mod}.${node.name.text}`, decl: node });
        return;
      }
      if (!ts.isInterfaceDeclaration(node)) return;
      const symbol = checker.getSymbolAtLocation(node.name)!;
      const name = `${mod}.${node.name.text}`;
      names.set(symbol, name);
      interfaces.push({ name, decl: node });
    });
  }
  return { checker, names, interfaces, aliases };
}

/** The generated module's text, formatted as the repository formats code. */
export async function generateSchema(): Promise<string> {
  const { checker, names, interfaces } = readDeclarations();
  const types: string[] = [];
  const kinds: string[] = [];
  for (const { name, decl } of interfaces) {
    const symbol = checker.getSymbolAtLocation(decl.name)!;
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    const fields = checker
      .getPropertiesOfType(type)
      .map((p) => [p.name, encodeType(checker.getTypeOfSymbol(p), checker, names)] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : 1));
    if (fields.length === 0) continue;
    types.push(
      `${JSON.stringify(name)}: {${fields.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')}}`,
    );
    const apiVersion = literalOf(type, 'apiVersion', checker);
    const kind = literalOf(type, 'kind', checker);
    const hasMeta = fields.some(([k, v]) => k === 'metadata' && v === 'meta/v1.ObjectMeta');
    if (apiVersion !== undefined && kind !== undefined && hasMeta) {
      kinds.push(`${JSON.stringify(`${apiVersion}/${kind}`)}: ${JSON.stringify(name)}`);
    }
  }
  const text = `/**
 * Generated by test/support/gen-schema.ts from kubernetes-types ${typesVersion()}: do not edit; run
 * \`npm run gen:schema\`. Field types: "s" a string, "n" a number, "b" a boolean, "x" any JSON
 * (or a union of those, as IntOrString), "[T" a list of T, "{T" a map of T, otherwise the name
 * of a type in TYPES.
 */

/** The root type of each kind, by "<apiVersion>/<kind>". */
export const KINDS: Readonly<Record<string, string>> = {${kinds.join(', ')}};

export const TYPES: Readonly<Record<string, Readonly<Record<string, string>>>> = {${types.join(', ')}};
`;
  const options = (await prettier.resolveConfig(OUTPUT)) ?? {};
  return prettier.format(text, { ...options, filepath: OUTPUT });
}

/** A declaration's doc comment as plain text ('' when it has none). */
function docOf(symbol: ts.Symbol, checker: ts.TypeChecker): string {
  return ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
}

/**
 * The named type upstream's schema gives a member where the declaration spells out a plain
 * one: an alias (Quantity, Time) by its name, and `number | string` as IntOrString.
 */
function aliasOf(
  p: ts.Symbol,
  aliasNames: ReadonlyMap<ts.Symbol, string>,
  checker: ts.TypeChecker,
): string | undefined {
  const decl = p.valueDeclaration;
  if (decl === undefined || !ts.isPropertySignature(decl) || decl.type === undefined)
    return undefined;
  let node: ts.TypeNode = decl.type;
  // Array<Quantity> and {[name: string]: Quantity} name the alias of their elements.
  while (
    ts.isTypeReferenceNode(node) &&
    node.typeArguments !== undefined &&
    node.typeArguments.length > 0
  ) {
    node = node.typeArguments[node.typeArguments.length - 1]!;
  }
  if (ts.isArrayTypeNode(node)) node = node.elementType;
  const index = ts.isTypeLiteralNode(node)
    ? node.members.find(ts.isIndexSignatureDeclaration)
    : undefined;
  if (index !== undefined) node = index.type;
  if (ts.isTypeReferenceNode(node)) {
    const symbol = checker.getSymbolAtLocation(node.typeName);
    const target =
      symbol !== undefined && symbol.flags & ts.SymbolFlags.Alias
        ? checker.getAliasedSymbol(symbol)
        : symbol;
    return target === undefined ? undefined : aliasNames.get(target);
  }
  if (ts.isUnionTypeNode(node)) {
    const kinds = new Set(node.types.map((t) => t.kind));
    if (
      kinds.size === 2 &&
      kinds.has(ts.SyntaxKind.NumberKeyword) &&
      kinds.has(ts.SyntaxKind.StringKeyword)
    )
      return 'util/intstr.IntOrString';
  }
  return undefined;
}

/** core/api/schema/generated-docs.ts: descriptions, required members and aliases, as JSON. */
export async function generateDocs(): Promise<string> {
  const { checker, interfaces, aliases } = readDeclarations();
  const aliasNames = new Map<ts.Symbol, string>();
  const aliasDocs: Record<string, string> = {};
  for (const { name, decl } of aliases) {
    aliasNames.set(checker.getSymbolAtLocation(decl.name)!, name);
    aliasDocs[name] = docOf(checker.getSymbolAtLocation(decl.name)!, checker);
  }
  const types: Record<string, TypeDocs> = {};
  for (const { name, decl } of interfaces) {
    const symbol = checker.getSymbolAtLocation(decl.name)!;
    const properties = checker
      .getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const fields: Record<string, FieldDocs> = {};
    const required: string[] = [];
    for (const p of properties) {
      const alias = aliasOf(p, aliasNames, checker);
      fields[p.name] = alias === undefined ? [docOf(p, checker)] : [docOf(p, checker), alias];
      if ((p.flags & ts.SymbolFlags.Optional) === 0) required.push(p.name);
    }
    types[name] = {
      d: docOf(symbol, checker),
      ...(required.length === 0 ? {} : { r: required }),
      f: fields,
    };
  }
  const json = JSON.stringify({ aliases: aliasDocs, types });
  const text = `/**
 * Generated by test/support/gen-schema.ts from kubernetes-types ${typesVersion()}: do not edit; run
 * \`npm run gen:schema\`. What OpenAPI documents need beyond generated.ts, as one JSON text
 * (parsed on first use, so a process that never serves OpenAPI pays only for reading a string):
 * {aliases: {<alias>: description}, types: {<type>: {d: description, r?: required members,
 * f: {<member>: [description, alias?]}}}}.
 */
export const DOCS_JSON = ${JSON.stringify(json)};
`;
  const options = (await prettier.resolveConfig(DOCS_OUTPUT)) ?? {};
  return prettier.format(text, { ...options, filepath: DOCS_OUTPUT });
}

function literalOf(type: ts.Type, field: string, checker: ts.TypeChecker): string | undefined {
  const p = type.getProperty(field);
  if (p === undefined) return undefined;
  const t = checker.getNonNullableType(checker.getTypeOfSymbol(p));
  return t.isStringLiteral() ? t.value : undefined;
}

function typesVersion(): string {
  const program = ts.sys.readFile(join(TYPES_DIR, 'package.json')) ?? '{}';
  return (JSON.parse(program) as { version?: string }).version ?? 'unknown';
}
