/** Renders rows as an aligned text table (numbers right-aligned). */
export function table(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const cells = [
    headers,
    ...rows.map((r) => r.map((c) => (typeof c === 'number' ? c.toLocaleString('en-US') : c))),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'),
  );
  const line = (r: readonly (string | number)[]) =>
    r
      .map((c, i) =>
        numeric[i] ? String(c).padStart(widths[i] ?? 0) : String(c).padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [
    line(cells[0] ?? []),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

export function seconds(us: number): string {
  return `${(us / 1e6).toFixed(3)}s`;
}

/**
 * A benchmark's target column: the target and whether the row meets it, "50,000 ok" or
 * "50,000 MISSED" (a missed row makes `ksim bench` exit 1); "none" for a row without one.
 */
export function targetCell(value: number, target: number | undefined): string {
  if (target === undefined || target === 0) return 'none';
  return `${target.toLocaleString('en-US')} ${value >= target ? 'ok' : 'MISSED'}`;
}
