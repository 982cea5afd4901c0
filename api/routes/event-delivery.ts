/**
 * Event subscriptions and dead letters (docs/events.md): operators manage where events go, see
 * what could not be delivered, and send it again. Secrets are write-only.
 */
import { Router } from 'express';
import type { Request, RequestHandler } from 'express';
import type { DeadLettersPort, SubscriptionsPort } from '../../activities/ports';
import { DeadLetterQuery, RedriveSince, SubscriptionInput, SubscriptionPatch } from '../../workflows/domain/schemas/subscriptions';
import { allowRoles } from '../auth';
import { cursorRefusal, InputError, NotFoundError, zodIssuesToErrors } from '../errors';

const SUBSCRIPTION_NOT_FOUND = 'SUBSCRIPTION_NOT_FOUND';
const DEAD_LETTER_NOT_FOUND = 'DEAD_LETTER_NOT_FOUND';

const subscriptionId = (req: Request): string => String(req.params.subscriptionId);
const notFound = (req: Request) => new NotFoundError(`No subscription ${subscriptionId(req)}.`, SUBSCRIPTION_NOT_FOUND);

export function subscriptionsRouter({ subscriptions, idempotent }: { subscriptions: SubscriptionsPort; idempotent: RequestHandler }): Router {
  const router = Router();
  const operator = allowRoles('operator');

  router.post('/', operator, idempotent, async (req, res) => {
    const created = await subscriptions.create(SubscriptionInput.parse(req.body));
    res.status(201).location(`/v1/subscriptions/${created.id}`).json(created);
  });

  router.get('/', operator, async (_req, res) => {
    res.json({ items: await subscriptions.list() });
  });

  router.get('/:subscriptionId', operator, async (req, res) => {
    const found = await subscriptions.get(subscriptionId(req));
    if (!found) throw notFound(req);
    res.json(found);
  });

  router.patch('/:subscriptionId', operator, idempotent, async (req, res) => {
    const patch = SubscriptionPatch.parse(req.body);
    const updated = await subscriptions.update(subscriptionId(req), patch);
    if (!updated) throw notFound(req);
    res.json(updated);
  });

  router.delete('/:subscriptionId', operator, async (req, res) => {
    if (!(await subscriptions.remove(subscriptionId(req)))) throw notFound(req);
    res.status(204).end();
  });

  router.post('/:subscriptionId/redrive', operator, idempotent, async (req, res) => {
    const { since } = RedriveSince.parse(req.body);
    const accepted = await subscriptions.redriveSince(subscriptionId(req), new Date(since));
    if (!accepted) throw notFound(req);
    res.status(202).json(accepted);
  });

  return router;
}

export function deadLettersRouter({ deadLetters, idempotent }: { deadLetters: DeadLettersPort; idempotent: RequestHandler }): Router {
  const router = Router();
  const operator = allowRoles('operator');

  router.get('/', operator, async (req, res) => {
    const parsed = DeadLetterQuery.safeParse(req.query);
    if (!parsed.success) throw new InputError('The query parameters are invalid.', zodIssuesToErrors(parsed.error));
    const page = await deadLetters.list(parsed.data).catch(cursorRefusal(parsed.data.cursor));
    res.json(page);
  });

  router.post('/:deadLetterId/redrive', operator, idempotent, async (req, res) => {
    const redriven = await deadLetters.redrive(String(req.params.deadLetterId));
    if (!redriven) throw new NotFoundError(`No dead letter ${String(req.params.deadLetterId)}.`, DEAD_LETTER_NOT_FOUND);
    res.status(202).json(redriven);
  });

  return router;
}
