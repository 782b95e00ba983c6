/**
 * A CRI-shaped container runtime (the subset the kubelet uses; cri-api's RuntimeService and
 * ImageService). Sim models latency and faults; real mode talks to containerd. Every call is
 * asynchronous, as a gRPC call is; expected failures are returned, not thrown.
 *
 * Networking follows CRI: the kubelet hands the node's pod CIDR to the runtime once
 * (UpdateRuntimeConfig), asks for a sandbox with or without the host's network, and reads the
 * pod IP and network namespace the runtime's CNI set up from the sandbox status. The runtime,
 * not the kubelet, owns IP allocation, so what it reports survives a kubelet restart.
 *
 * Container state changes arrive on an event stream (CRI GetContainerEvents, containerd's
 * /tasks/* events); a consumer also relists now and then, because a stream can break.
 */
export type RuntimeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string; readonly message: string };

/** Node-wide settings the kubelet owns (CRI UpdateRuntimeConfig). */
export interface RuntimeConfig {
  /** The node's pod network, e.g. "10.244.3.0/24": the runtime's IPAM allocates from it. */
  readonly podCIDR: string;
}

/** What the runtime writes into the sandbox's resolv.conf (CRI DNSConfig). */
export interface DnsConfig {
  readonly servers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly string[];
}

export type PortProtocol = 'TCP' | 'UDP' | 'SCTP';

/** A hostPort (CRI PortMapping): hostIP:hostPort on the node reaches the pod's containerPort. */
export interface PortMapping {
  readonly protocol: PortProtocol;
  readonly containerPort: number;
  readonly hostPort: number;
  /** Empty for every address of the node. */
  readonly hostIP: string;
}

export interface SandboxConfig {
  readonly podUid: string;
  readonly name: string;
  readonly namespace: string;
  /** How many sandboxes the pod had before this one (CRI metadata attempt). */
  readonly attempt: number;
  /** Empty keeps the node's hostname (host-network pods). */
  readonly hostname: string;
  /** Share the node's network namespace (pod.spec.hostNetwork) rather than get a pod IP. */
  readonly hostNetwork: boolean;
  readonly dns: DnsConfig;
  readonly portMappings: readonly PortMapping[];
}

/** The sandbox's network as the runtime set it up (CRI PodSandboxNetworkStatus, namespaces). */
export type SandboxNetwork =
  | { readonly kind: 'host' }
  | {
      readonly kind: 'pod';
      readonly ip: string;
      readonly prefixLength: number;
      /** The pod's default route (the node's bridge). */
      readonly gateway: string;
      /** Path of the pod's network namespace, e.g. /var/run/netns/cni-<uuid>. */
      readonly netnsPath: string;
    };

export type SandboxState = 'ready' | 'notready';

export interface SandboxStatus {
  readonly id: string;
  readonly podUid: string;
  readonly name: string;
  readonly namespace: string;
  readonly attempt: number;
  readonly state: SandboxState;
  readonly createdAtUs: number;
  readonly network: SandboxNetwork;
}

export interface ContainerConfig {
  readonly name: string;
  /** How many instances of this container ran before (CRI metadata attempt: restartCount). */
  readonly attempt: number;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /**
   * CRI container annotations. The kubelet writes upstream's (kuberuntime labels.go), among
   * them `io.kubernetes.container.ports`: the container's declared ports as JSON.
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /** The container's limits (CRI LinuxContainerResources), from resources.limits. */
  readonly resources?: ContainerResources;
  /**
   * The main process gets a stdin that stays open for attached clients (CRI stdin, from the
   * container's `stdin`); without it its stdin is empty.
   */
  readonly stdin?: boolean;
  /** Its stdin closes when the first attached client's stdin ends (CRI stdin_once). */
  readonly stdinOnce?: boolean;
  /** The main process runs on a terminal (CRI tty). */
  readonly tty?: boolean;
}

export interface ContainerResources {
  /** CPU the container may use (the CFS quota), in millicores. */
  readonly cpuLimitMillicores?: number;
  /** Memory beyond this gets the container OOM-killed (memory_limit_in_bytes). */
  readonly memoryLimitBytes?: number;
}

/** A running container's resource use now (CRI ContainerStats, cAdvisor's working set). */
export interface ContainerStats {
  readonly id: string;
  readonly cpuMillicores: number;
  readonly memoryWorkingSetBytes: number;
  /** The writable layer and logs, in bytes (CRI's writable_layer); undefined when unknown. */
  readonly rootfsBytes?: number;
  /** Processes in the container (the pids cgroup); undefined when unknown. */
  readonly processes?: number;
  /** Inodes the writable layer and logs hold (CRI's writable_layer inodes_used); undefined when unknown. */
  readonly inodesUsed?: number;
}

/** The annotation the kubelet puts a container's declared ports in (JSON of ContainerPort[]). */
export const CONTAINER_PORTS_ANNOTATION = 'io.kubernetes.container.ports';

/** What a command run inside a container ended with (CRI ExecSyncResponse). */
export interface ExecSyncResult {
  readonly exitCode: number;
  /** Standard output and error, as the probe's output shows them. */
  readonly output: string;
}

/** What a user's exec ended with (CRI Exec, its streams collected): separate output streams. */
export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The streams of an interactive exec (CRI Exec with stdin or a terminal, as kubectl exec -i/-t
 * asks for): the command's output as it writes it; with a terminal, one stream (stdout) that
 * echoes what is typed, as a terminal's line discipline does.
 */
export interface ExecStreams {
  readonly stdin: boolean;
  readonly tty: boolean;
  onOutput(stream: 'stdout' | 'stderr', data: string): void;
}

/** A running interactive exec. */
export interface ExecSession {
  /** Bytes to the command's stdin (dropped when it has none or has closed it). */
  write(data: string): void;
  /** The end of stdin (the client's EOF). */
  closeStdin(): void;
  /** The terminal's new size (ignored without a terminal). */
  resize(width: number, height: number): void;
  /** The client went away: the command is killed. */
  kill(): void;
  /**
   * Its exit code once it ended; a program that cannot start fails with ExecError, a command
   * still running after the timeout with DeadlineExceeded, as `exec` does.
   */
  readonly done: Promise<RuntimeResult<number>>;
}

/**
 * A client attached to a container's main process (CRI Attach, kubectl attach): what the
 * process writes from now on comes out, and with `stdin` what the client sends goes in.
 */
export interface AttachSession {
  /** Bytes to the main process's stdin (dropped when the container has none). */
  write(data: string): void;
  /** The client's stdin ended: the session ends; with stdinOnce the container's stdin closes. */
  closeStdin(): void;
  /** The container's terminal takes this size (ignored without one). */
  resize(width: number, height: number): void;
  /** The client went away: the session ends, the container runs on. */
  detach(): void;
  /** Ends when the session does: the client's stdin ended or it left, or the container exited. */
  readonly done: Promise<RuntimeResult<void>>;
}

/** Why a call that needs a running container was refused (NotFound, as CRI says). */
export function notRunning(containerId: string): string {
  return `container ${containerId} is not running`;
}

/** A session that could not start (a container not running): `done` already says why. */
export function failedExecSession(reason: string, message: string): ExecSession {
  return {
    write() {},
    closeStdin() {},
    resize() {},
    kill() {},
    done: Promise.resolve({ ok: false, reason, message }),
  };
}

export function failedAttachSession(reason: string, message: string): AttachSession {
  return {
    write() {},
    closeStdin() {},
    resize() {},
    detach() {},
    done: Promise.resolve({ ok: false, reason, message }),
  };
}

/** One line a container wrote (a CRI log file's line: time, stream, text without newline). */
export interface LogLine {
  readonly timeUs: number;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

/** Lines of a container's log after a cursor, and the cursor after them. */
export interface LogChunk {
  readonly lines: readonly LogLine[];
  /** Where the next read starts (opaque to the caller; 0 is the start of the log). */
  readonly cursor: number;
  /** The container has exited and every line it wrote was read: nothing comes after. */
  readonly ended: boolean;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  readonly id: string;
  readonly sandboxId: string;
  readonly name: string;
  readonly attempt: number;
  readonly image: string;
  readonly state: ContainerState;
  readonly startedAtUs?: number;
  readonly finishedAtUs?: number;
  readonly exitCode?: number;
  /** Why it exited: Completed, Error, OOMKilled, StartError. */
  readonly reason?: string;
}

export interface ImageStatus {
  /** The content-addressed reference the image was pulled as (status imageID). */
  readonly imageRef: string;
}

/** An image on the node (CRI Image): what ListImages reports of it. */
export interface ImageInfo {
  /** The image's id (CRI Image.id): what RemoveImage takes. */
  readonly id: string;
  /** Names it was pulled as ("busybox:1.36"), sorted. */
  readonly repoTags: readonly string[];
  /** Content-addressed names ("busybox@sha256:..."), sorted. */
  readonly repoDigests: readonly string[];
  /** Bytes of the image on the image filesystem (CRI Image.size). */
  readonly sizeBytes: number;
  /** The runtime asks the kubelet never to garbage-collect it (CRI Image.pinned). */
  readonly pinned: boolean;
}

/** What the image filesystem holds (CRI FilesystemUsage of ImageFsInfo). */
export interface FilesystemUsage {
  /** Bytes the images take. */
  readonly usedBytes: number;
  /** Inodes the images take; undefined when unknown. */
  readonly inodesUsed?: number;
}

/**
 * What the runtime reports as it happens. Container events carry the container's status after
 * the change; an out-of-memory kill is a `container-exited` with reason OOMKilled.
 */
export type RuntimeEvent =
  | { readonly kind: 'container-created'; readonly container: ContainerStatus }
  | { readonly kind: 'container-started'; readonly container: ContainerStatus }
  | { readonly kind: 'container-exited'; readonly container: ContainerStatus }
  /** The container is gone; `container` is its last status. */
  | { readonly kind: 'container-removed'; readonly container: ContainerStatus }
  | { readonly kind: 'sandbox-stopped'; readonly sandbox: SandboxStatus };

export interface RuntimeEventHandlers {
  /**
   * Called from the host's loop, never inside a runtime call. Events of one container come in
   * the order they happened, but may arrive after a relist that already showed their effect.
   */
  onEvent(event: RuntimeEvent): void;
  /** The stream broke (called once): events may have been missed. Relist, then resubscribe. */
  onClose(reason: string): void;
}

export interface EventSubscription {
  close(): void;
}

export interface Runtime {
  updateRuntimeConfig(config: RuntimeConfig): Promise<RuntimeResult<void>>;

  pullImage(image: string): Promise<RuntimeResult<ImageStatus>>;
  /** The image if it is on the node, undefined if not (CRI ImageStatus). */
  imageStatus(image: string): Promise<RuntimeResult<ImageStatus | undefined>>;

  /** Every image on the node, sorted by id (CRI ListImages). */
  listImages(): Promise<RuntimeResult<readonly ImageInfo[]>>;
  /**
   * Removes the image by id or name (CRI RemoveImage); an image that is not there is removed
   * already. A container that uses it keeps running (its rootfs is its own snapshot).
   */
  removeImage(image: string): Promise<RuntimeResult<void>>;
  /** What the images take on the image filesystem (CRI ImageFsInfo). */
  imageFsInfo(): Promise<RuntimeResult<FilesystemUsage>>;

  runPodSandbox(config: SandboxConfig): Promise<RuntimeResult<{ readonly sandboxId: string }>>;
  podSandboxStatus(sandboxId: string): Promise<RuntimeResult<SandboxStatus>>;
  /** Stops every container of the sandbox and tears its network down (the pod IP is freed). */
  stopPodSandbox(sandboxId: string): Promise<RuntimeResult<void>>;
  removePodSandbox(sandboxId: string): Promise<RuntimeResult<void>>;
  /** Every sandbox, sorted by id. */
  listPodSandboxes(): Promise<RuntimeResult<readonly SandboxStatus[]>>;

  createContainer(
    sandboxId: string,
    config: ContainerConfig,
  ): Promise<RuntimeResult<{ readonly containerId: string }>>;
  startContainer(containerId: string): Promise<RuntimeResult<void>>;
  /** SIGTERM, SIGKILL after `gracePeriodUs`; resolves once the container has exited. */
  stopContainer(containerId: string, gracePeriodUs: number): Promise<RuntimeResult<void>>;
  removeContainer(containerId: string): Promise<RuntimeResult<void>>;
  /** Every container, sorted by id. */
  listContainers(): Promise<RuntimeResult<readonly ContainerStatus[]>>;
  /**
   * Optional: a number that moves whenever listContainers or listPodSandboxes would answer
   * differently, read synchronously. With it the PLEG skips relists while it stands still (a
   * node without changes costs its timer only); without it every period relists.
   */
  listsVersion?(): number;
  /**
   * Optional, with listsVersion: `onChange` is called whenever listsVersion moves. It is called
   * in the middle of the runtime's own work, so it may only schedule what it does. With it the
   * PLEG needs no timer while the lists stand still.
   */
  onListsChanged?(onChange: () => void): void;
  /** Resource use of every running container, sorted by id (CRI ListContainerStats). */
  listContainerStats(): Promise<RuntimeResult<readonly ContainerStats[]>>;
  /**
   * Runs `command` in a running container and waits for it (CRI ExecSync). A command still
   * running after `timeoutUs` fails with reason DeadlineExceeded.
   */
  execSync(
    containerId: string,
    command: readonly string[],
    timeoutUs: number,
  ): Promise<RuntimeResult<ExecSyncResult>>;

  /**
   * Runs `command` in a running container for a user (CRI Exec, kubectl exec), its output
   * collected. A program that cannot be started fails with reason ExecError and the runtime's
   * message (an executable not found); a command still running after `timeoutUs` fails with
   * DeadlineExceeded.
   */
  exec(
    containerId: string,
    command: readonly string[],
    timeoutUs: number,
  ): Promise<RuntimeResult<ExecResult>>;

  /**
   * Runs `command` in a running container with its streams attached (CRI Exec with stdin or
   * tty): output as it comes, input as the session gives it.
   */
  execStream(
    containerId: string,
    command: readonly string[],
    streams: ExecStreams,
    timeoutUs: number,
  ): ExecSession;

  /**
   * Attaches to the main process of a running container (CRI Attach): its output from now on,
   * and its stdin when the container has one. Whether output is one terminal stream is the
   * container's own `tty`, not the client's, as the kubelet takes it from the pod's spec.
   */
  attach(containerId: string, streams: ExecStreams): AttachSession;

  /**
   * What the container wrote from `cursor` on (the kubelet reads the CRI log file the runtime
   * writes). Kept while the container exists, exited or not; NotFound after removeContainer.
   */
  readContainerLog(containerId: string, cursor: number): Promise<RuntimeResult<LogChunk>>;

  /** Subscribes to the event stream, from now on (no replay of earlier events). */
  subscribeEvents(handlers: RuntimeEventHandlers): EventSubscription;
}
