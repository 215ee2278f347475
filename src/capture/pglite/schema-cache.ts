import type { PGlite } from '@electric-sql/pglite';
import {
  type ColumnMeta,
  type SchemaChange,
  topicForTable,
  UnbundledError,
} from '../../core/index.ts';

/** A captured table at one shape (a row of `unbundled_capture_schemas`). */
export interface CapturedShape {
  /** Schema version: the shape's id, increasing whenever a table's shape changes. */
  readonly id: number;
  readonly relid: number;
  readonly schema: string;
  readonly table: string;
  readonly topic: string;
  readonly columns: readonly ColumnMeta[];
}

/** Loads table shapes by id (they never change once written) and caches them. */
export class ShapeCache {
  readonly #db: PGlite;
  readonly #prefix: string;
  readonly #shapes = new Map<number, CapturedShape>();

  constructor(db: PGlite, topicPrefix: string) {
    this.#db = db;
    this.#prefix = topicPrefix;
  }

  /** Make sure every id in `ids` is loaded. */
  async load(ids: Iterable<number>): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.#shapes.has(id));
    if (missing.length === 0) return;
    const res = await this.#db.query<ShapeRow>(
      `SELECT id, relid::int AS relid, signature->>0 AS schema, signature->>1 AS "table", columns
       FROM unbundled_capture_schemas WHERE id = ANY ($1::int[])`,
      [missing],
    );
    for (const r of res.rows) this.#shapes.set(r.id, toShape(r, this.#prefix));
  }

  /** A loaded shape; throws when `load` did not find it (the schema table was tampered with). */
  get(id: number): CapturedShape {
    const shape = this.#shapes.get(id);
    if (shape === undefined) {
      throw new UnbundledError(
        'CAPTURE_SCHEMA_MISSING',
        `change rows refer to table shape ${id}, which is not in unbundled_capture_schemas; the capture tables were edited by hand — reinstall the capture (drop unbundled_changes and unbundled_capture_schemas, restart)`,
      );
    }
    return shape;
  }
}

/** The schema event announcing `shape` in its table topic. */
export function schemaChangeOf(
  shape: CapturedShape,
  db: string,
  lsn: bigint,
  ts: number,
): SchemaChange {
  return {
    kind: 'schema',
    db,
    schema: shape.schema,
    table: shape.table,
    relationId: shape.relid,
    version: shape.id,
    replicaIdentity: 'f',
    columns: shape.columns,
    lsn,
    ts_ms: ts,
  };
}

interface ShapeRow {
  id: number;
  relid: number;
  schema: string;
  table: string;
  columns: ColumnJson[];
}

interface ColumnJson {
  name: string;
  typeOid: number;
  typeName: string;
  typmod: number;
  isKey: boolean;
  typeKind: string;
  baseTypeName: string | null;
}

function toShape(r: ShapeRow, prefix: string): CapturedShape {
  const columns = r.columns.map(
    (c): ColumnMeta => ({
      name: c.name,
      typeOid: c.typeOid,
      typeName: c.typeName,
      typmod: c.typmod,
      isKey: c.isKey,
      typeKind: c.typeKind,
      ...(c.baseTypeName === null ? {} : { baseTypeName: c.baseTypeName }),
    }),
  );
  return {
    id: r.id,
    relid: r.relid,
    schema: r.schema,
    table: r.table,
    topic: topicForTable(r.schema, r.table, prefix),
    columns,
  };
}
