/**
 * TLS client authentication on the HTTP front (upstream's x509 authenticator,
 * k8s.io/apiserver/pkg/authentication/request/x509): a client certificate the front's CA
 * signed authenticates its subject, CN the user and each O a group. The API server
 * authenticates every request from its Authorization header, so the front sends it, for a
 * verified certificate, the cluster's client credential for the same user and groups
 * (core/apiserver/authn/client-credential.ts, ksim's stand-in for a client certificate inside
 * the cluster) in place of what the client sent.
 *
 * A certificate that does not verify authenticates nobody: upstream's union authenticator then
 * tries the bearer token, and answers 401 when there is none (the x509 error fails the
 * request rather than letting it through as anonymous).
 */
import type { PeerCertificate, TLSSocket } from 'node:tls';
import * as errors from '../../core/api/errors.ts';
import type { ApiRequest } from '../../core/api/http.ts';
import type { Status } from '../../core/api/status-types.ts';
import type { CertificateSubject } from './certificates.ts';

/** The Authorization header value that stands for `subject` inside the cluster. */
export type CertificateCredential = (subject: CertificateSubject) => string;

/** Credentials made so far, by certificate fingerprint: signing one per request would cost. */
const MAX_REMEMBERED = 1024;

const names = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/** What a connection's certificate authenticates: nothing to add, its credential, or nobody. */
type Outcome =
  | { readonly kind: 'none' }
  | { readonly kind: 'as'; readonly authorization: string }
  | { readonly kind: 'nobody' };

const NONE: Outcome = { kind: 'none' };
const NOBODY: Outcome = { kind: 'nobody' };

export class ClientCertificates {
  private readonly remembered = new Map<string, string>();
  /** A connection's certificate does not change: each is read once, not per request. */
  private readonly connections = new WeakMap<TLSSocket, Outcome>();

  constructor(private readonly credential: CertificateCredential) {}

  /**
   * `req` as the API server should see it, given the connection it came on: with the
   * credential of a verified certificate, as it was without a certificate, or a 401.
   */
  authenticate(socket: TLSSocket, req: ApiRequest): ApiRequest | Status {
    let outcome = this.connections.get(socket);
    if (outcome === undefined) {
      outcome = this.outcome(socket);
      this.connections.set(socket, outcome);
    }
    switch (outcome.kind) {
      case 'none':
        return req;
      case 'as':
        return { ...req, authorization: outcome.authorization };
      case 'nobody':
        return req.authorization === undefined ? errors.unauthorized() : req;
    }
  }

  private outcome(socket: TLSSocket): Outcome {
    const peer: PeerCertificate | undefined = socket.getPeerCertificate();
    if (peer === undefined || Object.keys(peer).length === 0) return NONE;
    if (!socket.authorized) return NOBODY;
    let authorization = this.remembered.get(peer.fingerprint256);
    if (authorization === undefined) {
      const [user] = names(peer.subject.CN);
      if (user === undefined || user === '') return NOBODY;
      authorization = this.credential({ user, groups: names(peer.subject.O) });
      if (this.remembered.size >= MAX_REMEMBERED) this.remembered.clear();
      this.remembered.set(peer.fingerprint256, authorization);
    }
    return { kind: 'as', authorization };
  }
}
