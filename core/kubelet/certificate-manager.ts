/**
 * The kubelet's certificate manager (client-go util/certificate/certificate_manager.go): it
 * keeps one certificate current — the kubelet's client certificate, or with serverTLSBootstrap
 * its serving certificate — by asking for a new one at a jittered 70-90 % of the current one's
 * lifetime (nextRotationDeadline), or at once when there is none. A rotation makes a new key
 * pair and request (the host's: PKCS#10 on a real node), files a CertificateSigningRequest with
 * the kubelet's own credential and waits for it; the issued certificate is then installed with
 * the new key (on a real node: a new kubelet-client-<time>.pem and the -current link moved to
 * it, new connections using it). A request denied, failed or left unsigned keeps the current
 * certificate, and the manager tries again after a backoff that doubles up to a bound.
 */
import type { CertificateSubject } from '../api/kinds/certificate-signing-request.ts';
import type { ApiClient } from '../client/api-client.ts';
import type { Micros } from '../ports/clock.ts';
import type { ProcessPorts } from '../ports/process.ts';
import type { Random } from '../ports/random.ts';
import { requestCertificate, type KubeletCertificateRequest } from './tls-bootstrap.ts';

/** When a certificate holds: its NotBefore and NotAfter, Unix microseconds. */
export interface CertificateValidity {
  readonly notBeforeUs: Micros;
  readonly notAfterUs: Micros;
}

/**
 * nextRotationDeadline: NotBefore plus 70 % of the lifetime plus up to another 20 % (upstream's
 * wait.Jitter(total, 0.2) - 0.3 * total), drawn from `random`.
 */
export function nextRotationDeadline(v: CertificateValidity, random: Random): Micros {
  const totalUs = v.notAfterUs - v.notBeforeUs;
  // In tenths, so a draw of a round fraction gives a round deadline (0.7 + 0.1 is not 0.8).
  return v.notBeforeUs + Math.floor((totalUs * (7 + 2 * random.float())) / 10);
}

/** The host's side: the key pairs, the files and the connections that use the certificate. */
export interface CertificateKeeper {
  /** The certificate in use, or undefined when there is none yet. */
  current(): CertificateValidity | undefined;
  /** spec.request for `subject` (base64 PEM) with a new key, held until `install`. */
  request(subject: CertificateSubject): string;
  /** Makes the issued certificate (PEM) with the last request's key the one in use. */
  install(
    certificate: string,
  ):
    | { readonly ok: true; readonly validity: CertificateValidity }
    | { readonly ok: false; readonly message: string };
}

export interface CertificateManagerOptions {
  /** How often a filed request is read back. */
  readonly pollUs: Micros;
  /** How long one request is waited for (upstream: 15 minutes) before a new one is filed. */
  readonly timeoutUs: Micros;
  /** spec.expirationSeconds of each request (upstream leaves it out: the signer's duration). */
  readonly expirationSeconds?: number;
  /** The first wait after a failed rotation; it doubles up to maxBackoffUs. */
  readonly initialBackoffUs: Micros;
  readonly maxBackoffUs: Micros;
}

export const DEFAULT_CERTIFICATE_MANAGER: CertificateManagerOptions = {
  pollUs: 1_000_000,
  timeoutUs: 15 * 60_000_000,
  // upstream's rotation backoff starts at 2 s and doubles (wait.Backoff in certificate_manager.go).
  initialBackoffUs: 2_000_000,
  maxBackoffUs: 5 * 60_000_000,
};

/** A sleep is cut into pieces no longer than this, so the deadline is read again on a clock. */
const MAX_SLEEP_US = 3_600_000_000;

export type RotationResult =
  | { readonly ok: true; readonly csr: string; readonly validity: CertificateValidity }
  | { readonly ok: false; readonly message: string };

export class CertificateManager {
  private readonly random: Random;
  private stopped = false;

  constructor(
    private readonly ports: ProcessPorts,
    /** The kubelet's own client: its current client certificate is the requester. */
    private readonly client: ApiClient,
    private readonly nodeName: string,
    private readonly what: KubeletCertificateRequest,
    private readonly keeper: CertificateKeeper,
    private readonly options: CertificateManagerOptions = DEFAULT_CERTIFICATE_MANAGER,
  ) {
    this.random = ports.random.fork(`certificate-manager/${what.signerName}`);
  }

  start(): void {
    this.ports.spawn(() => this.run());
  }

  stop(): void {
    this.stopped = true;
  }

  private async run(): Promise<void> {
    let backoffUs = this.options.initialBackoffUs;
    while (!this.stopped) {
      const current = this.keeper.current();
      if (current !== undefined) await this.sleepUntil(nextRotationDeadline(current, this.random));
      if (this.stopped) return;
      const r = await this.rotate();
      if (r.ok) {
        backoffUs = this.options.initialBackoffUs;
        continue;
      }
      this.ports.trace.emit('kubelet.certificate-rotate-error', {
        node: this.nodeName,
        signer: this.what.signerName,
        error: r.message,
        retryInUs: backoffUs,
      });
      await this.ports.clock.sleep(backoffUs);
      backoffUs = Math.min(2 * backoffUs, this.options.maxBackoffUs);
    }
  }

  private async sleepUntil(deadlineUs: Micros): Promise<void> {
    for (;;) {
      const leftUs = deadlineUs - this.ports.clock.now();
      if (leftUs <= 0 || this.stopped) return;
      await this.ports.clock.sleep(Math.min(leftUs, MAX_SLEEP_US));
    }
  }

  /** One rotation: a new key and request, the certificate, installed; or why not. */
  async rotate(): Promise<RotationResult> {
    const issued = await requestCertificate(this.ports, this.client, this.what, {
      pollUs: this.options.pollUs,
      timeoutUs: this.options.timeoutUs,
      request: (subject) => this.keeper.request(subject),
      ...(this.options.expirationSeconds === undefined
        ? {}
        : { expirationSeconds: this.options.expirationSeconds }),
    });
    if (!issued.ok) return issued;
    const installed = this.keeper.install(issued.certificate);
    if (!installed.ok) return { ok: false, message: installed.message };
    this.ports.trace.emit('kubelet.certificate-rotate', {
      node: this.nodeName,
      signer: this.what.signerName,
      csr: issued.csr,
      notAfterUs: installed.validity.notAfterUs,
    });
    return { ok: true, csr: issued.csr, validity: installed.validity };
  }
}
