// `node --import ./sim/cli/register.mjs file.ts` runs a TypeScript file with the hooks in
// ts-loader.mjs, as the `ksim` command does.
import { register } from 'node:module';

register('./ts-loader.mjs', import.meta.url);
