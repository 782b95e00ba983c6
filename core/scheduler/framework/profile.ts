/**
 * What a framework is built from: a profile resolved by the config loader (multiPoint
 * expanded, defaults merged, args validated) and a registry of plugin factories.
 */
import type { Handle } from './handle.ts';
import type { Plugin } from './interface.ts';

export const EXTENSION_POINTS = [
  'preEnqueue',
  'queueSort',
  'preFilter',
  'filter',
  'postFilter',
  'preScore',
  'score',
  'reserve',
  'permit',
  'preBind',
  'bind',
  'postBind',
] as const;

export type ExtensionPoint = (typeof EXTENSION_POINTS)[number];

export interface ResolvedProfile {
  readonly schedulerName: string;
  /** 1..100, or 0 for upstream's adaptive default. */
  readonly percentageOfNodesToScore: number;
  /** Plugin names per extension point, in run order. */
  readonly points: Readonly<Record<ExtensionPoint, readonly string[]>>;
  /** Score weights by plugin name (>= 1). */
  readonly scoreWeights: ReadonlyMap<string, number>;
  /** Validated, defaulted args by plugin name. */
  readonly pluginArgs: ReadonlyMap<string, unknown>;
}

export interface RegistryEntry {
  /** The extension points the plugin implements (drives multiPoint expansion). */
  readonly points: readonly ExtensionPoint[];
  /** Upstream's args kind ("NodeResourcesFitArgs"), when the plugin takes args. */
  readonly argsKind?: string;
  /** Defaults and validates args; returns the args or error messages naming the bad field. */
  readonly parseArgs?: (raw: unknown, path: string) => { args: unknown } | { errors: string[] };
  readonly factory: (args: unknown, handle: Handle) => Plugin;
}

export type Registry = ReadonlyMap<string, RegistryEntry>;
