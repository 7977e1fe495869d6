/** Spec patterns: a literal matches itself only; a glob's `*` matches any run of characters, `?` one. */
export function globMatcher(pattern: string): (text: string) => boolean {
  if (!/[*?]/.test(pattern)) return (text) => text === pattern;
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[\\s\\S]*')
    .replace(/\?/g, '[\\s\\S]');
  const regex = new RegExp(`^${source}$`, 'u');
  return (text) => regex.test(text);
}

export function globMatches(pattern: string, text: string): boolean {
  return globMatcher(pattern)(text);
}
