/**
 * The API server's store client on a real etcd (v3 API, tested against Debian's etcd 3.4),
 * through the etcd3 npm package's raw gRPC clients: our Ops (core/store/types.ts) map one to
 * one onto etcd's KV, Lease and Watch calls, and etcd's answers back onto our results, so the
 * API server above cannot tell the two stores apart — resourceVersions are etcd's revisions,
 * watches resume from a revision, and a compacted revision is our 'compacted' StoreError (410).
 *
 * Outcomes follow KvClient's: a read that fails is retried (etcd3 spreads calls over the
 * endpoints) and then reported not applied; a write that fails on the way (deadline, lost
 * connection, leader change) is reported unknown, because etcd may have committed it, except
 * when etcd says it never took it (no leader, too many requests).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { CallOptions } from '@grpc/grpc-js';
import { noop } from 'cockatiel';
import {
  Etcd3,
  type ICompare,
  type IEvent,
  type IKeyValue,
  type IRequestOp,
  type IResponseHeader,
  type IResponseOp,
  type IWatchResponse,
} from 'etcd3';
import type {
  KvOutcome,
  KvWatch,
  KvWatchHandlers,
  NotAppliedOutcome,
  StoreClient,
  UnknownOutcome,
} from '../../core/store/kv-client.ts';
import {
  leaseId,
  revision,
  watchId,
  type Compare,
  type DeleteRangeResult,
  type KeyValue,
  type Op,
  type PutResult,
  type RangeResult,
  type Result,
  type ResultOf,
  type StoreError,
  type StoreErrorReason,
  type TxnRequestOp,
  type TxnResponse,
  type WatchEvent,
  type WatchRequest,
} from '../../core/store/types.ts';

export interface EtcdKvOptions {
  /** `host:port` of each member (etcd's --advertise-client-urls, without the scheme). */
  readonly endpoints: readonly string[];
  /** TLS to every member (etcd's https client URLs); absent: plain gRPC. */
  readonly tls?: EtcdTls;
  readonly requestTimeoutMs?: number;
  /** Reads are retried this many times; writes never are. */
  readonly readRetries?: number;
}

/** PEM contents: the CA that signed etcd's serving certificates, and a client certificate. */
export interface EtcdTls {
  /** Absent: the system's roots. */
  readonly ca?: Buffer;
  /** Both or neither: the client's certificate for etcd's --client-cert-auth. */
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** kube-apiserver's --etcd-cafile, --etcd-certfile and --etcd-keyfile: paths to PEM files. */
export interface EtcdTlsFiles {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** Where the API server's etcd is, as `--store` and the --etcd-* flags name it. */
export interface EtcdTarget {
  readonly endpoints: readonly string[];
  /** Present for `etcds://`: TLS, with these files (each optional). */
  readonly tls?: EtcdTlsFiles;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
const DEFAULT_READ_RETRIES = 3;

const STORE_FORM = 'etcd://HOST:PORT[,HOST:PORT...] or etcds://... (TLS)';

/** Parses `etcd://HOST:PORT[,HOST:PORT...]` into endpoints; a string saying what is wrong. */
export function parseEtcdUrl(url: string): readonly string[] | string {
  const target = parseEtcdStore(url);
  if (typeof target === 'string') return target;
  if (target.tls !== undefined) return `--store ${url}: expected etcd://, not etcds://`;
  return target.endpoints;
}

/**
 * `--store etcd://...` (plain) or `etcds://...` (TLS, as kube-apiserver's https://
 * --etcd-servers), with the --etcd-* files, which only TLS uses: given with a plain URL they
 * are refused rather than ignored. A client certificate needs its key and the key its
 * certificate.
 */
export function parseEtcdStore(url: string, files: EtcdTlsFiles = {}): EtcdTarget | string {
  const m = /^(etcds?):\/\/(.*)$/.exec(url);
  if (m === null) return `--store must be ${STORE_FORM}, got ${url}`;
  const endpoints = m[2]!.split(',');
  for (const e of endpoints) {
    const hp = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(e);
    if (hp === null || Number(hp[2]) < 1 || Number(hp[2]) > 65_535)
      return `--store ${url}: '${e}' is not HOST:PORT`;
  }
  const given = (['caFile', 'certFile', 'keyFile'] as const).filter((f) => files[f] !== undefined);
  const flag = (f: string): string => `--etcd-${f.replace('File', 'file')}`;
  if (m[1] === 'etcd') {
    if (given.length > 0)
      return `${given.map(flag).join(', ')} need TLS: use --store etcds://${m[2]!}`;
    return { endpoints };
  }
  if ((files.certFile === undefined) !== (files.keyFile === undefined))
    return '--etcd-certfile and --etcd-keyfile go together (a client certificate and its key)';
  const tls: EtcdTlsFiles = {};
  for (const f of given) (tls as Record<string, string>)[f] = files[f]!;
  return { endpoints, tls };
}

/** Reads the --etcd-* files; an Error naming the flag and file that cannot be read. */
export function readEtcdTls(files: EtcdTlsFiles): EtcdTls {
  const read = (flag: string, path: string | undefined): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(`${flag} ${path}: cannot read it (${code ?? String(e)})`);
    }
  };
  const ca = read('--etcd-cafile', files.caFile);
  const cert = read('--etcd-certfile', files.certFile);
  const key = read('--etcd-keyfile', files.keyFile);
  return { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
}

const buf = (s: string): Buffer => Buffer.from(s, 'utf8');
const num = (s: string | number | null | undefined): number => Number(s ?? 0);

function keyValue(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: (kv.value ?? Buffer.alloc(0)).toString('utf8'),
    createRevision: revision(num(kv.create_revision)),
    modRevision: revision(num(kv.mod_revision)),
    version: num(kv.version),
    lease: leaseId(num(kv.lease)),
  };
}

const header = (h: IResponseHeader | null | undefined) => ({
  revision: revision(num(h?.revision)),
});

const COMPARE_RESULT = { '=': 'Equal', '!=': 'NotEqual', '<': 'Less', '>': 'Greater' } as const;

function compare(c: Compare): ICompare {
  const base = { key: buf(c.key), result: COMPARE_RESULT[c.result] };
  switch (c.target) {
    case 'value':
      return { ...base, target: 'Value', value: buf(c.value) };
    case 'version':
      return { ...base, target: 'Version', version: c.value };
    case 'create':
      return { ...base, target: 'Create', create_revision: c.value };
    case 'mod':
      return { ...base, target: 'Mod', mod_revision: c.value };
    case 'lease':
      return { ...base, target: 'Lease', lease: c.value };
  }
}

function requestOp(op: TxnRequestOp): IRequestOp {
  switch (op.kind) {
    case 'put':
      return {
        request_put: {
          key: buf(op.key),
          value: buf(op.value),
          lease: op.lease ?? 0,
          prev_kv: op.prevKv === true,
          ignore_value: op.ignoreValue === true,
          ignore_lease: op.ignoreLease === true,
        },
      };
    case 'range':
      return {
        request_range: {
          key: buf(op.key),
          ...(op.rangeEnd ? { range_end: buf(op.rangeEnd) } : {}),
          limit: op.limit ?? 0,
          revision: op.revision ?? 0,
          count_only: op.countOnly === true,
          keys_only: op.keysOnly === true,
        },
      };
    case 'delete-range':
      return {
        request_delete_range: {
          key: buf(op.key),
          ...(op.rangeEnd ? { range_end: buf(op.rangeEnd) } : {}),
          prev_kv: op.prevKv === true,
        },
      };
  }
}

function rangeResult(r: {
  header: IResponseHeader;
  kvs: IKeyValue[];
  more: boolean;
  count: string;
}): RangeResult {
  return {
    kind: 'range',
    header: header(r.header),
    kvs: (r.kvs ?? []).map(keyValue),
    count: num(r.count),
    more: r.more === true,
  };
}

function putResult(r: { header: IResponseHeader; prev_kv: IKeyValue | null }): PutResult {
  return {
    kind: 'put',
    header: header(r.header),
    ...(r.prev_kv ? { prevKv: keyValue(r.prev_kv) } : {}),
  };
}

function deleteResult(
  r: { header: IResponseHeader; deleted: string; prev_kvs: IKeyValue[] },
  prevKv: boolean,
): DeleteRangeResult {
  return {
    kind: 'delete-range',
    header: header(r.header),
    deleted: num(r.deleted),
    ...(prevKv ? { prevKvs: (r.prev_kvs ?? []).map(keyValue) } : {}),
  };
}

function responseOp(r: IResponseOp, op: TxnRequestOp | undefined): TxnResponse {
  if (r.response_range) return rangeResult(r.response_range);
  if (r.response_put) return putResult(r.response_put);
  if (r.response_delete_range)
    return deleteResult(r.response_delete_range, op?.kind === 'delete-range' && op.prevKv === true);
  throw new Error(`etcd answered a txn op with no response we know: ${JSON.stringify(r)}`);
}

/** etcd's error messages (api/v3rpc/rpctypes/error.go) that are our StoreErrors. */
const STORE_ERRORS: readonly (readonly [string, StoreErrorReason])[] = [
  ['required revision has been compacted', 'compacted'],
  ['required revision is a future revision', 'future-revision'],
  ['key is not provided', 'empty-key'],
  ['key not found', 'key-not-found'],
  ['value is provided', 'value-provided'],
  ['lease is provided', 'lease-provided'],
  ['requested lease not found', 'lease-not-found'],
  ['lease already exists', 'lease-exists'],
  ['too many operations in txn request', 'too-many-ops'],
  ['duplicate key given in txn request', 'duplicate-key-in-txn'],
  ['lease TTL', 'invalid-lease'],
];

/** Failures etcd reports for a request it never proposed. */
const NOT_TAKEN = ['no leader', 'too many requests', 'not capable', 'not supported'];

/** Whether `op` writes nothing: only such an op may be retried. */
const isRead = (op: Op): boolean =>
  op.kind === 'range' ||
  (op.kind === 'txn' && [...op.success, ...op.failure].every((o) => o.kind === 'range'));

/** grpc's createSsl arguments; without a CA file, the roots node trusts. */
function grpcCredentials(tls: EtcdTls): {
  rootCertificate: Buffer;
  privateKey?: Buffer;
  certChain?: Buffer;
} {
  return {
    rootCertificate: tls.ca ?? Buffer.from(rootCertificates.join('\n')),
    ...(tls.key && { privateKey: tls.key }),
    ...(tls.cert && { certChain: tls.cert }),
  };
}

export class EtcdKv implements StoreClient {
  private readonly client: Etcd3;
  private readonly timeoutMs: number;
  private readonly readRetries: number;

  constructor(options: EtcdKvOptions) {
    if (options.endpoints.length === 0) throw new Error('EtcdKv needs at least one endpoint');
    const tls = options.tls;
    this.client = new Etcd3({
      hosts: options.endpoints.map((e) => `${tls === undefined ? 'http' : 'https'}://${e}`),
      ...(tls === undefined ? {} : { credentials: grpcCredentials(tls) }),
      // We decide what is retried (reads only), not the client library.
      faultHandling: { global: noop },
    });
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.readRetries = options.readRetries ?? DEFAULT_READ_RETRIES;
  }

  close(): void {
    this.client.close();
  }

  async do<O extends Op>(op: O): Promise<KvOutcome<O>> {
    const read = isRead(op);
    let lastReason = 'no attempt';
    for (let attempt = 0; attempt <= (read ? this.readRetries : 0); attempt++) {
      try {
        return (await this.call(op)) as ResultOf<O>;
      } catch (e) {
        const message = (e as Error).message ?? String(e);
        const storeError = storeErrorOf(message);
        if (storeError !== undefined) return storeError;
        lastReason = message;
        if (!read && !NOT_TAKEN.some((m) => message.includes(m)))
          return { kind: 'unknown', reason: lastReason } satisfies UnknownOutcome;
      }
    }
    return { kind: 'not-applied', reason: lastReason } satisfies NotAppliedOutcome;
  }

  private callOptions(): CallOptions {
    return { deadline: Date.now() + this.timeoutMs };
  }

  /** One etcd call for `op`; throws what the etcd client throws. */
  private async call(op: Op): Promise<Result> {
    const kv = this.client.kv;
    switch (op.kind) {
      case 'range':
        return rangeResult(await kv.range(requestOp(op).request_range!, this.callOptions()));
      case 'put':
        return putResult(await kv.put(requestOp(op).request_put!, this.callOptions()));
      case 'delete-range':
        return deleteResult(
          await kv.deleteRange(requestOp(op).request_delete_range!, this.callOptions()),
          op.prevKv === true,
        );
      case 'txn': {
        const r = await kv.txn(
          {
            compare: op.compare.map(compare),
            success: op.success.map(requestOp),
            failure: op.failure.map(requestOp),
          },
          this.callOptions(),
        );
        const branch = r.succeeded ? op.success : op.failure;
        return {
          kind: 'txn',
          header: header(r.header),
          succeeded: r.succeeded,
          responses: (r.responses ?? []).map((x, i) => responseOp(x, branch[i])),
        };
      }
      case 'compact': {
        // Physical: the call returns once the old revisions are gone, as our store's does.
        const r = await kv.compact({ revision: op.revision, physical: true }, this.callOptions());
        return { kind: 'compact', header: header(r.header) };
      }
      case 'lease-grant': {
        // etcd picks a random int64 id for 0, which a JS number may not hold: pick a safe one.
        const id = op.id === 0 ? randomLeaseId() : op.id;
        const r = await this.client.leaseClient.leaseGrant(
          { ID: id, TTL: op.ttlSeconds },
          this.callOptions(),
        );
        if (r.error) throw new Error(r.error);
        return {
          kind: 'lease-grant',
          header: header(r.header),
          id: leaseId(num(r.ID)),
          ttlSeconds: num(r.TTL),
        };
      }
      case 'lease-revoke': {
        const r = await this.client.leaseClient.leaseRevoke({ ID: op.id }, this.callOptions());
        return { kind: 'lease-revoke', header: header(r.header) };
      }
    }
  }

  watch(request: WatchRequest, handlers: KvWatchHandlers): KvWatch {
    const watch = new EtcdWatch(handlers);
    this.client.watchClient.watch().then(
      (stream) => watch.attach(stream, request),
      (e: unknown) => watch.fail(`etcd watch stream did not open: ${(e as Error).message}`),
    );
    return watch;
  }
}

function storeErrorOf(message: string): StoreError | undefined {
  const found = STORE_ERRORS.find(([text]) => message.includes(text));
  if (found === undefined) return undefined;
  // etcd's error carries neither the revision nor (for a read) the compaction revision.
  return { kind: 'error', reason: found[1], header: { revision: revision(0) } };
}

function randomLeaseId(): number {
  // 52 random bits, never 0: a safe integer, as our LeaseId must be.
  return Number(randomBytes(8).readBigUInt64BE() % 2n ** 52n) + 1;
}

type WatchStream = Awaited<ReturnType<Etcd3['watchClient']['watch']>>;

/**
 * One etcd watch on its own gRPC stream. etcd may batch several revisions in one response; we
 * hand them on one revision at a time, as our store does. A response with neither events nor
 * a create/cancel flag is a progress notification.
 */
class EtcdWatch implements KvWatch {
  private stream: WatchStream | undefined;
  private done = false;

  constructor(private readonly handlers: KvWatchHandlers) {}

  attach(stream: WatchStream, request: WatchRequest): void {
    this.stream = stream;
    if (this.done) {
      stream.cancel();
      return;
    }
    stream.on('data', (r: IWatchResponse) => this.receive(r));
    stream.on('error', (e: Error) => this.fail(`etcd watch stream failed: ${e.message}`));
    stream.on('end', () => this.fail('etcd watch stream ended'));
    stream.write({
      create_request: {
        key: buf(request.key),
        ...(request.rangeEnd ? { range_end: buf(request.rangeEnd) } : {}),
        start_revision: request.startRevision ?? 0,
        prev_kv: request.prevKv === true,
        progress_notify: request.progressNotify === true,
      },
    });
  }

  cancel(): void {
    // As with KvClient, the owner's own cancel is not reported through onClose.
    this.done = true;
    this.stream?.cancel();
  }

  fail(reason: string, error?: StoreError): void {
    if (this.done) return;
    this.done = true;
    this.stream?.cancel();
    this.handlers.onClose(reason, error);
  }

  private receive(r: IWatchResponse): void {
    if (this.done) return;
    const compacted = num(r.compact_revision);
    if (compacted > 0) {
      return this.fail(`store refused the watch: compacted at ${compacted}`, {
        kind: 'error',
        reason: 'compacted',
        header: header(r.header),
        compactRevision: revision(compacted),
      });
    }
    if (r.canceled) return this.fail(`etcd cancelled the watch: ${r.cancel_reason || 'no reason'}`);
    const events = r.events ?? [];
    if (events.length === 0) {
      if (!r.created) this.handlers.onProgress(header(r.header).revision);
      return;
    }
    const id = watchId(num(r.watch_id));
    let batch: WatchEvent[] = [];
    let at = 0;
    for (const ev of events) {
      const event = watchEvent(ev);
      if (event.kv.modRevision !== at && batch.length > 0) {
        this.handlers.onEvents({ watchId: id, revision: revision(at), events: batch });
        batch = [];
      }
      at = event.kv.modRevision;
      batch.push(event);
    }
    this.handlers.onEvents({ watchId: id, revision: revision(at), events: batch });
  }
}

function watchEvent(ev: IEvent): WatchEvent {
  const kv = keyValue(ev.kv);
  const prevKv = ev.prev_kv ? { prevKv: keyValue(ev.prev_kv) } : {};
  if (ev.type === 'Delete') {
    const tombstone = {
      ...kv,
      value: '',
      createRevision: revision(0),
      version: 0,
      lease: leaseId(0),
    };
    return { type: 'DELETE', kv: tombstone, ...prevKv };
  }
  return { type: 'PUT', kv, ...prevKv };
}
