/**
 * `${drill.<name>}` placeholders: values only a running drill knows (its own directory, the
 * stores it started), written into a drill spec where a connector setting is replaced
 * (`restore.connectors.<name>.config`). Connect's own `${provider:path:key}` references are
 * something else (they have a colon, no `drill.` prefix) and are left alone.
 *
 * To add one: name it here (validate refuses names not listed) and give its value where the
 * runner builds the map (src/drill/runner.ts, `placeholderValues`).
 */
export const drillPlaceholders = {
  'drill.workDir': "this run's own directory (0700, removed at teardown); files a connector writes or reads go under it",
  'drill.postgres.jdbcUrl': "the JDBC URL of the drill's own PostgreSQL (target.postgres), on 127.0.0.1, removed at teardown",
  'drill.postgres.user': "the user of the drill's own PostgreSQL (target.postgres)",
  'drill.postgres.password': "the generated password of the drill's own PostgreSQL (target.postgres); masked in every output",
} as const satisfies Record<string, string>;

/** The placeholders that are an address of a service the drill starts: what an address-like setting may be replaced with. */
export const addressPlaceholders: readonly (keyof typeof drillPlaceholders)[] = ['drill.postgres.jdbcUrl'];

export type PlaceholderValues = Readonly<Record<string, string>>;

const placeholder = /\$\{(drill\.[^}:]*)\}/g;

/** The `drill.*` placeholder names a text uses, in order of appearance (repeats kept). */
export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(placeholder)].map((match) => match[1]!);
}

/** Names used in `text` that no drill provides. */
export function unknownPlaceholders(text: string): string[] {
  return placeholdersIn(text).filter((name) => !Object.hasOwn(drillPlaceholders, name));
}

/**
 * Every string inside `value` (deeply: objects, arrays) with its `${drill.*}` placeholders
 * replaced by `values`. A placeholder without a value is an error (validate refuses unknown
 * names, so this means the run lacks something it promised). The input is not changed.
 */
export function resolvePlaceholders<T>(value: T, values: PlaceholderValues): T {
  const resolve = (inner: unknown): unknown => {
    if (typeof inner === 'string') {
      return inner.replace(placeholder, (_, name: string) => {
        const resolved = values[name];
        if (resolved === undefined) throw new Error(`\${${name}} has no value in this run`);
        return resolved;
      });
    }
    if (Array.isArray(inner)) return inner.map(resolve);
    if (inner && typeof inner === 'object') return Object.fromEntries(Object.entries(inner).map(([key, nested]) => [key, resolve(nested)]));
    return inner;
  };
  return resolve(value) as T;
}
