/**
 * Container lifecycle hooks (pkg/kubelet/lifecycle/handlers.go HandlerRunner): postStart runs
 * right after the container starts, preStop before it is sent SIGTERM. Exec runs in the
 * container (CRI ExecSync), httpGet goes to the pod over the node's network, sleep waits;
 * tcpSocket is accepted by validation but not supported as a hook, as upstream. Failure messages
 * are upstream's, for the FailedPostStartHook / FailedPreStopHook Events.
 */
import type { Container, LifecycleHandler, Pod } from '../api/pod-types.ts';
import type { Clock } from '../ports/clock.ts';
import { resolvePort, type HandlerPorts } from './prober/run-handler.ts';

export type HookName = 'postStart' | 'preStop';

export type HookOutcome = { readonly ok: true } | { readonly ok: false; readonly message: string };

export interface HookTarget {
  readonly pod: Pod;
  readonly container: Container;
  readonly containerId: string;
  readonly podIP: string | undefined;
}

/** Runs the hook, giving up after `timeoutUs` (a preStop hook's share of the grace period). */
export async function runHook(
  ports: HandlerPorts,
  clock: Clock,
  target: HookTarget,
  hook: LifecycleHandler,
  timeoutUs: number,
): Promise<HookOutcome> {
  const { container } = target;
  const podName = `${target.pod.metadata.name ?? ''}_${target.pod.metadata.namespace ?? ''}(${target.pod.metadata.uid ?? ''})`;
  if (hook.exec !== undefined) {
    const command = hook.exec.command ?? [];
    const r = await ports.runtime.execSync(target.containerId, command, timeoutUs);
    if (r.ok && r.value.exitCode === 0) return { ok: true };
    const output = r.ok ? r.value.output : '';
    const error = r.ok
      ? `command '${command.join(' ')}' exited with ${r.value.exitCode}: ${output}`
      : r.message;
    return {
      ok: false,
      message: `Exec lifecycle hook ([${command.join(' ')}]) for Container "${container.name}" in Pod "${podName}" failed - error: ${error}, message: ${JSON.stringify(output)}`,
    };
  }
  if (hook.httpGet !== undefined) {
    const h = hook.httpGet;
    const path = h.path ?? '';
    const port = resolvePort(h.port, container);
    const host = h.host || target.podIP;
    const fail = (error: string): HookOutcome => ({
      ok: false,
      message: `HTTP lifecycle hook (${path}) for Container "${container.name}" in Pod "${podName}" failed - error: ${error}`,
    });
    if (typeof port === 'string') return fail(port);
    if (host === undefined) return fail('pod has no IP');
    const scheme = h.scheme === 'HTTPS' ? 'https' : 'http';
    const a = await ports.network.httpGet(
      { scheme, host, port, path, headers: h.httpHeaders ?? [] },
      timeoutUs,
    );
    const url = `${scheme}://${host}:${port}${path}`;
    // Any answer will do: only a failed request fails the hook.
    if (a.kind === 'response') return { ok: true };
    return fail(
      a.kind === 'refused'
        ? `Get "${url}": dial tcp ${host}:${port}: connect: connection refused`
        : `Get "${url}": context deadline exceeded`,
    );
  }
  if (hook.sleep !== undefined) {
    await clock.sleep(Math.min(timeoutUs, Math.max(0, hook.sleep.seconds) * 1_000_000));
    return { ok: true };
  }
  return {
    ok: false,
    message: `Lifecycle hook for Container "${container.name}" in Pod "${podName}" failed - error: invalid handler: only exec, httpGet and sleep are supported`,
  };
}
