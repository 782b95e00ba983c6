/**
 * pods/log, pods/exec and pods/attach: where the API server sends them
 * (pkg/registry/core/pod/strategy.go LogLocation, ExecLocation, AttachLocation) and the options
 * they take (PodLogOptions, PodExecOptions, PodAttachOptions, with
 * ValidatePodLogOptions' checks and messages).
 */
import * as errors from '../errors.ts';
import { fieldInvalid, type FieldError } from '../field-error.ts';
import type { KubeletStreamRequest, LogOptions, StreamOptions } from '../node-stream.ts';
import type { Pod } from '../pod-types.ts';
import type { Status } from '../status-types.ts';
import { parseRfc3339 } from '../time.ts';
import type { NodeStreamSubresource } from './definition.ts';

/** The front joins a repeated `command` parameter's values with this (a NUL never occurs in argv). */
export const COMMAND_SEPARATOR = '\u0000';

type Located = { readonly node: string; readonly request: KubeletStreamRequest } | undefined;

const names = (cs: readonly { readonly name: string }[] | undefined): string =>
  (cs ?? []).map((c) => c.name).join(' ');

/** The container a request names, or the pod's only one (upstream's errors otherwise). */
function containerOf(pod: Pod, requested: string | undefined): string | Status {
  const name = pod.metadata.name ?? '';
  if (requested === undefined || requested === '') {
    const [only, ...more] = pod.spec.containers;
    if (only !== undefined && more.length === 0) return only.name;
    if (only === undefined)
      return errors.badRequest(`a container name must be specified for pod ${name}`);
    const init = names(pod.spec.initContainers);
    return errors.badRequest(
      `a container name must be specified for pod ${name}, choose one of: [${names(pod.spec.containers)}]` +
        (init === '' ? '' : ` or one of the init containers: [${init}]`),
    );
  }
  const all = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
  if (!all.some((c) => c.name === requested))
    return errors.badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

const isTrue = (v: string | undefined): boolean => v === 'true' || v === '1';

function integer(
  query: Readonly<Record<string, string>>,
  key: string,
): number | undefined | Status {
  const text = query[key];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n))
    return errors.badRequest(`invalid value for ${key}: ${JSON.stringify(text)}`);
  return n;
}

/** PodLogOptions from the query, checked as ValidatePodLogOptions checks them. */
export function parseLogOptions(
  query: Readonly<Record<string, string>>,
  name: string,
  nowUs: number,
): LogOptions | Status {
  const tailLines = integer(query, 'tailLines');
  const limitBytes = integer(query, 'limitBytes');
  const sinceSeconds = integer(query, 'sinceSeconds');
  for (const v of [tailLines, limitBytes, sinceSeconds]) if (errors.isStatus(v)) return v;
  const tail = tailLines as number | undefined;
  const limit = limitBytes as number | undefined;
  const since = sinceSeconds as number | undefined;
  const sinceTime = query.sinceTime;
  const sinceTimeUs = sinceTime === undefined ? undefined : parseRfc3339(sinceTime);
  if (sinceTime !== undefined && sinceTimeUs === undefined)
    return errors.badRequest(`invalid value for sinceTime: ${JSON.stringify(sinceTime)}`);
  const errs: FieldError[] = [];
  if (tail !== undefined && tail < 0)
    errs.push(fieldInvalid('tailLines', tail, 'must be greater than or equal to 0'));
  if (limit !== undefined && limit < 1)
    errs.push(fieldInvalid('limitBytes', limit, 'must be greater than 0'));
  if (since !== undefined && sinceTime !== undefined)
    errs.push({
      type: 'FieldValueForbidden',
      field: '',
      detail: 'at most one of `sinceTime` or `sinceSeconds` may be specified',
    });
  if (since !== undefined && since < 1)
    errs.push(fieldInvalid('sinceSeconds', since, 'must be greater than 0'));
  if (errs.length > 0) return errors.invalid('PodLogOptions', name, errs);
  const sinceUs = since !== undefined ? nowUs - since * 1_000_000 : sinceTimeUs;
  return {
    follow: isTrue(query.follow),
    previous: isTrue(query.previous),
    timestamps: isTrue(query.timestamps),
    ...(tail === undefined ? {} : { tailLines: tail }),
    ...(limit === undefined ? {} : { limitBytes: limit }),
    ...(sinceUs === undefined ? {} : { sinceUs }),
  };
}

function target(pod: Pod) {
  return {
    namespace: pod.metadata.namespace ?? '',
    pod: pod.metadata.name ?? '',
    uid: pod.metadata.uid ?? '',
  };
}

function locateLog(
  pod: Pod,
  query: Readonly<Record<string, string>>,
  nowUs: number,
): Located | Status {
  const container = containerOf(pod, query.container);
  if (errors.isStatus(container)) return container;
  const options = parseLogOptions(query, pod.metadata.name ?? '', nowUs);
  if (errors.isStatus(options)) return options;
  const node = pod.spec.nodeName;
  if (node === undefined || node === '') return undefined;
  return { node, request: { kind: 'container-logs', ...target(pod), container, options } };
}

function locateExec(pod: Pod, query: Readonly<Record<string, string>>): Located | Status {
  const name = pod.metadata.name ?? '';
  const command = (query.command ?? '').split(COMMAND_SEPARATOR).filter((w) => w !== '');
  if (command.length === 0)
    return errors.badRequest('you must specify at least 1 command for the container');
  if (!isTrue(query.stdin) && !isTrue(query.stdout) && !isTrue(query.stderr))
    return errors.badRequest('you must specify at least one of stdin, stdout, stderr');
  const container = containerOf(pod, query.container);
  if (errors.isStatus(container)) return container;
  const node = pod.spec.nodeName;
  if (node === undefined || node === '')
    return errors.badRequest(`pod ${name} does not have a host assigned`);
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed')
    return errors.badRequest(
      `cannot exec into a container in a completed pod; current phase is ${phase}`,
    );
  const streams = streamOptions(query);
  return { node, request: { kind: 'exec', ...target(pod), container, command, streams } };
}

/**
 * pods/attach (upstream's AttachLocation, streamLocation's checks): the container, which must
 * be on a node; stdin, stdout, stderr and tty as asked. That the container has a stdin or a
 * terminal is the kubelet's and the runtime's business, as upstream's.
 */
function locateAttach(pod: Pod, query: Readonly<Record<string, string>>): Located | Status {
  const name = pod.metadata.name ?? '';
  if (!isTrue(query.stdin) && !isTrue(query.stdout) && !isTrue(query.stderr))
    return errors.badRequest('you must specify at least one of stdin, stdout, stderr');
  const container = containerOf(pod, query.container);
  if (errors.isStatus(container)) return container;
  const node = pod.spec.nodeName;
  if (node === undefined || node === '')
    return errors.badRequest(`pod ${name} does not have a host assigned`);
  const streams = streamOptions(query);
  return { node, request: { kind: 'attach', ...target(pod), container, streams } };
}

/** PodExecOptions' and PodAttachOptions' streams; with a terminal stderr is stdout's. */
function streamOptions(query: Readonly<Record<string, string>>): StreamOptions {
  const tty = isTrue(query.tty);
  return {
    stdin: isTrue(query.stdin),
    stdout: isTrue(query.stdout),
    stderr: isTrue(query.stderr) && !tty,
    tty,
  };
}

export const POD_LOG_SUBRESOURCE: NodeStreamSubresource<Pod> = {
  kind: 'node-stream',
  name: 'log',
  verbs: ['get'],
  body: { group: '', version: 'v1', kind: 'Pod' },
  alsoRequires: [],
  locate: locateLog,
};

export const POD_EXEC_SUBRESOURCE: NodeStreamSubresource<Pod> = {
  kind: 'node-stream',
  name: 'exec',
  verbs: ['create', 'get'],
  body: { group: '', version: 'v1', kind: 'PodExecOptions' },
  alsoRequires: ['create'],
  locate: (pod, query) => locateExec(pod, query),
};

export const POD_ATTACH_SUBRESOURCE: NodeStreamSubresource<Pod> = {
  kind: 'node-stream',
  name: 'attach',
  verbs: ['create', 'get'],
  body: { group: '', version: 'v1', kind: 'PodAttachOptions' },
  alsoRequires: ['create'],
  locate: (pod, query) => locateAttach(pod, query),
};
