/**
 * `ksim real store`: one Raft store member as its own OS process, on the host's ports
 * (real/host): its WAL and snapshots under --data-dir with fsync before any write is
 * acknowledged, Raft and client traffic over framed TCP to the addresses --peers names. Three
 * such processes, each given the same --peers, form a cluster; a member killed at any moment
 * and started again on its directory rejoins with every write it acknowledged.
 */
import { mkdirSync } from 'node:fs';
import { storeMemberPlan } from '../../core/cluster/assembly.ts';
import type { MemberPeer } from '../../core/store/member/kv-member.ts';
import type { TraceLevel } from '../../core/trace/define.ts';
import {
  formatHostPort,
  parseAddressBook,
  parseHostPort,
  type AddressBook,
} from '../../real/host/address-book.ts';
import { hostProcess } from '../../real/host/host-process.ts';
import { TcpTransport } from '../../real/host/tcp-transport.ts';
import { KSIM_VERSION } from '../version.ts';
import { CliError, fsReason } from './errors.ts';

export interface RealStoreOptions {
  readonly name: string;
  readonly dataDir: string;
  /** host:port to bind; may differ from this member's --peers entry (e.g. 0.0.0.0:2380). */
  readonly listen: string;
  /** name=host:port for every member, this one included, the same list on every member. */
  readonly peers: string;
  readonly seed?: number;
  /** Raft tick (upstream's heartbeat interval, 100 ms); elections take 10 ticks. */
  readonly tickUs?: number;
  readonly trace?: string;
  readonly traceLevel?: TraceLevel;
  readonly checkTrace?: boolean;
}

/** Parses the member list: Raft ids are positions in it, from 1, so every member agrees. */
export function storePeers(options: RealStoreOptions): { book: AddressBook; peers: MemberPeer[] } {
  const book = parseAddressBook(options.peers);
  if (typeof book === 'string') throw new CliError(`--peers: ${book}`);
  if (!book.has(options.name))
    throw new CliError(
      `--name ${options.name} is not among --peers (${[...book.keys()].join(', ')})`,
    );
  const listen = parseHostPort(options.listen);
  if (typeof listen === 'string') throw new CliError(`--listen: ${listen}`);
  const peers = [...book.keys()].map((address, i) => ({ id: i + 1, address }));
  book.set(options.name, listen);
  return { book, peers };
}

/**
 * Runs the member until SIGTERM or SIGINT, then closes its sockets and files and returns 0.
 * A failed disk or a programmer error ends the process with exit code 3 (real/host).
 */
export async function realStoreCommand(
  options: RealStoreOptions,
  out: (s: string) => void,
): Promise<number> {
  const { book, peers } = storePeers(options);
  if (options.tickUs !== undefined && options.tickUs < 1_000)
    throw new CliError(`--tick must be at least 1ms (timers are whole milliseconds)`);
  try {
    mkdirSync(options.dataDir, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot make the data directory ${options.dataDir}: ${fsReason(e)}`);
  }
  const transport = new TcpTransport(options.name, book);
  try {
    await transport.start();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EADDRINUSE' ? 'the address is in use' : err.message;
    throw new CliError(`cannot listen on ${options.listen}: ${why}`);
  }
  const host = hostProcess({
    name: options.name,
    dataDir: options.dataDir,
    transport,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.trace === undefined
      ? {}
      : {
          trace: {
            path: options.trace,
            level: options.traceLevel ?? 'info',
            ksimVersion: KSIM_VERSION,
            check: options.checkTrace === true,
          },
        }),
  });
  const id = peers.find((p) => p.address === options.name)!.id;
  const plan = storeMemberPlan(
    { id, peers, ...(options.tickUs === undefined ? {} : { tickUs: options.tickUs }) },
    options.name,
  );
  plan.start(host.ports);
  out(
    `store member ${options.name} (id ${id}) listening on ${formatHostPort(book.get(options.name)!)}  data ${options.dataDir}  seed ${host.seed}`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await transport.close();
  await host.close();
  out(`store member ${options.name} stopped`);
  return 0;
}
