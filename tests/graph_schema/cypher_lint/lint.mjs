// Reads [{name, query, parameters}] as JSON on stdin and prints [{name, diagnostics}] as JSON.
// The schema given to the linter carries Neo4j 5's own function and procedure registry (the
// one the package ships for its tests, taken from a real Neo4j), without APOC, so any
// FalkorDB-only call (db.idx.*, ...) is reported as unknown.
import { readFileSync } from 'node:fs';
import { lintCypherQuery } from '@neo4j-cypher/language-support';
import { testData } from './node_modules/@neo4j-cypher/language-support/dist/esm/project/language-support/src/tests/testData.js';

const withoutApoc = (scoped) => Object.fromEntries(Object.entries(scoped).map(([version, registry]) => [
  version,
  Object.fromEntries(Object.entries(registry).filter(([name]) => !name.startsWith('apoc.'))),
]));

const input = JSON.parse(readFileSync(0, 'utf8'));
const base = {
  functions: withoutApoc(testData.mockSchema.functions),
  procedures: withoutApoc(testData.mockSchema.procedures),
  labels: input.labels,
  relationshipTypes: input.relationshipTypes,
  propertyKeys: input.propertyKeys,
};
const out = input.statements.map(({ name, query, parameters }) => {
  const { diagnostics } = lintCypherQuery(query, { ...base, parameters });
  return { name, diagnostics: diagnostics.map((d) => ({ severity: d.severity, message: d.message })) };
});
process.stdout.write(JSON.stringify(out));
