import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';
import { count, micros, nodeName, podKey } from '../fields.ts';

const node = () => nodeName("The kubelet's node.");
const container = () => z.string().describe('The container name in the pod spec.');

export const KUBELET_RECORDS = traceGroup(
  'Kubelet',
  'The node agent (core/kubelet): registration, admission, pod phases and containers. Emitted by the node process (`node-N`).',
  [
    traceRecord('kubelet.pod-cidr', {
      level: 'info',
      doc: "A kubelet without --pod-cidr read its pod range from its Node's spec.podCIDR (set by the controller manager's node IPAM) and handed it to the runtime.",
      fields: z.strictObject({
        node: node(),
        podCIDR: z.string().describe('The pod range, as a CIDR.'),
      }),
    }),
    traceRecord('kubelet.certificate-rotate', {
      level: 'info',
      doc: "The kubelet's certificate manager installed a new certificate (a client certificate rotated at 70-90 % of the old one's lifetime, or a serving certificate) with a new key, from an issued CertificateSigningRequest.",
      fields: z.strictObject({
        node: node(),
        signer: z.string().describe('spec.signerName: kubelet client or kubelet serving.'),
        csr: z.string().describe('The CertificateSigningRequest that was issued.'),
        notAfterUs: micros("The new certificate's NotAfter (Unix microseconds)."),
      }),
    }),
    traceRecord('kubelet.certificate-rotate-error', {
      level: 'info',
      doc: 'A certificate rotation failed (the request denied, failed, not issued in time, or the certificate unusable): the kubelet keeps its current certificate and tries again after a backoff.',
      fields: z.strictObject({
        node: node(),
        signer: z.string().describe('spec.signerName of the request.'),
        error: z.string().describe('What failed.'),
        retryInUs: micros('How long until the next attempt, in microseconds.'),
      }),
    }),
    traceRecord('kubelet.node-registered', {
      level: 'info',
      doc: 'The kubelet registered its Node object with the API server.',
      fields: z.strictObject({
        node: node(),
        existing: z
          .boolean()
          .describe(
            'True when the Node object already existed (a restart) and was updated instead.',
          ),
      }),
    }),
    traceRecord('kubelet.lease-renewed', {
      level: 'debug',
      doc: "The kubelet renewed its node's Lease (the heartbeat, every 10 s by default).",
      fields: z.strictObject({ node: node() }),
    }),
    traceRecord('kubelet.pod-rejected', {
      level: 'info',
      doc: 'Kubelet admission refused a pod bound to its node (not enough room); the pod fails.',
      fields: z.strictObject({
        pod: podKey(),
        reason: z.string().describe('The pod status reason, e.g. `OutOfcpu`.'),
        node: node(),
      }),
    }),
    traceRecord('kubelet.pod-phase', {
      level: 'info',
      doc: "A pod's phase as the kubelet computes it changed.",
      fields: z.strictObject({
        pod: podKey(),
        phase: z
          .enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'])
          .describe('The new phase.'),
        node: node(),
      }),
    }),
    traceRecord('kubelet.pod-started', {
      level: 'info',
      doc: "A pod's containers are all running for the first time (upstream's pod startup latency tracker). The pod startup SLI is `e2eUs - imagePullUs`: creation to running, image pulls excluded.",
      fields: z.strictObject({
        pod: podKey(),
        node: node(),
        e2eUs: micros(
          "From the pod's creationTimestamp (whole seconds, as Kubernetes stores it) to running, by the node's clock, in microseconds.",
        ),
        imagePullUs: micros(
          'From the first image pull started to the last one finished for the pod, in microseconds (0 when no image was pulled).',
        ),
      }),
    }),
    traceRecord('kubelet.pod-terminating', {
      level: 'info',
      doc: "The kubelet saw a pod's deletion and stops its containers within the grace period.",
      fields: z.strictObject({
        pod: podKey(),
        node: node(),
        gracePeriodUs: micros('The grace period its containers get, in microseconds.'),
      }),
    }),
    traceRecord('kubelet.sandbox-failed', {
      level: 'info',
      doc: "The kubelet could not set up a pod's sandbox; it tries again at the next sync.",
      fields: z.strictObject({
        pod: podKey(),
        reason: z.string().describe("Why: `no free pod IP`, or the runtime's failure reason."),
      }),
    }),
    traceRecord('kubelet.image-pull-failed', {
      level: 'info',
      doc: 'An image pull failed; the container waits in ErrImagePull, then ImagePullBackOff.',
      fields: z.strictObject({
        pod: podKey(),
        container: container(),
        image: z.string().describe('The image reference.'),
      }),
    }),
    traceRecord('kubelet.container-start', {
      level: 'info',
      doc: 'The kubelet started a container.',
      fields: z.strictObject({
        pod: podKey(),
        container: container(),
        restartCount: count('Restarts of this container before this start.'),
        node: node(),
      }),
    }),
    traceRecord('kubelet.container-exit', {
      level: 'info',
      doc: 'The kubelet saw a container exit (through the PLEG, up to a relist period after the exit).',
      fields: z.strictObject({
        pod: z
          .string()
          .describe(
            'The pod, as namespace/name (its uid if the kubelet has already forgotten it).',
          ),
        container: container(),
        exitCode: z.int().describe('The exit code.'),
        reason: z
          .string()
          .describe("The runtime's reason, e.g. `Completed`, `Error`, `OOMKilled`; may be empty."),
        finishedAtUs: micros("When the container exited, by the node's clock (Unix microseconds)."),
        node: node(),
      }),
    }),
    traceRecord('kubelet.probe-result', {
      level: 'info',
      doc: "A probe changed the result the kubelet holds for a container instance (after its success or failure threshold): readiness drives the container's `ready` and the pod's Ready condition, a liveness or startup failure gets the container killed and restarted.",
      fields: z.strictObject({
        pod: podKey(),
        container: container(),
        probe: z.enum(['startup', 'liveness', 'readiness']).describe('Which probe.'),
        result: z.enum(['success', 'failure']).describe('The new result.'),
        output: z
          .string()
          .describe("The last probe's output, worded as upstream's probers (empty on success)."),
        node: node(),
      }),
    }),
    traceRecord('kubelet.container-kill', {
      level: 'info',
      doc: 'The kubelet killed a running container of a live pod (upstream\'s "Killing" Event): it failed its liveness or startup probe, or its postStart hook.',
      fields: z.strictObject({
        pod: podKey(),
        container: container(),
        reason: z.enum(['LivenessProbe', 'StartupProbe', 'FailedPostStartHook']).describe('Why.'),
        gracePeriodUs: micros('The grace period the container gets, in microseconds.'),
        node: node(),
      }),
    }),
    traceRecord('kubelet.hook', {
      level: 'info',
      doc: "A container's postStart or preStop hook ran. A failed postStart hook gets the container killed; a preStop hook's time comes out of the grace period.",
      fields: z.strictObject({
        pod: podKey(),
        container: container(),
        hook: z.enum(['postStart', 'preStop']).describe('Which hook.'),
        ok: z.boolean().describe('Whether it succeeded.'),
        durationUs: micros('How long it ran, in microseconds.'),
        message: z.string().describe("Upstream's failure message (empty on success)."),
        node: node(),
      }),
    }),
    traceRecord('kubelet.node-pressure', {
      level: 'info',
      doc: "The eviction manager's view of a node condition changed: MemoryPressure, DiskPressure or PIDPressure while a hard threshold of its signals is met (a soft one once met for its grace period), and for the pressure transition period (5 min) after.",
      fields: z.strictObject({
        node: node(),
        condition: z
          .enum(['MemoryPressure', 'DiskPressure', 'PIDPressure'])
          .describe('The node condition.'),
        status: z.boolean().describe('Whether the node is under pressure now.'),
        signal: z
          .enum([
            'memory.available',
            'nodefs.available',
            'nodefs.inodesFree',
            'imagefs.available',
            'imagefs.inodesFree',
            'pid.available',
          ])
          .describe('The eviction signal behind the condition.'),
        available: z
          .number()
          .describe(
            "The signal's observation then: bytes of memory (capacity minus the pods' working set) or of the node filesystem (capacity minus writable layers, logs and images), inodes left, or process ids left.",
          ),
      }),
    }),
    traceRecord('kubelet.pod-evicted', {
      level: 'info',
      doc: 'The eviction manager evicted a pod to reclaim a resource: its containers are killed and it fails with reason Evicted.',
      fields: z.strictObject({
        pod: podKey(),
        node: node(),
        message: z.string().describe("The pod status message, upstream's eviction message."),
        gracePeriodUs: micros(
          'The grace period the eviction gives the pod: 1 s for a hard threshold; for a soft one the smaller of evictionMaxPodGracePeriod and its own.',
        ),
      }),
    }),
    traceRecord('kubelet.image-removed', {
      level: 'info',
      doc: "The kubelet's image garbage collection removed an unused image: the periodic collection (every 5 min, while the image filesystem is at or above imageGCHighThresholdPercent, down to imageGCLowThresholdPercent) or the eviction manager reclaiming disk before it evicts pods.",
      fields: z.strictObject({
        node: node(),
        image: z.string().describe("The image's id."),
        names: z.array(z.string()).describe('The names the image had (digests, then tags).'),
        sizeBytes: count('Bytes the image took on the image filesystem.'),
        trigger: z
          .enum(['gc', 'eviction'])
          .describe(
            '`gc`: the periodic collection over the high threshold; `eviction`: the eviction manager under DiskPressure (every unused image old enough goes).',
          ),
      }),
    }),
    traceRecord('kubelet.mirror-pod', {
      level: 'info',
      doc: "The kubelet created or deleted the mirror pod of a static pod (a pod of its own configuration): created when missing, deleted (and created again at a later sync) when it is being deleted or no longer matches the static pod's hash, or when no static pod of the node has its name.",
      fields: z.strictObject({
        pod: podKey(),
        node: node(),
        action: z.enum(['created', 'deleted']).describe('What the kubelet did.'),
      }),
    }),
    traceRecord('kubelet.pod-deleted', {
      level: 'info',
      doc: 'A terminated pod was deleted from the API server for good (grace period 0) by its kubelet.',
      fields: z.strictObject({ pod: podKey(), uid: z.string().describe("The pod's uid.") }),
    }),
  ],
);
