/**
 * Splits one line of iptables-restore input into arguments the way iptables-restore does:
 * whitespace separates, double quotes group (a comment with spaces), a backslash inside quotes
 * escapes the next character. Returns an error message for an unterminated quote.
 */
export function tokenize(line: string): string[] | string {
  const out: string[] = [];
  let current = '';
  let inToken = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '\\' && i + 1 < line.length) current += line[++i];
      else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') {
      quoted = true;
      inToken = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inToken) out.push(current);
      current = '';
      inToken = false;
    } else {
      current += ch;
      inToken = true;
    }
  }
  if (quoted) return 'unterminated quoted string';
  if (inToken) out.push(current);
  return out;
}

/** Quotes an argument when it needs it, as iptables-save does for comments. */
export function quoteArg(arg: string): string {
  if (arg !== '' && !/[\s"\\]/.test(arg)) return arg;
  return `"${arg.replace(/(["\\])/g, '\\$1')}"`;
}
