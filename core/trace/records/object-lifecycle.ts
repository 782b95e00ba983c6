import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';
import { count } from '../fields.ts';

const object = () =>
  z
    .string()
    .describe('The object, as its kind and namespace/name (name alone when cluster-scoped).');
const uid = () => z.string().describe("The object's uid.");

export const OBJECT_LIFECYCLE_RECORDS = traceGroup(
  'Garbage collection, namespaces and service accounts',
  "The controllers that end objects' lives (core/controllers): the garbage collector (owner references, propagation policies), the namespace controller, and the ServiceAccounts controller that gives every namespace its `default` ServiceAccount. Emitted by `controller-manager`.",
  [
    traceRecord('gc.delete', {
      level: 'info',
      doc: 'The garbage collector deleted an object none of whose owners is left (or whose owners are deleting in the foreground).',
      fields: z.strictObject({
        object: object(),
        uid: uid(),
        propagationPolicy: z
          .enum(['Orphan', 'Background', 'Foreground'])
          .describe(
            "The policy it deleted with: the object's own finalizer's, Foreground when an owner waits for it and it has dependents itself, Background otherwise.",
          ),
      }),
    }),
    traceRecord('gc.orphan', {
      level: 'info',
      doc: "The garbage collector removed an owner deleted with propagationPolicy Orphan from its dependents' ownerReferences, then removed its `orphan` finalizer.",
      fields: z.strictObject({
        object: object(),
        uid: uid(),
        dependents: count('Dependents it orphaned.'),
      }),
    }),
    traceRecord('gc.foreground-done', {
      level: 'info',
      doc: 'An owner deleted with propagationPolicy Foreground has no blocking dependent left: the garbage collector removed its `foregroundDeletion` finalizer.',
      fields: z.strictObject({ object: object(), uid: uid() }),
    }),
    traceRecord('gc.invalid-owner-ref', {
      level: 'info',
      doc: "A namespaced object names an owner that exists in another namespace (upstream's OwnerRefInvalidNamespace event): to the garbage collector the owner is absent from the object's namespace.",
      fields: z.strictObject({
        object: object(),
        owner: z.string().describe('The owner reference, as kind, name and uid.'),
      }),
    }),
    traceRecord('gc.sync-error', {
      level: 'debug',
      doc: 'The garbage collector failed to process an object; it is requeued with rate limiting.',
      fields: z.strictObject({ object: object(), error: z.string().describe('What failed.') }),
    }),
    traceRecord('namespace.finalized', {
      level: 'info',
      doc: 'The namespace controller found a deleted namespace empty and removed its `kubernetes` finalizer, so the API server deletes it.',
      fields: z.strictObject({ namespace: z.string().describe('The namespace.') }),
    }),
    traceRecord('namespace.sync-error', {
      level: 'debug',
      doc: 'Emptying or finalizing a deleted namespace failed; the namespace controller tries again with backoff.',
      fields: z.strictObject({
        namespace: z.string().describe('The namespace.'),
        error: z.string().describe('What failed.'),
      }),
    }),
    traceRecord('serviceaccount.sync-error', {
      level: 'debug',
      doc: "Creating a namespace's `default` ServiceAccount failed; the ServiceAccounts controller tries again with backoff.",
      fields: z.strictObject({
        namespace: z.string().describe('The namespace.'),
        error: z.string().describe('What failed.'),
      }),
    }),
    traceRecord('root-ca-cert-publisher.sync-error', {
      level: 'debug',
      doc: "Writing a namespace's `kube-root-ca.crt` ConfigMap failed; the root CA publisher tries again with backoff.",
      fields: z.strictObject({
        namespace: z.string().describe('The namespace.'),
        error: z.string().describe('What failed.'),
      }),
    }),
  ],
);
