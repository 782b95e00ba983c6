/**
 * `kubectl exec` on the kubelet's side: the command runs in the container through the Runtime
 * port and its outcome goes back as remotecommand's error-channel Status
 * (staging/src/k8s.io/kubelet/pkg/cri/streaming/remotecommand/exec.go ServeExec): Success, or
 * NonZeroExitCode with the code as an ExitCode cause (kubectl exits with it), or an
 * InternalError for a command that could not run.
 *
 * The output is collected and sent when the command ends (the port's exec has no incremental
 * output and no stdin): enough for commands that end, not for interactive shells.
 */
import * as errors from '../api/errors.ts';
import type { ExecStatus, StreamFrame } from '../api/node-stream.ts';
import type { Runtime } from '../ports/runtime.ts';
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
