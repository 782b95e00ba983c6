/**
 * `ksim real process --dir D --name NAME`: one control-plane process of a real cluster, as
 * `ksim real up` and `ksim real control-plane` start it. The process is planned by the one
 * cluster assembly (core/cluster) from the cluster's file, exactly as the simulator plans it,
 * and started on the host's ports: wall clock, files under D/data/NAME, a JSONL trace, the
 * framed-TCP transport at its address-book entry. The API server process also serves the HTTPS
 * front on the control plane's listen address, passing requests to itself over the transport.
 * When it is up the process writes D/run/NAME.ready; SIGTERM stops it cleanly. Nodes are not
 * its: they run `ksim real node` (real-node-command.ts), `up`'s too.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { componentClient, planCluster, type ClusterHost } from '../../core/cluster/assembly.ts';
import { KUBE_APISERVER_KUBELET_CLIENT } from '../../core/api/kubelet-protocol.ts';
import { API_SERVER, METRICS_SERVER_IDENTITY } from '../../core/cluster/identities.ts';
import {
  addressBook,
  clusterPaths,
  readClusterConfig,
  realClusterSpec,
} from '../../real/cluster/cluster-config.ts';
import { caCertificateSigner, clusterSigner } from '../../real/cluster/cluster-ca.ts';
import { apiHost } from '../../real/cluster/lifecycle.ts';
import { NodeAddressBook } from '../../real/cluster/node-address-book.ts';
import { transportBackend } from '../../real/cluster/transport-backend.ts';
import { EtcdKv, readEtcdTls } from '../../real/etcd/etcd-kv.ts';
import { formatHostPort } from '../../real/host/address-book.ts';
import { hostProcess } from '../../real/host/host-process.ts';
import { DEFAULT_TCP_TRANSPORT, TcpTransport } from '../../real/host/tcp-transport.ts';
import { peerCredentials } from '../../real/cluster/peer-credentials.ts';
import { startApiFront, type ApiFront } from '../../real/http/api-front.ts';
import { KSIM_VERSION } from '../version.ts';
import { CliError } from './errors.ts';

export interface RealProcessOptions {
  readonly dir: string;
  readonly name: string;
}

export async function realProcessCommand(
  options: RealProcessOptions,
  out: (s: string) => void,
): Promise<number> {
  const config = readClusterConfig(options.dir);
  if (config === undefined)
    throw new CliError(`no cluster in ${options.dir} (ksim real up makes one)`);
  const paths = clusterPaths(options.dir);
  const signer = clusterSigner(options.dir, config);
  const host: ClusterHost<undefined> = {
    signer,
    machine: () => {
      throw new Error('a node joins as ksim real node, never as a ksim real process');
    },
  };
  const rootCA = existsSync(paths.ca) ? readFileSync(paths.ca, 'utf8') : undefined;
  // On etcd, the API server's store client is the etcd adapter (closed when the process stops).
  let etcd: EtcdKv | undefined;
  const endpoints = config.etcd;
  const etcdTls = config.etcdTls === undefined ? undefined : readEtcdTls(config.etcdTls);
  const storeClient =
    endpoints === undefined
      ? undefined
      : () =>
          (etcd = new EtcdKv({ endpoints, ...(etcdTls === undefined ? {} : { tls: etcdTls }) }));
  const joinable = config.controlPlane !== undefined;
  const csrSigner = joinable
    ? caCertificateSigner(readFileSync(paths.ca, 'utf8'), readFileSync(paths.caKey, 'utf8'))
    : undefined;
  const plan = planCluster(realClusterSpec(config, rootCA, storeClient, csrSigner), host);
  const process_ = plan.processes.find((p) => p.name === options.name);
  if (process_ === undefined) {
    const names = plan.processes.map((p) => p.name).join(', ');
    throw new CliError(`--name ${options.name} is not a process of this cluster (${names})`);
  }
  const name = process_.name;
  // Nodes that join a control plane are found through their Node objects, by the processes
  // that dial kubelets: the API server (logs, exec, attach) and metrics-server.
  const nodeBook =
    config.controlPlane !== undefined &&
    (process_.role === 'apiserver' || process_.role === 'metrics-server')
      ? new NodeAddressBook(addressBook(config))
      : undefined;
  const book = nodeBook ?? addressBook(config);
  // With --kubelet-certificate-authority the API server dials joined kubelets over TLS and
  // verifies their serving certificates with that CA and the Node's InternalIP (Node's
  // checkServerIdentity matches an IP host against the certificate's IP subjectAltNames).
  const kubeletCaPath = config.controlPlane?.kubeletCertificateAuthority;
  const kubeletCa = kubeletCaPath === undefined ? undefined : readFileSync(kubeletCaPath, 'utf8');
  // A control plane's API server takes mutual TLS from nodes of other hosts on its transport.
  const tls =
    joinable && name === API_SERVER
      ? {
          server: {
            cert: readFileSync(paths.cert, 'utf8'),
            key: readFileSync(paths.key, 'utf8'),
            ca: readFileSync(paths.ca, 'utf8'),
          },
          fromPeer: peerCredentials(signer),
          ...(kubeletCa === undefined || nodeBook === undefined
            ? {}
            : { client: (to: string) => (nodeBook.isNode(to) ? { ca: kubeletCa } : undefined) }),
        }
      : undefined;
  const transport = new TcpTransport(
    name,
    book,
    tls === undefined ? DEFAULT_TCP_TRANSPORT : { ...DEFAULT_TCP_TRANSPORT, tls },
  );
  await transport.start();
  mkdirSync(paths.data(name), { recursive: true });
  const hp = hostProcess({
    name,
    dataDir: paths.data(name),
    transport,
    trace: { path: paths.trace(name), level: 'info', ksimVersion: KSIM_VERSION },
  });
  process_.start(hp.ports);
  // Each lists Nodes as itself: the API server as its kubelet client, metrics-server as its
  // ServiceAccount (system:metrics-server reads nodes).
  const lister =
    process_.role === 'apiserver' ? KUBE_APISERVER_KUBELET_CLIENT : METRICS_SERVER_IDENTITY;
  nodeBook?.follow(componentClient(hp.ports, signer, lister));
  let front: ApiFront | undefined;
  if (name === API_SERVER) {
    front = await startApiFront(transportBackend(transport, API_SERVER), {
      host: apiHost(config),
      port: config.httpsPort,
      tls: { key: readFileSync(paths.key, 'utf8'), cert: readFileSync(paths.cert, 'utf8') },
    });
  }
  const address = formatHostPort(book.get(name)!);
  writeFileSync(
    paths.ready(name),
    JSON.stringify({ pid: process.pid, address, ...(front ? { url: front.url } : {}) }),
  );
  out(
    `${name} (${process_.role}) at ${address}${front ? `, API at ${front.url}` : ''}  seed ${hp.seed}`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  rmSync(paths.ready(name), { force: true });
  nodeBook?.stop();
  await front?.close();
  await transport.close();
  await hp.close();
  etcd?.close();
  out(`${name} stopped`);
  return 0;
}
