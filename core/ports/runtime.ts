/**
 * A CRI-shaped container runtime (the subset the kubelet uses). Sim models latency and
 * faults; real mode talks to containerd. Expected failures are returned, not thrown.
 */
export type RuntimeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string; readonly message: string };

export interface SandboxConfig {
  readonly podUid: string;
  readonly name: string;
  readonly namespace: string;
}

export interface ContainerConfig {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  readonly id: string;
  readonly sandboxId: string;
  readonly name: string;
  readonly image: string;
  readonly state: ContainerState;
  readonly startedAtUs?: number;
  readonly finishedAtUs?: number;
  readonly exitCode?: number;
  readonly reason?: string;
}

export interface Runtime {
  pullImage(image: string): Promise<RuntimeResult<{ readonly imageRef: string }>>;
  hasImage(image: string): boolean;
  runPodSandbox(config: SandboxConfig): Promise<RuntimeResult<{ readonly sandboxId: string }>>;
  stopPodSandbox(sandboxId: string): Promise<RuntimeResult<void>>;
  removePodSandbox(sandboxId: string): Promise<RuntimeResult<void>>;
  createContainer(
    sandboxId: string,
    config: ContainerConfig,
  ): Promise<RuntimeResult<{ readonly containerId: string }>>;
  startContainer(containerId: string): Promise<RuntimeResult<void>>;
  stopContainer(containerId: string, gracePeriodUs: number): Promise<RuntimeResult<void>>;
  removeContainer(containerId: string): Promise<RuntimeResult<void>>;
  listContainers(): readonly ContainerStatus[];
}
