/**
 * The EDI inbox directory (EDI_INBOX_DIR; docs/edi.md, "Inbox directory"): for partners that drop
 * files (AS2 or SFTP servers in front of us) instead of calling the API. Each file is one
 * interchange; the partner is the one its ISA names. A file that was processed moves to
 * `processed/` with its 997 beside it (`<name>.997`); a file refused whole moves to `failed/` with
 * the problem (`<name>.problem.json`). An outage (Temporal, the database) leaves the file where it
 * is, for the next scan.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type winston from 'winston';
import { toApiError } from '../errors';
import type { EdiInbound } from './inbound';

/** A file younger than this may still be being written; it waits for the next scan. */
const SETTLE_MS = 1_000;

export interface EdiInboxOptions {
  dir: string;
  intervalMs: number;
  inbound: Pick<EdiInbound, 'receive'>;
  logger: winston.Logger;
}

export interface EdiInbox {
  /** One scan now (tests, tools); resolves when every ready file was handled. */
  scan(): Promise<{ processed: number; failed: number }>;
  stop(): Promise<void>;
}

export function startEdiInbox(options: EdiInboxOptions): EdiInbox {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<{ processed: number; failed: number }> | undefined;

  const scanOnce = async (): Promise<{ processed: number; failed: number }> => {
    const counts = { processed: 0, failed: 0 };
    await fs.mkdir(path.join(options.dir, 'processed'), { recursive: true });
    await fs.mkdir(path.join(options.dir, 'failed'), { recursive: true });
    const entries = await fs.readdir(options.dir, { withFileTypes: true });
    for (const entry of entries.filter((candidate) => candidate.isFile() && !candidate.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name))) {
      if (stopped) break;
      const file = path.join(options.dir, entry.name);
      const stat = await fs.stat(file).catch(() => undefined);
      if (!stat || Date.now() - stat.mtimeMs < SETTLE_MS) continue;
      const raw = await fs.readFile(file, 'latin1');
      try {
        const answer = await options.inbound.receive(raw, { kind: 'inbox', file: entry.name });
        await fs.writeFile(path.join(options.dir, 'processed', `${entry.name}.997`), answer.acknowledgement);
        await fs.rename(file, path.join(options.dir, 'processed', entry.name));
        counts.processed += 1;
        options.logger.info('EDI inbox file processed', { file: entry.name, interchangeId: answer.interchangeId, status: answer.status, replayed: answer.replayed });
      } catch (error) {
        const problem = toApiError(error);
        if (problem.status >= 500) {
          options.logger.warn('EDI inbox file left for the next scan', { file: entry.name, error: (error as Error).message });
          continue;
        }
        await fs.writeFile(path.join(options.dir, 'failed', `${entry.name}.problem.json`), JSON.stringify({ status: problem.status, code: problem.code, detail: problem.message }, null, 2));
        await fs.rename(file, path.join(options.dir, 'failed', entry.name));
        counts.failed += 1;
        options.logger.warn('EDI inbox file refused', { file: entry.name, code: problem.code, detail: problem.message });
      }
    }
    return counts;
  };

  const scan = (): Promise<{ processed: number; failed: number }> => {
    // One scan at a time: a file must never be handled by two scans.
    running ??= scanOnce().finally(() => {
      running = undefined;
    });
    return running;
  };

  const tick = async () => {
    await scan().catch((error: unknown) => options.logger.error('EDI inbox scan failed', { dir: options.dir, error: (error as Error).message }));
    if (stopped) return;
    timer = setTimeout(() => void tick(), options.intervalMs);
    timer.unref();
  };
  void tick();

  return {
    scan,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
