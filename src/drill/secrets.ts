/**
 * Every credential a drill handled — the environment's admin password, each SCRAM password the
 * restore set or tried to set (the target accepting it or not) — is masked wherever the drill
 * writes text: result.json and every report rendered from it, log lines, error messages,
 * automation output and probe evidence. A secret is masked as it is and in the encodings it
 * commonly travels in: JSON-escaped, URL-encoded, HTML-escaped, base64 and base64url (also
 * inside a longer encoded value, such as an HTTP Basic header). Any PEM private key is masked too.
 */
export const MASK = '***';

/** Shorter base64 runs than this are not masked inside longer encoded text: they would match by chance. */
const MIN_EMBEDDED_BASE64 = 8;

/** A PEM private key block, in any of its forms (PKCS#8, RSA, EC, encrypted), also JSON-escaped. */
const PRIVATE_KEY_PEM = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;

/** Forms at least this long are found through an index of their first characters. */
const INDEXED_PREFIX = 4;

export class SecretMask {
  private readonly secrets = new Set<string>();
  private variants: string[] | undefined;
  private matcher: FormMatcher | undefined;

  /** Adds a value to mask; empty and undefined values are ignored. */
  add(secret: string | undefined): void {
    if (!secret || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    this.variants = undefined;
    this.matcher = undefined;
  }

  get size(): number {
    return this.secrets.size;
  }

  /** Every form of every secret that `mask` replaces, longest first. */
  forms(): readonly string[] {
    this.variants ??= [...new Set([...this.secrets].flatMap(encodings))].sort((a, b) => b.length - a.length);
    return this.variants;
  }

  /**
   * A drill of 10,000 topics holds a thousand generated passwords, ten thousand forms, and its
   * result a few hundred thousand strings: one search per form per string would take hours. Each
   * position of the text is looked up instead, by its next few characters, among the forms that
   * start with them (longest first); the few shorter forms are searched for one by one.
   */
  mask(text: string): string {
    // Private keys are masked whole, whoever made them (the drill's CA issues a key per certificate principal).
    let masked = text.includes('PRIVATE KEY-----') ? text.replace(PRIVATE_KEY_PEM, MASK) : text;
    const { byPrefix, starts, short } = this.formMatcher();
    if (byPrefix.size > 0) {
      // Every stretch some form covers is masked, overlapping forms as one stretch.
      let out = '';
      let from = 0;
      let start = -1;
      let end = -1;
      for (let at = 0; at <= masked.length - INDEXED_PREFIX; at++) {
        if (!starts.has(pairAt(masked, at))) continue;
        const form = byPrefix.get(masked.slice(at, at + INDEXED_PREFIX))?.find((candidate) => masked.startsWith(candidate, at));
        if (form === undefined) continue;
        if (at >= end) {
          if (start >= 0) out += masked.slice(from, start) + MASK;
          from = end > 0 ? end : 0;
          start = at;
        }
        end = Math.max(end, at + form.length);
      }
      if (start >= 0) masked = out + masked.slice(from, start) + MASK + masked.slice(end);
    }
    for (const form of short) if (masked.includes(form)) masked = masked.replaceAll(form, MASK);
    return masked;
  }

  private formMatcher(): FormMatcher {
    if (this.matcher) return this.matcher;
    const byPrefix = new Map<string, string[]>();
    const starts = new Set<number>();
    const short: string[] = [];
    for (const form of this.forms()) {
      if (form.length < INDEXED_PREFIX) short.push(form);
      else {
        const prefix = form.slice(0, INDEXED_PREFIX);
        byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), form]);
        starts.add(pairAt(form, 0));
      }
    }
    this.matcher = { byPrefix, starts, short };
    return this.matcher;
  }

  /**
   * `value` with every string in it masked (object keys too). Only what a mask changed is copied:
   * an array or object with nothing to mask below it is `value`'s own, so masking a drill's whole
   * result costs no second copy of it, and a string with nothing to mask allocates nothing.
   */
  maskDeep<T>(value: T): T {
    return maskValue(value, (text) => this.mask(text)) as T;
  }
}

interface FormMatcher {
  /** The forms of at least INDEXED_PREFIX characters, by their first INDEXED_PREFIX characters. */
  byPrefix: Map<string, string[]>;
  /** The first two characters of those forms (pairAt): a position no form starts at is passed over without a lookup. */
  starts: Set<number>;
  short: string[];
}

/** The two UTF-16 code units at `at`, as one number. */
function pairAt(text: string, at: number): number {
  return text.charCodeAt(at) * 0x10000 + text.charCodeAt(at + 1);
}

function maskValue(value: unknown, mask: (text: string) => string): unknown {
  if (typeof value === 'string') return mask(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      const masked = maskValue(item, mask);
      if (masked !== item) (copy ??= [...value])[index] = masked;
    }
    return copy ?? value;
  }
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const source = value as Record<string, unknown>;
    const keys = Object.keys(source);
    // Built only once something changed, from the unchanged entries before it and every one after.
    let entries: [string, unknown][] | undefined;
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index]!;
      const item = source[key];
      const maskedKey = mask(key);
      const masked = maskValue(item, mask);
      if (entries === undefined && (maskedKey !== key || masked !== item)) entries = keys.slice(0, index).map((earlier) => [earlier, source[earlier]]);
      entries?.push([maskedKey, masked]);
    }
    return entries ? Object.fromEntries(entries) : value;
  }
  return value;
}

/** The forms a secret is masked in. */
export function encodings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = [
    secret,
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    encodeURIComponent(secret).replaceAll('%20', '+'),
    htmlEscape(secret),
    bytes.toString('base64'),
    bytes.toString('base64url'),
  ];
  // Inside a longer base64 value the secret starts at any byte offset: for each of the three
  // alignments, the characters that depend on the secret's bytes alone.
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    const core = encoded.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + bytes.length)) / 6));
    if (core.length >= MIN_EMBEDDED_BASE64) forms.push(core, core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return forms.filter((form) => form.length > 0);
}

/** As the report templates (handlebars) escape text. */
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;', '=': '&#x3D;' };

function htmlEscape(text: string): string {
  return text.replace(/[&<>"'`=]/g, (char) => HTML_ESCAPES[char]!);
}
