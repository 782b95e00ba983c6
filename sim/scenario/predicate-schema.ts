/**
 * The predicate language of scenario expectations (`expect:`) and conditional actions (`when:`):
 * pods by selector, phase, readiness and spread; an object's condition; a count of objects; a
 * JSONPath query over objects. One predicate names exactly one of these.
 */
import { z } from 'zod';
import { isSelectorError, parseSelector } from '../../core/api/selectors.ts';
import { definitionFor, DEFINITIONS } from '../../core/api/kinds/index.ts';
import { duration, obj } from './schema.ts';

const str = z.string();
const int = z.number().int();

/** A label selector as kubectl writes it, checked at load. */
const labelSelector = str
  .superRefine((text, ctx) => {
    const s = parseSelector(text);
    if (isSelectorError(s))
      ctx.addIssue({ code: 'custom', message: `bad label selector: ${s.message}` });
  })
  .describe('A label selector: app=web,tier!=db');

/** A built-in kind the runner can watch (custom resources are not watched by predicates). */
const watchedKind = str
  .refine((kind) => definitionFor(kind) !== undefined, {
    error: (iss) => {
      const kinds = [...new Set(DEFINITIONS.map((d) => d.resource.kind))].sort();
      return `kind ${String(iss.input)} is not served (served kinds: ${kinds.join(', ')})`;
    },
  })
  .describe('A built-in kind (Deployment, Pod, Node, ...)');

const bound = z.number().min(0);

/** A count: exactly n, or within bounds. */
export const countSchema = z
  .union([
    int.min(0),
    obj({
      atLeast: bound.optional().describe('At least this many'),
      atMost: bound.optional().describe('At most this many'),
    }).refine((c) => c.atLeast !== undefined || c.atMost !== undefined, {
      error: 'needs atLeast or atMost',
    }),
  ])
  .describe('Exactly this many, or {atLeast: n} / {atMost: n} / both');

export const podsPredicate = obj({
  namespace: str.optional(),
  labelSelector: labelSelector.optional(),
  phase: z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']).optional(),
  ready: z
    .boolean()
    .optional()
    .describe('Only pods whose Ready condition is (true) or is not (false) True count'),
  minRestarts: int
    .min(0)
    .optional()
    .describe('Only pods whose containers restarted at least this many times in all count'),
  node: str.optional().describe('Only pods bound to this node count'),
  count: countSchema.describe(
    'How many pods match (not counting pods being deleted): a number, or {atLeast, atMost}',
  ),
  minNodes: int.min(0).optional().describe('At least this many distinct nodes run them'),
  maxPerNode: int.min(1).optional().describe('No node runs more than this many of them (spread)'),
}).describe('Pods matching a selector, phase and readiness, counted and spread over nodes');

const conditionPredicate = obj({
  kind: watchedKind,
  name: str,
  namespace: str.optional().describe('Default: default (ignored for cluster-scoped kinds)'),
  condition: str.describe('The condition type: Available, Ready, Progressing, Complete, ...'),
  status: z.enum(['True', 'False', 'Unknown']).optional().describe('Default: True'),
  reason: str.optional().describe('The condition reason must also be this'),
}).describe("An object's status condition has this status");

const objectsPredicate = obj({
  kind: watchedKind,
  namespace: str.optional().describe('Only objects in this namespace (default: every namespace)'),
  labelSelector: labelSelector.optional(),
  count: countSchema.describe('How many exist (not counting objects being deleted)'),
}).describe('A count of objects of a kind');

/**
 * jsonpath-plus reads an unclosed bracket as a name and compiles a filter only when it meets an
 * array, so a load-time check is about balance; a filter that fails at run time is reported in
 * the verdict.
 */
const jsonPathExpression = str.superRefine((path, ctx) => {
  const problem = unbalanced(path);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `bad JSONPath: ${problem}` });
  else if (!path.startsWith('$'))
    ctx.addIssue({ code: 'custom', message: 'bad JSONPath: it starts at the root, $' });
});

/** The first unbalanced bracket or parenthesis outside quotes, if any. */
function unbalanced(path: string): string | undefined {
  const open: string[] = [];
  let quote: string | undefined;
  for (const c of path) {
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '(') open.push(c);
    else if (c === ']' || c === ')') {
      const want = c === ']' ? '[' : '(';
      if (open.pop() !== want) return `unexpected ${c}`;
    }
  }
  if (quote !== undefined) return `unclosed ${quote}`;
  const last = open.pop();
  return last === undefined ? undefined : `unclosed ${last}`;
}

const regex = str.superRefine((text, ctx) => {
  try {
    new RegExp(text);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `bad regular expression: ${(e as Error).message}` });
  }
});

export const JSONPATH_TESTS = ['equals', 'matches', 'atLeast', 'atMost'] as const;

const jsonPathPredicate = obj({
  kind: watchedKind,
  name: str
    .optional()
    .describe('One object; without it the path runs over the list {items: [...]} of the kind'),
  namespace: str.optional().describe('With name: default; without: only objects in this namespace'),
  path: jsonPathExpression.describe(
    'A JSONPath (jsonpath-plus): $.status.readyReplicas, $.items[*].spec.nodeName, ...',
  ),
  equals: z
    .union([str, z.number(), z.boolean(), z.null()])
    .optional()
    .describe('Every value found equals this (compared as text)'),
  matches: regex.optional().describe('Every value found, as text, matches this regular expression'),
  atLeast: z.number().optional().describe('Every value found is a number >= this'),
  atMost: z.number().optional().describe('Every value found is a number <= this'),
})
  .superRefine((p, ctx) => {
    const given = JSONPATH_TESTS.filter((k) => p[k] !== undefined);
    if (given.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message: `needs exactly one of ${JSONPATH_TESTS.join(', ')} (got ${given.length === 0 ? 'none' : given.join(', ')})`,
      });
  })
  .describe(
    'A JSONPath query over an object (or the list of a kind); holds when it finds values and every one passes the test',
  );

/** The predicate fields; a predicate names exactly one of them. */
export const PREDICATE_KINDS = ['pods', 'condition', 'objects', 'jsonPath'] as const;
export type PredicateKind = (typeof PREDICATE_KINDS)[number];

export const predicateShape = {
  pods: podsPredicate.optional(),
  condition: conditionPredicate.optional(),
  objects: objectsPredicate.optional(),
  jsonPath: jsonPathPredicate.optional(),
};

/** "exactly one of pods, condition, objects, jsonPath", as a zod refinement. */
export function exactlyOnePredicate(
  p: Partial<Record<PredicateKind, unknown>>,
  ctx: z.RefinementCtx,
) {
  const given = PREDICATE_KINDS.filter((k) => p[k] !== undefined);
  if (given.length !== 1)
    ctx.addIssue({
      code: 'custom',
      message: `needs exactly one of ${PREDICATE_KINDS.join(', ')} (got ${given.length === 0 ? 'none' : given.join(', ')})`,
    });
}

export const predicateSchema = obj(predicateShape)
  .superRefine(exactlyOnePredicate)
  .describe(`A condition on the cluster: exactly one of ${PREDICATE_KINDS.join(', ')}`);

export const eventuallySchema = obj({
  ...predicateShape,
  within: duration
    .optional()
    .describe('It must hold at some moment at or before this virtual time (default: the end)'),
})
  .superRefine(exactlyOnePredicate)
  .describe('The predicate holds at some moment (the first such moment is reported)');

const windowShape = {
  from: duration.optional().describe('The window starts at this virtual time (default 0)'),
  until: duration.optional().describe('The window ends at this virtual time (default: the end)'),
};

export const alwaysSchema = obj({ ...predicateShape, ...windowShape })
  .superRefine(exactlyOnePredicate)
  .describe('The predicate holds at every moment of the window (the first violation is reported)');

export const neverSchema = obj({ ...predicateShape, ...windowShape })
  .superRefine(exactlyOnePredicate)
  .describe('The predicate holds at no moment of the window (the first violation is reported)');

export type Predicate = z.output<typeof predicateSchema>;
export type PodsPredicate = z.output<typeof podsPredicate>;
export type ConditionPredicate = z.output<typeof conditionPredicate>;
export type ObjectsPredicate = z.output<typeof objectsPredicate>;
export type JsonPathPredicate = z.output<typeof jsonPathPredicate>;
export type Count = z.output<typeof countSchema>;
