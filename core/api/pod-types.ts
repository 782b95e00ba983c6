/**
 * core/v1 Pod in its JSON shape (staging/src/k8s.io/api/core/v1/types.go).
 *
 * Only fields some ksim component reads or writes are declared; unknown fields in user manifests
 * survive storage untouched because objects are stored as parsed JSON.
 */
import type {
  LocalObjectReference,
  Volume as UpstreamVolume,
  VolumeMount as UpstreamVolumeMount,
} from 'kubernetes-types/core/v1.d.ts';
import type { ConditionStatus, LabelSelector, ObjectMeta, Time } from './meta-types.ts';
import type { DeepReadonly } from './stored.ts';

/** Volumes are stored and admitted (ServiceAccount token projection); the kubelet ignores them. */
export type Volume = DeepReadonly<UpstreamVolume>;
export type VolumeMount = DeepReadonly<UpstreamVolumeMount>;

/** Resource name -> Quantity string, e.g. `{cpu: "500m", memory: "128Mi"}`. */
export type ResourceList = Readonly<Record<string, string>>;

export interface ResourceRequirements {
  readonly requests?: ResourceList;
  readonly limits?: ResourceList;
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ContainerPort {
  readonly name?: string;
  readonly containerPort: number;
  readonly hostPort?: number;
  readonly protocol?: Protocol;
  readonly hostIP?: string;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  /** Kept opaque: ksim does not resolve secrets, config maps or downward API references. */
  readonly valueFrom?: Readonly<Record<string, unknown>>;
}

export interface ExecAction {
  readonly command?: readonly string[];
}

export interface HTTPHeader {
  readonly name: string;
  readonly value: string;
}

export interface HTTPGetAction {
  readonly path?: string;
  readonly port: number | string;
  readonly host?: string;
  readonly scheme?: 'HTTP' | 'HTTPS';
  readonly httpHeaders?: readonly HTTPHeader[];
}

export interface TCPSocketAction {
  readonly port: number | string;
  readonly host?: string;
}

export interface GRPCAction {
  readonly port: number;
  /** The service name of the gRPC health check; empty asks about the server as a whole. */
  readonly service?: string;
}

export interface SleepAction {
  readonly seconds: number;
}

/** A lifecycle hook's action: exactly one of these. */
export interface LifecycleHandler {
  readonly exec?: ExecAction;
  readonly httpGet?: HTTPGetAction;
  readonly tcpSocket?: TCPSocketAction;
  readonly sleep?: SleepAction;
}

export interface Lifecycle {
  readonly postStart?: LifecycleHandler;
  readonly preStop?: LifecycleHandler;
}

export interface Probe {
  readonly exec?: ExecAction;
  readonly httpGet?: HTTPGetAction;
  readonly tcpSocket?: TCPSocketAction;
  readonly grpc?: GRPCAction;
  readonly initialDelaySeconds?: number;
  readonly timeoutSeconds?: number;
  readonly periodSeconds?: number;
  readonly successThreshold?: number;
  readonly failureThreshold?: number;
  readonly terminationGracePeriodSeconds?: number;
}

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';
export type TerminationMessagePolicy = 'File' | 'FallbackToLogsOnError';

export interface Container {
  readonly name: string;
  readonly image?: string;
  readonly imagePullPolicy?: PullPolicy;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly workingDir?: string;
  readonly ports?: readonly ContainerPort[];
  readonly env?: readonly EnvVar[];
  readonly resources?: ResourceRequirements;
  /** Only on init containers: "Always" makes it a sidecar (restartable init container). */
  readonly restartPolicy?: 'Always';
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly startupProbe?: Probe;
  readonly lifecycle?: Lifecycle;
  readonly terminationMessagePath?: string;
  readonly terminationMessagePolicy?: TerminationMessagePolicy;
  readonly volumeMounts?: readonly VolumeMount[];
  /** The main process's stdin stays open for `kubectl attach -i`; otherwise it reads EOF. */
  readonly stdin?: boolean;
  /** Its stdin closes when the first attached client's stdin ends. */
  readonly stdinOnce?: boolean;
  /** The main process runs on a terminal (with stdin, what `kubectl run -it` asks for). */
  readonly tty?: boolean;
}

/** A debugging container added to a running pod: a container that may name its target. */
export interface EphemeralContainer extends Container {
  readonly targetContainerName?: string;
}

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
export type TolerationOperator = 'Exists' | 'Equal';

export interface Toleration {
  readonly key?: string;
  readonly operator?: TolerationOperator;
  readonly value?: string;
  readonly effect?: TaintEffect;
  readonly tolerationSeconds?: number;
}

export type NodeSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface NodeSelectorRequirement {
  readonly key: string;
  readonly operator: NodeSelectorOperator;
  readonly values?: readonly string[];
}

/** Expressions and fields are ANDed within a term. */
export interface NodeSelectorTerm {
  readonly matchExpressions?: readonly NodeSelectorRequirement[];
  readonly matchFields?: readonly NodeSelectorRequirement[];
}

/** Terms are ORed. */
export interface NodeSelector {
  readonly nodeSelectorTerms: readonly NodeSelectorTerm[];
}

export interface PreferredSchedulingTerm {
  readonly weight: number;
  readonly preference: NodeSelectorTerm;
}

export interface NodeAffinity {
  readonly requiredDuringSchedulingIgnoredDuringExecution?: NodeSelector;
  readonly preferredDuringSchedulingIgnoredDuringExecution?: readonly PreferredSchedulingTerm[];
}

export interface PodAffinityTerm {
  readonly labelSelector?: LabelSelector;
  readonly namespaces?: readonly string[];
  readonly topologyKey: string;
  readonly namespaceSelector?: LabelSelector;
  readonly matchLabelKeys?: readonly string[];
  readonly mismatchLabelKeys?: readonly string[];
}

export interface WeightedPodAffinityTerm {
  readonly weight: number;
  readonly podAffinityTerm: PodAffinityTerm;
}

export interface PodAffinity {
  readonly requiredDuringSchedulingIgnoredDuringExecution?: readonly PodAffinityTerm[];
  readonly preferredDuringSchedulingIgnoredDuringExecution?: readonly WeightedPodAffinityTerm[];
}

/** Same shape as PodAffinity; the meaning is inverted by the scheduler. */
export type PodAntiAffinity = PodAffinity;

export interface Affinity {
  readonly nodeAffinity?: NodeAffinity;
  readonly podAffinity?: PodAffinity;
  readonly podAntiAffinity?: PodAntiAffinity;
}

export type UnsatisfiableConstraintAction = 'DoNotSchedule' | 'ScheduleAnyway';
export type NodeInclusionPolicy = 'Honor' | 'Ignore';

export interface TopologySpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly whenUnsatisfiable: UnsatisfiableConstraintAction;
  readonly labelSelector?: LabelSelector;
  readonly minDomains?: number;
  readonly nodeAffinityPolicy?: NodeInclusionPolicy;
  readonly nodeTaintsPolicy?: NodeInclusionPolicy;
  readonly matchLabelKeys?: readonly string[];
}

export interface PodSchedulingGate {
  readonly name: string;
}

/** A condition that must be True, besides the containers being ready, for the pod to be Ready. */
export interface PodReadinessGate {
  readonly conditionType: string;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';
export type DNSPolicy = 'ClusterFirstWithHostNet' | 'ClusterFirst' | 'Default' | 'None';

export interface PodDNSConfigOption {
  readonly name?: string;
  readonly value?: string;
}

export interface PodDNSConfig {
  readonly nameservers?: readonly string[];
  readonly searches?: readonly string[];
  readonly options?: readonly PodDNSConfigOption[];
}
export type PreemptionPolicy = 'PreemptLowerPriority' | 'Never';

export interface PodSpec {
  readonly containers: readonly Container[];
  readonly initContainers?: readonly Container[];
  /** Added through pods/ephemeralcontainers only (`kubectl debug`); ksim's kubelet runs none. */
  readonly ephemeralContainers?: readonly EphemeralContainer[];
  readonly nodeName?: string;
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly schedulerName?: string;
  readonly priority?: number;
  readonly priorityClassName?: string;
  readonly preemptionPolicy?: PreemptionPolicy;
  readonly tolerations?: readonly Toleration[];
  readonly affinity?: Affinity;
  readonly topologySpreadConstraints?: readonly TopologySpreadConstraint[];
  readonly schedulingGates?: readonly PodSchedulingGate[];
  readonly readinessGates?: readonly PodReadinessGate[];
  readonly restartPolicy?: RestartPolicy;
  readonly terminationGracePeriodSeconds?: number;
  readonly activeDeadlineSeconds?: number;
  readonly overhead?: ResourceList;
  readonly hostNetwork?: boolean;
  readonly dnsPolicy?: DNSPolicy;
  readonly dnsConfig?: PodDNSConfig;
  readonly hostname?: string;
  /** With hostname, the pod's DNS name `<hostname>.<subdomain>.<namespace>.svc` (a headless Service). */
  readonly subdomain?: string;
  readonly serviceAccountName?: string;
  readonly automountServiceAccountToken?: boolean;
  readonly imagePullSecrets?: readonly DeepReadonly<LocalObjectReference>[];
  readonly volumes?: readonly Volume[];
  readonly runtimeClassName?: string;
  readonly enableServiceLinks?: boolean;
  /** Kept opaque: ksim does not model Linux security settings. */
  readonly securityContext?: Readonly<Record<string, unknown>>;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
export type PodConditionType =
  | 'PodScheduled'
  | 'PodReadyToStartContainers'
  | 'Initialized'
  | 'ContainersReady'
  | 'Ready'
  | 'DisruptionTarget'
  | (string & {});

export interface PodCondition {
  readonly type: PodConditionType;
  readonly status: ConditionStatus;
  readonly reason?: string;
  readonly message?: string;
  readonly lastProbeTime?: Time | null;
  readonly lastTransitionTime?: Time;
}

export interface ContainerStateWaiting {
  readonly reason?: string;
  readonly message?: string;
}

export interface ContainerStateRunning {
  readonly startedAt?: Time;
}

export interface ContainerStateTerminated {
  readonly exitCode: number;
  readonly signal?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly startedAt?: Time;
  readonly finishedAt?: Time;
  readonly containerID?: string;
}

/** At most one member is set. */
export interface ContainerState {
  readonly waiting?: ContainerStateWaiting;
  readonly running?: ContainerStateRunning;
  readonly terminated?: ContainerStateTerminated;
}

export interface ContainerStatus {
  readonly name: string;
  readonly state?: ContainerState;
  readonly lastState?: ContainerState;
  readonly ready: boolean;
  readonly restartCount: number;
  readonly image: string;
  readonly imageID: string;
  readonly containerID?: string;
  readonly started?: boolean;
}

export interface PodIP {
  readonly ip: string;
}

export type PodQOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

export interface PodStatus {
  readonly phase?: PodPhase;
  readonly conditions?: readonly PodCondition[];
  readonly message?: string;
  readonly reason?: string;
  readonly hostIP?: string;
  readonly hostIPs?: readonly PodIP[];
  readonly podIP?: string;
  readonly podIPs?: readonly PodIP[];
  readonly startTime?: Time;
  readonly nominatedNodeName?: string;
  readonly qosClass?: PodQOSClass;
  readonly initContainerStatuses?: readonly ContainerStatus[];
  readonly containerStatuses?: readonly ContainerStatus[];
}

export interface Pod {
  readonly apiVersion: 'v1';
  readonly kind: 'Pod';
  readonly metadata: ObjectMeta;
  readonly spec: PodSpec;
  readonly status?: PodStatus;
}

export interface PodTemplateSpec {
  readonly metadata?: ObjectMeta;
  readonly spec: PodSpec;
}
