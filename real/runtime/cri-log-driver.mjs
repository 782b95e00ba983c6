/**
 * containerd's binary log driver for ksim's pods (run by the task's shim: `--log-uri
 * binary://<node>?<this file>=<log path>`): the container's stdout arrives on fd 3 and its
 * stderr on fd 4; each line goes to the log file in the CRI format the kubelet reads
 * (`<RFC3339Nano time> <stdout|stderr> F <text>`, as containerd's CRI plugin writes it).
 * Closing fd 5 tells the shim the driver is ready. Plain JavaScript: the shim starts it with
 * `node` alone, without the TypeScript loader.
 */
import { appendFileSync, closeSync, createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const path = process.argv[2];
if (path === undefined) process.exit(2);

function pipe(fd, stream) {
  const lines = createInterface({ input: createReadStream('', { fd }), crlfDelay: Infinity });
  lines.on('line', (text) => {
    appendFileSync(path, `${new Date().toISOString()} ${stream} F ${text}\n`);
  });
  return new Promise((done) => lines.on('close', done));
}

const ended = Promise.all([pipe(3, 'stdout'), pipe(4, 'stderr')]);
closeSync(5);
await ended;
