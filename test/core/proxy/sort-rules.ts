/**
 * upstream's sortIPTablesRules (pkg/proxy/iptables/proxier_test.go), which its golden tests
 * apply to the proxier's output before comparing: tables by name; chains with KUBE-NODEPORTS
 * first, KUBE-SERVICES second, then KUBE-* before others, each alphabetically; rules grouped
 * under their chain in that order; the KUBE-NODEPORTS and KUBE-SERVICES rules stably sorted
 * by the Service named at the start of their comment, the "must be the last rule" rule last.
 */

interface Chain {
  readonly name: string;
  readonly rules: string[];
  deleted: boolean;
}

interface Table {
  readonly name: string;
  readonly chains: Chain[];
}

export function sortIptablesRules(text: string): string {
  const tables: Table[] = [];
  let table: Table | undefined;
  const chainOf = (name: string): Chain => {
    if (table === undefined) throw new Error(`chain ${name} outside a table`);
    let c = table.chains.find((x) => x.name === name);
    if (c === undefined) table.chains.push((c = { name, rules: [], deleted: false }));
    return c;
  };
  for (const line of text.split('\n')) {
    if (line === '' || line === 'COMMIT') continue;
    if (line.startsWith('*')) tables.push((table = { name: line.slice(1), chains: [] }));
    else if (line.startsWith(':')) chainOf(line.slice(1).split(' ')[0] ?? '');
    else if (line.startsWith('-A ')) chainOf(line.split(' ')[1] ?? '').rules.push(line);
    else if (line.startsWith('-X ')) chainOf(line.slice(3)).deleted = true;
    else throw new Error(`unexpected line ${line}`);
  }
  tables.sort((a, b) => cmp(a.name, b.name));
  for (const t of tables) {
    t.chains.sort((a, b) => chainRank(a.name) - chainRank(b.name) || cmp(a.name, b.name));
    for (const c of t.chains) {
      if (c.name === 'KUBE-NODEPORTS' || c.name === 'KUBE-SERVICES') {
        const last = c.rules.filter((r) => (comment(r) ?? '').includes('must be the last rule'));
        const rest = c.rules.filter((r) => !last.includes(r));
        rest.sort((a, b) => cmp(serviceOf(a), serviceOf(b)));
        c.rules.splice(0, c.rules.length, ...rest, ...last);
      }
    }
  }
  const out: string[] = [];
  for (const t of tables) {
    out.push(`*${t.name}`);
    for (const c of t.chains) out.push(`:${c.name} - [0:0]`);
    for (const c of t.chains) out.push(...c.rules);
    for (const c of t.chains) if (c.deleted) out.push(`-X ${c.name}`);
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}

function chainRank(name: string): number {
  if (name === 'KUBE-NODEPORTS') return 0;
  if (name === 'KUBE-SERVICES') return 1;
  return name.startsWith('KUBE-') ? 2 : 3;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function comment(rule: string): string | undefined {
  const m = /--comment ("[^"]*"|\S+)/.exec(rule);
  return m?.[1]?.replace(/^"|"$/g, '');
}

/** orderByCommentServiceName: the comment up to the first space or colon. */
function serviceOf(rule: string): string {
  const c = comment(rule) ?? '';
  const i = c.search(/[ :]/);
  return i < 0 ? c : c.slice(0, i);
}
