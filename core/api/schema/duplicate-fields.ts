/**
 * Duplicate fields in a JSON text, which only the raw text shows (a parsed object keeps the
 * last). Paths as upstream's strict decoder prints them: `metadata.labels.app`,
 * `spec.containers[0].name`. A text that is not JSON reports nothing: its parse failed first.
 */
export function duplicateFields(text: string): string[] {
  const out: string[] = [];
  try {
    new Scanner(text, out).value('');
  } catch {
    return [];
  }
  return out;
}

class Scanner {
  private i = 0;

  constructor(
    private readonly s: string,
    private readonly duplicates: string[],
  ) {}

  value(path: string): void {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') this.object(path);
    else if (c === '[') this.array(path);
    else if (c === '"') this.string();
    else this.literal();
  }

  private object(path: string): void {
    this.i++;
    const seen = new Set<string>();
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return;
    }
    while (true) {
      this.ws();
      const key = this.string();
      const child = path === '' ? key : `${path}.${key}`;
      if (seen.has(key)) this.duplicates.push(child);
      seen.add(key);
      this.ws();
      this.expect(':');
      this.value(child);
      this.ws();
      if (this.s[this.i] === ',') {
        this.i++;
        continue;
      }
      this.expect('}');
      return;
    }
  }

  private array(path: string): void {
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return;
    }
    for (let n = 0; ; n++) {
      this.value(`${path}[${n}]`);
      this.ws();
      if (this.s[this.i] === ',') {
        this.i++;
        continue;
      }
      this.expect(']');
      return;
    }
  }

  private string(): string {
    this.expect('"');
    const start = this.i - 1;
    while (this.i < this.s.length && this.s[this.i] !== '"') {
      this.i += this.s[this.i] === '\\' ? 2 : 1;
    }
    this.expect('"');
    return JSON.parse(this.s.slice(start, this.i)) as string;
  }

  private literal(): void {
    const start = this.i;
    while (this.i < this.s.length && !',}] \t\r\n'.includes(this.s[this.i] as string)) this.i++;
    if (this.i === start) throw new Error('value expected');
  }

  private ws(): void {
    while (this.i < this.s.length && ' \t\r\n'.includes(this.s[this.i] as string)) this.i++;
  }

  private expect(c: string): void {
    if (this.s[this.i] !== c) throw new Error(`${c} expected`);
    this.i++;
  }
}
