/**
 * TLS bootstrap in simulation: a node with only a bootstrap token authenticates as
 * system:bootstrap:<id>, creates a CertificateSigningRequest, the controller manager's approver
 * (after a SubjectAccessReview) and signer issue its credential, and the node registers its
 * Node with it.
 */
import { describe, expect, it } from 'vitest';
import {
  encodeCertificateRequest,
  standInCredential,
  type CertificateSigningRequest,
} from '../../../core/api/kinds/certificate-signing-request.ts';
import type { CertificateSigner } from '../../../core/controllers/certificates/index.ts';
import { standInSigner } from '../../../core/cluster/stand-in-signer.ts';
import { bootstrapTokenSecret, KUBEADM_JOIN_BINDINGS } from '../../../core/cluster/join.ts';
import { API_SERVER } from '../../../core/cluster/identities.ts';
import { ApiClient } from '../../../core/client/api-client.ts';
import { requestNodeCredential } from '../../../core/kubelet/tls-bootstrap.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import { parseTraceRecord } from '../../../core/trace/index.ts';
import { SIM_SIGNER } from '../../../sim/signer.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import { mustCreate, waitFor } from './harness.ts';
import { watchKindAsAdmin } from './workloads.ts';

const S = 1_000_000;
const TOKEN = 'abcdef.0123456789abcdef';

function cluster(seed: number, signer: CertificateSigner = standInSigner(SIM_SIGNER)) {
  const sim = controlPlane({
    seed,
    secure: true,
    traceLevel: 'debug',
    apiServer: {
      access: { signer: SIM_SIGNER, authorization: 'Node,RBAC', enableBootstrapTokenAuth: true },
    },
  });
  startControllerManager(sim, {
    controllers: ['csrapproving', 'csrsigning'],
    clusterSigning: signer,
  });
  const records: { k: string; [f: string]: unknown }[] = [];
  sim.trace.addSink((line) => {
    const r = parseTraceRecord(line) as unknown as { k: string };
    if (r.k.startsWith('csr.')) records.push(r);
  });
  return { sim, records };
}

/** What kubeadm init leaves for joining: the token's Secret and the join bindings, a second on. */
async function kubeadmInit(ports: ProcessPorts, admin: ApiClient): Promise<void> {
  await mustCreate(
    ports,
    admin,
    bootstrapTokenSecret({ token: TOKEN, expiresAtUs: ports.clock.now() + 3600 * S }),
  );
  for (const b of KUBEADM_JOIN_BINDINGS) await mustCreate(ports, admin, b);
  await ports.clock.sleep(S);
}

const client = (ports: ProcessPorts, credential: string): ApiClient =>
  new ApiClient(ports.transport, API_SERVER, { requestTimeoutUs: 10 * S, credential });

describe('TLS bootstrap: bootstrap token -> CSR -> approved -> signed -> Node', () => {
  it('a node joins with a bootstrap token and registers with the credential it was issued', async () => {
    const { sim, records } = cluster(6);
    const csrs = watchKindAsAdmin(sim, 'CertificateSigningRequest', 'watch-csrs');
    await runScript(sim, async (admin, ports) => {
      await kubeadmInit(ports, admin);
      const bootstrap = client(ports, TOKEN);
      // The token alone may not register a Node.
      const early = await bootstrap.create({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'joiner' },
      });
      expect(early.ok ? 201 : early.status).toBe(403);
      const issued = await requestNodeCredential(ports, bootstrap, 'joiner', {
        pollUs: S,
        timeoutUs: 60 * S,
      });
      if (!issued.ok) throw new Error(issued.message);
      const credential = standInCredential(issued.certificate);
      if (!credential.ok) throw new Error(credential.message);
      const node = client(ports, credential.value);
      const registered = await node.create({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'joiner' },
      });
      expect(registered.ok ? registered.status : registered.error.message).toBe(201);
      // The credential is the node's: it may not register another.
      const other = await node.create({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'other' },
      });
      expect(other.ok ? 201 : other.status).toBe(403);
      await waitFor(ports, () => csrs().list().length === 1, 10 * S, 'csr seen');
      const csr = csrs().list()[0] as CertificateSigningRequest;
      // The API server, not the client, says who asked.
      expect(csr.spec.username).toBe('system:bootstrap:abcdef');
      expect(csr.spec.groups).toEqual([
        'system:bootstrappers',
        'system:bootstrappers:kubeadm:default-node-token',
        'system:authenticated',
      ]);
      expect(csr.status?.conditions?.map((c) => [c.type, c.reason, c.message])).toEqual([
        [
          'Approved',
          'AutoApproved',
          'Auto approving kubelet client certificate after SubjectAccessReview.',
        ],
      ]);
    });
    expect(records.filter((r) => r.k !== 'csr.sync-error')).toEqual([
      expect.objectContaining({ k: 'csr.approve', requester: 'system:bootstrap:abcdef' }),
      expect.objectContaining({ k: 'csr.sign', subject: 'system:node:joiner' }),
    ]);
  });

  it('refuses a wrong, expired or unmarked token; leaves a request pending whose requester may not ask for node credentials', async () => {
    const { sim, records } = cluster(7);
    const csrs = watchKindAsAdmin(sim, 'CertificateSigningRequest', 'watch-csrs');
    await runScript(sim, async (admin, ports) => {
      await mustCreate(
        ports,
        admin,
        bootstrapTokenSecret({ token: TOKEN, expiresAtUs: ports.clock.now() + 3600 * S }),
      );
      await mustCreate(
        ports,
        admin,
        bootstrapTokenSecret({ token: 'xpired.0123456789abcdef', expiresAtUs: ports.clock.now() }),
      );
      // Only system:bootstrappers: may create requests (bound below), not have them approved.
      await mustCreate(
        ports,
        admin,
        bootstrapTokenSecret({ token: 'plains.0123456789abcdef', groups: [] }),
      );
      await mustCreate(ports, admin, {
        ...KUBEADM_JOIN_BINDINGS[0]!,
        metadata: { name: 'plain-bootstrap' },
        subjects: [
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:bootstrap:plains' },
        ],
      });
      await ports.clock.sleep(S);
      const status = async (token: string): Promise<number> => {
        const r = await client(ports, token).list('CertificateSigningRequest', undefined);
        return r.ok ? r.status : r.status;
      };
      expect(await status('abcdef.ffffffffffffffff')).toBe(401);
      expect(await status('xpired.0123456789abcdef')).toBe(401);
      expect(await status('nosuch.0123456789abcdef')).toBe(401);
      // A valid token without the kubeadm bindings has no rights to CSRs.
      expect(await status(TOKEN)).toBe(403);
      const plain = client(ports, 'plains.0123456789abcdef');
      const created = await plain.create<CertificateSigningRequest>({
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name: 'plain' },
        spec: {
          request: encodeCertificateRequest({
            commonName: 'system:node:n',
            organizations: ['system:nodes'],
          }),
          signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
          usages: ['digital signature', 'client auth'],
          username: 'system:admin',
        },
      });
      expect(created.ok ? created.value.spec.username : created.error.message).toBe(
        'system:bootstrap:plains',
      );
      await ports.clock.sleep(10 * S);
      expect(csrs().get('plain')?.status).toBeUndefined();
    });
    expect(records.some((r) => r.k === 'csr.approve' || r.k === 'csr.sign')).toBe(false);
    expect(records).toContainEqual(
      expect.objectContaining({
        k: 'csr.sync-error',
        controller: 'csrapproving',
        error: 'recognized csr plain as [nodeclient] but subject access review was not approved',
      }),
    );
  });

  it('fails a request the signer port refuses, and an approved request that is no kubelet client request, without asking the port', async () => {
    const asked: string[] = [];
    const refusing: CertificateSigner = (req) => {
      asked.push(req.content.commonName);
      return { ok: false, message: 'the CA refused the request: no' };
    };
    const { sim } = cluster(8, refusing);
    const csrs = watchKindAsAdmin(sim, 'CertificateSigningRequest', 'watch-csrs');
    await runScript(sim, async (admin, ports) => {
      await kubeadmInit(ports, admin);
      const issued = await requestNodeCredential(ports, client(ports, TOKEN), 'joiner', {
        pollUs: S,
        timeoutUs: 60 * S,
      });
      expect(issued).toEqual({
        ok: false,
        message:
          'certificate signing request is failed, reason: SignerValidationFailure, message: the CA refused the request: no',
      });
      // Serving usages on the kubelet client signer: approved by hand, failed by the signer.
      const created = await admin.create<CertificateSigningRequest>({
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name: 'serving' },
        spec: {
          request: encodeCertificateRequest({
            commonName: 'system:node:n',
            organizations: ['system:nodes'],
          }),
          signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
          usages: ['digital signature', 'server auth'],
        },
      });
      if (!created.ok) throw new Error(created.error.message);
      const approval = await admin.request(
        'PUT',
        '/apis/certificates.k8s.io/v1/certificatesigningrequests/serving/approval',
        {
          body: {
            ...created.value,
            status: { conditions: [{ type: 'Approved', status: 'True', reason: 'ByHand' }] },
          },
        },
      );
      expect(approval.ok).toBe(true);
      await waitFor(
        ports,
        () => csrs().get('serving')?.status?.conditions?.length === 2,
        10 * S,
        'serving failed',
      );
      const failed = csrs().get('serving')?.status?.conditions?.[1];
      expect([failed?.type, failed?.reason, failed?.message]).toEqual([
        'Failed',
        'SignerValidationFailure',
        'invalid kubelet client request: usages did not match [client auth digital signature key encipherment]',
      ]);
    });
    expect(asked).toEqual(['system:node:joiner']);
  });
});
