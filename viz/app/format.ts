/** Virtual time since the start of the run: 0s, 12.5s, 3:05, 1:02:03. */
export function formatTime(us: number): string {
  const s = us / 1_000_000;
  if (Math.abs(s) < 60) return `${Number(s.toFixed(s % 1 === 0 ? 0 : 3))}s`;
  const whole = Math.floor(s);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const sec = (whole % 60) + (s - whole);
  const ss = (sec < 10 ? '0' : '') + Number(sec.toFixed(sec % 1 === 0 ? 0 : 2));
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A latency: 850µs, 12.3ms, 4.20s. */
export function formatLatency(us: number): string {
  if (us < 1_000) return `${Math.round(us)}µs`;
  if (us < 1_000_000) return `${(us / 1_000).toFixed(us < 10_000 ? 2 : 1)}ms`;
  return `${(us / 1_000_000).toFixed(2)}s`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
