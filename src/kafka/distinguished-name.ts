/**
 * Distinguished names in RFC 2253 form, parsed and rendered the way Java's
 * X500Principal.getName() renders them, which is the name Kafka's principal mapping rules see.
 */

/** One attribute of a distinguished name, most specific first (RFC 2253 order: CN=…,OU=…,O=…). */
export interface Rdn {
  type: AttributeType;
  value: string;
}

export const ATTRIBUTE_OIDS = {
  CN: '2.5.4.3',
  C: '2.5.4.6',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  STREET: '2.5.4.9',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1',
} as const;
type AttributeType = keyof typeof ATTRIBUTE_OIDS;

/**
 * Parses an RFC 2253 distinguished name (`CN=billing,OU=payments,O=Example Corp`). Undefined when
 * it is not one this CA can issue: an attribute Java would render as an OID, or a multi-valued RDN.
 */
export function parseDistinguishedName(text: string): Rdn[] | undefined {
  const rdns: Rdn[] = [];
  let index = 0;
  while (index <= text.length) {
    const equals = text.indexOf('=', index);
    if (equals < 0) return undefined;
    const type = text.slice(index, equals).trim().toUpperCase();
    if (!(type in ATTRIBUTE_OIDS)) return undefined;
    let value = '';
    let position = equals + 1;
    for (; position < text.length; position++) {
      const char = text[position]!;
      if (char === ',') break;
      if (char === '+') return undefined;
      if (char === '\\') {
        const next = text.slice(position + 1, position + 3);
        if (/^[0-9a-fA-F]{2}$/.test(next)) {
          value += String.fromCharCode(parseInt(next, 16));
          position += 2;
        } else if (position + 1 < text.length) value += text[++position];
        else return undefined;
      } else value += char;
    }
    if (value === '') return undefined;
    rdns.push({ type: type as AttributeType, value });
    index = position + 1;
    if (position >= text.length) break;
  }
  return rdns.length > 0 ? rdns : undefined;
}

/** The name as Java's X500Principal.getName() (RFC 2253) renders it: no spaces, specials escaped. */
export function renderDistinguishedName(rdns: readonly Rdn[]): string {
  return rdns.map((rdn) => `${rdn.type}=${escapeValue(rdn.value)}`).join(',');
}

function escapeValue(value: string): string {
  let escaped = value.replace(/[,+"\\<>;]/g, (char) => `\\${char}`);
  if (escaped.startsWith('#') || escaped.startsWith(' ')) escaped = `\\${escaped}`;
  if (escaped.endsWith(' ')) escaped = `${escaped.slice(0, -1)}\\ `;
  return escaped;
}
