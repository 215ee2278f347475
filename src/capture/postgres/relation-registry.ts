import type pg from 'pg';
import { type ColumnMeta, type SchemaChange, topicForTable } from '../../core/index.ts';
import type { RelationColumn } from './pgoutput-messages.ts';

/** A captured relation as the stream currently describes it. */
export interface RelationInfo {
  readonly relationId: number;
  readonly schema: string;
  readonly table: string;
  readonly topic: string;
  readonly replicaIdentity: string;
  readonly columns: readonly ColumnMeta[];
  readonly version: number;
  /** Whether this capture session already wrote the schema record into the table topic. */
  announced: boolean;
}

interface TypeInfo {
  readonly typeName: string;
  readonly typeKind: string;
  readonly baseTypeName: string | null;
}

/**
 * Tracks relations from pgoutput Relation messages, resolves their column types from the
 * catalog (enums, domains, composites, ranges, arrays) and assigns schema versions: a relation
 * whose columns, types, keys or replica identity differ from the last known schema of that
 * table gets version + 1 (`isNew`), which the capture stores before any row that uses it.
 */
export class RelationRegistry {
  readonly #sql: pg.Client;
  readonly #db: string;
  readonly #prefix: string;
  readonly #byId = new Map<number, RelationInfo>();
  readonly #types = new Map<number, TypeInfo>();
  readonly #known: Map<string, SchemaChange>;

  constructor(sql: pg.Client, db: string, prefix: string, known: Map<string, SchemaChange>) {
    this.#sql = sql;
    this.#db = db;
    this.#prefix = prefix;
    this.#known = known;
  }

  get(relationId: number): RelationInfo | undefined {
    return this.#byId.get(relationId);
  }

  /** Register a Relation message; returns the schema change to store when the version is new. */
  async onRelation(
    msg: {
      relationId: number;
      schema: string;
      table: string;
      replicaIdentity: string;
      columns: readonly RelationColumn[];
    },
    lsn: bigint,
    ts: number,
  ): Promise<{ info: RelationInfo; isNew: SchemaChange | null }> {
    const columns = await this.describeColumns(msg.relationId, msg.columns);
    return this.register(
      msg.relationId,
      msg.schema,
      msg.table,
      msg.replicaIdentity,
      columns,
      lsn,
      ts,
    );
  }

  /** Register a relation described from the catalog (snapshot) or a Relation message. */
  register(
    relationId: number,
    schema: string,
    table: string,
    replicaIdentity: string,
    columns: readonly ColumnMeta[],
    lsn: bigint,
    ts: number,
  ): { info: RelationInfo; isNew: SchemaChange | null } {
    const key = `${schema}.${table}`;
    const prev = this.#known.get(key);
    const same =
      prev && prev.replicaIdentity === replicaIdentity && sameColumns(prev.columns, columns);
    let isNew: SchemaChange | null = null;
    if (!same) {
      isNew = {
        kind: 'schema',
        db: this.#db,
        schema,
        table,
        relationId,
        version: (prev?.version ?? 0) + 1,
        replicaIdentity,
        columns,
        lsn,
        ts_ms: ts,
      };
      this.#known.set(key, isNew);
    }
    const version = isNew?.version ?? prev!.version;
    const old = this.#byId.get(relationId);
    const info: RelationInfo = {
      relationId,
      schema,
      table,
      topic: topicForTable(schema, table, this.#prefix),
      replicaIdentity,
      columns,
      version,
      announced: isNew === null && old !== undefined && old.version === version && old.announced,
    };
    this.#byId.set(relationId, info);
    return { info, isNew };
  }

  /** The current schema record of a table (for announcing it in the table topic). */
  schemaOf(info: RelationInfo): SchemaChange {
    return this.#known.get(`${info.schema}.${info.table}`)!;
  }

  /** Column metadata with resolved types; the record key is the primary key when there is one. */
  async describeColumns(
    relationId: number,
    cols: readonly RelationColumn[],
  ): Promise<ColumnMeta[]> {
    await this.#resolveTypes(cols.map((c) => c.typeOid));
    const pk = await this.#primaryKey(relationId);
    return cols.map((c) => {
      const t = this.#types.get(c.typeOid);
      const meta: { -readonly [K in keyof ColumnMeta]: ColumnMeta[K] } = {
        name: c.name,
        typeOid: c.typeOid,
        typeName: t?.typeName ?? 'text',
        typmod: c.typmod,
        isKey: pk.size > 0 ? pk.has(c.name) : c.isKey,
        typeKind: t?.typeKind ?? 'b',
      };
      if (t?.baseTypeName) meta.baseTypeName = t.baseTypeName;
      return meta;
    });
  }

  async #primaryKey(relationId: number): Promise<Set<string>> {
    const r = await this.#sql.query(
      `SELECT a.attname FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = $1 AND i.indisprimary`,
      [relationId],
    );
    return new Set(r.rows.map((row) => row.attname as string));
  }

  async #resolveTypes(oids: readonly number[]): Promise<void> {
    const missing = [...new Set(oids.filter((o) => !this.#types.has(o)))];
    if (missing.length === 0) return;
    const r = await this.#sql.query(
      `SELECT t.oid::int AS oid, t.typname, t.typtype,
              (SELECT bt.typname FROM pg_type bt WHERE bt.oid = CASE
                  WHEN t.typtype = 'd' THEN t.typbasetype
                  WHEN t.typtype = 'r' THEN (SELECT rngsubtype FROM pg_range WHERE rngtypid = t.oid)
                  WHEN t.typtype = 'm' THEN (SELECT rngsubtype FROM pg_range WHERE rngmultitypid = t.oid)
                  ELSE t.typelem END) AS base
         FROM pg_type t WHERE t.oid = ANY($1::oid[])`,
      [missing],
    );
    for (const row of r.rows) {
      this.#types.set(row.oid, {
        typeName: row.typname,
        typeKind: row.typtype,
        baseTypeName: row.base ?? null,
      });
    }
  }
}

function sameColumns(a: readonly ColumnMeta[], b: readonly ColumnMeta[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((c, i) => {
    const d = b[i]!;
    return (
      c.name === d.name &&
      c.typeOid === d.typeOid &&
      c.typmod === d.typmod &&
      c.isKey === d.isKey &&
      c.typeName === d.typeName &&
      c.baseTypeName === d.baseTypeName
    );
  });
}
