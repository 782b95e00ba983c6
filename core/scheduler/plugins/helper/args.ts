/**
 * Reading plugin args out of parsed YAML with errors that name the field
 * ("profiles[0].pluginConfig[1].args.scoringStrategy.type: Unsupported value: ...").
 */
export type ArgsResult<T> = { readonly args: T } | { readonly errors: string[] };

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Field access with type checks; collects errors instead of throwing. */
export class ArgsReader {
  readonly errors: string[] = [];
  private readonly obj: Record<string, unknown>;

  /** `raw` undefined/null reads as `{}` (all defaults). */
  constructor(
    raw: unknown,
    readonly path: string,
    allowedFields: readonly string[],
  ) {
    if (raw === undefined || raw === null) this.obj = {};
    else if (!isPlainObject(raw)) {
      this.errors.push(`${path}: Invalid value: expected an object`);
      this.obj = {};
    } else this.obj = raw;
    const allowed = new Set([...allowedFields, 'apiVersion', 'kind']);
    for (const k of Object.keys(this.obj))
      if (!allowed.has(k)) this.errors.push(`${path}.${k}: Unknown field`);
  }

  has(field: string): boolean {
    return this.obj[field] !== undefined && this.obj[field] !== null;
  }

  raw(field: string): unknown {
    return this.obj[field];
  }

  int(field: string, def: number, min = -Infinity, max = Infinity): number {
    const v = this.obj[field];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.errors.push(
        `${this.path}.${field}: Invalid value: ${JSON.stringify(v)}: must be an integer`,
      );
      return def;
    }
    if (v < min || v > max) {
      this.errors.push(`${this.path}.${field}: Invalid value: ${v}: ${range(min, max)}`);
      return def;
    }
    return v;
  }

  bool(field: string, def: boolean): boolean {
    const v = this.obj[field];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') {
      this.errors.push(
        `${this.path}.${field}: Invalid value: ${JSON.stringify(v)}: must be a boolean`,
      );
      return def;
    }
    return v;
  }

  string(field: string, def: string, oneOf?: readonly string[]): string {
    const v = this.obj[field];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'string') {
      this.errors.push(
        `${this.path}.${field}: Invalid value: ${JSON.stringify(v)}: must be a string`,
      );
      return def;
    }
    if (oneOf !== undefined && !oneOf.includes(v)) {
      this.errors.push(
        `${this.path}.${field}: Unsupported value: ${JSON.stringify(v)}: supported values: ${oneOf.map((x) => JSON.stringify(x)).join(', ')}`,
      );
      return def;
    }
    return v;
  }

  array(field: string): unknown[] | undefined {
    const v = this.obj[field];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) {
      this.errors.push(`${this.path}.${field}: Invalid value: expected a list`);
      return undefined;
    }
    return v;
  }

  stringArray(field: string): string[] {
    const list = this.array(field) ?? [];
    const out: string[] = [];
    list.forEach((x, i) => {
      if (typeof x === 'string') out.push(x);
      else
        this.errors.push(
          `${this.path}.${field}[${i}]: Invalid value: ${JSON.stringify(x)}: must be a string`,
        );
    });
    return out;
  }

  result<T>(args: T, more: readonly string[] = []): ArgsResult<T> {
    const errors = [...this.errors, ...more];
    return errors.length > 0 ? { errors } : { args };
  }
}

function range(min: number, max: number): string {
  if (min !== -Infinity && max !== Infinity) return `must be in the range [${min}, ${max}]`;
  if (min !== -Infinity) return `must be greater than or equal to ${min}`;
  return `must be less than or equal to ${max}`;
}
