// Draws the plan (nodes + edges) as an SVG: columns by longest path from the sources.
const SVG = 'http://www.w3.org/2000/svg';
const COL = 136;
const ROW = 34;
const W = 118;
const H = 24;

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function layers(plan) {
  const incoming = new Map(plan.nodes.map((n) => [n.id, []]));
  for (const [a, b] of plan.edges) incoming.get(b)?.push(a);
  const depth = new Map();
  const visit = (id, seen) => {
    if (depth.has(id)) return depth.get(id);
    if (seen.has(id)) return 0;
    seen.add(id);
    const d = Math.max(-1, ...(incoming.get(id) ?? []).map((p) => visit(p, seen))) + 1;
    depth.set(id, d);
    return d;
  };
  for (const n of plan.nodes) visit(n.id, new Set());
  // Views all go in the last column so they line up.
  const last = Math.max(0, ...depth.values());
  for (const n of plan.nodes) if (n.kind === 'view') depth.set(n.id, last);
  return depth;
}

/** Render `plan` into `container`; returns a map view name → badge <text> to update. */
export function drawGraph(container, plan) {
  const depth = layers(plan);
  const columns = new Map();
  for (const n of plan.nodes) {
    const d = depth.get(n.id) ?? 0;
    if (!columns.has(d)) columns.set(d, []);
    columns.get(d).push(n);
  }
  const pos = new Map();
  let rows = 0;
  for (const [d, nodes] of columns) {
    nodes.sort((a, b) => (a.view ?? a.label).localeCompare(b.view ?? b.label));
    for (const [i, n] of nodes.entries()) pos.set(n.id, { x: 10 + d * COL, y: 10 + i * ROW });
    rows = Math.max(rows, nodes.length);
  }
  const width = 10 + columns.size * COL + 60;
  const svg = el('svg', {
    width,
    height: 20 + rows * ROW,
    role: 'img',
    'aria-label': 'dataflow graph',
  });
  for (const [a, b] of plan.edges) {
    const p = pos.get(a);
    const q = pos.get(b);
    if (!p || !q) continue;
    const x1 = p.x + W;
    const y1 = p.y + H / 2;
    const x2 = q.x;
    const y2 = q.y + H / 2;
    const mx = (x1 + x2) / 2;
    svg.append(
      el('path', { class: 'edge', d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}` }),
    );
  }
  const badges = new Map();
  for (const n of plan.nodes) {
    const p = pos.get(n.id);
    const g = el('g', {
      class: `node ${n.kind}`,
      transform: `translate(${p.x},${p.y})`,
      'data-id': n.id,
    });
    g.append(el('rect', { width: W, height: H, rx: 5 }));
    const label = n.label.length > 19 ? `${n.label.slice(0, 18)}…` : n.label;
    g.append(el('text', { x: 8, y: 16 }, label));
    const title = el('title', {}, `${n.kind}: ${n.label}${n.store ? ` (${n.store})` : ''}`);
    g.append(title);
    if (n.kind === 'view') {
      const badge = el('text', { class: 'badge', x: W + 6, y: 16 }, '');
      g.append(badge);
      badges.set(n.view, badge);
    }
    svg.append(g);
  }
  container.replaceChildren(svg);
  return badges;
}
