import { topicForTable } from '../core/index.ts';
import {
  type Collector,
  collect,
  DataflowGraph,
  encodeCanonical,
  type InputStream,
  type Keyed,
  map,
} from '../dataflow/index.ts';
import type { AnySources, AnySystem, ViewDef } from './define-system.ts';
import { InputTable } from './input-table.ts';
import { qualifiedName, type TableDef } from './table.ts';
import { viewVersion } from './view-version.ts';

/** One table a view reads: its topic, its graph input, and the upsert-to-diff state. */
export interface ViewInput {
  readonly source: string;
  readonly table: TableDef;
  readonly topic: string;
  readonly input: InputStream<unknown>;
  readonly state: InputTable<unknown>;
}

/** A view's dataflow, built from its definition: inputs by topic and the keyed output. */
export interface ViewGraph {
  readonly name: string;
  readonly version: string;
  readonly graph: DataflowGraph;
  readonly inputs: ReadonlyMap<string, ViewInput>;
  readonly output: Collector<Keyed<unknown, unknown>>;
}

/** The topic of a source's table: `<source>.<schema>.<table>`. */
export function tableTopic(source: string, table: string): string {
  const q = qualifiedName(table);
  return topicForTable(q.schema, q.table, source);
}

/**
 * Build a fresh graph for a view: every table the query touches becomes an input (found by
 * recording which tables the query reads), and the output is keyed by the view's key.
 */
export function buildViewGraph(
  system: AnySystem,
  name: string,
  // biome-ignore lint/suspicious/noExplicitAny: views of any row type
  def: ViewDef<any, any>,
): ViewGraph {
  const graph = new DataflowGraph();
  const inputs = new Map<string, ViewInput>();
  const handles: Record<string, Record<string, unknown>> = {};
  for (const [source, src] of Object.entries(system.sources as AnySources)) {
    const tables: Record<string, unknown> = {};
    for (const [alias, table] of Object.entries(src.tables)) {
      Object.defineProperty(tables, alias, {
        enumerable: true,
        get: () => inputFor(graph, inputs, source, table).input,
      });
    }
    handles[source] = tables;
  }
  const keyed = def
    .query(handles)
    .pipe(map((row: unknown) => [def.key(row), row] as Keyed<unknown, unknown>));
  const output = collect(keyed);
  graph.finalize();
  const version = viewVersion(def, [...inputs.keys()]);
  return { name, version, graph, inputs, output };
}

function inputFor(
  graph: DataflowGraph,
  inputs: Map<string, ViewInput>,
  source: string,
  table: TableDef,
): ViewInput {
  const topic = tableTopic(source, table.name);
  let found = inputs.get(topic);
  if (!found) {
    found = {
      source,
      table,
      topic,
      input: graph.newInput<unknown>(),
      state: new InputTable(table.schema, table.key),
    };
    inputs.set(topic, found);
  }
  return found;
}

/** The store key of a view key: strings as they are, numbers and bigints in decimal, else canonical. */
export function storeKey(key: unknown): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'bigint') return String(key);
  return encodeCanonical(key);
}
