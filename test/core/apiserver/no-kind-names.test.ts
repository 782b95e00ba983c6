import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFINITIONS } from '../../../core/api/kinds/index.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/**
 * Generic code reads kind definitions and never names a kind (DESIGN.md §8). The exceptions
 * are core/apiserver/namespaces.ts (namespaces are the scope of every other kind, as upstream's
 * NamespaceLifecycle admission and system namespaces controller are), the authorizers (RBAC
 * reads its own kinds; the Node authorizer follows pods to what they reference) and the
 * admission plugins, each of which is about particular kinds, as upstream's are, and the
 * apiextensions controllers, which are about CustomResourceDefinitions. Flow control's FlowSchema
 * subjects are of kind User, Group or ServiceAccount, as RBAC's subjects are.
 */
const EXEMPT = new Set(['core/apiserver/namespaces.ts']);
const EXEMPT_FOLDERS = [
  'core/apiserver/authz/',
  'core/apiserver/admission/plugins/',
  'core/apiserver/apiextensions/',
  'core/apiserver/flow-control/',
];

function sourcesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(join(ROOT, path)).isDirectory()) return sourcesUnder(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const GENERIC_FILES = [...sourcesUnder('core/apiserver'), 'core/client/api-client.ts']
  .map((f) => relative(ROOT, join(ROOT, f)))
  .filter((f) => !EXEMPT.has(f) && !EXEMPT_FOLDERS.some((d) => f.startsWith(d)));

const KINDS = DEFINITIONS.map((d) => d.resource.kind);

/** Comments may explain with examples; code may not branch on them. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function kindMentions(source: string): string[] {
  const code = withoutComments(source);
  return KINDS.filter((kind) => new RegExp(`\\b${kind}\\b`).test(code));
}

describe('generic API server and client code names no kind', () => {
  it('finds a kind name in code but not in comments', () => {
    expect(kindMentions("if (obj.kind === 'Pod') return;")).toEqual(['Pod']);
    expect(kindMentions('const n: Node = x;')).toEqual(['Node']);
    expect(kindMentions('// a Pod\n/** the Namespace */\nconst podName = 1;')).toEqual([]);
  });

  it('covers the registry, server, request info, watch cache and client', () => {
    for (const f of [
      'core/apiserver/registry/registry.ts',
      'core/apiserver/server.ts',
      'core/apiserver/request-info.ts',
      'core/apiserver/watch-cache.ts',
      'core/client/api-client.ts',
    ]) {
      expect(GENERIC_FILES).toContain(f);
    }
  });

  it.each(GENERIC_FILES)('%s', (file) => {
    expect(kindMentions(readFileSync(join(ROOT, file), 'utf8'))).toEqual([]);
  });
});
