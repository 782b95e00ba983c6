/**
 * A joined node's side of the kubelet's certificate manager (core/kubelet/certificate-manager.ts):
 * the key pairs and the files. Each request gets a new P-256 key and a PKCS#10 request made
 * with openssl; the issued certificate is checked (the cluster CA's, for this node, valid now,
 * for the pending key) before it is stored as `pki/<pair>-<time>.pem` with the -current link
 * moved to it, and handed to `use` — the node's connections: new ones to the API server
 * present a new client certificate, new ones to the kubelet port are served with a new
 * serving certificate.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CertificateSubject } from '../../core/api/kinds/certificate-signing-request.ts';
import type {
  CertificateKeeper,
  CertificateValidity,
} from '../../core/kubelet/certificate-manager.ts';
import { makeKeyAndRequest, type SubjectAltNames } from '../http/certificates.ts';
import {
  certificateProblem,
  splitPair,
  writeCertificatePair,
  type KubeletPair,
} from './node-credential.ts';

export interface FileKeeperOptions {
  /** The node's directory (its pki/ holds the pairs). */
  readonly dir: string;
  readonly pair: KubeletPair;
  readonly nodeName: string;
  /** The cluster CA (PEM) the certificates must come from. */
  readonly ca: string;
  /** A serving certificate's names: the node's addresses. */
  readonly altNames?: SubjectAltNames;
  /** The wall clock, Unix milliseconds. */
  readonly nowMs: () => number;
  /** Puts a pair in use (called for the stored pair at start, too). */
  readonly use: (pair: { readonly cert: string; readonly key: string }) => void;
}

/** A certificate's validity in Unix microseconds. */
export function validityOf(cert: string): CertificateValidity {
  const x = new X509Certificate(cert);
  return {
    notBeforeUs: Date.parse(x.validFrom) * 1000,
    notAfterUs: Date.parse(x.validTo) * 1000,
  };
}

/**
 * The pair stored at `<pair>-current.pem` if it is usable now (the CA's, this node's, valid,
 * with its key), else why not (undefined when there is none).
 */
export function readCurrentPair(
  options: Pick<FileKeeperOptions, 'dir' | 'pair' | 'nodeName' | 'ca'>,
  nowMs: number,
): { readonly cert: string; readonly key: string } | { readonly problem: string } | undefined {
  let pem: string;
  try {
    pem = readFileSync(`${options.dir}/pki/${options.pair}-current.pem`, 'utf8');
  } catch {
    return undefined;
  }
  const pair = splitPair(pem);
  if (pair === undefined)
    return { problem: `${options.pair}-current.pem holds no certificate and key` };
  const problem = certificateProblem(pair.cert, pair.key, options.nodeName, options.ca, nowMs);
  return problem === undefined ? pair : { problem };
}

/** Whether `cert` names every DNS name and IP address of `names` among its subjectAltNames. */
export function carriesNames(cert: string, names: SubjectAltNames): boolean {
  const has = new Set(
    (new X509Certificate(cert).subjectAltName ?? '').split(', ').filter((n) => n !== ''),
  );
  return (
    names.dnsNames.every((n) => has.has(`DNS:${n}`)) &&
    names.ipAddresses.every((ip) => has.has(`IP Address:${ip}`))
  );
}

export class FileCertificateKeeper implements CertificateKeeper {
  private validity: CertificateValidity | undefined;
  private pendingKey: string | undefined;

  constructor(private readonly options: FileKeeperOptions) {
    const stored = readCurrentPair(options, options.nowMs());
    // A serving certificate for other names (the node's address changed) is asked for again.
    if (
      stored !== undefined &&
      !('problem' in stored) &&
      (options.altNames === undefined || carriesNames(stored.cert, options.altNames))
    ) {
      this.validity = validityOf(stored.cert);
      options.use(stored);
    }
  }

  current(): CertificateValidity | undefined {
    return this.validity;
  }

  request(subject: CertificateSubject): string {
    const made = makeKeyAndRequest(
      { user: subject.commonName, groups: subject.organizations },
      this.options.altNames,
    );
    this.pendingKey = made.key;
    return Buffer.from(made.request).toString('base64');
  }

  install(
    certificate: string,
  ):
    | { readonly ok: true; readonly validity: CertificateValidity }
    | { readonly ok: false; readonly message: string } {
    const key = this.pendingKey;
    if (key === undefined) return { ok: false, message: 'no request is pending' };
    const { dir, pair, nodeName, ca, nowMs } = this.options;
    const problem = certificateProblem(certificate, key, nodeName, ca, nowMs());
    if (problem !== undefined)
      return { ok: false, message: `the issued certificate: ${problem.replace('stored ', '')}` };
    writeCertificatePair(dir, pair, certificate, key, nowMs());
    this.pendingKey = undefined;
    this.validity = validityOf(certificate);
    this.options.use({ cert: certificate, key });
    return { ok: true, validity: this.validity };
  }
}
