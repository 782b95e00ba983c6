import { z } from 'zod';

/**
 * Field schemas that several record kinds share, so the same thing is named and typed alike.
 * Each is a function: a `.describe()` is attached to the schema instance, so every use needs its
 * own instance to carry its own description.
 */

export const podKey = () => z.string().describe('The pod, as namespace/name.');

export const nodeName = (what = 'The node.') => z.string().describe(what);

export const processName = (what = 'The process.') => z.string().describe(what);

/** A non-negative count or size. */
export const count = (what: string) => z.int().nonnegative().describe(what);

/** A duration or a virtual time, in microseconds (name the field with a `Us` suffix). */
export const micros = (what: string) => z.int().describe(what);

export const probability = (what: string) => z.number().min(0).max(1).describe(what);
