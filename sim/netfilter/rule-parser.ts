/**
 * Parses a rule spec (the arguments after `-A CHAIN`) into a Rule, with the checks iptables and
 * the kernel make when loading it: known options in their modules, well-formed addresses, ports
 * and marks, targets valid in the table, jumps to chains that exist. Matches and targets
 * kube-proxy's iptables mode does not use are refused by name rather than ignored, so a rule the
 * simulation would evaluate wrongly never loads.
 */
import type { NetfilterTable } from '../../core/ports/netfilter.ts';
import { formatIpv4, formatIpv4Cidr, parseIpv4, parseIpv4Cidr } from './ipv4.ts';
import type { CtState, IpProtocol, Match, PortProtocol, PortRange, Rule, Target } from './rule.ts';
import { quoteArg } from './tokenize.ts';

const CT_STATES: readonly CtState[] = [
  'NEW',
  'ESTABLISHED',
  'RELATED',
  'INVALID',
  'UNTRACKED',
  'SNAT',
  'DNAT',
];
const PROTOCOLS: readonly IpProtocol[] = ['tcp', 'udp', 'sctp', 'icmp'];
const PORT_PROTOCOLS: readonly string[] = ['tcp', 'udp', 'sctp'];
const MODULES: readonly string[] = [
  'comment',
  'statistic',
  'mark',
  'addrtype',
  'conntrack',
  'recent',
];
/** Targets of the kernel (everything else after -j is a chain), with the table they need. */
const TARGET_TABLES: Readonly<Record<string, NetfilterTable | undefined>> = {
  ACCEPT: undefined,
  DROP: undefined,
  RETURN: undefined,
  MARK: undefined,
  REJECT: 'filter',
  DNAT: 'nat',
  SNAT: 'nat',
  MASQUERADE: 'nat',
};
const REJECT_WITH: readonly string[] = [
  'icmp-net-unreachable',
  'icmp-host-unreachable',
  'icmp-port-unreachable',
  'icmp-proto-unreachable',
  'icmp-net-prohibited',
  'icmp-host-prohibited',
  'icmp-admin-prohibited',
  'tcp-reset',
];
const U32_MAX = 0xffff_ffff;

export type ParsedRule =
  { readonly ok: true; readonly rule: Rule } | { readonly ok: false; readonly error: string };

/** What a rule may refer to outside itself. */
export interface RuleContext {
  readonly table: NetfilterTable;
  chainExists(name: string): boolean;
}

/** Mutable state of one rule's parse. */
class RuleBuilder {
  readonly ipMatches: Match[] = [];
  /** Module matches in load order; the multi-option ones hold their place until finished. */
  readonly moduleMatches: (Match | 'ports' | 'statistic' | 'addrtype' | 'recent')[] = [];
  protocol: IpProtocol | undefined;
  protocolNegated = false;
  module: string | undefined;
  ports:
    | {
        protocol: PortProtocol;
        sport?: PortRange;
        sportNegate: boolean;
        dport?: PortRange;
        dportNegate: boolean;
      }
    | undefined;
  statistic: { mode?: string; probability?: number; negate: boolean } | undefined;
  addrtype: { srcLocal?: boolean; dstLocal?: boolean } | undefined;
  recent:
    | { name?: string; mode?: 'set' | 'rcheck'; seconds?: number; reap: boolean; negate: boolean }
    | undefined;
  targetName: string | undefined;
  targetOptions = new Map<string, string>();
  flags = new Set<string>();
}

export function parseRule(args: readonly string[], ctx: RuleContext): ParsedRule {
  const b = new RuleBuilder();
  let negate = false;
  for (let i = 0; i < args.length; i++) {
    const opt = args[i] as string;
    if (opt === '!') {
      if (negate) return fail('"!" given twice');
      negate = true;
      continue;
    }
    const takesValue = !FLAG_OPTIONS.has(opt);
    const value = takesValue ? args[++i] : undefined;
    if (takesValue && value === undefined) return fail(`option "${opt}" requires a value`);
    const error = applyOption(b, opt, value as string, negate);
    if (error !== undefined) return fail(error);
    negate = false;
  }
  if (negate) return fail('"!" at the end of the rule');
  return finish(b, ctx);
}

function fail(error: string): ParsedRule {
  return { ok: false, error };
}

/** Options that take no value. */
const FLAG_OPTIONS: ReadonlySet<string> = new Set([
  '--random',
  '--random-fully',
  '--persistent',
  '--set',
  '--rcheck',
  '--reap',
  '--rsource',
]);

/** Applies one option; an error message if it is not acceptable. */
function applyOption(
  b: RuleBuilder,
  opt: string,
  value: string,
  negate: boolean,
): string | undefined {
  if (b.targetName !== undefined) return targetOption(b, opt, value, negate);
  switch (opt) {
    case '-s':
    case '--source':
    case '-d':
    case '--destination': {
      const cidr = parseIpv4Cidr(value);
      if (cidr === undefined) return `host/network "${value}" not found`;
      const kind = opt === '-s' || opt === '--source' ? 'source' : 'destination';
      b.ipMatches.push({ kind, cidr, negate });
      return undefined;
    }
    case '-p':
    case '--protocol': {
      const protocol = value.toLowerCase();
      if (!(PROTOCOLS as readonly string[]).includes(protocol))
        return `unknown protocol "${value}" specified`;
      if (b.protocol !== undefined) return 'multiple -p flags not allowed';
      b.protocol = protocol as IpProtocol;
      b.protocolNegated = negate;
      b.ipMatches.push({ kind: 'protocol', protocol: b.protocol, negate });
      return undefined;
    }
    case '-m':
    case '--match':
      if (negate) return '"!" not allowed before -m';
      if (PORT_PROTOCOLS.includes(value)) return loadPorts(b, value as PortProtocol);
      if (!MODULES.includes(value)) return `match "${value}" is not simulated`;
      b.module = value;
      if (value === 'statistic') {
        if (b.statistic !== undefined) return 'match "statistic" given twice';
        b.statistic = { negate: false };
        b.moduleMatches.push('statistic');
      }
      if (value === 'addrtype') {
        if (b.addrtype !== undefined) return 'match "addrtype" given twice';
        b.addrtype = {};
        b.moduleMatches.push('addrtype');
      }
      if (value === 'recent') {
        if (b.recent !== undefined) return 'match "recent" given twice';
        b.recent = { reap: false, negate: false };
        b.moduleMatches.push('recent');
      }
      return undefined;
    case '-j':
    case '--jump':
      if (negate) return '"!" not allowed before -j';
      b.targetName = value;
      return undefined;
    case '-g':
    case '--goto':
    case '-i':
    case '--in-interface':
    case '-o':
    case '--out-interface':
    case '-f':
    case '--fragment':
      return `option "${opt}" is not simulated`;
    default:
      return moduleOption(b, opt, value, negate);
  }
}

/** `-m tcp` or an option that needs it: the port match of the rule's protocol. */
function loadPorts(b: RuleBuilder, protocol: PortProtocol): string | undefined {
  if (b.ports !== undefined && b.ports.protocol !== protocol)
    return `match "${protocol}" conflicts with "${b.ports.protocol}"`;
  if (b.ports === undefined) {
    b.ports = { protocol, sportNegate: false, dportNegate: false };
    b.moduleMatches.push('ports');
  }
  b.module = protocol;
  return undefined;
}

function moduleOption(
  b: RuleBuilder,
  opt: string,
  value: string,
  negate: boolean,
): string | undefined {
  switch (opt) {
    case '--dport':
    case '--destination-port':
    case '--sport':
    case '--source-port': {
      if (b.ports === undefined) {
        // -p tcp loads the tcp match implicitly, as iptables does.
        if (b.protocol === undefined || !PORT_PROTOCOLS.includes(b.protocol))
          return `unknown option "${opt}" (it needs -p tcp, udp or sctp)`;
        const err = loadPorts(b, b.protocol as PortProtocol);
        if (err !== undefined) return err;
      }
      const range = parsePortRange(value);
      if (range === undefined) return `invalid port/service "${value}" specified`;
      const ports = b.ports as NonNullable<RuleBuilder['ports']>;
      if (opt === '--dport' || opt === '--destination-port') {
        ports.dport = range;
        ports.dportNegate = negate;
      } else {
        ports.sport = range;
        ports.sportNegate = negate;
      }
      return undefined;
    }
    case '--comment':
      if (b.module !== 'comment') return 'unknown option "--comment" (it needs -m comment)';
      if (negate) return '"!" not allowed before --comment';
      if (value.length > 255) return 'comment may not exceed 255 characters';
      b.moduleMatches.push({ kind: 'comment', text: value });
      return undefined;
    case '--mode':
      if (b.statistic === undefined) return 'unknown option "--mode" (it needs -m statistic)';
      if (value !== 'random') return `statistic mode "${value}" is not simulated`;
      b.statistic.mode = value;
      return undefined;
    case '--probability': {
      if (b.statistic === undefined)
        return 'unknown option "--probability" (it needs -m statistic)';
      const p = Number(value);
      if (!/^\d*\.?\d+$/.test(value) || p < 0 || p > 1) return `invalid probability "${value}"`;
      b.statistic.probability = p;
      b.statistic.negate = negate;
      return undefined;
    }
    case '--mark': {
      if (b.module !== 'mark') return 'unknown option "--mark" (it needs -m mark)';
      const vm = parseValueMask(value);
      if (vm === undefined) return `bad mark value "${value}"`;
      b.moduleMatches.push({ kind: 'mark', value: vm.value, mask: vm.mask, negate });
      return undefined;
    }
    case '--src-type':
    case '--dst-type': {
      if (b.addrtype === undefined) return `unknown option "${opt}" (it needs -m addrtype)`;
      if (value !== 'LOCAL') return `address type "${value}" is not simulated`;
      if (opt === '--src-type') b.addrtype.srcLocal = !negate;
      else b.addrtype.dstLocal = !negate;
      return undefined;
    }
    case '--ctstate': {
      if (b.module !== 'conntrack') return 'unknown option "--ctstate" (it needs -m conntrack)';
      const states = value.split(',');
      const bad = states.find((s) => !(CT_STATES as readonly string[]).includes(s));
      if (bad !== undefined) return `bad ctstate "${bad}"`;
      b.moduleMatches.push({ kind: 'conntrack', states: states as CtState[], negate });
      return undefined;
    }
    case '--name':
    case '--set':
    case '--rcheck':
    case '--seconds':
    case '--reap':
    case '--rsource':
      return recentOption(b, opt, value, negate);
    default:
      return `unknown option "${opt}"`;
  }
}

function recentOption(
  b: RuleBuilder,
  opt: string,
  value: string | undefined,
  negate: boolean,
): string | undefined {
  const r = b.recent;
  if (r === undefined) return `unknown option "${opt}" (it needs -m recent)`;
  switch (opt) {
    case '--name':
      if (!/^[\w.-]{1,200}$/.test(value ?? '')) return `bad recent list name "${value}"`;
      r.name = value;
      return undefined;
    case '--set':
    case '--rcheck':
      if (r.mode !== undefined) return 'recent: only one of --set and --rcheck';
      r.mode = opt === '--set' ? 'set' : 'rcheck';
      r.negate = negate;
      return undefined;
    case '--seconds': {
      if (!/^\d+$/.test(value ?? '')) return `recent: bad --seconds "${value}"`;
      r.seconds = Number(value);
      return undefined;
    }
    case '--reap':
      r.reap = true;
      return undefined;
    default:
      return undefined;
  }
}

function targetOption(
  b: RuleBuilder,
  opt: string,
  value: string,
  negate: boolean,
): string | undefined {
  if (negate) return `"!" not allowed before ${opt}`;
  if (FLAG_OPTIONS.has(opt)) {
    b.flags.add(opt);
    return undefined;
  }
  const known = TARGET_OPTIONS[b.targetName ?? ''] ?? [];
  if (!known.includes(opt)) return `unknown option "${opt}" for target ${b.targetName}`;
  if (b.targetOptions.has(opt) || (b.targetName === 'MARK' && b.targetOptions.size > 0))
    return `target ${b.targetName} given "${opt}" twice or with another action`;
  b.targetOptions.set(opt, value);
  return undefined;
}

const TARGET_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  DNAT: ['--to-destination'],
  SNAT: ['--to-source'],
  REJECT: ['--reject-with'],
  MARK: ['--set-xmark', '--set-mark', '--or-mark', '--xor-mark', '--and-mark'],
};

function finish(b: RuleBuilder, ctx: RuleContext): ParsedRule {
  if (b.ports !== undefined && (b.protocol !== b.ports.protocol || b.protocolNegated))
    return fail(`match "${b.ports.protocol}" is only valid with -p ${b.ports.protocol}`);
  if (
    b.statistic !== undefined &&
    (b.statistic.mode === undefined || b.statistic.probability === undefined)
  )
    return fail('-m statistic needs --mode random --probability P');
  if (
    b.addrtype !== undefined &&
    b.addrtype.srcLocal === undefined &&
    b.addrtype.dstLocal === undefined
  )
    return fail('-m addrtype needs --src-type or --dst-type');
  if (b.recent !== undefined) {
    const r = b.recent;
    if (r.mode === undefined) return fail('-m recent needs --set or --rcheck');
    if (r.mode === 'set' && (r.seconds !== undefined || r.reap))
      return fail('recent: --seconds and --reap need --rcheck');
    if (r.reap && r.seconds === undefined) return fail('recent: --reap needs --seconds');
  }
  const modules = b.moduleMatches.map((m) => (typeof m === 'string' ? placeholder(b, m) : m));
  const target = parseTarget(b, ctx);
  if (typeof target === 'string') return fail(target);
  const matches = [...b.ipMatches.sort(ipOrder), ...modules];
  return { ok: true, rule: { matches, target, spec: renderSpec(matches, target, b.flags) } };
}

/** The match a module's options built up, at the place the module was loaded. */
function placeholder(b: RuleBuilder, m: 'ports' | 'statistic' | 'addrtype' | 'recent'): Match {
  if (m === 'ports') {
    const p = b.ports as NonNullable<RuleBuilder['ports']>;
    return {
      kind: 'ports',
      protocol: p.protocol,
      sport: p.sport,
      sportNegate: p.sportNegate,
      dport: p.dport,
      dportNegate: p.dportNegate,
    };
  }
  if (m === 'statistic') {
    const st = b.statistic as NonNullable<RuleBuilder['statistic']>;
    return { kind: 'statistic', probability: st.probability as number, negate: st.negate };
  }
  if (m === 'recent') {
    const r = b.recent as NonNullable<RuleBuilder['recent']>;
    return {
      kind: 'recent',
      name: r.name ?? 'DEFAULT',
      mode: r.mode as 'set' | 'rcheck',
      seconds: r.seconds,
      reap: r.reap,
      negate: r.negate,
    };
  }
  const a = b.addrtype as NonNullable<RuleBuilder['addrtype']>;
  return { kind: 'addrtype', srcLocal: a.srcLocal, dstLocal: a.dstLocal };
}

/** iptables-save prints -s, -d, -p in this order whatever order they were given in. */
function ipOrder(a: Match, b: Match): number {
  const rank = (m: Match) => (m.kind === 'source' ? 0 : m.kind === 'destination' ? 1 : 2);
  return rank(a) - rank(b);
}

function parseTarget(b: RuleBuilder, ctx: RuleContext): Target | string {
  const name = b.targetName;
  if (name === undefined) return { kind: 'none' };
  if (!(name in TARGET_TABLES)) {
    if (!ctx.chainExists(name))
      return `couldn't load target "${name}": no chain or target by that name`;
    if (b.targetOptions.size > 0) return `a jump to chain ${name} takes no options`;
    return { kind: 'jump', chain: name };
  }
  const table = TARGET_TABLES[name];
  if (table !== undefined && table !== ctx.table)
    return `target ${name} is only valid in the ${table} table`;
  const opts = b.targetOptions;
  switch (name) {
    case 'ACCEPT':
      return { kind: 'accept' };
    case 'DROP':
      return { kind: 'drop' };
    case 'RETURN':
      return { kind: 'return' };
    case 'MASQUERADE':
      return { kind: 'masquerade' };
    case 'REJECT': {
      const rejectWith = opts.get('--reject-with') ?? 'icmp-port-unreachable';
      if (!REJECT_WITH.includes(rejectWith)) return `unknown reject type "${rejectWith}"`;
      return { kind: 'reject', rejectWith };
    }
    case 'DNAT': {
      const to = opts.get('--to-destination');
      if (to === undefined) return 'DNAT needs --to-destination';
      const [ipText, portText] = to.split(':');
      const ip = parseIpv4(ipText ?? '');
      const port = portText === undefined ? undefined : parsePort(portText);
      if (ip === undefined || (portText !== undefined && port === undefined))
        return `bad IP address/port "${to}" for --to-destination`;
      return { kind: 'dnat', ip, port };
    }
    case 'SNAT': {
      const ip = parseIpv4(opts.get('--to-source') ?? '');
      if (ip === undefined) return 'SNAT needs --to-source with an IP address';
      return { kind: 'snat', ip };
    }
    case 'MARK':
      return parseMarkTarget(opts);
    default:
      return `target ${name} is not simulated`;
  }
}

/** Every MARK action as --set-xmark value/mask: mark = (mark & ~mask) ^ value. */
function parseMarkTarget(opts: ReadonlyMap<string, string>): Target | string {
  const [entry] = [...opts];
  if (entry === undefined)
    return 'MARK needs one of --set-xmark, --set-mark, --or-mark, --xor-mark, --and-mark';
  const [opt, text] = entry;
  const single = opt === '--or-mark' || opt === '--xor-mark' || opt === '--and-mark';
  const vm = single ? parseU32(text) : parseValueMask(text);
  if (vm === undefined) return `bad MARK value "${text}"`;
  const bits = typeof vm === 'number' ? vm : 0;
  switch (opt) {
    case '--or-mark':
      return { kind: 'mark', value: bits, mask: bits };
    case '--xor-mark':
      return { kind: 'mark', value: bits, mask: 0 };
    case '--and-mark':
      return { kind: 'mark', value: 0, mask: ~bits >>> 0 };
    case '--set-mark': {
      const { value, mask } = vm as { value: number; mask: number };
      return { kind: 'mark', value, mask: (mask | value) >>> 0 };
    }
    default: {
      const { value, mask } = vm as { value: number; mask: number };
      return { kind: 'mark', value, mask };
    }
  }
}

function parseU32(text: string): number | undefined {
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(text)) return undefined;
  const n = Number(text);
  return n <= U32_MAX ? n : undefined;
}

function parseValueMask(text: string): { value: number; mask: number } | undefined {
  const [v, m] = text.split('/');
  const value = parseU32(v ?? '');
  const mask = m === undefined ? U32_MAX : parseU32(m);
  if (value === undefined || mask === undefined || text.split('/').length > 2) return undefined;
  return { value, mask };
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

function parsePortRange(text: string): PortRange | undefined {
  const [a, b] = text.split(':');
  const from = a === '' ? 0 : parsePort(a ?? '');
  const to = b === undefined ? from : b === '' ? 65535 : parsePort(b);
  if (from === undefined || to === undefined || from > to || text.split(':').length > 2)
    return undefined;
  return { from, to };
}

// ---- canonical form (iptables-save) ---------------------------------------------------------

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function not(negate: boolean): string {
  return negate ? '! ' : '';
}

function renderRange(r: PortRange): string {
  return r.from === r.to ? String(r.from) : `${r.from}:${r.to}`;
}

function renderMatch(m: Match): string {
  switch (m.kind) {
    case 'source':
      return `${not(m.negate)}-s ${formatIpv4Cidr(m.cidr)}`;
    case 'destination':
      return `${not(m.negate)}-d ${formatIpv4Cidr(m.cidr)}`;
    case 'protocol':
      return `${not(m.negate)}-p ${m.protocol}`;
    case 'ports':
      return [
        `-m ${m.protocol}`,
        ...(m.sport === undefined ? [] : [`${not(m.sportNegate)}--sport ${renderRange(m.sport)}`]),
        ...(m.dport === undefined ? [] : [`${not(m.dportNegate)}--dport ${renderRange(m.dport)}`]),
      ].join(' ');
    case 'comment':
      return `-m comment --comment ${quoteArg(m.text)}`;
    case 'statistic':
      return `-m statistic --mode random ${not(m.negate)}--probability ${m.probability.toFixed(11)}`;
    case 'mark':
      return `-m mark ${not(m.negate)}--mark ${hex(m.value)}${m.mask === U32_MAX ? '' : `/${hex(m.mask)}`}`;
    case 'addrtype':
      return [
        '-m addrtype',
        ...(m.srcLocal === undefined ? [] : [`${not(!m.srcLocal)}--src-type LOCAL`]),
        ...(m.dstLocal === undefined ? [] : [`${not(!m.dstLocal)}--dst-type LOCAL`]),
      ].join(' ');
    case 'conntrack':
      return `-m conntrack ${not(m.negate)}--ctstate ${m.states.join(',')}`;
    case 'recent':
      return [
        `-m recent ${not(m.negate)}--${m.mode}`,
        ...(m.seconds === undefined ? [] : [`--seconds ${m.seconds}`]),
        ...(m.reap ? ['--reap'] : []),
        `--name ${m.name} --mask 255.255.255.255 --rsource`,
      ].join(' ');
  }
}

function renderTarget(t: Target): string {
  switch (t.kind) {
    case 'none':
      return '';
    case 'accept':
      return '-j ACCEPT';
    case 'drop':
      return '-j DROP';
    case 'return':
      return '-j RETURN';
    case 'masquerade':
      return '-j MASQUERADE';
    case 'reject':
      return `-j REJECT --reject-with ${t.rejectWith}`;
    case 'jump':
      return `-j ${t.chain}`;
    case 'dnat':
      return `-j DNAT --to-destination ${formatIpv4(t.ip)}${t.port === undefined ? '' : `:${t.port}`}`;
    case 'snat':
      return `-j SNAT --to-source ${formatIpv4(t.ip)}`;
    case 'mark':
      return `-j MARK --set-xmark ${hex(t.value)}/${hex(t.mask)}`;
  }
}

function renderSpec(matches: readonly Match[], target: Target, flags: ReadonlySet<string>): string {
  const parts = [...matches.map(renderMatch), renderTarget(target), ...[...flags].sort()];
  return parts.filter((p) => p !== '').join(' ');
}
