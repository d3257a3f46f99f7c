import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

const INDEXED_TYPE = {
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
} as const;

const CLI_TYPE = { KEYWORD: 'Keyword', DATETIME: 'Datetime' } as const;

type Kind = keyof typeof INDEXED_TYPE;
const kindOf = (type: string): Kind => (type === 'DATETIME' ? 'DATETIME' : 'KEYWORD');

/** `--search-attribute Name=Type` flags for `temporal server start-dev` (used when it creates its DB). */
export function searchAttributeFlags(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=${CLI_TYPE[kindOf(a.type)]}`]);
}

/** The project's search attributes the namespace does not have yet. */
export async function missingSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return SEARCH_ATTRIBUTES.map((a) => a.name).filter((name) => !(name in (customAttributes ?? {})));
}

/**
 * Creates whichever of the project's search attributes are missing (the same as
 * `temporal operator search-attribute create`). Needed because the dev server
 * only honours `--search-attribute` when it creates its database file.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const missing = await missingSearchAttributes(connection, namespace);
  if (missing.length > 0) {
    const searchAttributes = Object.fromEntries(
      missing.map((name) => {
        const attr = SEARCH_ATTRIBUTES.find((a) => a.name === name)!;
        return [name, INDEXED_TYPE[kindOf(attr.type)]];
      }),
    );
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  }
  return missing;
}
