import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** kafka-drill's own version, from package.json (one directory above src/ and dist/). */
export function toolVersion(): string {
  const packageJson = fileURLToPath(new URL('../package.json', import.meta.url));
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}
