/**
 * The part of Go's text/template that scheduler_perf's object templates use
 * (test/integration/scheduler_perf: getSpecFromTextTemplateFile parses each template file with
 * text/template and a small FuncMap, then executes it with {Index, Count, ...templateParams}).
 *
 * Supported, with Go's semantics: text and actions with `{{-`/`-}}` trimming and comments;
 * `if` / `else if` / `else` / `end`, `with` / `else` / `end`; pipelines with `|`, parentheses,
 * fields (`.`, `.a.b`, `$`, `$.a`), int, float, string (quoted and raw), bool and nil literals;
 * Go's builtins eq ne lt le gt ge and or not len print printf; and the arithmetic helpers
 * scheduler_perf's templates call (div, AddInt, SubtractInt, MultiplyInt, DivideInt, Mod,
 * MaxInt, MinInt). Anything else (range, variables, define/template/block, other functions) is
 * refused when the template is parsed, with an error naming it, so a template never renders
 * differently from upstream without saying so. No npm package covers custom functions and `eq`
 * (@ctrl/golang-template has neither), hence this subset.
 */

export class GoTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoTemplateError';
  }
}

type Value = unknown;

type Operand =
  | { readonly kind: 'dot' }
  | { readonly kind: 'field'; readonly root: 'dot' | 'var'; readonly path: readonly string[] }
  | { readonly kind: 'literal'; readonly value: Value }
  | { readonly kind: 'call'; readonly name: string }
  | { readonly kind: 'pipe'; readonly pipeline: Pipeline };

/** One command of a pipeline: a function call with arguments, or a single operand. */
type Command = readonly Operand[];
type Pipeline = readonly Command[];

type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'print'; readonly pipeline: Pipeline }
  | {
      readonly kind: 'if' | 'with';
      readonly pipeline: Pipeline;
      readonly then: readonly Node[];
      readonly otherwise: readonly Node[];
    };

type Fn = (args: readonly Value[]) => Value;

const isInt = (v: Value): v is number => typeof v === 'number' && Number.isInteger(v);

function ints(name: string, args: readonly Value[], arity: number): number[] {
  if (args.length !== arity)
    throw new GoTemplateError(`wrong number of args for ${name}: want ${arity} got ${args.length}`);
  return args.map((a, i) => {
    if (!isInt(a))
      throw new GoTemplateError(
        `error calling ${name}: argument ${i + 1} is ${goString(a)}, not an integer`,
      );
    return a;
  });
}

function divide(name: string, a: number, b: number): number {
  if (b === 0) throw new GoTemplateError(`error calling ${name}: integer divide by zero`);
  return Math.trunc(a / b);
}

/** Go's basic kinds for comparison: eq/lt refuse to compare across kinds. */
function kindOf(v: Value): string {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'number') return isInt(v) ? 'int' : 'float';
  return typeof v;
}

function comparable(name: string, a: Value, b: Value): void {
  const ka = kindOf(a);
  const kb = kindOf(b);
  const numeric = (k: string): boolean => k === 'int' || k === 'float';
  if (ka === kb || (numeric(ka) && numeric(kb))) return;
  throw new GoTemplateError(`error calling ${name}: incompatible types for comparison`);
}

function ordered(name: string, args: readonly Value[]): [number | string, number | string] {
  if (args.length !== 2)
    throw new GoTemplateError(`wrong number of args for ${name}: want 2 got ${args.length}`);
  const [a, b] = args;
  comparable(name, a, b);
  if ((typeof a === 'number' || typeof a === 'string') && typeof a === typeof b)
    return [a, b as number | string];
  throw new GoTemplateError(`error calling ${name}: invalid type for comparison`);
}

const FUNCS: Readonly<Record<string, Fn>> = {
  eq: (args) => {
    if (args.length < 2) throw new GoTemplateError('missing argument for comparison');
    const [first, ...rest] = args;
    return rest.some((x) => {
      comparable('eq', first, x);
      return x === first;
    });
  },
  ne: (args) => {
    if (args.length !== 2)
      throw new GoTemplateError(`wrong number of args for ne: want 2 got ${args.length}`);
    comparable('ne', args[0], args[1]);
    return args[0] !== args[1];
  },
  lt: (args) => {
    const [a, b] = ordered('lt', args);
    return a < b;
  },
  le: (args) => {
    const [a, b] = ordered('le', args);
    return a <= b;
  },
  gt: (args) => {
    const [a, b] = ordered('gt', args);
    return a > b;
  },
  ge: (args) => {
    const [a, b] = ordered('ge', args);
    return a >= b;
  },
  not: (args) => {
    if (args.length !== 1)
      throw new GoTemplateError(`wrong number of args for not: want 1 got ${args.length}`);
    return !truth(args[0]);
  },
  len: (args) => {
    const [v] = args;
    if (args.length !== 1)
      throw new GoTemplateError(`wrong number of args for len: want 1 got ${args.length}`);
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    if (typeof v === 'object' && v !== null) return Object.keys(v).length;
    throw new GoTemplateError(`error calling len: len of type ${kindOf(v)}`);
  },
  print: (args) => goSprint(args),
  printf: (args) => {
    const [format, ...rest] = args;
    if (typeof format !== 'string')
      throw new GoTemplateError('error calling printf: the format is not a string');
    return goSprintf(format, rest);
  },
  div: (args) => {
    const [a, b] = ints('div', args, 2) as [number, number];
    return divide('div', a, b);
  },
  AddInt: (args) => ints('AddInt', args, 2).reduce((a, b) => a + b),
  SubtractInt: (args) => {
    const [a, b] = ints('SubtractInt', args, 2) as [number, number];
    return a - b;
  },
  MultiplyInt: (args) => {
    const [a, b] = ints('MultiplyInt', args, 2) as [number, number];
    return a * b;
  },
  DivideInt: (args) => {
    const [a, b] = ints('DivideInt', args, 2) as [number, number];
    return divide('DivideInt', a, b);
  },
  Mod: (args) => {
    const [a, b] = ints('Mod', args, 2) as [number, number];
    if (b === 0) throw new GoTemplateError('error calling Mod: integer divide by zero');
    return a % b;
  },
  MaxInt: (args) => Math.max(...ints('MaxInt', args, 2)),
  MinInt: (args) => Math.min(...ints('MinInt', args, 2)),
};

/** `and` / `or` are evaluated lazily, as Go's builtins are since 1.18. */
const LAZY = new Set(['and', 'or']);

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false. */
function truth(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** fmt's %v for the values a YAML/JSON environment holds. */
function goString(v: Value): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goNumber(v);
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'object')
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goString((v as Record<string, Value>)[k])}`)
      .join(' ')}]`;
  return String(v);
}

/** Integers print plainly; other float64s in Go's %v ('g' with the shortest exact digits). */
function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21) {
    const [mant, e] = n.toExponential().split('e') as [string, string];
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[+-]/, '').padStart(2, '0');
    return `${mant}e${sign}${digits}`;
  }
  return String(n);
}

/** fmt.Sprint: a space between operands when neither is a string. */
function goSprint(args: readonly Value[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += goString(a);
  });
  return out;
}

/** fmt.Sprintf for %v %s %d %q %%: the verbs a manifest needs. */
function goSprintf(format: string, args: readonly Value[]): string {
  let i = 0;
  return format.replace(/%([%vsdq])/g, (_m, verb: string) => {
    if (verb === '%') return '%';
    const a = args[i++];
    if (i > args.length) return `%!${verb}(MISSING)`;
    if (verb === 'd') return isInt(a) ? String(a) : `%!d(${goString(a)})`;
    if (verb === 'q') return JSON.stringify(goString(a));
    return goString(a);
  });
}

// ---- parsing ---------------------------------------------------------------------------------

const LEFT = '{{';
const RIGHT = '}}';

interface Action {
  readonly body: string;
  readonly line: number;
}

type Piece = { readonly text: string } | { readonly action: Action };

/** Splits the source into text and action bodies, applying `{{-` / `-}}` trimming. */
function split(src: string, name: string): Piece[] {
  const pieces: Piece[] = [];
  let pos = 0;
  let trimNext = false;
  while (pos <= src.length) {
    const open = src.indexOf(LEFT, pos);
    let text = open === -1 ? src.slice(pos) : src.slice(pos, open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    if (open === -1) {
      if (text !== '') pieces.push({ text });
      break;
    }
    const line = src.slice(0, open).split('\n').length;
    let start = open + LEFT.length;
    if (/^-[ \t\r\n]/.test(src.slice(start))) {
      text = text.replace(/[ \t\r\n]+$/, '');
      start += 1;
    }
    if (text !== '') pieces.push({ text });
    const close = findClose(src, start, name, line);
    let end = close;
    trimNext = false;
    if (/[ \t\r\n]-$/.test(src.slice(start, close))) {
      end = close - 1;
      trimNext = true;
    }
    pieces.push({ action: { body: src.slice(start, end).trim(), line } });
    pos = close + RIGHT.length;
  }
  return pieces;
}

/** The `}}` closing an action, skipping quoted strings and comments. */
function findClose(src: string, from: number, name: string, line: number): number {
  let i = from;
  while (i < src.length) {
    const c = src[i];
    if (c === '"' || c === '`') {
      const end = c === '"' ? quotedEnd(src, i) : src.indexOf('`', i + 1);
      if (end === -1) break;
      i = end + 1;
      continue;
    }
    if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      if (end === -1) break;
      i = end + 2;
      continue;
    }
    if (src.startsWith(RIGHT, i)) return i;
    i++;
  }
  throw new GoTemplateError(`template: ${name}:${line}: unclosed action`);
}

function quotedEnd(src: string, start: number): number {
  for (let i = start + 1; i < src.length; i++) {
    if (src[i] === '\\') i++;
    else if (src[i] === '"') return i;
    else if (src[i] === '\n') return -1;
  }
  return -1;
}

type Token =
  | { readonly t: 'dot' }
  | { readonly t: 'field'; readonly root: 'dot' | 'var'; readonly path: readonly string[] }
  | { readonly t: 'ident'; readonly name: string }
  | { readonly t: 'lit'; readonly value: Value }
  | { readonly t: '(' | ')' | '|' | ':=' | '=' | 'var' };

const TOKEN =
  /\s*(?:(\()|(\))|(\|)|(:=)|(=)|("(?:[^"\\\n]|\\.)*")|(`[^`]*`)|(\$[A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)|((?:\.[A-Za-z_][A-Za-z0-9_]*)+)|(\.)|([-+]?(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))|([A-Za-z_][A-Za-z0-9_]*))/y;

function tokenize(body: string, where: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < body.length) {
    if (/^\s*$/.test(body.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(body);
    if (m === null)
      throw new GoTemplateError(`${where}: unexpected ${JSON.stringify(body.slice(pos).trim())}`);
    pos = TOKEN.lastIndex;
    out.push(token(m, where));
  }
  return out;
}

function token(m: RegExpExecArray, where: string): Token {
  if (m[1]) return { t: '(' };
  if (m[2]) return { t: ')' };
  if (m[3]) return { t: '|' };
  if (m[4] || m[5])
    throw new GoTemplateError(`${where}: variables ($x := ...) are not supported by ksim`);
  if (m[6]) return { t: 'lit', value: JSON.parse(m[6]) as string };
  if (m[7]) return { t: 'lit', value: m[7].slice(1, -1) };
  if (m[8]) {
    const [head, ...path] = m[8].split('.');
    if (head !== '$')
      throw new GoTemplateError(
        `${where}: variables ($x := ...) are not supported by ksim (found ${head ?? ''})`,
      );
    return { t: 'field', root: 'var', path };
  }
  if (m[9]) return { t: 'field', root: 'dot', path: m[9].slice(1).split('.') };
  if (m[10]) return { t: 'dot' };
  if (m[11]) return { t: 'lit', value: Number(m[11]) };
  const name = m[12] ?? '';
  if (name === 'true' || name === 'false') return { t: 'lit', value: name === 'true' };
  if (name === 'nil') return { t: 'lit', value: null };
  return { t: 'ident', name };
}

class PipelineParser {
  private i = 0;
  constructor(
    private readonly tokens: readonly Token[],
    private readonly where: string,
  ) {}

  parseAll(): Pipeline {
    const p = this.pipeline();
    if (this.i < this.tokens.length)
      throw new GoTemplateError(`${this.where}: unexpected ${this.tokens[this.i]?.t} in operand`);
    return p;
  }

  private pipeline(): Pipeline {
    const commands: Command[] = [this.command()];
    while (this.tokens[this.i]?.t === '|') {
      this.i++;
      commands.push(this.command());
    }
    return commands;
  }

  private command(): Command {
    const ops: Operand[] = [];
    for (;;) {
      const tok = this.tokens[this.i];
      if (tok === undefined || tok.t === '|' || tok.t === ')') break;
      this.i++;
      ops.push(this.operand(tok, ops.length === 0));
    }
    if (ops.length === 0) throw new GoTemplateError(`${this.where}: missing value for command`);
    const [head] = ops;
    if (ops.length > 1 && head?.kind !== 'call')
      throw new GoTemplateError(`${this.where}: can't give argument to non-function`);
    return ops;
  }

  private operand(tok: Token, first: boolean): Operand {
    switch (tok.t) {
      case 'dot':
        return { kind: 'dot' };
      case 'field':
        return { kind: 'field', root: tok.root, path: tok.path };
      case 'lit':
        return { kind: 'literal', value: tok.value };
      case 'ident':
        if (FUNCS[tok.name] === undefined && !LAZY.has(tok.name))
          throw new GoTemplateError(`${this.where}: function "${tok.name}" not defined`);
        return first
          ? { kind: 'call', name: tok.name }
          : { kind: 'pipe', pipeline: [[{ kind: 'call', name: tok.name }]] };
      case '(': {
        const pipeline = this.pipeline();
        if (this.tokens[this.i]?.t !== ')')
          throw new GoTemplateError(`${this.where}: unclosed left paren`);
        this.i++;
        return { kind: 'pipe', pipeline };
      }
      default:
        throw new GoTemplateError(`${this.where}: unexpected ${tok.t} in operand`);
    }
  }
}

/** Builds the node tree; `stop` names the keywords that end the current list. */
class TreeParser {
  private i = 0;
  constructor(
    private readonly pieces: readonly Piece[],
    private readonly name: string,
  ) {}

  parse(): Node[] {
    const { nodes, end } = this.list();
    if (end !== undefined)
      throw new GoTemplateError(`template: ${this.name}:${end.line}: unexpected {{${end.body}}}`);
    return nodes;
  }

  private list(): { nodes: Node[]; end: Action | undefined } {
    const nodes: Node[] = [];
    while (this.i < this.pieces.length) {
      const p = this.pieces[this.i++] as Piece;
      if ('text' in p) {
        nodes.push({ kind: 'text', text: p.text });
        continue;
      }
      const { body, line } = p.action;
      const where = `template: ${this.name}:${line}`;
      const word = /^[a-z]+/.exec(body)?.[0] ?? '';
      if (body.startsWith('/*')) {
        if (!body.endsWith('*/')) throw new GoTemplateError(`${where}: unclosed comment`);
        continue;
      }
      if (word === 'end' || word === 'else') return { nodes, end: p.action };
      if (word === 'if' || word === 'with') {
        nodes.push(this.branch(word, body.slice(word.length), where));
        continue;
      }
      if (['range', 'define', 'template', 'block', 'break', 'continue'].includes(word))
        throw new GoTemplateError(`${where}: {{${word}}} is not supported by ksim`);
      nodes.push({ kind: 'print', pipeline: pipeline(body, where) });
    }
    return { nodes, end: undefined };
  }

  private branch(kind: 'if' | 'with', cond: string, where: string): Node {
    const then = this.list();
    if (then.end === undefined) throw new GoTemplateError(`${where}: unexpected EOF`);
    let otherwise: Node[] = [];
    const endBody = then.end.body;
    if (endBody === 'else') {
      const rest = this.list();
      if (rest.end?.body !== 'end') throw new GoTemplateError(`${where}: expected end`);
      otherwise = rest.nodes;
    } else if (/^else\s+if\s/.test(endBody)) {
      const inner = `template: ${this.name}:${then.end.line}`;
      otherwise = [this.branch('if', endBody.replace(/^else\s+if/, ''), inner)];
    } else if (endBody !== 'end') {
      throw new GoTemplateError(`${where}: unexpected {{${endBody}}}`);
    }
    return { kind, pipeline: pipeline(cond, where), then: then.nodes, otherwise };
  }
}

function pipeline(body: string, where: string): Pipeline {
  if (body.trim() === '') throw new GoTemplateError(`${where}: missing value`);
  return new PipelineParser(tokenize(body, where), where).parseAll();
}

// ---- execution -------------------------------------------------------------------------------

type Env = Readonly<Record<string, Value>>;

function field(base: Value, path: readonly string[], where: string): Value {
  let v = base;
  for (const key of path) {
    if (v === undefined || v === null)
      throw new GoTemplateError(`${where}: nil pointer evaluating .${key}`);
    if (typeof v !== 'object' || Array.isArray(v))
      throw new GoTemplateError(`${where}: can't evaluate field ${key} in type ${kindOf(v)}`);
    v = Object.hasOwn(v, key) ? (v as Record<string, Value>)[key] : undefined;
  }
  return v;
}

class Executor {
  constructor(
    private readonly root: Env,
    private readonly name: string,
  ) {}

  nodes(list: readonly Node[], dot: Value, out: string[]): void {
    for (const n of list) {
      switch (n.kind) {
        case 'text':
          out.push(n.text);
          break;
        case 'print':
          out.push(goString(this.pipeline(n.pipeline, dot)));
          break;
        case 'if':
        case 'with': {
          const v = this.pipeline(n.pipeline, dot);
          if (truth(v)) this.nodes(n.then, n.kind === 'with' ? v : dot, out);
          else this.nodes(n.otherwise, dot, out);
          break;
        }
      }
    }
  }

  private pipeline(p: Pipeline, dot: Value): Value {
    let prev: { value: Value } | undefined;
    for (const cmd of p) prev = { value: this.command(cmd, dot, prev) };
    return prev?.value;
  }

  private command(cmd: Command, dot: Value, piped: { value: Value } | undefined): Value {
    const [head, ...rest] = cmd;
    if (head === undefined) return undefined;
    if (head.kind !== 'call') {
      if (piped !== undefined)
        throw new GoTemplateError(`template: ${this.name}: can't give argument to non-function`);
      return this.operand(head, dot);
    }
    if (LAZY.has(head.name)) return this.lazy(head.name, rest, dot, piped);
    const args = rest.map((o) => this.operand(o, dot));
    if (piped !== undefined) args.push(piped.value);
    return (FUNCS[head.name] as Fn)(args);
  }

  private lazy(name: string, ops: readonly Operand[], dot: Value, piped?: { value: Value }): Value {
    const thunks: (() => Value)[] = ops.map((o) => () => this.operand(o, dot));
    if (piped !== undefined) thunks.push(() => piped.value);
    if (thunks.length === 0)
      throw new GoTemplateError(`wrong number of args for ${name}: want at least 1 got 0`);
    let v: Value;
    for (const t of thunks) {
      v = t();
      if (name === 'and' ? !truth(v) : truth(v)) return v;
    }
    return v;
  }

  private operand(o: Operand, dot: Value): Value {
    const where = `template: ${this.name}`;
    switch (o.kind) {
      case 'dot':
        return dot;
      case 'field':
        return field(o.root === 'var' ? this.root : dot, o.path, where);
      case 'literal':
        return o.value;
      case 'pipe':
        return this.pipeline(o.pipeline, dot);
      case 'call':
        return (FUNCS[o.name] as Fn)([]);
    }
  }
}

export interface GoTemplate {
  readonly name: string;
  /** Executes the template with `env` as dot and `$`. */
  render(env: Env): string;
}

/** Parses a template; GoTemplateError names the line and what is wrong or unsupported. */
export function parseGoTemplate(src: string, name: string): GoTemplate {
  const tree = new TreeParser(split(src, name), name).parse();
  return {
    name,
    render(env) {
      const out: string[] = [];
      new Executor(env, name).nodes(tree, env, out);
      return out.join('');
    },
  };
}

/** Whether `src` has any action: templates without one are plain YAML. */
export function hasTemplateActions(src: string): boolean {
  return src.includes(LEFT);
}
