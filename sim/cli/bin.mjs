#!/usr/bin/env node
// The `ksim` command. TypeScript sources run through the hooks in ts-loader.mjs, so no build
// step is needed.
import './register.mjs';
// `ksim ... | head` closes the pipe early: stop quietly, as command-line tools do.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv, (s) => console.log(s), {
  err: (s) => console.error(s),
  ...(process.stderr.isTTY ? { terminal: process.stderr } : {}),
});
