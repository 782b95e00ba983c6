/**
 * The API server's half of pods/log and pods/exec (node-stream.ts): authentication and
 * authorization as for any request (these long-running requests are exempt from max-in-flight,
 * as upstream's are), then the object, the definition's `locate`, and a stream to the node's
 * kubelet with the API server's own kubelet-client credential, whose frames go back unchanged,
 * and to which the client's input (stdin, resizes) goes on unchanged.
 */
import * as errors from '../api/errors.ts';
import type { ApiRequest } from '../api/http.ts';
import type { NodeStreamSubresource } from '../api/kinds/definition.ts';
import { KUBELET_PROTOCOL } from '../api/kubelet-protocol.ts';
import { refusal, type StreamFrame, type StreamInput } from '../api/node-stream.ts';
import type { Status } from '../api/status-types.ts';
import type { KObject } from '../api/types.ts';
import type { ProcessPorts } from '../ports/process.ts';
import type { ServerStream } from '../ports/transport.ts';
import type { AccessControl } from './authz/access-control.ts';
import { requestAttributes } from './authz/attributes.ts';
import { forbiddenStatus } from './authz/authorizer.ts';
import type { DefinitionCatalog } from '../api/kinds/catalog.ts';
import type { UserInfo } from './authn/user.ts';
import { parseRequest, type RequestInfo } from './request-info.ts';

export interface NodeStreamEnv {
  readonly ports: ProcessPorts;
  readonly access: AccessControl;
  readonly catalog: DefinitionCatalog;
  /** The object the request names, or the Status of its read (404 and the like). */
  readonly object: (info: RequestInfo, name: string) => Promise<KObject | Status>;
  /** The credential the API server presents to kubelets; undefined when the cluster has no key. */
  readonly kubeletCredential: string | undefined;
}

export function proxyNodeStream(
  env: NodeStreamEnv,
  req: ApiRequest,
  stream: ServerStream<StreamFrame, StreamInput>,
): Promise<void> {
  return serve(env, req, stream).then((refused) => {
    if (refused === undefined) return;
    stream.send(refusal(refused));
    stream.close();
  });
}

/** Opens the kubelet's stream, or answers the Status that refuses the request. */
async function serve(
  env: NodeStreamEnv,
  req: ApiRequest,
  stream: ServerStream<StreamFrame, StreamInput>,
): Promise<Status | undefined> {
  const { ports } = env;
  const startUs = ports.clock.now();
  const query = req.query ?? {};
  const authn = await env.access.authenticate(req.authorization);
  const user = authn.kind === 'authenticated' ? authn.user : undefined;
  const traced = (code: number): void =>
    ports.trace.emit('api.request', {
      verb: req.method,
      path: req.path,
      code,
      latencyUs: ports.clock.now() - startUs,
      ...(user === undefined ? {} : { user: user.name }),
    });
  const refuse = (s: Status): Status => {
    traced(s.code ?? 500);
    return s;
  };
  if (user === undefined) return refuse(errors.unauthorized());
  const parsed = parseRequest(req.method, req.path, query, user, env.catalog);
  if (!parsed.ok) return refuse(errors.notFound('', parsed.message));
  const info = parsed.info;
  const sub = info.definition.subresources.find((s) => s.name === info.subresource);
  if (sub?.kind !== 'node-stream' || info.name === undefined) {
    return refuse(
      errors.notFound('', `the server could not find the requested resource (${req.path})`),
    );
  }
  const denied = await authorize(env, user, req, sub);
  if (denied !== undefined) return refuse(denied);
  if (!sub.verbs.includes(info.verb)) return refuse(errors.methodNotAllowed());
  const obj = await env.object(info, info.name);
  if (errors.isStatus(obj)) return refuse(obj);
  const located = sub.locate(obj, query, ports.clock.now());
  if (errors.isStatus(located)) return refuse(located);
  if (!stream.open) return undefined;
  traced(200);
  if (located === undefined) {
    // Not on a node yet: an empty answer, as upstream's nil location streams nothing.
    stream.send({ kind: 'start' });
    stream.close();
    return undefined;
  }
  const credential = env.kubeletCredential;
  const upstream = ports.transport.openStream(
    KUBELET_PROTOCOL,
    located.node,
    {
      ...located.request,
      ...(credential === undefined ? {} : { authorization: `Bearer ${credential}` }),
    },
    {
      onMessage: (frame) => stream.send(frame),
      onClose: (reason) => {
        if (stream.open && reason !== 'closed by server') {
          stream.send(
            refusal(errors.serviceUnavailable(`the kubelet of ${located.node}: ${reason}`)),
          );
        }
        stream.close();
      },
    },
  );
  stream.onClose(() => upstream.close());
  // Input that arrived while the request was checked is kept by the transport until now.
  stream.onInput((msg) => upstream.send(msg));
  return undefined;
}

/** The request's own verb, then each further verb the subresource requires. */
async function authorize(
  env: NodeStreamEnv,
  user: UserInfo,
  req: ApiRequest,
  sub: NodeStreamSubresource<KObject>,
): Promise<Status | undefined> {
  const base = requestAttributes(user, req.method, req.path, req.query ?? {});
  for (const verb of [base.verb, ...sub.alsoRequires.filter((v) => v !== base.verb)]) {
    const attributes = { ...base, verb };
    const decision = await env.access.authorize(attributes);
    if (decision.decision !== 'allow') return forbiddenStatus(attributes, decision.reason);
  }
  return undefined;
}
