/**
 * `kubectl exec` on the kubelet's side: the command runs in the container through the Runtime
 * port and its outcome goes back as remotecommand's error-channel Status
 * (staging/src/k8s.io/kubelet/pkg/cri/streaming/remotecommand/exec.go ServeExec): Success, or
 * NonZeroExitCode with the code as an ExitCode cause (kubectl exits with it), or an
 * InternalError for a command that could not run.
 *
 * Without stdin or a terminal the output is collected and sent when the command ends (the
 * port's `exec`). With either (kubectl exec -i / -t) the command runs as an interactive session
 * (the port's `execStream`): its output goes out as it comes, the client's stdin, end of stdin
 * and terminal resizes go in, and a client that goes away kills the command, as the kubelet's
 * streaming server ends the exec when its connection closes.
 */
import * as errors from '../api/errors.ts';
import type { ExecStatus, StreamFrame, StreamInput, StreamOptions } from '../api/node-stream.ts';
import type { Runtime, RuntimeResult } from '../ports/runtime.ts';
import type { ServerStream } from '../ports/transport.ts';
import type { LogSink } from './container-logs.ts';

/** Upstream's --streaming-connection-idle-timeout (4 h): the longest an exec may run here. */
export const EXEC_TIMEOUT_US = 4 * 3600 * 1_000_000;

export const EXEC_SUCCESS: ExecStatus = { metadata: {}, status: 'Success' };

export function exitStatus(command: readonly string[], exitCode: number): ExecStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: command '${command.join(' ')}' exited with ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** What an exec's error channel says for the command's outcome. */
function outcomeStatus(command: readonly string[], r: RuntimeResult<number>): ExecStatus {
  if (!r.ok)
    return errors.internalError(
      `error executing command in container: failed to exec in container: ${r.message}`,
    );
  return r.value === 0 ? EXEC_SUCCESS : exitStatus(command, r.value);
}

/** kubectl exec -i / -t: the command with its streams attached until it ends. */
export async function runInteractiveExec(
  runtime: Runtime,
  containerId: string,
  command: readonly string[],
  options: StreamOptions,
  stream: ServerStream<StreamFrame, StreamInput>,
): Promise<void> {
  stream.send({ kind: 'start' });
  const session = runtime.execStream(
    containerId,
    command,
    {
      stdin: options.stdin,
      tty: options.tty,
      onOutput: (channel, data) => {
        const wanted = channel === 'stdout' ? options.stdout : options.stderr;
        if (wanted && stream.open) stream.send({ kind: 'data', channel, data });
      },
    },
    EXEC_TIMEOUT_US,
  );
  stream.onInput((msg) => {
    switch (msg.kind) {
      case 'stdin':
        if (options.stdin) session.write(msg.data);
        return;
      case 'stdin-close':
        session.closeStdin();
        return;
      case 'resize':
        session.resize(msg.width, msg.height);
        return;
    }
  });
  stream.onClose(() => session.kill());
  const r = await session.done;
  if (stream.open) stream.send({ kind: 'end', status: outcomeStatus(command, r) });
}

export async function runExec(
  runtime: Runtime,
  containerId: string,
  command: readonly string[],
  sink: LogSink,
): Promise<void> {
  sink.send({ kind: 'start' });
  const r = await runtime.exec(containerId, command, EXEC_TIMEOUT_US);
  const frames: StreamFrame[] = [];
  if (!r.ok) {
    const failed = errors.internalError(
      `error executing command in container: failed to exec in container: ${r.message}`,
    );
    frames.push({ kind: 'end', status: failed });
  } else {
    const { stdout, stderr, exitCode } = r.value;
    if (stdout !== '') frames.push({ kind: 'data', channel: 'stdout', data: stdout });
    if (stderr !== '') frames.push({ kind: 'data', channel: 'stderr', data: stderr });
    frames.push({
      kind: 'end',
      status: exitCode === 0 ? EXEC_SUCCESS : exitStatus(command, exitCode),
    });
  }
  for (const f of frames) if (sink.open) sink.send(f);
}
