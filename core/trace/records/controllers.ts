import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';
import { count, micros, nodeName, podKey } from '../fields.ts';

const rsKey = () => z.string().describe('The ReplicaSet, as namespace/name.');
const rcKey = () => z.string().describe('The ReplicationController, as namespace/name.');
const deploymentKey = () => z.string().describe('The Deployment, as namespace/name.');
const statefulSetKey = () => z.string().describe('The StatefulSet, as namespace/name.');
const daemonSetKey = () => z.string().describe('The DaemonSet, as namespace/name.');
const jobKey = () => z.string().describe('The Job, as namespace/name.');
const cronJobKey = () => z.string().describe('The CronJob, as namespace/name.');
const serviceKey = () => z.string().describe('The Service, as namespace/name.');
const taints = (what: string) => z.array(z.string()).describe(`${what}, each as key:effect.`);

export const CONTROLLER_RECORDS = traceGroup(
  'Controllers',
  'The controller manager (core/controllers) and its controllers: ReplicaSet, ReplicationController, Deployment, StatefulSet, DaemonSet, Job, CronJob, TTL after finished, resource quota, pod GC, EndpointSlice, Endpoints, node lifecycle, taint eviction, disruption, horizontal pod autoscaler, PersistentVolume binder, PVC and PV protection. Emitted by `controller-manager`.',
  [
    traceRecord('controller-manager.start', {
      level: 'info',
      doc: 'The controller manager started its controllers.',
      fields: z.strictObject({
        controllers: z.array(z.string()).describe('Names of the controllers it runs.'),
      }),
    }),
    traceRecord('rs.create-pods', {
      level: 'info',
      doc: 'The ReplicaSet controller is creating pods for a ReplicaSet short of replicas.',
      fields: z.strictObject({ rs: rsKey(), count: count('How many pods it creates.') }),
    }),
    traceRecord('rs.delete-pods', {
      level: 'info',
      doc: 'The ReplicaSet controller is deleting pods of a ReplicaSet over its replicas.',
      fields: z.strictObject({
        rs: rsKey(),
        pods: z
          .array(z.string())
          .describe("Names of the pods it deletes (in the ReplicaSet's namespace)."),
      }),
    }),
    traceRecord('rs.sync-error', {
      level: 'debug',
      doc: 'A sync of a ReplicaSet failed; it is requeued with rate limiting.',
      fields: z.strictObject({ rs: rsKey(), error: z.string().describe('What failed.') }),
    }),
    traceRecord('rs.expectations-resolved', {
      level: 'debug',
      doc: 'After a create or delete timed out, the controller listed the pods from the API server and reset what it expects to observe.',
      fields: z.strictObject({
        rs: rsKey(),
        pendingCreates: count('Pods the server has that its cache has not seen yet.'),
      }),
    }),
    traceRecord('rc.create-pods', {
      level: 'info',
      doc: 'The ReplicationController controller (the ReplicaSet logic) is creating pods for a ReplicationController short of replicas.',
      fields: z.strictObject({ rc: rcKey(), count: count('How many pods it creates.') }),
    }),
    traceRecord('rc.delete-pods', {
      level: 'info',
      doc: 'The ReplicationController controller is deleting pods of a ReplicationController over its replicas.',
      fields: z.strictObject({
        rc: rcKey(),
        pods: z
          .array(z.string())
          .describe("Names of the pods it deletes (in the ReplicationController's namespace)."),
      }),
    }),
    traceRecord('rc.sync-error', {
      level: 'debug',
      doc: 'A sync of a ReplicationController failed; it is requeued with rate limiting.',
      fields: z.strictObject({ rc: rcKey(), error: z.string().describe('What failed.') }),
    }),
    traceRecord('rc.expectations-resolved', {
      level: 'debug',
      doc: 'After a create or delete for a ReplicationController timed out, the controller listed the pods from the API server and reset what it expects to observe.',
      fields: z.strictObject({
        rc: rcKey(),
        pendingCreates: count('Pods the server has that its cache has not seen yet.'),
      }),
    }),
    traceRecord('deployment.new-replica-set', {
      level: 'info',
      doc: "The Deployment controller created the ReplicaSet of a Deployment's current pod template.",
      fields: z.strictObject({
        deployment: deploymentKey(),
        rs: rsKey(),
        revision: count('The revision the ReplicaSet carries.'),
        replicas: count('The replicas it starts with.'),
      }),
    }),
    traceRecord('deployment.scale', {
      level: 'info',
      doc: "The Deployment controller changed a ReplicaSet's replicas (a rollout step, a proportional resize, Recreate's scale to zero).",
      fields: z.strictObject({
        deployment: deploymentKey(),
        rs: rsKey(),
        from: count('Replicas before.'),
        to: count('Replicas after.'),
      }),
    }),
    traceRecord('deployment.sync-error', {
      level: 'debug',
      doc: 'A sync of a Deployment failed; it is requeued with rate limiting.',
      fields: z.strictObject({
        deployment: deploymentKey(),
        error: z.string().describe('What failed.'),
      }),
    }),
    traceRecord('job.create-pods', {
      level: 'info',
      doc: 'The Job controller is creating pods for a Job with fewer active pods than it wants (parallelism, capped by the completions still missing).',
      fields: z.strictObject({ job: jobKey(), count: count('How many pods it creates.') }),
    }),
    traceRecord('job.delete-pods', {
      level: 'info',
      doc: 'The Job controller is deleting active pods of a Job: beyond what it wants, suspended, failed or complete.',
      fields: z.strictObject({
        job: jobKey(),
        pods: z
          .array(z.string())
          .describe("Names of the pods it deletes (in the Job's namespace)."),
      }),
    }),
    traceRecord('job.sync-error', {
      level: 'debug',
      doc: 'A sync of a Job failed; it is requeued with rate limiting.',
      fields: z.strictObject({ job: jobKey(), error: z.string().describe('What failed.') }),
    }),
    traceRecord('statefulset.create-pod', {
      level: 'info',
      doc: 'The StatefulSet controller is creating the pod of one ordinal (its claims first, when the set has claim templates).',
      fields: z.strictObject({
        statefulset: statefulSetKey(),
        pod: z.string().describe("The pod's name, `<set>-<ordinal>` (in the set's namespace)."),
        ordinal: count('The ordinal.'),
        revision: z.string().describe('The ControllerRevision the pod is made from.'),
      }),
    }),
    traceRecord('statefulset.delete-pod', {
      level: 'info',
      doc: 'The StatefulSet controller is deleting a pod: one beyond the replicas (scale-down, highest ordinal first), one of an old revision (rolling update, highest ordinal first), or one that finished and will be made again.',
      fields: z.strictObject({
        statefulset: statefulSetKey(),
        pod: z.string().describe("The pod's name (in the set's namespace)."),
        reason: z.enum(['scale-down', 'update', 'finished']).describe('Why it goes.'),
      }),
    }),
    traceRecord('statefulset.sync-error', {
      level: 'debug',
      doc: 'A sync of a StatefulSet failed; it is requeued with rate limiting.',
      fields: z.strictObject({
        statefulset: statefulSetKey(),
        error: z.string().describe('What failed.'),
      }),
    }),
    traceRecord('daemonset.create-pods', {
      level: 'info',
      doc: 'The DaemonSet controller is creating daemon pods for nodes that should run one and have none; each pod carries a required node affinity on its node name, and the scheduler binds it.',
      fields: z.strictObject({
        daemonset: daemonSetKey(),
        nodes: z.array(nodeName('A node.')).describe('The nodes the pods are for.'),
      }),
    }),
    traceRecord('daemonset.delete-pods', {
      level: 'info',
      doc: 'The DaemonSet controller is deleting daemon pods: on nodes that should no longer run one, extra or finished pods, or old pods a rolling update replaces.',
      fields: z.strictObject({
        daemonset: daemonSetKey(),
        pods: z
          .array(z.string())
          .describe("Names of the pods it deletes (in the DaemonSet's namespace)."),
      }),
    }),
    traceRecord('daemonset.sync-error', {
      level: 'debug',
      doc: 'A sync of a DaemonSet failed; it is requeued with rate limiting.',
      fields: z.strictObject({
        daemonset: daemonSetKey(),
        error: z.string().describe('What failed.'),
      }),
    }),
    traceRecord('podgc.delete', {
      level: 'info',
      doc: 'The pod garbage collector deleted a pod with a zero grace period (marked Failed first unless it had finished).',
      fields: z.strictObject({
        pod: podKey(),
        reason: z
          .enum(['terminated', 'orphaned', 'unscheduled-terminating', 'out-of-service'])
          .describe(
            'Why: terminated (finished pods over the threshold), orphaned (its node is gone), unscheduled-terminating (deleted before it was scheduled), out-of-service (terminating on a NotReady node tainted out-of-service).',
          ),
      }),
    }),
    traceRecord('podgc.error', {
      level: 'debug',
      doc: 'The pod garbage collector could not mark a pod Failed or delete it; the next pass (20 s) tries again.',
      fields: z.strictObject({ pod: podKey(), error: z.string().describe('What failed.') }),
    }),
    traceRecord('resourcequota.usage', {
      level: 'info',
      doc: "The resource quota controller stored a ResourceQuota's recounted status: hard from its spec, used counted from the namespace's objects (admission's own charges are not recorded here).",
      fields: z.strictObject({
        quota: z.string().describe('The ResourceQuota, as namespace/name.'),
        used: z
          .record(z.string(), z.string())
          .describe('status.used: each resource name with its quantity.'),
      }),
    }),
    traceRecord('resourcequota.sync-error', {
      level: 'debug',
      doc: 'A sync of a ResourceQuota failed; it is requeued with rate limiting.',
      fields: z.strictObject({
        quota: z.string().describe('The ResourceQuota, as namespace/name.'),
        error: z.string().describe('What failed.'),
      }),
    }),
    traceRecord('ttl-after-finished.delete', {
      level: 'info',
      doc: 'The TTL-after-finished controller deleted a Job whose ttlSecondsAfterFinished ran out (foreground: its pods go first).',
      fields: z.strictObject({ job: jobKey() }),
    }),
    traceRecord('cronjob.create-job', {
      level: 'info',
      doc: "The CronJob controller created the Job of one activation of a CronJob's schedule.",
      fields: z.strictObject({
        cronJob: cronJobKey(),
        job: jobKey(),
        scheduledUs: z
          .int()
          .nonnegative()
          .describe(
            "The activation it runs, by the controller manager's clock (Unix microseconds).",
          ),
        lateUs: micros('How long after the activation the Job was created, in microseconds.'),
      }),
    }),
    traceRecord('cronjob.sync-error', {
      level: 'debug',
      doc: 'A sync of a CronJob failed; it is requeued with rate limiting.',
      fields: z.strictObject({ cronJob: cronJobKey(), error: z.string().describe('What failed.') }),
    }),
    traceRecord('endpointslice.sync', {
      level: 'info',
      doc: "The EndpointSlice controller changed a Service's EndpointSlices.",
      fields: z.strictObject({
        service: serviceKey(),
        created: count('Slices created.'),
        updated: count('Slices updated.'),
        deleted: count('Slices deleted.'),
      }),
    }),
    traceRecord('endpointslice.sync-error', {
      level: 'debug',
      doc: 'A sync of a Service failed (or found its slice cache behind its own writes); it is requeued with rate limiting.',
      fields: z.strictObject({ service: serviceKey(), error: z.string().describe('What failed.') }),
    }),
    traceRecord('endpoints.sync', {
      level: 'info',
      doc: "The Endpoints controller wrote a Service's Endpoints object, or deleted the Endpoints of a Service that is gone.",
      fields: z.strictObject({
        service: serviceKey(),
        action: z.enum(['created', 'updated', 'deleted']).describe('What it did to the object.'),
        ready: count('Addresses listed as ready, over all subsets.'),
        notReady: count('Addresses listed as not ready, over all subsets.'),
      }),
    }),
    traceRecord('endpoints.sync-error', {
      level: 'debug',
      doc: 'A sync of a Service by the Endpoints controller failed; it is requeued with rate limiting.',
      fields: z.strictObject({ service: serviceKey(), error: z.string().describe('What failed.') }),
    }),
    traceRecord('node-lifecycle.node-unknown', {
      level: 'info',
      doc: "The node lifecycle controller set a node's Ready condition to Unknown: the node stopped reporting for longer than the grace period.",
      fields: z.strictObject({ node: nodeName() }),
    }),
    traceRecord('node-lifecycle.node-not-ready', {
      level: 'info',
      doc: 'A node stopped being Ready; the controller marks its pods not ready.',
      fields: z.strictObject({
        node: nodeName(),
        status: z
          .enum(['True', 'False', 'Unknown'])
          .describe("The node's Ready condition status now."),
      }),
    }),
    traceRecord('node-lifecycle.node-ready', {
      level: 'info',
      doc: 'A node the controller had seen not Ready (`node-lifecycle.node-not-ready`) is Ready again.',
      fields: z.strictObject({ node: nodeName() }),
    }),
    traceRecord('node-lifecycle.zone-state', {
      level: 'info',
      doc: 'A zone changed disruption state, which sets how fast its nodes are tainted. Zone `*` with FullDisruption: every node looks down, so the controller stops tainting (more likely it is cut off).',
      fields: z.strictObject({
        zone: z
          .string()
          .describe(
            "The zone key (the node's region and zone labels, as upstream's GetZoneKey joins them; empty for nodes without them), or `*` for every zone.",
          ),
        state: z
          .enum(['Initial', 'Normal', 'PartialDisruption', 'FullDisruption'])
          .describe('Its new state.'),
      }),
    }),
    traceRecord('node-lifecycle.taint', {
      level: 'info',
      doc: "The node lifecycle controller changed a node's NoSchedule/NoExecute taints.",
      fields: z.strictObject({
        node: nodeName(),
        taints: taints("The node's taints after the change"),
        added: taints('Taints added'),
        removed: taints('Taints removed'),
      }),
    }),
    traceRecord('node-lifecycle.taint-error', {
      level: 'debug',
      doc: "Writing a node's taints failed; the controller tries again at its next pass.",
      fields: z.strictObject({ node: nodeName(), error: z.string().describe('What failed.') }),
    }),
    traceRecord('nodeipam.allocate', {
      level: 'info',
      doc: "The node IPAM controller (--allocate-node-cidrs) set a Node's spec.podCIDR to the next free block of the cluster CIDR.",
      fields: z.strictObject({
        node: nodeName(),
        podCIDR: z.string().describe('The pod range the node got, as a CIDR.'),
      }),
    }),
    traceRecord('nodeipam.sync-error', {
      level: 'debug',
      doc: 'Allocating, holding or releasing a pod range for a Node failed (no block left, a range outside the cluster CIDR, a patch refused); the Node is retried with backoff.',
      fields: z.strictObject({ node: nodeName(), error: z.string().describe('What failed.') }),
    }),
    traceRecord('csr.approve', {
      level: 'info',
      doc: 'The CSR approving controller approved a kubelet client CertificateSigningRequest after a SubjectAccessReview allowed its requester (AutoApproved).',
      fields: z.strictObject({
        csr: z.string().describe('The CertificateSigningRequest.'),
        requester: z.string().describe('spec.username: who created the request.'),
      }),
    }),
    traceRecord('csr.sign', {
      level: 'info',
      doc: 'The CSR signing controller issued the credential of an approved kubelet client CertificateSigningRequest (status.certificate).',
      fields: z.strictObject({
        csr: z.string().describe('The CertificateSigningRequest.'),
        subject: z.string().describe("The credential's user (the request's CN)."),
      }),
    }),
    traceRecord('csr.sync-error', {
      level: 'debug',
      doc: 'Handling a CertificateSigningRequest failed or its review did not allow it; it is retried with backoff.',
      fields: z.strictObject({
        controller: z.enum(['csrapproving', 'csrsigning']).describe('Which controller.'),
        csr: z.string().describe('The CertificateSigningRequest.'),
        error: z.string().describe('What failed.'),
      }),
    }),
    traceRecord('taint-eviction.scheduled', {
      level: 'debug',
      doc: 'A pod on a NoExecute-tainted node will be deleted when its toleration runs out.',
      fields: z.strictObject({
        pod: podKey(),
        node: nodeName('The tainted node.'),
        fireAtUs: micros(
          "When the pod will be deleted, by the controller manager's clock (Unix microseconds).",
        ),
      }),
    }),
    traceRecord('taint-eviction.cancelled', {
      level: 'debug',
      doc: 'A scheduled eviction was called off (the taint went away, or the pod left the node).',
      fields: z.strictObject({ pod: podKey() }),
    }),
    traceRecord('taint-eviction.delete', {
      level: 'info',
      doc: 'The taint eviction controller deleted a pod from a NoExecute-tainted node.',
      fields: z.strictObject({ pod: podKey(), node: nodeName('The tainted node.') }),
    }),
    traceRecord('taint-eviction.delete-failed', {
      level: 'debug',
      doc: 'Deleting a pod from a tainted node failed after every retry; the eviction is dropped.',
      fields: z.strictObject({ pod: podKey(), error: z.string().describe('The last failure.') }),
    }),
    traceRecord('hpa.rescale', {
      level: 'info',
      doc: "The HorizontalPodAutoscaler controller set its target's replicas through the scale subresource.",
      fields: z.strictObject({
        hpa: z.string().describe('The HorizontalPodAutoscaler, as namespace/name.'),
        target: z.string().describe('The scale target, as Kind/name.'),
        from: count('Replicas before.'),
        to: count('Replicas after.'),
        reason: z.string().describe('Why, as the SuccessfulRescale Event says.'),
      }),
    }),
    traceRecord('disruption.status', {
      level: 'info',
      doc: "The disruption controller wrote a PodDisruptionBudget's status.",
      fields: z.strictObject({
        pdb: z.string().describe('The PodDisruptionBudget, as namespace/name.'),
        disruptionsAllowed: count('Voluntary disruptions (evictions) allowed now.'),
        currentHealthy: count('Healthy pods the budget covers.'),
        desiredHealthy: count('Healthy pods the budget requires.'),
      }),
    }),
    traceRecord('pv.bind', {
      level: 'info',
      doc: 'The PersistentVolume binder finished binding a claim to a volume: both sides written, the claim Bound.',
      fields: z.strictObject({
        claim: z.string().describe('The PersistentVolumeClaim, as namespace/name.'),
        volume: z.string().describe('The PersistentVolume.'),
      }),
    }),
    traceRecord('pv.provision', {
      level: 'info',
      doc: "The PersistentVolume binder created a volume for a claim with ksim's simulated provisioner (ksim.io/simulated).",
      fields: z.strictObject({
        claim: z.string().describe('The PersistentVolumeClaim, as namespace/name.'),
        volume: z.string().describe('The new PersistentVolume (pvc-<claim uid>).'),
        storageClass: z.string().describe("The claim's StorageClass."),
        node: z
          .string()
          .describe('The node the scheduler selected (WaitForFirstConsumer), or "" for Immediate.'),
      }),
    }),
    traceRecord('pv.reclaim', {
      level: 'info',
      doc: 'The claim of a bound volume is gone: the PersistentVolume binder released the volume and applied its reclaim policy.',
      fields: z.strictObject({
        volume: z.string().describe('The PersistentVolume.'),
        claim: z.string().describe('The claim it was bound to, as namespace/name.'),
        policy: z.enum(['Retain', 'Delete', 'Recycle']).describe('persistentVolumeReclaimPolicy.'),
        outcome: z
          .enum(['retained', 'deleted', 'failed'])
          .describe('Released and kept; deleted; or Failed (Recycle has no recycler).'),
      }),
    }),
    traceRecord('pv.sync-error', {
      level: 'debug',
      doc: 'A sync of the PersistentVolume binder failed; the key is requeued with rate limiting.',
      fields: z.strictObject({
        object: z.string().describe('Kind and key of the claim or volume.'),
        error: z.string().describe('What failed.'),
      }),
    }),
    traceRecord('pv-protection.remove-finalizer', {
      level: 'info',
      doc: 'The PVC or PV protection controller removed its finalizer from an object being deleted that nothing uses any more.',
      fields: z.strictObject({
        kind: z.enum(['PersistentVolumeClaim', 'PersistentVolume']).describe('Which kind.'),
        object: z.string().describe('The claim (namespace/name) or volume (name).'),
      }),
    }),
  ],
);
