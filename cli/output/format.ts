import type { Output } from './terminal.ts';

/** Plain text formatting shared by the commands: times, durations, tables. */

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `HH:MM:SS.mmm` in local time (set TZ to choose the zone). */
export function clock(iso: string | Date): string {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A duration for people: 850ms, 4.2s, 3m 05s, 2h 07m. */
export function duration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
}

export function since(iso: string, now = Date.now()): string {
  return `${duration(now - new Date(iso).getTime())} ago`;
}

/** Milliseconds between two instants, the second defaulting to now. */
export function elapsed(from: string, to?: string | null): number {
  return (to ? new Date(to).getTime() : Date.now()) - new Date(from).getTime();
}

/** `2025-01-31 14:05:09` in local time. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Left-aligned columns separated by two spaces; cells are plain text. */
export function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** `key: value` lines with the values aligned. */
export function fields(pairs: [string, string][]): string[] {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`);
}

/**
 * A list command's output: the items as one JSON document with --json, else
 * `empty` when there are none, else a table of `row(item)` under `headers`.
 */
export function printList<T>(
  output: Output,
  items: readonly T[],
  view: { empty: string; headers: string[]; row: (item: T) => string[] },
): void {
  if (output.json) output.data(items);
  else if (items.length === 0) output.out(view.empty);
  else for (const line of table(view.headers, items.map(view.row))) output.out(line);
}
