import { DataflowGraph, type Operator, Stream } from '../dataflow/index.ts';
import { buildViewGraph, type SystemDef } from '../system/index.ts';

/** One node of the dataflow picture: a source, a log topic, an operator or a view. */
export interface PlanNode {
  readonly id: string;
  readonly kind: 'source' | 'topic' | 'operator' | 'view';
  readonly label: string;
  /** For operators and views: the view they belong to. */
  readonly view?: string;
  /** For views: the store kind. */
  readonly store?: string;
}

/** The whole plan: sources → topics → operators → views, as nodes and directed edges. */
export interface Plan {
  readonly nodes: readonly PlanNode[];
  readonly edges: readonly (readonly [from: string, to: string])[];
}

interface Recorded {
  readonly ops: Operator<unknown>[];
  /** Operator → the streams it reads. */
  readonly reads: Map<Operator<unknown>, Stream<unknown>[]>;
}

/**
 * Describe a system's dataflow by building each view's graph once more, off to the side, and
 * recording which operator reads which stream. The graph keeps that wiring private, so while
 * building we observe `register` (an operator is created) and `Stream.reader` (the operator
 * just created subscribes to a stream): read-only, synchronous, restored in `finally`.
 * If the observation fails (the dataflow internals changed), operators are drawn as a chain
 * in build order, which is topological.
 */
// biome-ignore lint/suspicious/noExplicitAny: systems of any sources
export function describePlan(system: SystemDef<any>): Plan {
  const nodes = new Map<string, PlanNode>();
  const edges = new Set<string>();
  const edge = (a: string, b: string) => edges.add(`${a}\u0000${b}`);
  for (const [name, src] of Object.entries(system.sources)) {
    nodes.set(`source:${name}`, { id: `source:${name}`, kind: 'source', label: name });
    void src;
  }
  for (const [name, def] of Object.entries(system.views)) {
    const viewId = `view:${name}`;
    nodes.set(viewId, { id: viewId, kind: 'view', label: name, view: name, store: def.store.kind });
    const { graph, recorded } = record(() => buildViewGraph(system, name, def));
    const streamOwner = new Map<Stream<unknown>, string>();
    for (const [topic, input] of graph.inputs) {
      const topicId = `topic:${topic}`;
      nodes.set(topicId, { id: topicId, kind: 'topic', label: topic });
      edge(`source:${input.source}`, topicId);
      streamOwner.set(input.input as Stream<unknown>, topicId);
    }
    let previous: string | null = null;
    for (const op of recorded.ops) {
      const isOutput = op.name === 'output';
      const id = isOutput ? viewId : `op:${name}:${op.label}`;
      if (!isOutput) nodes.set(id, { id, kind: 'operator', label: op.name, view: name });
      streamOwner.set(op.output as Stream<unknown>, id);
      const reads = recorded.reads.get(op) ?? [];
      for (const s of reads) {
        const from = streamOwner.get(s);
        if (from !== undefined) edge(from, id);
      }
      if (reads.length === 0 && previous !== null) edge(previous, id);
      previous = id;
    }
    if (recorded.ops.length === 0)
      for (const topic of graph.inputs.keys()) edge(`topic:${topic}`, viewId);
  }
  return {
    nodes: [...nodes.values()],
    edges: [...edges].map((e) => e.split('\u0000') as [string, string]),
  };
}

function record<T>(build: () => T): { graph: T; recorded: Recorded } {
  const recorded: Recorded = { ops: [], reads: new Map() };
  const gp = DataflowGraph.prototype as unknown as { register: (op: Operator<unknown>) => number };
  const sp = Stream.prototype as unknown as { reader: () => unknown };
  const register = gp.register;
  const reader = sp.reader;
  let last: Operator<unknown> | null = null;
  gp.register = function (this: DataflowGraph, op: Operator<unknown>) {
    recorded.ops.push(op);
    last = op;
    return register.call(this, op);
  };
  sp.reader = function (this: Stream<unknown>) {
    if (last !== null) {
      const list = recorded.reads.get(last) ?? [];
      list.push(this);
      recorded.reads.set(last, list);
    }
    return reader.call(this);
  };
  try {
    return { graph: build(), recorded };
  } finally {
    gp.register = register;
    sp.reader = reader;
  }
}
