import { openSync } from 'node:fs';

/**
 * Exit codes of every ksim command (README's "Exit codes" table says the same):
 * 0 success; 1 the run's verdict is negative (an expectation failed, a fuzz run found a
 * violation, a benchmark row missed its target); 2 bad input (usage, scenario, manifest,
 * unreadable or unwritable file); 3 ksim itself failed (a bug: please report it with the
 * command line).
 */
export const EXIT_OK = 0;
export const EXIT_VERDICT = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 3;

/**
 * Bad input that a command found: main prints `ksim: <message>` on stderr (and, with --json,
 * an error document on stdout) and exits with `exitCode`. Commands throw it instead of
 * printing, so that every error takes the same path to the same stream.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_USAGE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Opens `path` for writing, or says which file could not be written and why. */
export function openForWriting(path: string, what: string): number {
  try {
    return openSync(path, 'w');
  } catch (e) {
    throw new CliError(`cannot write ${what} ${path}: ${fsReason(e)}`);
  }
}

/** The one-line reason of a file-system error, without Node's "ENOENT: " prefix and path. */
export function fsReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a parent is not a directory';
    default:
      return err.message;
  }
}
