/**
 * The event catalog for integrators: the AsyncAPI document and its rendered page. Public, like
 * the OpenAPI document: it describes the events, not any tenant's data.
 */
import { Router } from 'express';
import { asyncApiDocument } from '../asyncapi';
import { asyncApiPage } from '../asyncapi/page';

export function asyncApiRouter(): Router {
  const router = Router();
  router.get('/v1/asyncapi.json', (_req, res) => {
    res.json(asyncApiDocument());
  });
  router.get(['/asyncapi', '/asyncapi/'], (_req, res) => {
    res.type('html').send(asyncApiPage());
  });
  return router;
}
