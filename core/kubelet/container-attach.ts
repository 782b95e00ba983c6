/**
 * `kubectl attach` on the kubelet's side (staging/src/k8s.io/kubelet/pkg/cri/streaming/
 * remotecommand/attach.go ServeAttach): the client is connected to the container's main process
 * through the Runtime port's `attach` until the session ends — the client's stdin ended, the
 * client went away or the container exited — and the error channel then says Success, or
 * `error attaching to container: ...` as an InternalError when the runtime could not attach.
 *
 * The client's stdin, its end and terminal sizes go to the session as they come; output goes
 * out on the streams the client asked for (with a terminal, the container's one stream).
 */
import * as errors from '../api/errors.ts';
import type { StreamFrame, StreamInput, StreamOptions } from '../api/node-stream.ts';
import type { Runtime } from '../ports/runtime.ts';
import type { ServerStream } from '../ports/transport.ts';
import { EXEC_SUCCESS } from './container-exec.ts';

export async function runAttach(
  runtime: Runtime,
  containerId: string,
  options: StreamOptions,
  stream: ServerStream<StreamFrame, StreamInput>,
): Promise<void> {
  stream.send({ kind: 'start' });
  const session = runtime.attach(containerId, {
    stdin: options.stdin,
    tty: options.tty,
    onOutput: (channel, data) => {
      // A terminal's output is one stream, which the client reads as stdout.
      const wanted = channel === 'stdout' ? options.stdout || options.tty : options.stderr;
      if (wanted && stream.open) stream.send({ kind: 'data', channel, data });
    },
  });
  stream.onInput((msg) => {
    switch (msg.kind) {
      case 'stdin':
        if (options.stdin) session.write(msg.data);
        return;
      case 'stdin-close':
        if (options.stdin) session.closeStdin();
        return;
      case 'resize':
        session.resize(msg.width, msg.height);
        return;
    }
  });
  stream.onClose(() => session.detach());
  const r = await session.done;
  if (!stream.open) return;
  const status = r.ok
    ? EXEC_SUCCESS
    : errors.internalError(`error attaching to container: ${r.message}`);
  stream.send({ kind: 'end', status });
}
