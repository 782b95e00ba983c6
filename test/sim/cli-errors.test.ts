/**
 * The CLI's contract with scripts: usage errors exit 2 naming the option at fault, every error
 * goes to stderr, --json keeps stdout one JSON document in every case, a terminal gets a
 * progress display that does not change the run.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../sim/cli/main.ts';
import { runScenario } from '../../sim/scenario/run.ts';
import { parseScenario } from '../../sim/scenario/scenario.ts';

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function ksim(args: readonly string[], terminal?: NodeJS.WriteStream): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'ksim', ...args], (s) => out.push(s), {
    err: (s) => err.push(s),
    ...(terminal === undefined ? {} : { terminal }),
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

const dir = mkdtempSync(join(tmpdir(), 'ksim-cli-errors-'));
const QUICKSTART = 'scenarios/quickstart.yaml';

describe('usage errors exit 2, name the option at fault and go to stderr', () => {
  const cases: [string, string[], string][] = [
    [
      'a count that is not a number',
      ['bench', 'kernel', '--events', 'lots'],
      `ksim: option '--events <n>' argument 'lots' is invalid. expected a positive integer, got "lots"`,
    ],
    [
      'a negative seed',
      ['run', QUICKSTART, '--seed', '-1'],
      `ksim: option '--seed <n>' argument '-1' is invalid. expected a non-negative integer, got "-1"`,
    ],
    [
      'a trace level that does not exist',
      ['run', QUICKSTART, '--trace-level', 'lots'],
      `ksim: option '--trace-level <level>' argument 'lots' is invalid. expected one of info, debug, got "lots"`,
    ],
    ['an unknown option', ['run', QUICKSTART, '--bogus'], `ksim: unknown option '--bogus'`],
    ['a missing argument', ['run'], `ksim: missing required argument 'scenario'`],
    ['an unknown command', ['walk'], `ksim: unknown command 'walk'`],
    [
      'a trace path that cannot be written',
      ['run', QUICKSTART, '--trace', '/nonexistent-dir/t.jsonl'],
      'ksim: cannot write trace /nonexistent-dir/t.jsonl: no such file or directory',
    ],
    [
      'a report path that cannot be written, found before the run',
      ['run', QUICKSTART, '--report', '/nonexistent-dir/r.html'],
      'ksim: cannot write report /nonexistent-dir/r.html: no such file or directory',
    ],
    [
      'a workload filter that is not a regular expression',
      [
        'bench',
        'scheduler',
        'scenarios/bench/scheduler/misc/performance-config.yaml',
        '--workload',
        '(',
      ],
      'ksim: --workload: not a regular expression: Invalid regular expression: /(/: Unterminated group',
    ],
  ];
  it.each(cases)('%s', async (_, args, firstLine) => {
    const r = await ksim(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(firstLine);
  });

  it('ksim serve on a port in use says so in one line', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = await ksim([
        'serve',
        QUICKSTART,
        '--port',
        String(port),
        '--plain-http',
        '--kubeconfig',
        join(dir, 'busy.kubeconfig'),
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`ksim: cannot listen on 127.0.0.1:${port}: address already in use`);
    } finally {
      busy.close();
    }
  });

  it('ksim with no command prints its help on stderr and exits 2; --help exits 0', async () => {
    const bare = await ksim([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Usage: ksim [options] [command]');
    const help = await ksim(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: ksim run [options] <scenario>');
    expect(help.stderr).toBe('');
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(await ksim(['--version'])).toEqual({ code: 0, stdout: version, stderr: '' });
  });
});

describe('--json: stdout is one JSON document in every case', () => {
  it('a passing run: the report', async () => {
    const r = await ksim(['run', QUICKSTART, '--seed', '2', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { passed: boolean; seed: number; reproduce?: string };
    expect(doc).toMatchObject({ passed: true, seed: 2 });
    expect(doc.reproduce).toBeUndefined();
  });

  it('a failing run: the report with the reproducing command inside it', async () => {
    const strict = join(dir, 'strict.yaml');
    writeFileSync(
      strict,
      readFileSync(QUICKSTART, 'utf8').replace('count: 5, minNodes: 2', 'count: 6, minNodes: 2'),
    );
    const r = await ksim(['run', strict, '--seed', '7', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      passed: false,
      reproduce: `ksim run ${strict} --seed 7`,
    });
  });

  it('bad input and usage errors: an error document, and the line on stderr', async () => {
    const missing = await ksim(['run', join(dir, 'missing.yaml'), '--json']);
    expect(missing.code).toBe(2);
    const message = `cannot read scenario ${join(dir, 'missing.yaml')}: no such file or directory`;
    expect(JSON.parse(missing.stdout)).toEqual({ error: { message, exitCode: 2 } });
    expect(missing.stderr).toBe(`ksim: ${message}`);
    const usage = await ksim(['run', QUICKSTART, '--json', '--seed', 'x']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout)).toMatchObject({ error: { exitCode: 2 } });
  });
});

/** A stream that says it is a terminal and keeps what is drawn on it. */
function fakeTerminal(): { terminal: NodeJS.WriteStream; drawn: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  Object.assign(stream, { isTTY: true, columns: 160 });
  return { terminal: stream as unknown as NodeJS.WriteStream, drawn: () => chunks.join('') };
}

describe('progress on a terminal', () => {
  it('draws virtual time and events, and the run is the same as without it', async () => {
    const sha = (s: string) => /sha256 ([0-9a-f]{64})/.exec(s)?.[1];
    const plain = await ksim(['run', QUICKSTART, '--seed', '4']);
    const { terminal, drawn } = fakeTerminal();
    const shown = await ksim(['run', QUICKSTART, '--seed', '4'], terminal);
    expect(shown.code).toBe(0);
    expect(drawn()).toMatch(/virtual 0\.000s of 120\.000s {2}0 events/);
    expect(sha(shown.stdout)).toBeDefined();
    expect(sha(shown.stdout)).toBe(sha(plain.stdout));
  });

  it('the run reports its progress every n events, in order, and runs the same events', async () => {
    const scenario = parseScenario(readFileSync(QUICKSTART, 'utf8'), QUICKSTART);
    const reports: [number, number][] = [];
    const shown = await runScenario(scenario, {
      seed: 4,
      onProgress: (us, events) => reports.push([us, events]),
      progressEvents: 1_000,
    });
    const plain = await runScenario(scenario, { seed: 4 });
    expect(shown.traceHash).toBe(plain.traceHash);
    expect(reports.length).toBe(Math.floor(plain.events / 1_000));
    expect(reports.length).toBeGreaterThan(2);
    expect(reports.map(([, events]) => events)).toEqual(reports.map((_, i) => (i + 1) * 1_000));
    const times = reports.map(([us]) => us);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times.at(-1)).toBeLessThanOrEqual(120_000_000);
  });

  it('--quiet draws nothing', async () => {
    const { terminal, drawn } = fakeTerminal();
    const r = await ksim(['run', QUICKSTART, '--seed', '4', '--quiet'], terminal);
    expect(r.code).toBe(0);
    expect(drawn()).toBe('');
  });
});
