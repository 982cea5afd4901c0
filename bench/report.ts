/**
 * The table `npm run bench` prints: each benchmark on one row with its baseline on the row
 * beneath, the ratio between their medians, and whether that ratio is within its target.
 */
import type { BenchResult, Stats } from './measure';

function ms(value: number): string {
  if (value < 1) return `${(value * 1000).toFixed(0)} µs`;
  if (value < 100) return `${value.toFixed(2)} ms`;
  return `${value.toFixed(0)} ms`;
}

function ratio(value: number): string {
  return value < 10 ? `${value.toFixed(2)}×` : `${value.toFixed(0)}×`;
}

export function withinTarget(result: BenchResult): boolean {
  if (!Number.isFinite(result.ratio)) return false;
  return result.minRatio === undefined ? result.ratio <= result.maxRatio : result.ratio >= result.minRatio;
}

function figure(value: number, unit: string | undefined): string {
  if (unit === undefined) return ms(value);
  return `${value < 10 ? value.toFixed(2) : Math.round(value).toLocaleString('en-US')} ${unit}`;
}

export function renderTable(results: readonly BenchResult[]): string {
  const header = ['section', 'benchmark', 'ops', 'mean', 'p50', 'p95', 'ratio', 'target', 'result'];
  const rows: string[][] = [];
  const timing = (s: Stats, unit: string | undefined) => [String(s.ops), figure(s.meanMs, unit), figure(s.p50Ms, unit), figure(s.p95Ms, unit)];
  for (const r of results) {
    const target = r.minRatio === undefined ? `≤ ${r.maxRatio}×` : `≥ ${r.minRatio}×`;
    rows.push([r.section, r.name, ...timing(r.subject, r.unit), ratio(r.ratio), target, withinTarget(r) ? 'PASS' : 'FAIL']);
    rows.push(['', `  baseline: ${r.baselineName}`, ...timing(r.baseline, r.unit), '1×', '', '']);
  }
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const numeric = new Set([2, 3, 4, 5, 6]);
  const line = (cells: string[]) =>
    cells.map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  const rule = widths.map((width) => '─'.repeat(width)).join('  ');

  const out = [line(header), rule];
  let section = '';
  for (const [index, row] of rows.entries()) {
    if (index > 0 && row[0] !== '' && row[0] !== section) out.push(rule);
    if (row[0] !== '') section = row[0]!;
    out.push(line(row));
  }
  out.push(rule);

  const notes = results.flatMap((r) => (r.notes ?? []).map((note) => `  ${r.name}: ${note}`));
  if (notes.length > 0) out.push('', 'Notes:', ...notes);
  return out.join('\n');
}
