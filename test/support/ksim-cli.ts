import { main } from '../../sim/cli/main.ts';

/** What one in-process `ksim` command printed, and its exit code. */
export interface CliOutcome {
  readonly code: number;
  /** Standard output, lines joined with \n. */
  readonly output: string;
  /** Standard error, lines joined with \n. */
  readonly errors: string;
}

/** Runs `ksim ...args` in this process (sim/cli/main.ts), capturing both streams. */
export async function runKsim(...args: string[]): Promise<CliOutcome> {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await main(['node', 'ksim', ...args], (s) => lines.push(s), {
    err: (s) => errors.push(s),
  });
  return { code, output: lines.join('\n'), errors: errors.join('\n') };
}
