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
import {
  CertificateManager,
  type CertificateKeeper,
  type CertificateValidity,
} from '../../../core/kubelet/certificate-manager.ts';
import {
  kubeletClientRequest,
  kubeletServingRequest,
  requestCertificate,
  requestNodeCredential,
} from '../../../core/kubelet/tls-bootstrap.ts';
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
    if (r.k.startsWith('csr.') || r.k.startsWith('kubelet.certificate')) records.push(r);
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

  it('rotates the client certificate at 70-90 % of its lifetime with its own credential, approved as selfnodeclient; a refused rotation keeps the certificate and retries with backoff', async () => {
    let signed = 0;
    const base = standInSigner(SIM_SIGNER);
    // Signs the bootstrap and two rotations, then refuses: the third rotation fails.
    const signer: CertificateSigner = (req) =>
      ++signed <= 3 ? base(req) : { ok: false, message: 'the CA refused the request: no' };
    const { sim, records } = cluster(9, signer);
    const csrs = watchKindAsAdmin(sim, 'CertificateSigningRequest', 'watch-csrs');
    const LIFETIME_US = 1000 * S;
    const installed: { atUs: number; validity: CertificateValidity }[] = [];
    let rotations = 0;
    await runScript(
      sim,
      async (admin, ports) => {
        await kubeadmInit(ports, admin);
        const issued = await requestNodeCredential(ports, client(ports, TOKEN), 'joiner', {
          pollUs: S,
          timeoutUs: 60 * S,
        });
        if (!issued.ok) throw new Error(issued.message);
        const credential = standInCredential(issued.certificate);
        if (!credential.ok) throw new Error(credential.message);
        // The simulator's certificates carry no validity: the keeper gives each one a lifetime
        // from the moment it is installed.
        let current: CertificateValidity = {
          notBeforeUs: ports.clock.now(),
          notAfterUs: ports.clock.now() + LIFETIME_US,
        };
        const keeper: CertificateKeeper = {
          current: () => current,
          request: (subject) => encodeCertificateRequest(subject),
          install: (certificate) => {
            const c = standInCredential(certificate);
            if (!c.ok) return c;
            current = {
              notBeforeUs: ports.clock.now(),
              notAfterUs: ports.clock.now() + LIFETIME_US,
            };
            installed.push({ atUs: ports.clock.now(), validity: current });
            return { ok: true, validity: current };
          },
        };
        const first = current;
        const manager = new CertificateManager(
          ports,
          client(ports, credential.value),
          'joiner',
          kubeletClientRequest('joiner'),
          keeper,
          { pollUs: S, timeoutUs: 60 * S, initialBackoffUs: 2 * S, maxBackoffUs: 8 * S },
        );
        manager.start();
        await waitFor(ports, () => installed.length === 2, 3 * LIFETIME_US, 'two rotations', S);
        // The third rotation is refused: the second certificate stays, tried again 2, 4, 8, 8 s on.
        await waitFor(
          ports,
          () => records.filter((r) => r.k === 'kubelet.certificate-rotate-error').length === 4,
          2 * LIFETIME_US,
          'four refused rotations',
          S,
        );
        manager.stop();
        rotations = installed.length;
        expect(current).toBe(installed[1]!.validity);
        // Each rotation came between 70 % and 90 % of its predecessor's lifetime.
        const previous = [first, installed[0]!.validity];
        for (const [i, r] of installed.entries()) {
          const p = previous[i]!;
          const fraction = (r.atUs - p.notBeforeUs) / (p.notAfterUs - p.notBeforeUs);
          expect(fraction).toBeGreaterThanOrEqual(0.7);
          expect(fraction).toBeLessThan(0.91);
        }
        const all = csrs().list() as CertificateSigningRequest[];
        const rotated = all.filter((c) => c.spec.username === 'system:node:joiner');
        expect(rotated.length).toBeGreaterThanOrEqual(3);
        // The node asked with its own credential: selfnodeclient, upstream's message.
        expect(rotated[0]!.status?.conditions?.[0]?.message).toBe(
          'Auto approving self kubelet client certificate after SubjectAccessReview.',
        );
      },
      { deadlineUs: 10 * LIFETIME_US },
    );
    expect(rotations).toBe(2);
    const rotates = records.filter((r) => r.k === 'kubelet.certificate-rotate');
    expect(rotates).toEqual([
      expect.objectContaining({
        node: 'joiner',
        signer: 'kubernetes.io/kube-apiserver-client-kubelet',
        notAfterUs: installed[0]!.validity.notAfterUs,
      }),
      expect.objectContaining({ notAfterUs: installed[1]!.validity.notAfterUs }),
    ]);
    const errors = records.filter((r) => r.k === 'kubelet.certificate-rotate-error');
    expect(errors.map((r) => r.retryInUs)).toEqual([2 * S, 4 * S, 8 * S, 8 * S]);
    expect(errors[0]!.error).toBe(
      'certificate signing request is failed, reason: SignerValidationFailure, message: the CA refused the request: no',
    );
  });

  it('leaves a kubelet serving request for an approver, then signs it with its names; fails one without names as ValidateKubeletServingCSR does', async () => {
    const asked: { signer: string; dns: readonly string[]; ips: readonly string[] }[] = [];
    const signer: CertificateSigner = (req) => {
      asked.push({
        signer: req.signerName,
        dns: req.content.dnsNames,
        ips: req.content.ipAddresses,
      });
      return standInSigner(SIM_SIGNER)({
        ...req,
        signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
      });
    };
    const { sim } = cluster(10, signer);
    const csrs = watchKindAsAdmin(sim, 'CertificateSigningRequest', 'watch-csrs');
    await runScript(sim, async (admin, ports) => {
      await kubeadmInit(ports, admin);
      const issued = await requestNodeCredential(ports, client(ports, TOKEN), 'joiner', {
        pollUs: S,
        timeoutUs: 60 * S,
      });
      if (!issued.ok) throw new Error(issued.message);
      const credential = standInCredential(issued.certificate);
      if (!credential.ok) throw new Error(credential.message);
      const node = client(ports, credential.value);
      // The stand-in request cannot carry subjectAltNames: the test builds PKCS#10-shaped
      // content through the admin instead, below. First the kubelet's own, with no names.
      const nameless = await requestCertificate(ports, node, kubeletServingRequest('joiner'), {
        pollUs: S,
        timeoutUs: 5 * S,
      });
      expect(nameless).toEqual({
        ok: false,
        message: expect.stringMatching(/^timed out waiting for certificate signing request csr-/),
      });
      // Not auto-approved: pending, no condition.
      const pending = (csrs().list() as CertificateSigningRequest[]).filter(
        (c) => c.spec.signerName === 'kubernetes.io/kubelet-serving',
      );
      expect(pending).toHaveLength(1);
      expect(pending[0]!.status?.conditions ?? []).toEqual([]);
      const name = pending[0]!.metadata.name ?? '';
      const approval = await admin.request(
        'PUT',
        `/apis/certificates.k8s.io/v1/certificatesigningrequests/${name}/approval`,
        {
          body: {
            ...pending[0]!,
            status: { conditions: [{ type: 'Approved', status: 'True', reason: 'ByHand' }] },
          },
        },
      );
      expect(approval.ok).toBe(true);
      await waitFor(
        ports,
        () => (csrs().get(name)?.status?.conditions?.length ?? 0) === 2,
        10 * S,
        'failed',
      );
      const failed = csrs().get(name)?.status?.conditions?.[1];
      expect([failed?.type, failed?.reason, failed?.message]).toEqual([
        'Failed',
        'SignerValidationFailure',
        'invalid kubelet serving request: DNS or IP subjectAltName is required',
      ]);
    });
    expect(asked).toEqual([
      { signer: 'kubernetes.io/kube-apiserver-client-kubelet', dns: [], ips: [] },
    ]);
  });
});
