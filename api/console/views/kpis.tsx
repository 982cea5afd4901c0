/** The KPIs the API computes (GET /v1/kpis), as charts and figures. */
import type { Kpis } from '../../../activities/ports';
import { BarChart, RateRing } from './charts';
import { PageHeader } from './components';
import { Layout } from './layout';
import type { Viewer } from './layout';

const hours = (value: number | null) => (value === null ? '—' : `${Math.round(value * 10) / 10} h`);
const days = (value: number | null) => (value === null ? '—' : `${Math.round(value * 10) / 10} d`);

function Tile({ label, value, detail }: { label: string; value: string | number; detail?: string }) {
  return (
    <div class="tile">
      <span class="tile-label">{label}</span>
      <span class="tile-value">{value}</span>
      {detail && <span class="tile-detail">{detail}</span>}
    </div>
  );
}

export function KpisPage({ viewer, kpis }: { viewer: Viewer; kpis: Kpis }) {
  const ageing = kpis.openExceptionsByAge;
  const matching = kpis.invoiceMatching;
  const close = kpis.periodCloseReadiness;
  return (
    <Layout title="KPIs" viewer={viewer} current="/console/kpis">
      <PageHeader title="KPIs">
        <span class="muted">
          Computed <time datetime={kpis.generatedAt}>{kpis.generatedAt.slice(0, 16).replace('T', ' ')} UTC</time>
        </span>
      </PageHeader>
      <div class="tiles">
        <Tile label="Open exceptions" value={ageing.total} />
        <Tile label="Acknowledgement cycle" value={hours(kpis.acknowledgementCycleTime.medianHours)} detail={`median over ${kpis.acknowledgementCycleTime.acknowledgedPurchaseOrders} POs`} />
        <Tile label="Days to pay" value={days(kpis.daysToPay.averageDays)} detail={`average over ${kpis.daysToPay.paidInvoices} invoices`} />
        <Tile label="Approvals waiting" value={kpis.approvals.pending} detail={`${kpis.approvals.escalated} escalated`} />
        <Tile label="Disputes open" value={kpis.disputes.open} detail={`${kpis.disputes.escalated} escalated`} />
        <Tile label="Period close" value={close.ready ? 'Ready' : 'Not ready'} detail={`${close.unmatchedInvoices} unmatched · ${close.staleGrniLines} stale GRNI lines`} />
      </div>
      <div class="charts">
        <section class="panel">
          <h2>Open exceptions by age</h2>
          <BarChart
            title="Open exceptions by age"
            bars={[
              { label: '< 1 day', value: ageing.lessThan1Day, tone: 'info' },
              { label: '1–3 days', value: ageing.from1To3Days, tone: 'info' },
              { label: '3–7 days', value: ageing.from3To7Days, tone: 'warn' },
              { label: '> 7 days', value: ageing.moreThan7Days, tone: 'bad' },
            ]}
          />
        </section>
        <section class="panel">
          <h2>Invoice matching</h2>
          <div class="rings">
            <figure>
              <RateRing title="First-pass match rate" rate={matching.firstPassMatchRate} tone="ok" />
              <figcaption>First-pass match rate ({matching.firstPassMatched} of {matching.decidedInvoices})</figcaption>
            </figure>
            <figure>
              <RateRing title="Exception rate" rate={matching.exceptionRate} tone="bad" />
              <figcaption>Exception rate ({matching.invoicesWithException} of {matching.invoices})</figcaption>
            </figure>
          </div>
        </section>
        <section class="panel">
          <h2>Inventory accuracy</h2>
          <div class="rings">
            <figure>
              <RateRing title="Line accuracy" rate={kpis.inventoryAccuracy.lineAccuracyRate} tone="info" />
              <figcaption>Lines counted as expected ({kpis.inventoryAccuracy.accurateLines} of {kpis.inventoryAccuracy.countedLines})</figcaption>
            </figure>
            <figure>
              <RateRing title="Quantity accuracy" rate={kpis.inventoryAccuracy.quantityAccuracy} tone="info" />
              <figcaption>Quantity accuracy</figcaption>
            </figure>
          </div>
        </section>
        <section class="panel">
          <h2>Integration failures</h2>
          <BarChart
            title="Integration failures"
            bars={[
              { label: 'Resolved', value: kpis.integrationFailureResolution.resolved, tone: 'ok' },
              { label: 'Open', value: kpis.integrationFailureResolution.open, tone: 'bad' },
            ]}
          />
          <p class="muted">Average time to resolve: {kpis.integrationFailureResolution.averageMinutes === null ? '—' : `${Math.round(kpis.integrationFailureResolution.averageMinutes)} min`}</p>
        </section>
      </div>
      <section class="panel">
        <h2>Discounts captured and payment holds</h2>
        <table class="data compact">
          <thead>
            <tr>
              <th scope="col">Figure</th>
              <th scope="col">Currency</th>
              <th scope="col" class="numeric">Amount</th>
              <th scope="col" class="numeric">Count</th>
            </tr>
          </thead>
          <tbody>
            {kpis.discountsCaptured.map((row) => (
              <tr>
                <td>Discounts captured</td>
                <td>{row.currency}</td>
                <td class="numeric">{row.amount}</td>
                <td class="numeric">{row.payments}</td>
              </tr>
            ))}
            {kpis.paymentHolds.heldAmounts.map((row) => (
              <tr>
                <td>Held invoices</td>
                <td>{row.currency}</td>
                <td class="numeric">{row.amount}</td>
                <td class="numeric">{kpis.paymentHolds.heldInvoices}</td>
              </tr>
            ))}
            {kpis.discountsCaptured.length === 0 && kpis.paymentHolds.heldAmounts.length === 0 && (
              <tr>
                <td colSpan={4} class="muted">
                  No discounts captured and no invoices held.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}
