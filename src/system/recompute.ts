import type { ColumnMeta, TextRow } from '../core/index.ts';
import { decodeRow } from '../core/index.ts';
import { materialize } from '../dataflow/index.ts';
import type { ViewWrite } from '../views/index.ts';
import type { AnySystem } from './define-system.ts';
import type { SqlClient } from './sql-client.ts';
import { formatIssues } from './standard-schema.ts';
import { qualifiedName, type TableDef } from './table.ts';
import { buildViewGraph, storeKey } from './view-graph.ts';

/**
 * Recompute a view from scratch over the current rows of its source tables (read with SQL from
 * the source of truth, decoded exactly as capture decodes them), with a fresh copy of its
 * dataflow. The result is what the incrementally maintained view must equal once it has caught
 * up: the oracle of the property and fault tests, and the reference of `verify`.
 * Returns rows sorted by key.
 */
export async function recomputeFromSource(
  system: AnySystem,
  view: string,
  sqlFor: (source: string) => SqlClient,
): Promise<ViewWrite<unknown>[]> {
  const def = system.views[view];
  if (def === undefined) throw new Error(`no view named "${view}"`);
  const g = buildViewGraph(system, view, def);
  for (const input of g.inputs.values()) {
    const rows = await readTable(sqlFor(input.source), input.table);
    input.input.send(rows.map((r) => [r, 1]));
  }
  g.graph.run();
  return materialize(g.output.drain(), storeKey);
}

async function readTable(sql: SqlClient, table: TableDef): Promise<unknown[]> {
  const q = qualifiedName(table.name);
  const cols = await sql.query<{ name: string; type: string }>(
    `select a.attname as name, t.typname as type
       from pg_attribute a join pg_type t on t.oid = a.atttypid
      where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped
      order by a.attnum`,
    [`${quote(q.schema)}.${quote(q.table)}`],
  );
  const columns: ColumnMeta[] = cols.rows.map((c) => ({
    name: c.name,
    typeOid: 0,
    typeName: c.type,
    typmod: -1,
    isKey: c.name === table.key,
  }));
  const select = columns.map((c) => `${quote(c.name)}::text as ${quote(c.name)}`).join(', ');
  const { rows } = await sql.query<TextRow>(
    `select ${select} from ${quote(q.schema)}.${quote(q.table)}`,
  );
  return rows.map((r) => {
    const result = table.schema['~standard'].validate({ ...decodeRow(columns, r) });
    if (result instanceof Promise || result.issues) {
      throw new Error(
        `row of ${table.name} does not match its schema: ${result instanceof Promise ? 'async schema' : formatIssues(result.issues)}`,
      );
    }
    return result.value;
  });
}

function quote(ident: string): string {
  return `"${ident.replace(/"/g, '""')}"`;
}
