/**
 * Splits a rule spec as it appears in iptables-restore text (`-m comment --comment "a b" -j X`)
 * into the argument list the iptables command takes: words separated by blanks, a double-quoted
 * word kept whole with its quotes removed and `\"` / `\\` unescaped, as iptables-restore's own
 * tokenizer reads it.
 */
export type SplitResult =
  | { readonly ok: true; readonly args: readonly string[] }
  | { readonly ok: false; readonly message: string };

export function splitRuleSpec(spec: string): SplitResult {
  const args: string[] = [];
  let word: string | undefined;
  let quoted = false;
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i]!;
    if (quoted) {
      if (c === '\\' && (spec[i + 1] === '"' || spec[i + 1] === '\\')) {
        word += spec[++i]!;
      } else if (c === '"') {
        quoted = false;
      } else {
        word += c;
      }
    } else if (c === ' ' || c === '\t') {
      if (word !== undefined) args.push(word);
      word = undefined;
    } else if (c === '"') {
      quoted = true;
      word ??= '';
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quoted) return { ok: false, message: 'unterminated quote' };
  if (word !== undefined) args.push(word);
  return { ok: true, args };
}
