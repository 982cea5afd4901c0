/** Console sessions in PostgreSQL (`console_sessions`), so they hold across API instances and sign-out ends them everywhere. */
import type { Knex } from 'knex';
import type { Actor } from '../../workflows/domain/state';
import type { ConsoleSession, ConsoleSessionsPort } from '../ports';
import { json } from './rows';

export class KnexConsoleSessions implements ConsoleSessionsPort {
  constructor(private readonly knex: Knex) {}

  async create(sessionHash: string, session: ConsoleSession): Promise<void> {
    await this.knex('console_sessions').insert({
      session_hash: sessionHash,
      actor: json(session.actor),
      csrf_token: session.csrfToken,
      expires_at: session.expiresAt,
    });
  }

  async find(sessionHash: string, now: Date = new Date()): Promise<ConsoleSession | undefined> {
    const row = await this.knex('console_sessions')
      .where({ session_hash: sessionHash })
      .first<{ actor: Actor; csrf_token: string; expires_at: Date } | undefined>('actor', 'csrf_token', 'expires_at');
    if (!row) return undefined;
    if (row.expires_at.getTime() <= now.getTime()) {
      await this.remove(sessionHash);
      return undefined;
    }
    return { actor: row.actor, csrfToken: row.csrf_token, expiresAt: row.expires_at };
  }

  async remove(sessionHash: string): Promise<void> {
    await this.knex('console_sessions').where({ session_hash: sessionHash }).delete();
  }

  async removeExpired(now: Date = new Date()): Promise<number> {
    return this.knex('console_sessions').where('expires_at', '<=', now).delete();
  }
}
