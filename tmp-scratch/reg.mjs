import { register } from 'node:module';
register('../sim/cli/ts-loader.mjs', import.meta.url);
