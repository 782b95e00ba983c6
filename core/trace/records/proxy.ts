import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';
import { count, nodeName } from '../fields.ts';

const node = () => nodeName("The kube-proxy's node.");

export const PROXY_RECORDS = traceGroup(
  'kube-proxy',
  "The service proxy (core/proxy): the iptables rules it renders from Services and EndpointSlices and applies to its node's packet filter. Emitted by the node process (`node-N`).",
  [
    traceRecord('proxy.sync', {
      level: 'info',
      doc: "kube-proxy applied (or failed to apply) its rules to the node's packet filter. A partial sync rewrites only the chains of Services that changed.",
      fields: z.strictObject({
        node: node(),
        full: z.boolean().describe('A full sync (every chain written) rather than a partial one.'),
        ok: z.boolean().describe('iptables-restore accepted the rules.'),
        servicePorts: count('Service ports the rules proxy.'),
        endpoints: count('Endpoints of those Service ports.'),
        filterRules: count('Rules in the filter table of the full ruleset.'),
        natRules: count('Rules in the nat table of the full ruleset.'),
        chainsWritten: count(
          'nat chains of Services the restore input wrote (all on a full sync).',
        ),
        chainsDeleted: count('Stale Service chains the sync deleted.'),
        error: z.string().optional().describe('Why iptables-restore refused the rules.'),
      }),
    }),
    traceRecord('proxy.rules', {
      level: 'debug',
      doc: 'The full ruleset kube-proxy rendered at a sync, as iptables-restore text (what `ksim run --dump-rules` writes).',
      fields: z.strictObject({
        node: node(),
        rules: z.string().describe('The iptables-restore text.'),
      }),
    }),
  ],
);
