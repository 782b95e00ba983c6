import { Command, InvalidArgumentError } from 'commander';
import { KSIM_VERSION } from '../version.ts';
import { CliError, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE } from './errors.ts';
import { parseDuration } from '../scenario/schema.ts';
import { benchApiServer, benchControllers, benchKernel, benchStore } from './bench-command.ts';
import { benchSchedulerCommand } from './bench/scheduler-command.ts';
import { benchCluster } from './bench-cluster-command.ts';
import { CLUSTER_SHAPES } from './bench/cluster.ts';
import { CONTROLLERS_WORKLOADS, type ControllersWorkload } from './bench/controllers.ts';
import { APISERVER_BENCH_PHASES, type ApiServerBenchPhase } from './bench/apiserver.ts';
import { fuzzStoreCommand } from '../store-fuzz/fuzz-store.ts';
import { parseShard, type Shard } from '../cluster-fuzz/fuzz-cluster.ts';
import { fuzzClusterCommand, fuzzMergeCommand } from './fuzz-cluster-command.ts';
import { DEFAULT_WORKLOAD_MIX, WORKLOAD_MIXES } from '../store-fuzz/op-mix.ts';
import { collectNames, explainCommand } from './explain-command.ts';
import { reportCommand } from './report-command.ts';
import { serveCommand } from './serve-command.ts';
import { replaySessionCommand } from './replay-session-command.ts';
import { httpLoad } from './bench/http-load.ts';
import { benchRealStore } from './bench/real-store.ts';
import { realStoreCommand } from './real-store-command.ts';
import { realDownCommand, realStatusCommand, realUpCommand } from './real-cluster-command.ts';
import { realProcessCommand } from './real-process-command.ts';
import { realControlPlaneCommand } from './real-control-plane-command.ts';
import { realNodeCommand } from './real-node-command.ts';
import { runCommand } from './run-command.ts';
import { registerReplayCommand } from './replay-command.ts';
import { registerImportCommand } from './import-command.ts';
import { schemaCommand } from './schema-command.ts';
import { COST_MODELS, type CostModelName } from '../cost-model.ts';
import { realImageBuildCommand } from './real-image-command.ts';

/** A count: a positive integer (the option is named by commander's message). */
const asCount = (v: string): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(v)}`);
  return n;
};

/** The store options `ksim real up` and `ksim real control-plane` share. */
function withStoreOptions(command: Command): Command {
  return command
    .option('--store-members <n>', 'Raft store members, each its own process (default 1)', asCount)
    .option(
      '--store <url>',
      'etcd://HOST:PORT[,HOST:PORT...]: an etcd v3 cluster (3.4+) instead of the built-in store; etcds:// for TLS',
    )
    .option('--etcd-cafile <file>', "with etcds://: the CA of etcd's serving certificates (PEM)")
    .option('--etcd-certfile <file>', 'with etcds://: a client certificate for etcd (PEM)')
    .option('--etcd-keyfile <file>', "with etcds://: the client certificate's key (PEM)");
}

/** A size that may be zero. */
const asNonNegative = (v: string): number => {
  if (!/^\d+$/.test(v))
    throw new InvalidArgumentError(`expected a non-negative integer, got ${JSON.stringify(v)}`);
  return Number(v);
};

/** One of a fixed set of words. */
const oneOf =
  <T extends string>(values: readonly T[]) =>
  (v: string): T => {
    const found = values.find((x) => x === v);
    if (found === undefined)
      throw new InvalidArgumentError(
        `expected one of ${values.join(', ')}, got ${JSON.stringify(v)}`,
      );
    return found;
  };

/** `--cost-model zero|upstream-like`. */
const asCostModel = oneOf<CostModelName>(COST_MODELS);

/** `--shard K/N`. */
const asShard = (v: string): Shard => {
  const shard = parseShard(v);
  if (typeof shard === 'string') throw new InvalidArgumentError(shard);
  return shard;
};

/** Seeds are non-negative integers, as in scenario files. */
const asSeed = asNonNegative;

const asSizes = (v: string): number[] => {
  const sizes = v.split(',').map((s) => Number(s));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1))
    throw new InvalidArgumentError(
      `expected positive integers separated by commas, got ${JSON.stringify(v)}`,
    );
  return sizes;
};

const asApiServerPhases = (v: string): ApiServerBenchPhase[] => {
  const phases = v.split(',');
  const unknown = phases.filter((p) => !(APISERVER_BENCH_PHASES as readonly string[]).includes(p));
  if (unknown.length > 0 || phases.length === 0)
    throw new InvalidArgumentError(
      `expected phases from ${APISERVER_BENCH_PHASES.join(', ')} separated by commas, got ${JSON.stringify(v)}`,
    );
  return phases as ApiServerBenchPhase[];
};

const asSpeed = (v: string): number => {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n))
    throw new InvalidArgumentError(
      `expected a positive number such as 1, 10 or 0.5, got ${JSON.stringify(v)}`,
    );
  return n;
};

const asPort = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`expected a TCP port (0-65535), got ${JSON.stringify(v)}`);
  return n;
};

const asDuration = (v: string): number => {
  const us = parseDuration(v);
  if (us === undefined)
    throw new InvalidArgumentError(
      `expected a duration such as 30s or 5m, got ${JSON.stringify(v)}`,
    );
  return us;
};

const CHECK_MODE_HELP =
  'check mode: freeze every message and shared object, and round-trip a sample of messages through their codecs (slower, same trace)';

/** Where a command's output goes besides stdout. */
export interface CliStreams {
  /** Error lines: stderr. */
  readonly err?: (s: string) => void;
  /** A terminal for progress displays; absent when stderr is not a TTY. */
  readonly terminal?: NodeJS.WriteStream;
}

/**
 * The composition root: each subcommand is a thin shell over a library function. Results go
 * to `out` (stdout), every error to `streams.err` (stderr); the exit codes are in errors.ts.
 */
/** --dump-rules NODE FILE: commander gives the two words as one variadic option. */
function dumpRulesArgs(values: readonly string[]): { node: string; file: string } {
  const [node, file] = values;
  if (values.length !== 2 || node === undefined || file === undefined) {
    throw new CliError(
      `--dump-rules takes a node and a file (--dump-rules node-1 rules.txt), got ${values.length} value(s)`,
    );
  }
  return { node, file };
}

export async function main(
  argv: readonly string[],
  out: (s: string) => void = (s) => console.log(s),
  streams: CliStreams = {},
): Promise<number> {
  const err = streams.err ?? ((s: string) => console.error(s));
  let exitCode = EXIT_OK;
  const program = new Command()
    .name('ksim')
    .description('Deterministic discrete-event simulator of a Kubernetes-style control plane')
    .version(KSIM_VERSION, '-V, --version', 'print the ksim version')
    .configureOutput({
      writeOut: (s) => out(s.replace(/\n$/, '')),
      writeErr: (s) => err(s.replace(/\n$/, '')),
      // One prefix for every error line, commander's and ours.
      outputError: (s, write) => write(s.replace(/^error: /, 'ksim: ')),
    })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('run')
    .description('run a scenario file and print a summary')
    .argument('<scenario>', 'scenario YAML file, e.g. scenarios/quickstart.yaml')
    .option('--seed <n>', 'root seed (overrides spec.seed)', asSeed)
    .option('--trace <file>', 'write the trace as JSON lines to this file')
    .option(
      '--trace-level <level>',
      'info (components and faults) or debug (also every message)',
      oneOf(['info', 'debug'] as const),
      'info' as const,
    )
    .option('--check-trace', 'check every trace record against the trace schema (slower)')
    .option('--duration <d>', 'virtual time to run (overrides spec.duration)', asDuration)
    .option('--json', 'print the report as one JSON document (errors too)')
    .option('--quiet', 'no progress display on a terminal')
    .option('--report <file>', 'write an HTML report of the run (one self-contained file)')
    .option('--check-immutability', CHECK_MODE_HELP)
    .option('--pods', 'list every pod in the summary: phase, node, restarts')
    .option(
      '--dump-rules <node-and-file...>',
      "write the node's last kube-proxy ruleset (iptables-restore text) to the file",
    )
    .option(
      '--objects <file>',
      'also create the manifests of this file or directory (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--explain <pods>',
      'record why each scheduling attempt of these pods chose its node (names or namespace/name; repeat or comma-separate), at any trace level; read it with ksim explain',
      collectNames,
    )
    .action(
      async (
        file: string,
        opts: {
          seed?: number;
          pods?: boolean;
          objects?: string[];
          trace?: string;
          report?: string;
          explain?: string[];
          traceLevel: 'info' | 'debug';
          checkTrace?: boolean;
          duration?: number;
          json?: boolean;
          quiet?: boolean;
          checkImmutability?: boolean;
          dumpRules?: string[];
        },
      ) => {
        const { dumpRules, ...rest } = opts;
        exitCode = await runCommand(
          file,
          {
            ...rest,
            ...(dumpRules === undefined ? {} : { dumpRules: dumpRulesArgs(dumpRules) }),
            ...(opts.quiet || streams.terminal === undefined ? {} : { terminal: streams.terminal }),
          },
          out,
        );
      },
    );

  program
    .command('serve')
    .description(
      'run a scenario paced to the wall clock and serve its API over HTTP for kubectl and other clients, with a live report at /ui',
    )
    .argument('<scenario>', 'scenario YAML file, e.g. scenarios/quickstart.yaml')
    .option('--seed <n>', 'root seed (overrides spec.seed)', asSeed)
    .option(
      '--speed <x>',
      'virtual seconds per wall second (1 = real time, 10 = ten times faster)',
      asSpeed,
    )
    .option('--port <n>', 'TCP port on 127.0.0.1 (default: any free port)', asPort)
    .option('--kubeconfig <file>', 'where to write the cluster-admin kubeconfig')
    .option('--trace <file>', 'write the trace as JSON lines to this file')
    .option('--plain-http', 'serve plain HTTP, not HTTPS (kubectl sends no token over it)')
    .option('--paused', 'start with the virtual clock paused (resume it from the live view at /ui)')
    .option(
      '--record <file>',
      'write the session (each outside request, watch open and close, at its virtual time) for ksim replay-session',
    )
    .action(
      async (
        file: string,
        opts: {
          seed?: number;
          speed?: number;
          port?: number;
          kubeconfig?: string;
          trace?: string;
          plainHttp?: boolean;
          paused?: boolean;
          record?: string;
        },
      ) => {
        exitCode = await serveCommand(file, opts, out);
      },
    );

  program
    .command('replay-session')
    .description(
      'rerun a session ksim serve --record wrote, without pacing: the same trace as the served run',
    )
    .argument('<scenario>', 'the scenario the session was served from')
    .argument('<session>', 'the session file (JSON lines)')
    .option('--trace <file>', 'write the trace as JSON lines to this file')
    .action(async (file: string, session: string, opts: { trace?: string }) => {
      exitCode = await replaySessionCommand(file, session, opts, out);
    });

  program
    .command('explain')
    .description(
      'print why each scheduling attempt of a pod chose its node (filter verdicts, scores)',
    )
    .argument(
      '<trace>',
      'a trace written by ksim run --trace with --trace-level debug or --explain',
    )
    .argument('<pod>', 'the pod, by name or as namespace/name')
    .action(async (trace: string, pod: string) => {
      exitCode = await explainCommand(trace, pod, out);
    });

  program
    .command('report')
    .description('render a trace as one self-contained HTML report (d3 and the data inlined)')
    .argument('<trace>', 'a trace written by ksim run --trace, e.g. out/run.jsonl')
    .requiredOption('-o, --out <file>', 'the HTML file to write')
    .option('--title <title>', 'the report title (default: the trace file name)')
    .action(async (trace: string, opts: { out: string; title?: string }) => {
      exitCode = await reportCommand(trace, opts, out);
    });

  program
    .command('schema')
    .description(
      'print the JSON Schema of scenario files (for editors: scenarios/scenario.schema.json)',
    )
    .action(() => {
      exitCode = schemaCommand(out);
    });

  registerReplayCommand(program, out, streams.terminal, (code) => (exitCode = code));
  registerImportCommand(program, out, err, (code) => (exitCode = code));

  const real = program
    .command('real')
    .description(
      "real mode: ksim's core on this host (wall clock, TCP, files with fsync, containerd)",
    );
  real
    .command('image')
    .description('the local image real-mode pods run')
    .command('build')
    .description(`build the busybox-static OCI image (ksim.local/busybox:1): write it, import it`)
    .option('--out <file>', 'write the OCI archive to this file')
    .option('--address <socket>', 'import it into the containerd at this socket')
    .option('--namespace <ns>', 'the containerd namespace to import into (default: default)')
    .action(async (opts: { out?: string; address?: string; namespace?: string }) => {
      exitCode = await realImageBuildCommand(opts, out);
    });

  const bench = program.command('bench').description('benchmarks: print a table and write JSON');
  bench
    .command('http')
    .description('GETs per second from a concurrent client against a served API (ksim serve)')
    .requiredOption('--kubeconfig <file>', 'the kubeconfig ksim serve wrote')
    .option('--path <path>', 'the path to GET', '/api/v1/namespaces/default')
    .option('--connections <n>', 'keep-alive connections, one request in flight each', asCount, 64)
    .option('--seconds <n>', 'wall-clock seconds per round', asCount, 5)
    .option('--rounds <n>', 'rounds (the median is printed)', asCount, 3)
    .action(
      async (opts: {
        kubeconfig: string;
        path: string;
        connections: number;
        seconds: number;
        rounds: number;
      }) => {
        exitCode = await httpLoad(opts, out);
      },
    );
  bench
    .command('kernel')
    .description('event-loop timer throughput and network message throughput')
    .option('--out <file>', 'JSON output file', 'out/bench/kernel.json')
    .option('--seed <n>', 'root seed', asSeed)
    .option('--events <n>', 'timer events to run (messages: half of it)', asCount)
    .option('--check-immutability', CHECK_MODE_HELP)
    .action(
      async (opts: {
        out: string;
        seed?: number;
        events?: number;
        checkImmutability?: boolean;
      }) => {
        exitCode = await benchKernel(opts, out);
      },
    );

  bench
    .command('store')
    .description(
      'Raft-replicated store: committed writes and linearizable reads per wall-clock second',
    )
    .option('--out <file>', 'JSON output file (default out/bench/store.json, store-real.json)')
    .option('--seed <n>', 'root seed', asSeed)
    .option('--members <n>', 'store members', asCount, 3)
    .option('--clients <n>', 'concurrent clients (default 1000; 256 with --real)', asCount)
    .option(
      '--real',
      'three `ksim real store` processes over loopback TCP with fsynced WALs, wall-clock latency',
    )
    .option(
      '--etcd',
      'with --real: also three etcd 3.4 processes under the same workload, and the ratio',
    )
    .option('--writes <n>', 'measured writes', asCount)
    .option('--reads <n>', 'measured reads', asCount)
    .option('--repeat <n>', 'run the benchmark n times; rows report the median run', asCount, 1)
    .option('--check-immutability', CHECK_MODE_HELP)
    .action(
      async (opts: {
        out?: string;
        seed?: number;
        members: number;
        clients?: number;
        writes?: number;
        reads?: number;
        repeat: number;
        checkImmutability?: boolean;
        real?: boolean;
        etcd?: boolean;
      }) => {
        const { out: file, repeat, real: isReal, etcd, ...rest } = opts;
        const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
        if (etcd === true && isReal !== true) throw new CliError('--etcd needs --real');
        if (isReal === true) {
          if (opts.members !== 3) throw new CliError('--real runs 3 members');
          const { members: _members, checkImmutability: _check, ...real } = defined;
          exitCode = await benchRealStore(
            {
              out: file ?? 'out/bench/store-real.json',
              repeat,
              ...(etcd === true ? { etcd } : {}),
              ...real,
            },
            out,
          );
          return;
        }
        exitCode = await benchStore(
          { out: file ?? 'out/bench/store.json', repeat, ...defined },
          out,
        );
      },
    );

  bench
    .command('apiserver')
    .description(
      'the API server over the Raft store: requests per wall-clock second by verb, list sizes and watch fan-out',
    )
    .option('--out <file>', 'JSON output file', 'out/bench/apiserver.json')
    .option('--seed <n>', 'root seed', asSeed)
    .option('--members <n>', 'store members (0: the in-memory store)', asNonNegative, 3)
    .option('--clients <n>', 'concurrent clients', asCount)
    .option('--requests <n>', 'requests measured per verb', asCount)
    .option('--watchers <n>', 'watchers in the fan-out row', asCount)
    .option('--list-sizes <sizes>', 'sizes of the listed collections (default 1000,10000)', asSizes)
    .option(
      '--only <phases>',
      `comma-separated phases to run: ${APISERVER_BENCH_PHASES.join(', ')} (default all)`,
      asApiServerPhases,
    )
    .option('--repeat <n>', 'run the benchmark n times; rows report the median run', asCount, 1)
    .option('--check-immutability', CHECK_MODE_HELP)
    .action(
      async (opts: {
        out: string;
        seed?: number;
        members: number;
        clients?: number;
        requests?: number;
        watchers?: number;
        listSizes?: number[];
        only?: ApiServerBenchPhase[];
        repeat: number;
        checkImmutability?: boolean;
      }) => {
        const { out: file, repeat, ...rest } = opts;
        const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
        exitCode = await benchApiServer({ out: file, repeat, ...defined }, out);
      },
    );

  bench
    .command('controllers')
    .description(
      'a Deployment, a Job and a DaemonSet on simulated clusters: objects per wall-clock second until all Running or Complete',
    )
    .option('--out <file>', 'JSON output file', 'out/bench/controllers.json')
    .option('--seed <n>', 'root seed', asSeed)
    .option('--only <workload>', 'run one workload: deployment, job or daemonset')
    .option('--replicas <n>', 'Deployment replicas and Job completions (default 10000)', asCount)
    .option('--nodes <n>', 'nodes under the Deployment and the Job (default 1000)', asCount)
    .option('--daemon-nodes <n>', 'nodes under the DaemonSet (default 5000)', asCount)
    .option('--raft', 'the 3-member Raft store instead of the in-memory store')
    .option('--repeat <n>', 'run the benchmark n times; rows report the median run', asCount, 1)
    .option(
      '--cost-model <model>',
      'CPU cost model: zero or upstream-like (default zero)',
      asCostModel,
    )
    .option(
      '--no-priority-and-fairness',
      "the API server's --enable-priority-and-fairness=false: max-in-flight's 429s instead of fair queues",
    )
    .action(
      async (opts: {
        out: string;
        seed?: number;
        only?: string;
        replicas?: number;
        nodes?: number;
        daemonNodes?: number;
        raft?: boolean;
        repeat: number;
        costModel?: CostModelName;
        priorityAndFairness: boolean;
      }) => {
        const { out: file, repeat, only, raft, ...rest } = opts;
        if (only !== undefined && !CONTROLLERS_WORKLOADS.includes(only as ControllersWorkload)) {
          throw new CliError(
            `--only must be one of ${CONTROLLERS_WORKLOADS.join(', ')}, got ${JSON.stringify(only)}`,
          );
        }
        const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
        exitCode = await benchControllers(
          {
            out: file,
            repeat,
            raft: raft === true,
            ...(only === undefined ? {} : { only: only as ControllersWorkload }),
            ...defined,
          },
          out,
        );
      },
    );

  bench
    .command('cluster')
    .description(
      'whole simulated clusters on the 3-member Raft store: idle nodes for a virtual hour, and nodes with a Deployment until all pods Run',
    )
    .option('--out <file>', 'JSON output file', 'out/bench/cluster.json')
    .option('--json', 'print the JSON document instead of the table')
    .option('--seed <n>', 'root seed', asSeed)
    .option(
      '--only <rows>',
      `comma-separated rows: ${CLUSTER_SHAPES.map((s) => s.name).join(', ')} (default all)`,
      (v: string) => v.split(',').map((x) => x.trim()),
    )
    .option(
      '--nodes <n>',
      'one custom row of this many nodes instead of the built-in rows',
      asCount,
    )
    .option(
      '--pods <n>',
      'with --nodes: Deployment replicas (default 0, an idle row)',
      asNonNegative,
    )
    .option(
      '--virtual-seconds <n>',
      'with --nodes: virtual seconds (idle) or the limit (pods)',
      asCount,
    )
    .option('--repeat <n>', 'run the benchmark n times; rows report the median run', asCount, 1)
    .action(
      async (opts: {
        out: string;
        json?: boolean;
        seed?: number;
        only?: string[];
        nodes?: number;
        pods?: number;
        virtualSeconds?: number;
        repeat: number;
      }) => {
        const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
        exitCode = await benchCluster(defined as typeof opts, out);
      },
    );

  bench
    .command('scheduler')
    .description(
      'scheduler_perf-format workloads: pods scheduled per wall-clock second and attempt latency',
    )
    .argument('<workload-file>', 'e.g. scenarios/bench/scheduler/misc/performance-config.yaml')
    .option('--out <file>', 'JSON output file', 'out/bench/scheduler.json')
    .option('--seed <n>', 'root seed', asSeed)
    .option('--workload <regex>', 'only workloads whose "TestCase/Workload" matches')
    .option('--label-filter <labels>', 'upstream label filter (default: performance)')
    .option('--param <name=value...>', 'override a workload parameter, e.g. --param initNodes=500')
    .option(
      '--cost-model <model>',
      'virtual time per attempt from the CPU cost model (zero or upstream-like) instead of a fixed 1 ms',
      asCostModel,
    )
    .action(
      async (
        file: string,
        opts: {
          out: string;
          seed?: number;
          workload?: string;
          labelFilter?: string;
          param?: string[];
          costModel?: CostModelName;
        },
      ) => {
        const params: Record<string, number> = {};
        for (const p of opts.param ?? []) {
          const m = /^([A-Za-z_][\w]*)=(\d+)$/.exec(p);
          if (m === null)
            throw new CliError(`--param must look like name=integer, got ${JSON.stringify(p)}`);
          params[m[1] as string] = Number(m[2]);
        }
        exitCode = await benchSchedulerCommand(
          file,
          {
            out: opts.out,
            ...(opts.seed === undefined ? {} : { seed: opts.seed }),
            ...(opts.workload === undefined ? {} : { workload: opts.workload }),
            ...(opts.labelFilter === undefined ? {} : { labelFilter: opts.labelFilter }),
            ...(opts.param === undefined ? {} : { params }),
            ...(opts.costModel === undefined ? {} : { costModel: opts.costModel }),
          },
          out,
        );
      },
    );

  real
    .command('store')
    .description('run one Raft store member as this process; start one per --peers entry')
    .requiredOption('--name <name>', "this member's name in --peers")
    .requiredOption('--data-dir <dir>', 'where its WAL and snapshots live (made if missing)')
    .requiredOption('--listen <host:port>', 'the address to listen on')
    .requiredOption(
      '--peers <list>',
      'every member as name=host:port, comma-separated, the same list on every member',
    )
    .option('--seed <n>', 'root seed (default: drawn from the OS and printed)', asSeed)
    .option('--tick <d>', 'Raft tick; elections take 10 ticks (default 100ms)', asDuration)
    .option('--trace <file>', 'append the trace as JSON lines to this file')
    .option(
      '--trace-level <level>',
      'info or debug',
      oneOf(['info', 'debug'] as const),
      'info' as const,
    )
    .option('--check-trace', 'check every trace record against the trace schema (slower)')
    .action(
      async (opts: {
        name: string;
        dataDir: string;
        listen: string;
        peers: string;
        seed?: number;
        tick?: number;
        trace?: string;
        traceLevel: 'info' | 'debug';
        checkTrace?: boolean;
      }) => {
        exitCode = await realStoreCommand(
          {
            name: opts.name,
            dataDir: opts.dataDir,
            listen: opts.listen,
            peers: opts.peers,
            traceLevel: opts.traceLevel,
            ...(opts.seed === undefined ? {} : { seed: opts.seed }),
            ...(opts.tick === undefined ? {} : { tickUs: opts.tick }),
            ...(opts.trace === undefined ? {} : { trace: opts.trace }),
            ...(opts.checkTrace === true ? { checkTrace: true } : {}),
          },
          out,
        );
      },
    );

  withStoreOptions(
    real
      .command('up')
      .description(
        'start a whole cluster as processes on this host (root): a control plane, and nodes that join it as ksim real node does',
      )
      .requiredOption('--dir <dir>', 'the cluster directory: state, pids, logs, traces, kubeconfig')
      .option('--nodes <n>', 'nodes, each its own network namespace and containerd', asCount, 1)
      .option('--port <n>', "the HTTPS API port on the cluster bridge's address", asCount, 6443),
  ).action(
    async (opts: {
      dir: string;
      nodes: number;
      storeMembers?: number;
      store?: string;
      etcdCafile?: string;
      etcdCertfile?: string;
      etcdKeyfile?: string;
      port: number;
    }) => {
      exitCode = await realUpCommand(opts, out);
    },
  );
  withStoreOptions(
    real
      .command('control-plane')
      .description(
        'a control plane other hosts join (root not needed): store, API server, scheduler, controller manager; prints the join command',
      )
      .requiredOption(
        '--data-dir <dir>',
        'its directory: state, CA, pids, logs, traces, kubeconfig',
      )
      .requiredOption(
        '--listen <ip>',
        'the IPv4 address of this host nodes reach the API server at',
      )
      .option('--port <n>', 'the HTTPS API port on --listen', asCount, 6443),
  )
    .option(
      '--pod-network-cidr <cidr>',
      'the pods of all nodes; node IPAM gives each a /24 (default 10.244.0.0/16)',
    )
    .option('--member <name>', 'with --peers: the store member this control plane runs')
    .option(
      '--peers <list>',
      'name=host:port,...: every store member (on this host and others), the same list on each control plane',
    )
    .option(
      '--kubelet-certificate-authority <file>',
      "dial kubelets over TLS and verify their serving certificates with this CA (PEM; may be DATA-DIR/pki/ca.crt, the cluster's own)",
    )
    .action(
      async (opts: {
        member?: string;
        peers?: string;
        kubeletCertificateAuthority?: string;
        dataDir: string;
        listen: string;
        port: number;
        storeMembers?: number;
        store?: string;
        etcdCafile?: string;
        etcdCertfile?: string;
        etcdKeyfile?: string;
        podNetworkCidr?: string;
      }) => {
        exitCode = await realControlPlaneCommand(opts, out);
      },
    );
  real
    .command('node')
    .description(
      'join this host (its current network namespace) to a control plane as a node (root): kubelet, kube-proxy, containerd',
    )
    .requiredOption(
      '--server <url>',
      "the API server's https://HOST:PORT the control plane printed",
    )
    .requiredOption(
      '--token <token>',
      'the bootstrap token <id>.<secret> the control plane printed',
    )
    .requiredOption('--ca-file <file>', "the control plane's CA certificate (PEM)")
    .requiredOption('--name <name>', 'the Node name')
    .option('--ca-cert-hash <sha256:hex>', "refuse a CA file whose public key's hash differs")
    .option(
      '--dir <dir>',
      'the node state: containerd, pods, trace (default /var/lib/ksim-node/NAME)',
    )
    .option(
      '--node-ip <ip>',
      "the node's InternalIP (default: this host's address towards the server)",
    )
    .option(
      '--rotate-server-certificates',
      'ask the cluster CA for a kubelet serving certificate (approved by an admin) and serve TLS with it on the kubelet port',
    )
    .action(
      async (opts: {
        server: string;
        token: string;
        caFile: string;
        name: string;
        caCertHash?: string;
        dir?: string;
        nodeIp?: string;
        rotateServerCertificates?: boolean;
      }) => {
        exitCode = await realNodeCommand(opts, out);
      },
    );
  real
    .command('status')
    .description('each process of a real cluster: alive or dead, pid, address, ready')
    .requiredOption('--dir <dir>', 'the cluster directory ksim real up or control-plane made')
    .option('--json', 'print one JSON document')
    .action(async (opts: { dir: string; json?: boolean }) => {
      exitCode = await realStatusCommand(opts, out);
    });
  real
    .command('down')
    .description('stop a real cluster and remove its namespaces, bridge, containers and state')
    .requiredOption('--dir <dir>', 'the cluster directory ksim real up or control-plane made')
    .action(async (opts: { dir: string }) => {
      exitCode = await realDownCommand(opts, out);
    });
  real
    .command('process')
    .description(
      'one control-plane process of a real cluster (what ksim real up and control-plane start)',
    )
    .requiredOption('--dir <dir>', 'the cluster directory')
    .requiredOption('--name <name>', 'the process: etcd-0, apiserver, scheduler, ...')
    .action(async (opts: { dir: string; name: string }) => {
      exitCode = await realProcessCommand(opts, out);
    });

  const fuzz = program.command('fuzz').description('randomized fault campaigns with checkers');
  fuzz
    .command('store')
    .description(
      'Raft store under faults: invariants after every event, linearizability, watches, liveness',
    )
    .option('--runs <n>', 'number of runs', asCount, 100)
    .option('--seed <n>', 'first seed (run i uses seed + i)', asSeed, 1)
    .option('--members <n>', '3 or 5 (default: decided by each seed)', (v: string) =>
      Number(oneOf(['3', '5'] as const)(v)),
    )
    .option(
      '--duration <d>',
      'virtual time of the faulty phase of each run (default 8s)',
      asDuration,
    )
    .option('--clients <n>', 'concurrent clients of the workload (default 4)', asCount)
    .option(
      '--mix <mix>',
      `the ops clients draw: ${WORKLOAD_MIXES.join(' or ')} (default ${DEFAULT_WORKLOAD_MIX})`,
      oneOf(WORKLOAD_MIXES),
    )
    .option(
      '--workers <n>',
      'worker threads to spread the runs over; output and verdict do not depend on it (default 1)',
      asCount,
    )
    .option('--no-shrink', 'do not shrink a failing fault schedule')
    .option(
      '--strict',
      'fail on a run whose linearizability the checker cannot decide within its budget',
    )
    .option(
      '--checker-budget <steps>',
      'model steps the linearizability checker may take per history',
      asCount,
    )
    .option(
      '--no-check-immutability',
      'fast mode: share messages unfrozen and skip codec round trips (check mode is the default)',
    )
    .action(
      async (opts: {
        runs: number;
        seed: number;
        members?: 3 | 5;
        duration?: number;
        clients?: number;
        mix?: (typeof WORKLOAD_MIXES)[number];
        workers?: number;
        strict?: boolean;
        checkerBudget?: number;
        shrink: boolean;
        checkImmutability: boolean;
      }) => {
        const mix = opts.mix;
        exitCode = await fuzzStoreCommand(
          {
            runs: opts.runs,
            seed: opts.seed,
            shrink: opts.shrink,
            checkImmutability: opts.checkImmutability,
            ...(opts.members === undefined ? {} : { members: opts.members }),
            ...(opts.duration === undefined ? {} : { durationUs: opts.duration }),
            ...(opts.clients === undefined ? {} : { clients: opts.clients }),
            ...(mix === undefined ? {} : { mix }),
            ...(opts.workers === undefined ? {} : { workers: opts.workers }),
            ...(opts.strict === true ? { strict: true } : {}),
            ...(opts.checkerBudget === undefined ? {} : { checkerMaxSteps: opts.checkerBudget }),
          },
          out,
        );
      },
    );

  fuzz
    .command('cluster')
    .description(
      'whole-cluster worlds drawn from seeds: invariants under faults, heal, convergence, determinism; failures shrunk to scenario files',
    )
    .option('--runs <n>', 'number of worlds (world i uses seed + i)', asCount, 20)
    .option('--seed <n>', 'first seed', asSeed, 1)
    .option(
      '--workers <n>',
      'worker threads to spread the worlds over; output and verdict do not depend on it (default 1)',
      asCount,
    )
    .option(
      '--shard <K/N>',
      'run only the worlds i with i mod N = K (K from 0, as an Indexed Job completion index)',
      asShard,
    )
    .option('--out <dir>', 'write failing worlds (and the shrunk one) there as scenario files')
    .option('--no-shrink', 'do not shrink the first failing world')
    .option('--shrink-budget <n>', 'worlds shrinking may run (default 40)', asCount)
    .option('--json', 'print the result document (what ksim fuzz merge reads)')
    .option('--quiet', 'no progress bar on a terminal')
    .action(
      async (opts: {
        runs: number;
        seed: number;
        workers?: number;
        shard?: Shard;
        out?: string;
        shrink: boolean;
        shrinkBudget?: number;
        json?: boolean;
        quiet?: boolean;
      }) => {
        exitCode = await fuzzClusterCommand(
          {
            runs: opts.runs,
            seed: opts.seed,
            shrink: opts.shrink,
            ...(opts.workers === undefined ? {} : { workers: opts.workers }),
            ...(opts.shard === undefined ? {} : { shard: opts.shard }),
            ...(opts.out === undefined ? {} : { outDir: opts.out }),
            ...(opts.shrinkBudget === undefined ? {} : { shrinkBudget: opts.shrinkBudget }),
            ...(opts.json === true ? { json: true } : {}),
            ...(opts.quiet || streams.terminal === undefined ? {} : { terminal: streams.terminal }),
          },
          out,
        );
      },
    );
  fuzz
    .command('merge')
    .description("combine the --json results of a campaign's shards into one")
    .argument('<results...>', 'JSON files written by ksim fuzz cluster --shard K/N --json')
    .option('--json', 'print the merged result document')
    .action((files: string[], opts: { json?: boolean }) => {
      exitCode = fuzzMergeCommand(files, opts, out);
    });

  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    return failed(e, argv.includes('--json'), out, err);
  }
  return exitCode;
}

/**
 * The exit code of a command that threw, after saying why on stderr. Commander has already
 * printed its own usage errors; a CliError is bad input; anything else is a bug in ksim, and
 * its stack goes with it so that it can be reported.
 */
function failed(
  e: unknown,
  json: boolean,
  out: (s: string) => void,
  err: (s: string) => void,
): number {
  const commander = (e as { code?: unknown }).code;
  if (typeof commander === 'string' && commander.startsWith('commander.')) {
    // --help and --version exit 0; `ksim` alone prints the help as an error. Commander has
    // printed the message already.
    if (((e as { exitCode?: number }).exitCode ?? EXIT_USAGE) === 0) return EXIT_OK;
    const message = (e as Error).message.replace(/^error: /, '');
    if (json) out(JSON.stringify({ error: { message, exitCode: EXIT_USAGE } }, null, 2));
    return EXIT_USAGE;
  }
  const [message, exitCode] =
    e instanceof CliError
      ? [e.message, e.exitCode]
      : [`internal error: ${(e as Error)?.stack ?? String(e)}`, EXIT_INTERNAL];
  err(`ksim: ${message}`);
  if (json) out(JSON.stringify({ error: { message, exitCode } }, null, 2));
  return exitCode;
}
