import * as z from 'zod';
import { drillSpecSchema } from './schema.js';

/**
 * The drill spec as JSON Schema, for editor completion, e.g. a first line of
 * `# yaml-language-server: $schema=./drill-spec.schema.json`.
 * It describes what may be written (defaults are optional), so it is the input side of the zod schema.
 * Draft-07, because it is the draft editors' YAML and JSON language servers support best.
 */
export function specJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(drillSpecSchema, { io: 'input', target: 'draft-07' });
  return { ...schema, $id: 'urn:kafka-drill:drill-spec', title: 'kafka-drill drill spec' };
}
