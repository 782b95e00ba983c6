/**
 * The API server's x509 authenticator for its transport (upstream's --client-ca-file on the
 * secure port): a request that came on a mutual-TLS connection, whose client certificate the
 * cluster CA signed (TcpTransportTls verified it), is its certificate's subject, CN the user and
 * each O a group. The API server authenticates every request from its Authorization header, so
 * such a request is handed to it with the cluster's client credential for that subject, as the
 * HTTP front does for kubectl's certificate (real/http/client-certificates.ts).
 *
 * A request that carries a bearer token keeps it: a node process sends its kubelet's requests
 * and its kube-proxy's (a ServiceAccount token) on one connection per protocol, where upstream's
 * kube-proxy, in a pod, has a connection of its own without the kubelet's certificate.
 */
import type { PeerCertificate } from 'node:tls';
import { API_PROTOCOL } from '../../core/api/http-codec.ts';
import { API_STREAM_PROTOCOL } from '../../core/api/node-stream.ts';
import { bearerToken } from '../../core/apiserver/authn/authenticator.ts';
import { issueClientCredential } from '../../core/apiserver/authn/client-credential.ts';
import type { TokenSigner } from '../../core/apiserver/authn/signer.ts';

/** Credentials made so far, by certificate fingerprint: signing one per request would cost. */
const MAX_REMEMBERED = 1024;

const names = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/** TcpTransportTls.fromPeer for the API server's protocols. */
export function peerCredentials(
  signer: TokenSigner,
): (peer: PeerCertificate, protocol: string, msg: unknown) => unknown {
  const remembered = new Map<string, string>();
  return (peer, protocol, msg) => {
    if (protocol !== API_PROTOCOL.name && protocol !== API_STREAM_PROTOCOL.name) return msg;
    const req = msg as { readonly authorization?: string };
    if (bearerToken(req.authorization) !== undefined) return msg;
    let authorization = remembered.get(peer.fingerprint256);
    if (authorization === undefined) {
      const [user] = names(peer.subject.CN);
      // A certificate without a CN names nobody: the request stays without credentials.
      if (user === undefined || user === '') return msg;
      const credential = issueClientCredential(signer, { user, groups: names(peer.subject.O) });
      authorization = `Bearer ${credential}`;
      if (remembered.size >= MAX_REMEMBERED) remembered.clear();
      remembered.set(peer.fingerprint256, authorization);
    }
    return { ...req, authorization };
  };
}
