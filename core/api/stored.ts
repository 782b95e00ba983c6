/**
 * Object types of the kinds ksim takes from `kubernetes-types` (the upstream API's own
 * TypeScript shapes) instead of writing them by hand: `Stored<T>` is an upstream type as the
 * API server stores and hands it out — apiVersion and kind required, ksim's ObjectMeta, and
 * every field read-only, because stored objects are shared and immutable (DESIGN.md §8).
 *
 * Where a kind embeds a shape ksim already models with stricter types (a pod template, a label
 * selector), the kind's file replaces that field with ksim's type through `Stored<T, Override>`.
 */
import type { ObjectMeta } from './meta-types.ts';

type Primitive = string | number | boolean | bigint | symbol | null | undefined;

export type DeepReadonly<T> = T extends Primitive
  ? T
  : T extends readonly (infer E)[]
    ? readonly DeepReadonly<E>[]
    : { readonly [K in keyof T]: DeepReadonly<T[K]> };

interface UpstreamObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: unknown;
}

export type Stored<T extends UpstreamObject, Override extends object = object> = DeepReadonly<
  Omit<T, 'apiVersion' | 'kind' | 'metadata' | keyof Override>
> &
  Readonly<Override> & {
    readonly apiVersion: NonNullable<T['apiVersion']>;
    readonly kind: NonNullable<T['kind']>;
    readonly metadata: ObjectMeta;
  };
