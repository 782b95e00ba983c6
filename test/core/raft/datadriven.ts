/**
 * A minimal data-driven test format in the spirit of cockroachdb/datadriven, as used by
 * etcd-io/raft: a script of commands, each followed by `----` and its expected output, ended
 * by a blank line. Lines starting with `#` and blank lines between cases are kept verbatim.
 *
 *   # comment
 *   add-nodes 3 voters=(1,2,3) index=2
 *   ----
 *   ok
 *
 * Arguments: `word`, `key=value`, `key=(a,b,c)`, `(a,b)` (a group with an empty key).
 */

export interface CommandArg {
  readonly key: string;
  readonly vals: readonly string[];
}

export interface TestCase {
  readonly cmd: string;
  readonly args: readonly CommandArg[];
  /** 1-based line of the command, for error messages. */
  readonly line: number;
  readonly expected: string;
}

type Segment =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'case'; readonly commandLine: string; readonly testCase: TestCase };

export interface Script {
  readonly segments: readonly Segment[];
}

export function parseScript(text: string, fileName: string): Script {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const segments: Segment[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (line.trim() === '' || line.startsWith('#')) {
      segments.push({ kind: 'text', text: line });
      i++;
      continue;
    }
    if (lines[i + 1] !== '----')
      throw new Error(`${fileName}:${i + 1}: expected ---- after command`);
    const out: string[] = [];
    let j = i + 2;
    while (j < lines.length && (lines[j] as string).trim() !== '') out.push(lines[j++] as string);
    const { cmd, args } = parseCommand(line, `${fileName}:${i + 1}`);
    segments.push({
      kind: 'case',
      commandLine: line,
      testCase: { cmd, args, line: i + 1, expected: out.join('\n') },
    });
    i = j;
  }
  return { segments };
}

export function parseCommand(line: string, where: string): { cmd: string; args: CommandArg[] } {
  const tokens = line.trim().split(/\s+/);
  const cmd = tokens.shift();
  if (cmd === undefined) throw new Error(`${where}: empty command`);
  const args = tokens.map((tok): CommandArg => {
    const eq = tok.indexOf('=');
    const key = eq < 0 ? (tok.startsWith('(') ? '' : tok) : tok.slice(0, eq);
    const raw = eq < 0 ? (tok.startsWith('(') ? tok : '') : tok.slice(eq + 1);
    if (raw === '') return { key, vals: [] };
    if (raw.startsWith('(')) {
      if (!raw.endsWith(')')) throw new Error(`${where}: unbalanced parentheses in ${tok}`);
      const inner = raw.slice(1, -1);
      return { key, vals: inner === '' ? [] : inner.split(',') };
    }
    return { key, vals: [raw] };
  });
  return { cmd, args };
}

/** Runs every case through `handle`; returns the script text with actual outputs. */
export function runScript(script: Script, handle: (tc: TestCase) => string): string {
  const out: string[] = [];
  for (const seg of script.segments) {
    if (seg.kind === 'text') {
      out.push(seg.text);
      continue;
    }
    let actual = handle(seg.testCase).replace(/\n+$/, '');
    if (actual === '') actual = 'ok';
    if (actual.split('\n').some((l) => l.trim() === '')) {
      throw new Error(`line ${seg.testCase.line}: output must not contain blank lines`);
    }
    out.push(seg.commandLine, '----', actual);
  }
  return out.join('\n') + '\n';
}
