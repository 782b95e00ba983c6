/**
 * `ksim replay-session <scenario> <session.jsonl> [--trace FILE]`: reruns a session that
 * `ksim serve --record` wrote: the same scenario, seed and CA, the recorded requests admitted
 * at their virtual times without pacing (sim/served-session.ts). Its trace is the served run's,
 * byte for byte; the summary prints the trace hash to compare.
 */
import { readFileSync } from 'node:fs';
import { parseSession, replaySession } from '../served-session.ts';
import { CliError } from './errors.ts';
import { fileSink, loadScenario, summary } from './run-command.ts';
import { startServedWorld } from './serve-command.ts';

export interface ReplaySessionOptions {
  readonly trace?: string;
}

export async function replaySessionCommand(
  scenarioFile: string,
  sessionFile: string,
  opts: ReplaySessionOptions,
  out: (s: string) => void,
): Promise<number> {
  const scenario = loadScenario(scenarioFile);
  let text: string;
  try {
    text = readFileSync(sessionFile, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${sessionFile}: ${(e as Error).message}`);
  }
  let session;
  try {
    session = parseSession(text);
  } catch (e) {
    throw new CliError(`${sessionFile}: ${(e as Error).message}`);
  }
  const { header } = session;
  if (header.scenario !== scenario.metadata.name) {
    throw new CliError(
      `${sessionFile} was recorded serving scenario ${header.scenario}, not ${scenario.metadata.name}`,
    );
  }
  const trace = opts.trace === undefined ? undefined : fileSink(opts.trace);
  const { world, outside } = startServedWorld(scenario, {
    seed: header.seed,
    ...(header.rootCA === undefined ? {} : { rootCA: header.rootCA }),
    traceSink: (line) => trace?.sink(line),
  });
  out(
    `ksim replay-session ${scenario.metadata.name}  seed ${header.seed}  ${session.admissions.length} admissions to ${session.endUs / 1e6}s`,
  );
  const started = performance.now();
  try {
    await replaySession(world.sim, outside, session);
  } catch (e) {
    trace?.close();
    throw new CliError(`${sessionFile}: ${(e as Error).message}`);
  }
  const report = world.finish();
  trace?.close();
  out('');
  out(summary(report, performance.now() - started, opts.trace, false));
  return 0;
}
