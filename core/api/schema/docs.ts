/**
 * The declarations' descriptions, required members and aliases (generated-docs.ts), parsed on
 * first use: only the OpenAPI documents read them, and most processes never build those.
 */
import { DOCS_JSON } from './generated-docs.ts';

/** A member's description and, when upstream's schema names its type, that alias. */
export type FieldDocs = readonly [string] | readonly [string, string];

export interface TypeDocs {
  /** The type's description. */
  readonly d: string;
  /** Members the declaration does not mark optional. */
  readonly r?: readonly string[];
  readonly f: Readonly<Record<string, FieldDocs>>;
}

export interface SchemaDocs {
  /** The type aliases (Quantity, Time, MicroTime ...) and their descriptions. */
  readonly aliases: Readonly<Record<string, string>>;
  readonly types: Readonly<Record<string, TypeDocs>>;
}

let parsed: SchemaDocs | undefined;

export function schemaDocs(): SchemaDocs {
  parsed ??= JSON.parse(DOCS_JSON) as SchemaDocs;
  return parsed;
}
