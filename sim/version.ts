import { createRequire } from 'node:module';

/** The ksim package version, as package.json says; named in every trace header. */
export const KSIM_VERSION: string = (
  createRequire(import.meta.url)('../package.json') as { version: string }
).version;
