// A worker thread of `ksim fuzz store --workers N` (run-pool.ts): loads the TypeScript sources
// through the `ksim` command's module hooks, then runs each seed it is sent.
import { register } from 'node:module';

register('../cli/ts-loader.mjs', import.meta.url);
await import('./fuzz-worker-main.ts');
