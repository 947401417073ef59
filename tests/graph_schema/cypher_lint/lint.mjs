// Reads {labels, relationshipTypes, propertyKeys, statements: [{name, query, parameters}]} as JSON on stdin
// and prints [{name, diagnostics}] as JSON. The schema given to the linter carries the function and
// procedure registry of Neo4j 5.26 Community itself (neo4j-registry.json, dumped from the managed Neo4j by
// dump_registry.py), so any FalkorDB-only call (db.idx.*, ...) or Enterprise/APOC one is reported as unknown.
import { readFileSync } from 'node:fs';
import { lintCypherQuery } from '@neo4j-cypher/language-support';

const registry = JSON.parse(readFileSync(new URL('./neo4j-registry.json', import.meta.url), 'utf8'));
const input = JSON.parse(readFileSync(0, 'utf8'));
const base = {
  functions: registry.functions,
  procedures: registry.procedures,
  labels: input.labels,
  relationshipTypes: input.relationshipTypes,
  propertyKeys: input.propertyKeys,
};
const out = input.statements.map(({ name, query, parameters }) => {
  const { diagnostics } = lintCypherQuery(query, { ...base, parameters });
  return { name, diagnostics: diagnostics.map((d) => ({ severity: d.severity, message: d.message })) };
});
process.stdout.write(JSON.stringify(out));
