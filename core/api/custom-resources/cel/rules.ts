/**
 * x-kubernetes-validations: CEL rules on a CRD's structural schema
 * (staging/src/k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel: compilation.go and
 * validation.go; the checks at CRD write time are pkg/apis/apiextensions/validation).
 * `compileRules` compiles every rule of a version's schema once, with `self` typed by the
 * schema node the rule sits on, and reports what upstream refuses at CRD create/update
 * (empty rules, bad messages and reasons, compile errors, non-bool rules, oldSelf on a part
 * of the schema that cannot be correlated with the old object). The tree it returns validates
 * instances: each rule runs on every value of its node (every item of a list, every value of
 * a map); a transition rule (one naming oldSelf) runs only where the old object has a value
 * at the same place (map keys, listType=map keys), unless optionalOldSelf makes oldSelf an
 * optional.
 *
 * Not modelled: cost estimation and runtime cost budgets (cel-js does not count cost), and
 * the warning upstream gives for a ratcheted rule (validateRules).
 */
import { Optional, type Environment, type ParseResult } from '@marcbachmann/cel-js';
import {
  child,
  fieldDuplicate,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  goLiteral,
  index,
  key,
  type FieldError,
} from '../../field-error.ts';
import { deepEqual } from '../../meta-validation.ts';
import { isObject, type Schema, type ValidationRule } from '../schema.ts';
import { DeclTypes, celTypeName, toCel, type DeclType } from './decl-types.ts';
import { baseEnvironment, functionNames } from './library.ts';

const REASONS = [
  'FieldValueDuplicate',
  'FieldValueForbidden',
  'FieldValueInvalid',
  'FieldValueRequired',
];

/** validation.go: the root of an error for the whole object (a nil field.Path). */
const ROOT_PATH = '<nil>';

interface CompiledRule {
  readonly rule: ValidationRule;
  readonly program: ParseResult;
  readonly message: ParseResult | undefined;
  readonly usesOldSelf: boolean;
  /** fieldPath as a field path relative to the node ("spec.replicas"), or "". */
  readonly fieldPath: string;
}

/** The rules of one schema node and of the nodes below it that have any. */
export interface RuleNode {
  /** The schema's type, which upstream reports as the bad value ("object"). */
  readonly schemaType: string;
  readonly type: DeclType;
  readonly rules: readonly CompiledRule[];
  readonly properties: ReadonlyMap<string, RuleNode>;
  readonly items: RuleNode | undefined;
  readonly additionalProperties: RuleNode | undefined;
  /** The keys a listType=map list's items are matched to the old list's by. */
  readonly listMapKeys: readonly string[] | undefined;
}

export interface CompiledRules {
  /** What a CRD write is refused for, at paths under `path`. */
  readonly errors: readonly FieldError[];
  /** Undefined when the schema has no rules. */
  readonly root: RuleNode | undefined;
}

/** A compiled schema's rules, cached by schema object: definitions are rebuilt often. */
const cache = new WeakMap<object, CompiledRules>();

/** The rules of `schema` (a version's openAPIV3Schema), with errors at paths under `path`. */
export function compileRules(schema: Schema, path: string): CompiledRules {
  if (!hasRules(schema)) return { errors: [], root: undefined };
  const cached = cache.get(schema);
  if (cached !== undefined && path === '') return cached;
  const types = new DeclTypes();
  const rootType = types.declare(schema, true);
  const env = types.register(baseEnvironment());
  const compiler = new Compiler(env, functionNames(env));
  const errors: FieldError[] = [];
  const root = compiler.node(schema, rootType, path, undefined, errors);
  const out = { errors, root };
  if (path === '') cache.set(schema, out);
  return out;
}

function hasRules(s: Schema): boolean {
  if ((s['x-kubernetes-validations'] ?? []).length > 0) return true;
  if (Object.values(s.properties ?? {}).some(hasRules)) return true;
  if (s.items !== undefined && hasRules(s.items)) return true;
  return typeof s.additionalProperties === 'object' && hasRules(s.additionalProperties);
}

class Compiler {
  /** Environments by the type of self, with oldSelf plain and optional. */
  private readonly envs = new Map<string, { plain: Environment; optional: Environment }>();

  constructor(
    private readonly base: Environment,
    private readonly known: ReadonlySet<string>,
  ) {}

  node(
    s: Schema,
    type: DeclType,
    path: string,
    uncorrelatable: string | undefined,
    errs: FieldError[],
  ): RuleNode | undefined {
    const rules = this.rules(s, type, path, uncorrelatable, errs);
    const properties = new Map<string, RuleNode>();
    for (const [name, sub] of Object.entries(s.properties ?? {})) {
      const n = this.node(
        sub,
        fieldType(type, name),
        key(child(path, 'properties'), name),
        uncorrelatable,
        errs,
      );
      if (n !== undefined) properties.set(name, n);
    }
    const listMapKeys =
      s['x-kubernetes-list-type'] === 'map' ? (s['x-kubernetes-list-map-keys'] ?? []) : undefined;
    const itemsPath = child(path, 'items');
    const items =
      s.items === undefined
        ? undefined
        : this.node(
            s.items,
            elemType(type),
            itemsPath,
            uncorrelatable ?? (listMapKeys === undefined ? itemsPath : undefined),
            errs,
          );
    const values = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
    const additionalProperties =
      values === undefined
        ? undefined
        : this.node(
            values,
            elemType(type),
            child(path, 'additionalProperties'),
            uncorrelatable,
            errs,
          );
    if (rules.length === 0 && properties.size === 0 && !items && !additionalProperties)
      return undefined;
    return {
      schemaType: s.type ?? '',
      type,
      rules,
      properties,
      items,
      additionalProperties,
      listMapKeys,
    };
  }

  private rules(
    s: Schema,
    type: DeclType,
    path: string,
    uncorrelatable: string | undefined,
    errs: FieldError[],
  ): CompiledRule[] {
    const out: CompiledRule[] = [];
    (s['x-kubernetes-validations'] ?? []).forEach((rule, i) => {
      const p = index(child(path, 'x-kubernetes-validations'), i);
      const before = errs.length;
      errs.push(...ruleShapeErrors(rule, s, p));
      const compiled = this.compile(rule, type, p, uncorrelatable, errs);
      if (compiled !== undefined && errs.length === before) out.push(compiled);
    });
    return out;
  }

  private compile(
    rule: ValidationRule,
    type: DeclType,
    path: string,
    uncorrelatable: string | undefined,
    errs: FieldError[],
  ): CompiledRule | undefined {
    const text = (rule.rule ?? '').trim();
    if (text === '') return undefined;
    const envs = this.environments(type);
    const env = rule.optionalOldSelf === true ? envs.optional : envs.plain;
    const program = this.check(env, text, 'bool');
    if (typeof program === 'string') {
      errs.push(fieldInvalid(child(path, 'rule'), ruleLiteral(rule), program));
      return undefined;
    }
    let message: ParseResult | undefined;
    if ((rule.messageExpression ?? '').trim() !== '') {
      const m = this.check(envs.plain, (rule.messageExpression ?? '').trim(), 'string');
      if (typeof m === 'string') {
        errs.push(
          fieldInvalid(
            child(path, 'messageExpression'),
            ruleLiteral(rule),
            m.startsWith('compilation failed: ') ? `messageExpression ${m}` : m,
          ),
        );
        return undefined;
      }
      message = m;
    }
    const usesOldSelf = mentions(program.ast, 'oldSelf');
    if (usesOldSelf && uncorrelatable !== undefined) {
      errs.push(
        fieldInvalid(
          child(path, 'rule'),
          rule.rule,
          `oldSelf cannot be used on the uncorrelatable portion of the schema within ${uncorrelatable}`,
        ),
      );
      return undefined;
    }
    if (!usesOldSelf && rule.optionalOldSelf !== undefined) {
      errs.push(
        fieldInvalid(
          child(path, 'optionalOldSelf'),
          rule.optionalOldSelf,
          'may not be set if oldSelf is not used in rule',
        ),
      );
      return undefined;
    }
    return {
      rule,
      program,
      message,
      usesOldSelf,
      fieldPath: normalizedFieldPath(rule.fieldPath),
    };
  }

  private environments(type: DeclType): { plain: Environment; optional: Environment } {
    const name = celTypeName(type);
    let envs = this.envs.get(name);
    if (envs === undefined) {
      envs = {
        plain: this.base.clone().registerVariable('self', name).registerVariable('oldSelf', name),
        optional: this.base
          .clone()
          .registerVariable('self', name)
          .registerVariable('oldSelf', `optional<${name}>`),
      };
      this.envs.set(name, envs);
    }
    return envs;
  }

  /** The parsed program, or the compile error as upstream words it. */
  private check(env: Environment, text: string, want: 'bool' | 'string'): ParseResult | string {
    let program: ParseResult;
    try {
      program = env.parse(text);
    } catch (e) {
      return compileFailure(text, e, this.known);
    }
    const result = program.check();
    if (!result.valid) return compileFailure(text, result.error, this.known);
    if (result.type !== want)
      return want === 'bool'
        ? 'cel expression must evaluate to a bool'
        : 'must evaluate to a string';
    return program;
  }
}

function fieldType(t: DeclType, property: string): DeclType {
  if (t.kind !== 'object') return { kind: 'dyn' };
  for (const f of t.fields.values()) if (f.property === property) return f.type;
  return { kind: 'dyn' };
}

function elemType(t: DeclType): DeclType {
  return t.kind === 'list' || t.kind === 'map' ? t.elem : { kind: 'dyn' };
}

/** The checks of a rule's other fields (ValidateCustomResourceDefinitionOpenAPISchema). */
function ruleShapeErrors(rule: ValidationRule, s: Schema, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const text = (rule.rule ?? '').trim();
  const message = rule.message ?? '';
  const trimmed = message.trim();
  if (text === '') errs.push(fieldRequired(child(path, 'rule'), 'rule is not specified'));
  else if (message.length > 0 && trimmed === '')
    errs.push(
      fieldInvalid(child(path, 'message'), message, 'message must be non-empty if specified'),
    );
  else if (trimmed.includes('\n'))
    errs.push(
      fieldInvalid(child(path, 'message'), message, 'message must not contain line breaks'),
    );
  else if (text.includes('\n') && trimmed === '')
    errs.push(
      fieldRequired(
        child(path, 'message'),
        'message must be specified if rule contains line breaks',
      ),
    );
  const messageExpression = rule.messageExpression ?? '';
  if (messageExpression.length > 0 && messageExpression.trim() === '')
    errs.push(
      fieldRequired(
        child(path, 'messageExpression'),
        'messageExpression must be non-empty if specified',
      ),
    );
  if (rule.reason !== undefined && !REASONS.includes(rule.reason))
    errs.push(fieldNotSupported(child(path, 'reason'), rule.reason, REASONS));
  const fieldPath = rule.fieldPath ?? '';
  if (fieldPath.length > 0 && fieldPath.trim() === '')
    errs.push(
      fieldInvalid(child(path, 'fieldPath'), fieldPath, 'fieldPath must be non-empty if specified'),
    );
  else if (fieldPath.includes('\n'))
    errs.push(
      fieldInvalid(child(path, 'fieldPath'), fieldPath, 'fieldPath must not contain line breaks'),
    );
  else if (fieldPath.length > 0 && resolveFieldPath(fieldPath, s) === undefined)
    errs.push(fieldInvalid(child(path, 'fieldPath'), fieldPath, 'fieldPath must be a valid path'));
  return errs;
}

/** A rule as Go prints an apiextensions.ValidationRule with %#v, upstream's bad value. */
function ruleLiteral(r: ValidationRule): object {
  const str = (v: string | undefined): string => JSON.stringify(v ?? '');
  const reason =
    r.reason === undefined
      ? '(*apiextensions.FieldValueErrorReason)(nil)'
      : `(*apiextensions.FieldValueErrorReason)(${JSON.stringify(r.reason)})`;
  const optional =
    r.optionalOldSelf === undefined ? '(*bool)(nil)' : `(*bool)(${String(r.optionalOldSelf)})`;
  return goLiteral(
    `apiextensions.ValidationRule{Rule:${str(r.rule)}, Message:${str(r.message)}, ` +
      `MessageExpression:${str(r.messageExpression)}, Reason:${reason}, ` +
      `FieldPath:${str(r.fieldPath)}, OptionalOldSelf:${optional}}`,
  );
}

interface LocatedError {
  readonly message: string;
  readonly summary?: string;
  readonly range?: { readonly start: number };
}

/** cel-go's issues.String(): "ERROR: <input>:1:6: message" and the line with a caret. */
function compileFailure(text: string, e: unknown, known: ReadonlySet<string>): string {
  const err = (e ?? {}) as LocatedError;
  const summary = celGoWording(err.summary ?? err.message.split('\n')[0] ?? '', known);
  const offset = err.range?.start ?? 0;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1);
  const source = text.split('\n')[line - 1] ?? '';
  return (
    `compilation failed: ERROR: <input>:${line}:${column + 1}: ${summary}\n` +
    ` | ${source}\n | ${'.'.repeat(column)}^`
  );
}

const OPERATORS: Readonly<Record<string, string>> = {
  '+': '_+_',
  '-': '_-_',
  '*': '_*_',
  '/': '_/_',
  '%': '_%_',
  '<': '_<_',
  '<=': '_<=_',
  '>': '_>_',
  '>=': '_>=_',
  '==': '_==_',
  '!=': '_!=_',
  in: '@in',
};

/** cel-js's messages in cel-go's words, for the messages rule authors meet most. */
function celGoWording(summary: string, known: ReadonlySet<string>): string {
  const noKey = /^No such key: (.*)$/.exec(summary);
  if (noKey) return `undefined field '${noKey[1]}'`;
  const unknownVar = /^Unknown variable: (.*)$/.exec(summary);
  if (unknownVar) return `undeclared reference to '${unknownVar[1]}' (in container '')`;
  const call = /^found no matching overload for '(?:.*\.)?([A-Za-z_][A-Za-z0-9_]*)\(/.exec(summary);
  if (call?.[1] !== undefined && !known.has(call[1]))
    return `undeclared reference to '${call[1]}' (in container '')`;
  const op = /^no such overload: (\S+) (\S+) (\S+)$/.exec(summary);
  if (op?.[2] !== undefined && OPERATORS[op[2]] !== undefined)
    return `found no matching overload for '${OPERATORS[op[2]]}' applied to '(${op[1]}, ${op[3]})'`;
  return summary;
}

/** Whether the expression names the variable `name` anywhere. */
function mentions(node: unknown, name: string): boolean {
  if (Array.isArray(node)) return node.some((n) => mentions(n, name));
  if (typeof node !== 'object' || node === null) return false;
  const n = node as { op?: unknown; args?: unknown };
  if (n.op === 'id' && n.args === name) return true;
  return mentions(n.args, name);
}

type PathStep = { readonly kind: 'field' | 'key'; readonly name: string };

/**
 * validation.go ValidFieldPath: `.a.b`, `['a.b']` steps through properties (a field) or
 * additionalProperties (a key) of the schema; undefined when the path names nothing there.
 */
function resolveFieldPath(path: string, s: Schema): PathStep[] | undefined {
  const steps: PathStep[] = [];
  let rest = path;
  let at: Schema | undefined = s;
  while (rest.length > 0) {
    const m = /^(?:\.([^.[\]]+)|\['((?:[^'\\]|\\.)*)'\])/.exec(rest);
    if (m === null || at === undefined) return undefined;
    const name = m[1] ?? (m[2] as string).replace(/\\(.)/g, '$1');
    rest = rest.slice(m[0].length);
    if (at.properties !== undefined) {
      at = at.properties[name];
      if (at === undefined) return undefined;
      steps.push({ kind: 'field', name });
    } else if (typeof at.additionalProperties === 'object') {
      at = at.additionalProperties;
      steps.push({ kind: 'key', name });
    } else return undefined;
  }
  return steps;
}

function normalizedFieldPath(fieldPath: string | undefined): string {
  const text = (fieldPath ?? '').trim();
  if (text === '') return '';
  let out = '';
  const re = /\.([^.[\]]+)|\['((?:[^'\\]|\\.)*)'\]/g;
  for (const m of text.matchAll(re)) {
    const name = m[1] ?? (m[2] as string).replace(/\\(.)/g, '$1');
    out = m[1] !== undefined ? child(out, name) : key(out, name);
  }
  return out;
}

/**
 * The rule errors of an instance (`old` for an update): upstream's Validator.Validate with
 * the root at a nil field path. Validation ratcheting (CRDValidationRatcheting, on by default
 * since 1.30): a rule that does not name oldSelf and fails on a value the update left as it
 * was (or inside an unchanged value that cannot be correlated, such as a list that is not a
 * map) does not fail the update; upstream warns about it, ksim says nothing.
 */
export function validateRules(root: RuleNode, obj: unknown, old: unknown): FieldError[] {
  const errs: FieldError[] = [];
  validateNode(root, '', obj, old, unchanged(obj, old), errs);
  return errs;
}

function unchanged(v: unknown, old: unknown): boolean {
  return old !== undefined && deepEqual(v, old);
}

function validateNode(
  n: RuleNode,
  path: string,
  v: unknown,
  old: unknown,
  same: boolean,
  errs: FieldError[],
): void {
  if (v === undefined || v === null) return;
  if (n.rules.length > 0) evaluateRules(n, path, v, old, same, errs);
  if (Array.isArray(v)) {
    const items = n.items;
    if (items === undefined) return;
    v.forEach((item, i) => {
      if (n.listMapKeys === undefined) {
        validateNode(items, index(path, i), item, undefined, same, errs);
        return;
      }
      const oldItem = correlatedItem(n.listMapKeys, item, old);
      validateNode(items, index(path, i), item, oldItem, unchanged(item, oldItem), errs);
    });
    return;
  }
  if (!isObject(v)) return;
  const oldMap = isObject(old) ? old : undefined;
  for (const [k, value] of Object.entries(v)) {
    const sub = n.properties.get(k) ?? n.additionalProperties;
    if (sub === undefined) continue;
    const p = n.properties.has(k) ? child(path, k) : key(path, k);
    const oldValue = oldMap?.[k];
    validateNode(sub, p, value, oldValue, unchanged(value, oldValue), errs);
  }
}

/** The old list's item with the same map keys (listType=map), or nothing to compare with. */
function correlatedItem(keys: readonly string[], item: unknown, old: unknown): unknown {
  if (!Array.isArray(old) || !isObject(item)) return undefined;
  return old.find((o) => isObject(o) && keys.every((k) => o[k] === item[k]));
}

function evaluateRules(
  n: RuleNode,
  path: string,
  v: unknown,
  old: unknown,
  same: boolean,
  errs: FieldError[],
): void {
  const at = path === '' ? ROOT_PATH : path;
  const self = toCel(v, n.type);
  const oldSelf = old === undefined || old === null ? undefined : toCel(old, n.type);
  for (const c of n.rules) {
    const optional = c.rule.optionalOldSelf === true;
    if (c.usesOldSelf && oldSelf === undefined && !optional) continue;
    const activation = {
      self,
      oldSelf: optional
        ? oldSelf === undefined
          ? Optional.none()
          : Optional.of(oldSelf)
        : oldSelf,
    };
    let result: unknown;
    try {
      result = c.program(activation);
    } catch (e) {
      errs.push(
        fieldInvalid(
          at,
          n.schemaType,
          `${runtimeWording(e)} evaluating rule: ${ruleErrorString(c.rule)}`,
        ),
      );
      continue;
    }
    if (result === true || (same && !c.usesOldSelf)) continue;
    const target = c.fieldPath === '' ? at : path === '' ? c.fieldPath : child(path, c.fieldPath);
    const detail = messageOf(c, { self, oldSelf }) ?? ruleMessageOrDefault(c.rule);
    errs.push(errorForReason(target, n.schemaType, detail, c.rule.reason));
  }
}

/** evalMessageExpression: a failed or unusable message falls back to the rule's message. */
function messageOf(c: CompiledRule, activation: Record<string, unknown>): string | undefined {
  if (c.message === undefined) return undefined;
  let m: unknown;
  try {
    m = c.message(activation);
  } catch {
    return undefined;
  }
  if (typeof m !== 'string') return undefined;
  const trimmed = m.trim();
  if (trimmed === '' || trimmed.includes('\n') || trimmed.length > 5 * 1024) return undefined;
  return trimmed;
}

function runtimeWording(e: unknown): string {
  const err = (e ?? {}) as LocatedError;
  const summary = err.summary ?? String(err.message ?? e).split('\n')[0] ?? '';
  const noKey = /^No such key: (.*)$/.exec(summary);
  return noKey ? `no such key: ${noKey[1]}` : summary;
}

function errorForReason(
  path: string,
  schemaType: string,
  detail: string,
  reason: string | undefined,
): FieldError {
  switch (reason) {
    case 'FieldValueForbidden':
      return fieldForbidden(path, detail);
    case 'FieldValueRequired':
      return fieldRequired(path, detail);
    case 'FieldValueDuplicate':
      return fieldDuplicate(path, schemaType);
    default:
      return fieldInvalid(path, schemaType, detail);
  }
}

function ruleMessageOrDefault(rule: ValidationRule): string {
  const message = (rule.message ?? '').trim();
  return message === '' ? `failed rule: ${ruleErrorString(rule)}` : message;
}

function ruleErrorString(rule: ValidationRule): string {
  const message = (rule.message ?? '').trim();
  return message === '' ? (rule.rule ?? '').trim() : message;
}
