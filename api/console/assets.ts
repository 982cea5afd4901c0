/**
 * The console's static assets: its stylesheet and htmx (pinned 2.0.x, served from node_modules, so
 * the console works offline). URLs carry a hash of the content, so they are cached for a year and
 * a new release is fetched anew (docs/adr/0090-server-rendered-console-with-htmx.md).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Router } from 'express';
import { projectRoot } from '../../temporal-config/env';

interface Asset {
  body: Buffer;
  type: string;
  version: string;
}

const SOURCES: Record<string, { file: () => string; type: string }> = {
  'console.css': { file: () => path.join(projectRoot, 'api/console/assets/console.css'), type: 'text/css; charset=utf-8' },
  'htmx.min.js': { file: () => require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript; charset=utf-8' },
};

let loaded: Map<string, Asset> | undefined;

function assets(): Map<string, Asset> {
  loaded ??= new Map(
    Object.entries(SOURCES).map(([name, source]) => {
      const body = fs.readFileSync(source.file());
      return [name, { body, type: source.type, version: createHash('sha256').update(body).digest('hex').slice(0, 12) }];
    }),
  );
  return loaded;
}

export function assetUrl(name: keyof typeof SOURCES & string): string {
  const asset = assets().get(name);
  if (!asset) throw new Error(`No console asset ${name}`);
  return `/console/assets/${asset.version}/${name}`;
}

/** Mounted at /console/assets. Any version answers the current file; only the current one is cached for long. */
export function assetsRouter(): Router {
  // Read at startup: a missing asset stops the process with its path instead of breaking every page.
  assets();
  const router = Router();
  router.get('/:version/:name', (req, res, next) => {
    const asset = assets().get(req.params.name);
    if (!asset) {
      next();
      return;
    }
    res.setHeader('Content-Type', asset.type);
    res.setHeader('Cache-Control', req.params.version === asset.version ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.setHeader('ETag', `"${asset.version}"`);
    if (req.get('if-none-match') === `"${asset.version}"`) {
      res.status(304).end();
      return;
    }
    res.send(asset.body);
  });
  return router;
}
