import { SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import type { Connection } from '@temporalio/client';

import { SEARCH_ATTRIBUTES } from '../workflows/purchase-order/definitions';

/*
 * Registering the PO search attributes (defined once, in workflows/purchase-order/definitions.ts)
 * on a Temporal server: operators filter PO runs by them in the Web UI and `temporal workflow list`.
 */

/** Type names as the Temporal CLI spells them in `--search-attribute Name=Type`. */
const CLI_TYPE_NAMES: Record<SearchAttributeType, string> = {
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

/** `['PoNumber=Keyword', ...]`, the values for `temporal server start-dev --search-attribute`. */
export const SEARCH_ATTRIBUTE_FLAGS: readonly string[] = SEARCH_ATTRIBUTES.map(
  (key) => `${key.name}=${CLI_TYPE_NAMES[key.type]}`,
);

/** `--search-attribute A=T --search-attribute B=U ...` ready to append to a CLI command line. */
export function searchAttributeCliArgs(): string[] {
  return SEARCH_ATTRIBUTE_FLAGS.flatMap((flag) => ['--search-attribute', flag]);
}

/**
 * Registers the PO search attributes on a server that was not started by us (a shared dev
 * server, a self-hosted cluster). Idempotent: attributes already present with the right type are
 * left alone; one present with another type is an operator error we refuse to paper over.
 * Temporal Cloud does not allow this through the operator API; there, create them in the Cloud UI.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  let registered: Record<string, unknown>;
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    registered = { ...(existing.systemAttributes ?? {}), ...(existing.customAttributes ?? {}) };
  } catch (error) {
    // The Java time-skipping test server can add search attributes but not list them.
    if ((error as { code?: number }).code !== GRPC_UNIMPLEMENTED) throw error;
    return addEachTolerantly(connection, namespace);
  }
  const missing: Record<string, IndexedValueType> = {};
  const conflicts: string[] = [];
  for (const key of SEARCH_ATTRIBUTES as readonly SearchAttributeKey<SearchAttributeType>[]) {
    const wanted = indexedValueType(key);
    const current = registered[key.name];
    if (current === undefined || current === null) missing[key.name] = wanted;
    else if (current !== wanted) conflicts.push(`${key.name} is registered with another type (expected ${CLI_TYPE_NAMES[key.type]})`);
  }
  if (conflicts.length > 0) throw new Error(`Search attribute conflict in namespace "${namespace}": ${conflicts.join('; ')}`);
  const added = Object.keys(missing);
  if (added.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (error) {
    // Another process registering at the same moment is fine; anything else is not.
    if (!isAlreadyExists(error)) throw error;
  }
  return added;
}

const GRPC_UNIMPLEMENTED = 12;
type IndexedValueType = NonNullable<ReturnType<typeof encodeSearchAttributeIndexedValueType>>;

function indexedValueType(key: SearchAttributeKey<SearchAttributeType>): IndexedValueType {
  return encodeSearchAttributeIndexedValueType(key.type)!;
}

function isAlreadyExists(error: unknown): boolean {
  return /already exists/i.test(String((error as Error).message));
}

async function addEachTolerantly(connection: Connection, namespace: string): Promise<string[]> {
  const added: string[] = [];
  for (const key of SEARCH_ATTRIBUTES as readonly SearchAttributeKey<SearchAttributeType>[]) {
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: { [key.name]: indexedValueType(key) },
      });
      added.push(key.name);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
  }
  return added;
}
