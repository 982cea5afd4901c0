/**
 * Server-rendered SVG charts: no script, no inline style (the CSP forbids both), colours from the
 * stylesheet's classes. Each chart is an image with a text alternative, and its figures are also
 * printed beside it.
 */
export interface Bar {
  label: string;
  value: number;
  tone?: 'ok' | 'warn' | 'bad' | 'info';
}

/** Vertical bars with their value above each, on a baseline; scaled to the largest bar. */
export function BarChart({ title, bars, unit = '' }: { title: string; bars: Bar[]; unit?: string }) {
  const width = 420;
  const height = 200;
  const top = 24;
  const bottom = 34;
  const plot = height - top - bottom;
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const slot = width / Math.max(1, bars.length);
  const barWidth = Math.min(64, slot * 0.6);
  const summary = bars.map((bar) => `${bar.label}: ${bar.value}${unit}`).join(', ');
  return (
    <svg class="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${title}. ${summary}`}>
      <title>{`${title}. ${summary}`}</title>
      <line class="chart-axis" x1="0" y1={height - bottom} x2={width} y2={height - bottom} />
      {bars.map((bar, index) => {
        const barHeight = Math.round((bar.value / max) * plot);
        const x = index * slot + (slot - barWidth) / 2;
        const y = height - bottom - barHeight;
        return (
          <g>
            <rect class={`chart-bar chart-${bar.tone ?? 'info'}`} x={x} y={y} width={barWidth} height={Math.max(barHeight, bar.value > 0 ? 2 : 0)} rx="3" />
            <text class="chart-value" x={x + barWidth / 2} y={y - 6} text-anchor="middle">
              {`${bar.value}${unit}`}
            </text>
            <text class="chart-label" x={x + barWidth / 2} y={height - bottom + 18} text-anchor="middle">
              {bar.label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** A ring showing a share between 0 and 1 (or "no data"). */
export function RateRing({ title, rate, tone = 'ok' }: { title: string; rate: number | null; tone?: Bar['tone'] }) {
  const radius = 52;
  const circumference = 2 * Math.PI * radius;
  const shown = rate === null ? 'no data' : `${Math.round(rate * 1000) / 10}%`;
  const filled = rate === null ? 0 : Math.max(0, Math.min(1, rate)) * circumference;
  return (
    <svg class="chart ring" viewBox="0 0 140 140" role="img" aria-label={`${title}: ${shown}`}>
      <title>{`${title}: ${shown}`}</title>
      <circle class="ring-track" cx="70" cy="70" r={radius} />
      {filled > 0 && (
      <circle
        class={`ring-fill chart-${tone}`}
        cx="70"
        cy="70"
        r={radius}
        stroke-dasharray={`${filled.toFixed(2)} ${circumference.toFixed(2)}`}
        transform="rotate(-90 70 70)"
      />
      )}
      <text class="ring-value" x="70" y="76" text-anchor="middle">
        {shown}
      </text>
    </svg>
  );
}
