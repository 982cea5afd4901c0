/**
 * The web console at /console (docs/console.md): server-rendered pages for finance, buyers,
 * suppliers and operators, with htmx for in-place updates. It reads the same ports as the API and
 * sends the same commands (./commands.ts); a browser session stands in for the bearer key.
 */
import express, { Router } from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { render } from 'preact-render-to-string';
import type { VNode } from 'preact';
import type winston from 'winston';
import type { ConsoleSessionsPort, ReadModelPort, WorkQueuePort } from '../../activities/ports';
import type { AppConfig } from '../../temporal-config/env';
import { ExceptionListQuery, PoNumber } from '../../workflows/domain/schemas';
import type { Role } from '../../workflows/domain/schemas';
import type { Actor } from '../../workflows/domain/state';
import type { OpenException, PaymentWorkItem } from '../../workflows/domain/schemas/work-queue';
import { workflowId } from '../../workflows/purchase-order/definitions';
import { sendCsv } from '../csv';
import { cursorRefusal, ForbiddenError, NotFoundError, toApiError, zodIssuesToErrors } from '../errors';
import type { PurchaseOrderGateway } from '../gateway';
import { EXCEPTION_CSV_COLUMNS } from '../routes/work-queue';
import { assetsRouter } from './assets';
import { ConsoleCommands } from './commands';
import { failedForm, formValues, idempotencyKeyOf, nest, newIdempotencyKey } from './forms';
import type { FormState, FormValues } from './forms';
import { ConsoleSessionManager, CSRF_FIELD, CSRF_HEADER, readCookie, SESSION_COOKIE, sameToken } from './session';
import type { SignedIn } from './session';
import { Notice } from './views/components';
import { ExceptionRow, ExceptionsPage } from './views/exceptions';
import type { ExceptionQuery } from './views/exceptions';
import { KpisPage } from './views/kpis';
import { MessagePage } from './views/layout';
import type { NavItem, Viewer } from './views/layout';
import { PaymentsPage } from './views/payments';
import { PurchaseOrderPage } from './views/purchase-order';
import { PurchaseOrdersPage } from './views/purchase-orders';
import { SignInPage } from './views/sign-in';

export interface ConsoleDependencies {
  config: Pick<AppConfig, 'api' | 'console' | 'temporal'>;
  readModel: ReadModelPort;
  workQueue: WorkQueuePort;
  consoleSessions: ConsoleSessionsPort;
  gateway: PurchaseOrderGateway;
  /** Counts sign-in attempts like API requests (per client address). */
  rateLimit: RequestHandler;
  logger: winston.Logger;
}

/** No inline script or style, nothing from elsewhere, no framing, forms only to this origin. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const PAGES: (NavItem & { roles: Role[] })[] = [
  { href: '/console/exceptions', label: 'Exceptions', roles: ['finance', 'operator'] },
  { href: '/console/payments', label: 'Payments', roles: ['finance', 'operator'] },
  { href: '/console/purchase-orders', label: 'Purchase orders', roles: ['procurement', 'supplier', 'warehouse', 'finance', 'operator', 'approver'] },
  { href: '/console/kpis', label: 'KPIs', roles: ['finance', 'operator'] },
];

const JOURNAL_READERS: Role[] = ['procurement', 'finance', 'operator'];

/** Rows per page of the exceptions queue: a screenful to work through, and a first render that costs the same however long the queue is. */
export const EXCEPTIONS_PAGE_SIZE = 25;

/** What a successful command says on the page it lands on (fixed texts: a query parameter never becomes markup). */
const DONE: Record<string, string> = {
  acknowledged: 'Acknowledgement sent.',
  asn: 'Advance ship notice sent.',
  invoice: 'Invoice sent.',
  changes: 'Decision on the proposed changes recorded.',
  approve: 'Invoice approved: it leaves the queue and goes to payment.',
  reject: 'Invoice rejected.',
  payment: 'Payment status recorded.',
};

function sendPage(res: Response, status: number, page: VNode): void {
  res.status(status).type('html').setHeader('Cache-Control', 'no-store');
  res.send(`<!doctype html>${render(page)}`);
}

const isHtmx = (req: Request) => req.get('hx-request') === 'true';
const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** A path inside the console to return to after sign-in; anything else goes home. */
function safeNext(value: unknown): string | undefined {
  return typeof value === 'string' && /^\/console(\/[A-Za-z0-9._~%\/-]*)?(\?[A-Za-z0-9._~%&=+-]*)?$/.test(value) && !value.startsWith('/console/sign') ? value : undefined;
}

function homeOf(role: string): string {
  return role === 'finance' || role === 'operator' ? '/console/exceptions' : '/console/purchase-orders';
}

function poNumberOf(raw: unknown): string {
  const parsed = PoNumber.safeParse(raw);
  if (!parsed.success) throw new NotFoundError(`No purchase order ${String(raw)}.`, 'PURCHASE_ORDER_NOT_FOUND');
  return parsed.data;
}

export function consoleRouter(deps: ConsoleDependencies): Router {
  const { config, workQueue, readModel, gateway, logger } = deps;
  const sessions = new ConsoleSessionManager(deps.consoleSessions, config.api.keys, config.console.sessionTtl);
  const commands = new ConsoleCommands(gateway, readModel);
  const router = Router();

  router.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('Referrer-Policy', 'same-origin');
    next();
  });
  router.use('/assets', assetsRouter());
  router.use(express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 4000 }));

  const viewerOf = (res: Response): Viewer => res.locals.viewer as Viewer;
  const sessionOf = (res: Response): SignedIn => res.locals.session as SignedIn;

  // ---- Sign-in and sign-out -------------------------------------------------------------

  router.get('/sign-in', async (req, res) => {
    if (await sessions.current(req)) {
      res.redirect(303, '/console');
      return;
    }
    sendPage(res, 200, <SignInPage token={sessions.signInToken(req, res)} next={safeNext(req.query.next)} expired={req.query.expired === '1'} />);
  });

  router.post('/sign-in', deps.rateLimit, async (req, res) => {
    const values = formValues(req.body);
    const next = safeNext(values.next);
    if (!sessions.signInTokenMatches(req, values[CSRF_FIELD])) {
      sendPage(res, 403, <SignInPage token={sessions.signInToken(req, res)} next={next} error="The sign-in form expired. Enter the key again." />);
      return;
    }
    const actor = sessions.identify(values.apiKey?.trim() ?? '');
    if (!actor) {
      logger.info('console sign-in refused', { requestId: req.context.requestId });
      sendPage(res, 401, <SignInPage token={sessions.signInToken(req, res)} next={next} error="This API key is not valid." />);
      return;
    }
    await sessions.start(req, res, actor);
    logger.info('console sign-in', { requestId: req.context.requestId, actor: actor.id });
    res.redirect(303, next ?? homeOf(actor.role));
  });

  // ---- Everything below needs a session, and every POST its CSRF token ---------------------

  router.use(async (req, res, next) => {
    const session = await sessions.current(req);
    if (!session) {
      const target = `/console/sign-in${readCookie(req, SESSION_COOKIE) ? '?expired=1' : ''}`;
      const withNext = req.method === 'GET' && req.originalUrl !== '/console' ? `${target}${target.includes('?') ? '&' : '?'}next=${encodeURIComponent(req.originalUrl)}` : target;
      if (isHtmx(req)) {
        res.setHeader('HX-Redirect', withNext);
        res.status(401).end();
        return;
      }
      res.redirect(303, withNext);
      return;
    }
    req.context.actor = session.actor;
    res.locals.session = session;
    res.locals.viewer = {
      actor: session.actor,
      csrfToken: session.csrfToken,
      nav: PAGES.filter((page) => page.roles.includes(session.actor.role as Role)),
    } satisfies Viewer;
    next();
  });

  router.use((req, res, next) => {
    if (req.method !== 'POST') {
      next();
      return;
    }
    const presented = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD] ?? req.get(CSRF_HEADER);
    if (!sameToken(sessionOf(res).csrfToken, presented)) {
      logger.warn('console post without a valid CSRF token', { requestId: req.context.requestId, path: req.path });
      sendPage(res, 403, <MessagePage title="Form refused" message="This form was not sent from this console session (its security token is missing or out of date). Nothing was changed. Reload the page and try again." viewer={viewerOf(res)} />);
      return;
    }
    next();
  });

  router.post('/sign-out', async (req, res) => {
    await sessions.end(req, res, sessionOf(res));
    res.redirect(303, '/console/sign-in');
  });

  router.get('/', (_req, res) => {
    res.redirect(303, homeOf(sessionOf(res).actor.role));
  });

  /** A page outside the role answers 403 in the page. */
  const page = (...roles: Role[]): RequestHandler => (_req, res, next) => {
    const role = sessionOf(res).actor.role as Role;
    if (!roles.includes(role)) throw new ForbiddenError(`This page is not available to the ${role} role.`);
    next();
  };

  // ---- Finance: exceptions -----------------------------------------------------------------

  function exceptionQueryOf(req: Request): { query: ExceptionQuery; errors: Record<string, string> } {
    const raw = Object.fromEntries(Object.entries(req.query).filter(([key, value]) => ['supplierId', 'reason', 'sort', 'cursor'].includes(key) && typeof value === 'string' && value !== ''));
    const parsed = ExceptionListQuery.safeParse(raw);
    if (parsed.success) return { query: { sort: parsed.data.sort, supplierId: parsed.data.supplierId, reason: parsed.data.reason, cursor: parsed.data.cursor }, errors: {} };
    const errors = Object.fromEntries(zodIssuesToErrors(parsed.error).map((issue) => [issue.path, issue.message]));
    return { query: { sort: '-age' }, errors };
  }

  async function renderExceptions(req: Request, res: Response, options: { status?: number; state?: FormState; notice?: string } = {}): Promise<void> {
    const { query, errors } = exceptionQueryOf(req);
    const page = await workQueue
      .listOpenExceptions({ sort: query.sort, limit: EXCEPTIONS_PAGE_SIZE, ...(query.supplierId ? { supplierId: query.supplierId } : {}), ...(query.reason ? { reason: query.reason } : {}), ...(query.cursor ? { cursor: query.cursor } : {}) })
      .catch(cursorRefusal(query.cursor));
    // A refused row keeps its key (the same decision posted again is the same command); every other row gets a new one.
    const keyFor = (item: OpenException) =>
      options.state?.values.exceptionId === item.exceptionId && options.state.values.poNumber === item.poNumber && options.state.values.idempotencyKey ? options.state.values.idempotencyKey : newIdempotencyKey();
    sendPage(
      res,
      options.status ?? 200,
      <ExceptionsPage viewer={viewerOf(res)} query={query} items={page.items} nextCursor={page.nextCursor} canDecide={sessionOf(res).actor.role === 'finance'} keyFor={keyFor} state={options.state} queryErrors={errors} notice={options.notice ?? DONE[text(req.query.done) ?? '']} />,
    );
  }

  router.get('/exceptions', page('finance', 'operator'), async (req, res) => {
    await renderExceptions(req, res);
  });

  router.get('/exceptions.csv', page('finance', 'operator'), async (req, res) => {
    const { query } = exceptionQueryOf(req);
    const { items } = await workQueue.listOpenExceptions({ sort: query.sort, limit: 200, ...(query.supplierId ? { supplierId: query.supplierId } : {}), ...(query.reason ? { reason: query.reason } : {}) });
    const rows = items.map((item) => ({ ...item, reasonCodes: [...new Set(item.reasons.map((reason) => reason.code))].join(' ') }));
    sendCsv(res, 'open-exceptions', rows, EXCEPTION_CSV_COLUMNS);
  });

  router.post('/exceptions/decision', page('finance'), async (req, res) => {
    const values = formValues(req.body);
    const poNumber = poNumberOf(values.poNumber);
    const exceptionId = values.exceptionId ?? '';
    const form = `exc-${poNumber}-${exceptionId}`.replace(/[^A-Za-z0-9_-]/g, '-');
    try {
      const body = nest(values, (name) => name === 'reason' || name === 'action').body;
      await commands.resolveInvoice(sessionOf(res).actor, poNumber, values.invoiceNumber ?? '', body, idempotencyKeyOf(values));
    } catch (error) {
      const state = failedForm(form, values, error);
      if (state.status === 404 || state.status === 403) throw error;
      if (!values.action && !state.fieldErrors.reason) state.formError = 'Choose Approve or Reject.';
      if (isHtmx(req)) {
        const item = await workQueue.findOpenException(poNumber, exceptionId);
        if (!item) {
          sendPage(res, 200, <Gone notice={`The exception on ${poNumber} is no longer open.`} />);
          return;
        }
        res.status(state.status).type('html').send(render(<ExceptionRow item={item} canDecide idempotencyKey={values.idempotencyKey ?? newIdempotencyKey()} csrfToken={viewerOf(res).csrfToken} state={state} />));
        return;
      }
      await renderExceptions(req, res, { status: state.status, state, notice: state.formError ?? Object.values(state.fieldErrors)[0] });
      return;
    }
    const done = values.action === 'reject' ? 'reject' : 'approve';
    if (isHtmx(req)) {
      // The row goes (the target is swapped with nothing) and the notice says why.
      res.status(200).type('html').send(render(<Gone notice={`${values.invoiceNumber} on ${poNumber}: ${DONE[done]}`} />));
      return;
    }
    res.redirect(303, `/console/exceptions?done=${done}`);
  });

  // ---- Finance: payments -----------------------------------------------------------------

  async function renderPayments(res: Response, options: { status?: number; state?: FormState; notice?: string | undefined } = {}): Promise<void> {
    const items = await workQueue.listPayments(100);
    const keyFor = (item: PaymentWorkItem) => (options.state?.values.invoiceNumber === item.invoiceNumber && options.state.values.idempotencyKey ? options.state.values.idempotencyKey : newIdempotencyKey());
    sendPage(res, options.status ?? 200, <PaymentsPage viewer={viewerOf(res)} items={items} canReport={sessionOf(res).actor.role === 'finance'} keyFor={keyFor} state={options.state} notice={options.notice} />);
  }

  router.get('/payments', page('finance', 'operator'), async (req, res) => {
    await renderPayments(res, { notice: DONE[text(req.query.done) ?? ''] });
  });

  router.post('/payments/status', page('finance'), async (req, res) => {
    const values = formValues(req.body);
    const poNumber = poNumberOf(values.poNumber);
    try {
      const body = nest(values, (name) => name === 'status' || name === 'reference').body;
      await commands.reportPaymentStatus(sessionOf(res).actor, poNumber, values.invoiceNumber ?? '', body, idempotencyKeyOf(values));
    } catch (error) {
      const state = failedForm(`pay-${poNumber}-${values.invoiceNumber ?? ''}`.replace(/[^A-Za-z0-9_-]/g, '-'), values, error);
      if (state.status === 404 || state.status === 403) throw error;
      await renderPayments(res, { status: state.status, state });
      return;
    }
    res.redirect(303, '/console/payments?done=payment');
  });

  // ---- KPIs ----------------------------------------------------------------------------------

  router.get('/kpis', page('finance', 'operator'), async (_req, res) => {
    sendPage(res, 200, <KpisPage viewer={viewerOf(res)} kpis={await readModel.kpis()} />);
  });

  // ---- Purchase orders -----------------------------------------------------------------------

  router.get('/purchase-orders', async (req, res) => {
    const actor = sessionOf(res).actor;
    if (actor.role === 'supplier' && !actor.supplierId) throw new ForbiddenError('This supplier key is not bound to a supplier.');
    const open = req.query.show !== 'all';
    const cursor = text(req.query.cursor);
    const page = await workQueue
      .listPurchaseOrderWork({ open, limit: 50, ...(cursor ? { cursor } : {}), ...(actor.role === 'supplier' ? { supplierId: actor.supplierId! } : {}) })
      .catch(cursorRefusal(cursor));
    sendPage(res, 200, <PurchaseOrdersPage viewer={viewerOf(res)} items={page.items} nextCursor={page.nextCursor} open={open} cursor={cursor} showSupplier={actor.role !== 'supplier'} />);
  });

  async function renderPurchaseOrder(req: Request, res: Response, poNumber: string, options: { status?: number; state?: FormState } = {}): Promise<void> {
    const actor = sessionOf(res).actor;
    const po = await gateway.viewFor(actor, poNumber);
    const journal = JOURNAL_READERS.includes(actor.role as Role) ? await workQueue.journal(po.poNumber) : undefined;
    const temporalRunUrl =
      actor.role === 'operator' ? `${config.console.temporalUiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId(po.poNumber))}` : undefined;
    const keyOf = (form: string) => (options.state?.form === form && options.state.values.idempotencyKey ? options.state.values.idempotencyKey : newIdempotencyKey());
    sendPage(
      res,
      options.status ?? 200,
      <PurchaseOrderPage
        viewer={viewerOf(res)}
        po={po}
        journal={journal}
        temporalRunUrl={temporalRunUrl}
        state={options.state}
        keys={{ acknowledgement: keyOf('acknowledge'), changeDecision: keyOf('change-decision') }}
        notice={DONE[text(req.query.done) ?? '']}
      />,
    );
  }

  router.get('/purchase-orders/:poNumber', async (req, res) => {
    await renderPurchaseOrder(req, res, poNumberOf(req.params.poNumber));
  });

  /** A form on the PO page: on success back to the page with a notice; refused, the page again with the errors next to the fields. */
  function poForm(path: string, form: string, done: string, roles: Role[], fields: (name: string) => boolean, run: (actor: Actor, poNumber: string, body: Record<string, unknown>, values: FormValues) => Promise<unknown>, shape: (body: Record<string, unknown>) => Record<string, unknown> = (body) => body): void {
    router.post(`/purchase-orders/:poNumber/${path}`, page(...roles), async (req, res) => {
      const poNumber = poNumberOf(req.params.poNumber);
      const values = formValues(req.body);
      const nested = nest(values, fields);
      try {
        await run(sessionOf(res).actor, poNumber, shape(nested.body), values);
      } catch (error) {
        const state = failedForm(form, values, error, nested.fieldOf);
        if (state.status === 404 || state.status === 403) throw error;
        await renderPurchaseOrder(req, res, poNumber, { status: state.status, state });
        return;
      }
      res.redirect(303, `/console/purchase-orders/${encodeURIComponent(poNumber)}?done=${done}`);
    });
  }

  const lineField = (name: string) => name.startsWith('lines.');
  poForm(
    'acknowledgement',
    'acknowledge',
    'acknowledged',
    ['supplier'],
    (name) => name === 'type' || name === 'reason' || lineField(name),
    (actor, poNumber, body, values) => commands.acknowledge(actor, poNumber, body, idempotencyKeyOf(values)),
    // Lines belong to an acceptance with changes only.
    (body) => (body.type === 'accept_with_changes' ? body : Object.fromEntries(Object.entries(body).filter(([key]) => key !== 'lines'))),
  );
  poForm('asns', 'asn', 'asn', ['supplier'], (name) => ['asnNumber', 'shipDate', 'expectedDeliveryDate', 'carrier', 'trackingNumber'].includes(name) || lineField(name), (actor, poNumber, body) =>
    commands.submitAsn(actor, poNumber, body),
  );
  poForm('invoices', 'invoice', 'invoice', ['supplier'], (name) => ['invoiceNumber', 'invoiceDate', 'currency', 'freight', 'tax', 'total'].includes(name) || lineField(name), (actor, poNumber, body) =>
    commands.submitInvoice(actor, poNumber, body),
  );
  poForm('change-decision', 'change-decision', 'changes', ['procurement'], (name) => name === 'decision' || name === 'reason', (actor, poNumber, body, values) =>
    commands.decideChanges(actor, poNumber, body, idempotencyKeyOf(values)),
  );

  // ---- Errors: in the page, never as JSON ------------------------------------------------------

  router.use((_req, res) => {
    sendPage(res, 404, <MessagePage title="Not found" message="There is no such page in the console." viewer={res.locals.viewer as Viewer | undefined} />);
  });

  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const apiError = toApiError(error);
    if (apiError.status >= 500) logger.error('console request failed', { requestId: req.context?.requestId, path: req.path, error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) });
    for (const [name, value] of Object.entries(apiError.headers)) if (name.toLowerCase() === 'retry-after') res.setHeader(name, value);
    const title = apiError.status === 403 ? 'Not available' : apiError.status === 404 ? 'Not found' : apiError.status === 429 ? 'Too many attempts' : apiError.status >= 500 ? 'Something went wrong' : 'Request refused';
    const message = apiError.status >= 500 && apiError.status !== 503 ? `The request could not be completed (reference ${req.context?.requestId ?? 'unknown'}). Nothing was changed; try again.` : apiError.message;
    sendPage(res, apiError.status, <MessagePage title={title} message={message} viewer={res.locals.viewer as Viewer | undefined} />);
  });

  return router;
}

/** A fragment that removes an htmx target and says why in the notice area. */
function Gone({ notice }: { notice: string }) {
  return (
    <div id="notice" hx-swap-oob="true" aria-live="polite">
      <Notice text={notice} />
    </div>
  );
}
