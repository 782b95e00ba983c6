/**
 * Static bearer tokens (kube-apiserver --token-auth-file): a CSV of token, user name, uid and
 * an optional quoted, comma-separated group list, one user per line.
 */
import type { TokenAuthenticator, TokenAuthResult } from './authenticator.ts';
import { userInfo } from './user.ts';

export interface StaticToken {
  readonly token: string;
  readonly user: string;
  readonly uid: string;
  readonly groups?: readonly string[];
}

export function tokenFileAuthenticator(tokens: readonly StaticToken[]): TokenAuthenticator {
  const byToken = new Map(tokens.map((t) => [t.token, t]));
  return {
    name: 'token-file',
    authenticateToken: async (token): Promise<TokenAuthResult> => {
      const t = byToken.get(token);
      return t === undefined
        ? { kind: 'unrecognized' }
        : { kind: 'authenticated', user: userInfo(t.user, t.groups ?? [], t.uid) };
    },
  };
}

export type TokenFileResult =
  | { readonly ok: true; readonly tokens: readonly StaticToken[] }
  | { readonly ok: false; readonly message: string };

/**
 * Parses a token file as upstream's tokenfile.NewCSV does: blank lines and lines starting with
 * '#' are skipped, a line needs at least token, user and uid, and a repeated token is an error.
 */
export function parseTokenFile(text: string): TokenFileResult {
  const tokens: StaticToken[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const record = csvFields(line);
    if (record === undefined) return { ok: false, message: `line ${i + 1}: unterminated quote` };
    if (record.length < 3) {
      return { ok: false, message: `line ${i + 1}: token file needs token, user and uid` };
    }
    const [token, user, uid, groups] = record as [string, string, string, string | undefined];
    if (token === '') return { ok: false, message: `line ${i + 1}: empty token` };
    if (seen.has(token)) return { ok: false, message: `line ${i + 1}: duplicate token` };
    seen.add(token);
    tokens.push({
      token,
      user,
      uid,
      groups: groups === undefined || groups === '' ? [] : groups.split(',').map((g) => g.trim()),
    });
  }
  return { ok: true, tokens };
}

/** One CSV record (RFC 4180 quoting), or undefined when a quote is left open. */
function csvFields(line: string): string[] | undefined {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) return undefined;
  fields.push(field);
  return fields;
}
