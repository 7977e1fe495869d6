#!/usr/bin/env node
// Fails when src/ has an import cycle. Between folders: the folders are floors (DESIGN.md
// "Layout"), and a folder imports only from floors below it, so no folder cycle can form. Between
// files: no chain of imports leads from a file back to itself, in one folder or across several.
// Every relative import counts, type-only and dynamic ones included: a cycle of types is still a
// cycle of concepts. ALLOWED lists imports known to break this today ("drill -> restore" for a
// folder, "a/b.ts -> a/c.ts" for a file); an entry that matches no import fails too, so the list
// can only shrink.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// Top to bottom. Files directly in src/ (errors.ts, input-file.ts, version.ts) are the ground floor.
const FLOORS = ['cli', 'report', 'drill', 'probes', 'verify', 'restore', 'environment', 'drill-spec', 'snapshot', 'kafka', 'runtime', 'model', '.'];
const ALLOWED = [];

// The source tree to check: the repository's src/, or the directory given (the script's own tests).
const src = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) && !/\.d\.ts$/.test(entry.name) ? [path] : [];
  });
}

const importPattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
const name = (file) => relative(src, file).split(sep).join('/');
const folderOf = (fileName) => (fileName.includes('/') ? fileName.split('/')[0] : '.');

const files = sourceFiles(src);
const known = new Set(files.map(name));
const fileEdges = new Map();
for (const file of files) {
  const targets = new Set();
  for (const match of readFileSync(file, 'utf8').matchAll(importPattern)) {
    const target = name(join(dirname(file), match[1].replace(/\.js$/, '.ts')));
    if (known.has(target)) targets.add(target);
  }
  fileEdges.set(name(file), targets);
}

const problems = [];
const used = new Set();
const allowed = (edge) => {
  if (!ALLOWED.includes(edge)) return false;
  used.add(edge);
  return true;
};

const folders = new Set([...fileEdges.keys()].map(folderOf));
for (const folder of [...folders].sort()) {
  if (!FLOORS.includes(folder)) problems.push(`src/${folder}/ has no floor: add it to FLOORS in scripts/folder-cycles.mjs`);
}
const upward = new Map();
for (const [from, targets] of fileEdges) {
  for (const to of targets) {
    const [a, b] = [folderOf(from), folderOf(to)];
    if (a === b || FLOORS.indexOf(a) < FLOORS.indexOf(b) || allowed(`${a} -> ${b}`)) continue;
    const edge = `${a} -> ${b}`;
    if (!upward.has(edge)) upward.set(edge, []);
    upward.get(edge).push(`${from} -> ${to}`);
  }
}
for (const [edge, imports] of upward) {
  problems.push(`folder ${edge} imports upward (${imports.length}): ${imports.join(', ')}`);
}
function withoutAllowed(edges) {
  const kept = new Map();
  for (const [from, targets] of edges) kept.set(from, new Set([...targets].filter((to) => !allowed(`${from} -> ${to}`))));
  return kept;
}

// Tarjan's strongly connected components; each component of more than one node holds a cycle.
function components(edges) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  let next = 0;
  const visit = (node) => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const to of edges.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node), low.get(to)));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node), index.get(to)));
    }
    if (low.get(node) === index.get(node)) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || edges.get(node)?.has(node)) found.push(component.sort());
    }
  };
  for (const node of [...edges.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

// One shortest cycle through the component's first member, for the message.
function cycleThrough(edges, component) {
  const members = new Set(component);
  const start = component[0];
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const to of edges.get(node) ?? []) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [node];
        while (previous.get(path[0]) !== null) path.unshift(previous.get(path[0]));
        return [...path, start].join(' -> ');
      }
      if (!previous.has(to)) {
        previous.set(to, node);
        queue.push(to);
      }
    }
  }
  return component.join(', ');
}

const filesWithoutAllowed = withoutAllowed(fileEdges);
for (const component of components(filesWithoutAllowed)) {
  problems.push(`cycle between files (${component.length}): ${cycleThrough(filesWithoutAllowed, component)}`);
}
for (const edge of ALLOWED) {
  if (!used.has(edge)) problems.push(`allowed edge no longer imported, remove it from ALLOWED: ${edge}`);
}

if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  console.error(`${problems.length} import cycle problem(s) in src/ (scripts/folder-cycles.mjs)`);
  process.exit(1);
}
console.log(`no import cycles in src/ (${fileEdges.size} files in ${folders.size} floors${ALLOWED.length ? `; ${ALLOWED.length} imports allowed for now` : ''})`);
