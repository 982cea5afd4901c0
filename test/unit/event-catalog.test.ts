/**
 * The event catalog as pure data: every type has a schema and an example that fits it, the docs
 * list every type, subscription filters match what they say, and the retry schedule is Svix's.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { EVENT_EXAMPLES } from '../../api/asyncapi/examples';
import { eventFilterSql } from '../../activities/events/subscriptions';
import { DEFAULT_RETRY_SCHEDULE_MS, delayBeforeAttempt, duplicateWindowMs, longestRetryGapMs, parseRetrySchedule } from '../../activities/events/retry-schedule';
import { EVENT_CATALOG, EventType, EventTypeFilter, catalogEntry, matchesEventFilter } from '../../workflows/domain/schemas/event-catalog';

describe('event catalog', () => {
  test('every event type has exactly one version-1 schema, and its example fits it', () => {
    assert.deepEqual(EVENT_CATALOG.map((entry) => entry.type).sort(), [...EventType.options].sort());
    for (const type of EventType.options) {
      const entry = catalogEntry(type)!;
      const parsed = entry.payload.strict().safeParse(EVENT_EXAMPLES[type]);
      assert.ok(parsed.success, `${type}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`);
      assert.equal(EVENT_EXAMPLES[type].version, 1);
    }
  });

  test('a payload missing a required field or with a wrong version is refused', () => {
    const received = catalogEntry('goods.received')!.payload;
    const { receipt: _receipt, ...withoutReceipt } = EVENT_EXAMPLES['goods.received'];
    assert.equal(received.safeParse(withoutReceipt).success, false);
    assert.equal(received.safeParse({ ...EVENT_EXAMPLES['goods.received'], version: 2 }).success, false);
  });

  test('the catalog table of docs/events.md lists exactly the catalog types', () => {
    const doc = fs.readFileSync(path.join(__dirname, '../../docs/events.md'), 'utf8');
    const catalog = doc.slice(doc.indexOf('## Catalog'), doc.indexOf('### Versions'));
    const rows = [...catalog.matchAll(/^\| `([a-z_.]+)` \|/gm)].map((match) => match[1]!);
    assert.deepEqual([...rows].sort(), [...EventType.options].sort(), 'one row per catalog type, none other');
  });
});

describe('subscription filters', () => {
  test('exact types, prefixes and * match what they say, in code and in SQL alike', () => {
    const cases: [string[], string, boolean][] = [
      [['invoice.*'], 'invoice.matched', true],
      [['invoice.*'], 'invoice.pending_receipt', true],
      [['invoice.*'], 'inventory.adjusted', false],
      [['po.*'], 'po.issued', true],
      [['po.*'], 'payment.sent', false],
      [['payment.cleared'], 'payment.cleared', true],
      [['payment.cleared'], 'payment.failed', false],
      [['*'], 'delivery.late', true],
      [['goods.received', 'credit_memo.*'], 'credit_memo.received', true],
    ];
    for (const [filters, type, expected] of cases) {
      assert.equal(matchesEventFilter(filters, type), expected, `${filters.join(',')} ~ ${type}`);
      const { sql, bindings } = eventFilterSql(filters);
      // The SQL form, evaluated by hand: `type = ?` or `type like ?` (prefix%), joined by or.
      const sqlMatches = sql === 'true' || bindings.some((binding) => (binding.endsWith('%') ? type.startsWith(binding.slice(0, -1).replace(/\\(.)/g, '$1')) : type === binding));
      assert.equal(sqlMatches, expected, `SQL ${sql} ${bindings.join(',')} ~ ${type}`);
    }
  });

  test('a filter must name at least one event type', () => {
    for (const good of ['*', 'invoice.*', 'goods.received', 'credit_memo.*']) assert.ok(EventTypeFilter.safeParse(good).success, good);
    for (const bad of ['goods.recieved', 'warehouse.*', 'invoice', '', 'invoice.**']) assert.equal(EventTypeFilter.safeParse(bad).success, false, bad);
  });
});

describe('retry schedule', () => {
  test('is immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, each within ±20 % jitter', () => {
    assert.deepEqual(DEFAULT_RETRY_SCHEDULE_MS, [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    assert.equal(delayBeforeAttempt(DEFAULT_RETRY_SCHEDULE_MS, 3, () => 0), 240_000);
    assert.equal(delayBeforeAttempt(DEFAULT_RETRY_SCHEDULE_MS, 3, () => 1), 360_000);
    assert.equal(delayBeforeAttempt(DEFAULT_RETRY_SCHEDULE_MS, 1, () => 0.7), 0);
    assert.equal(delayBeforeAttempt(DEFAULT_RETRY_SCHEDULE_MS, 9), undefined, 'after the eighth attempt: a dead letter');
  });

  test('the JetStream duplicate window is longer than the longest wait between two attempts', () => {
    assert.ok(duplicateWindowMs(DEFAULT_RETRY_SCHEDULE_MS) > longestRetryGapMs(DEFAULT_RETRY_SCHEDULE_MS));
    const slow = parseRetrySchedule('0s,1d,2d');
    assert.ok(duplicateWindowMs(slow) > longestRetryGapMs(slow));
  });

  test('EVENT_RETRY_SCHEDULE reads durations and refuses nonsense', () => {
    assert.deepEqual(parseRetrySchedule('0, 50ms, 2s, 1m'), [0, 50, 2_000, 60_000]);
    assert.throws(() => parseRetrySchedule(''));
    assert.throws(() => parseRetrySchedule('0s,soon'));
  });
});
