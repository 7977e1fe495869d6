import { describe, expect, it } from 'vitest';
import { encodings, MASK, SecretMask } from '../../src/drill/secrets.js';

const PASSWORD = 'p@ss w0rd/"quoted"&+more';

function maskWith(...secrets: string[]): SecretMask {
  const mask = new SecretMask();
  for (const secret of secrets) mask.add(secret);
  return mask;
}

describe('SecretMask', () => {
  it('masks a secret as it is and in its common encodings', () => {
    const mask = maskWith(PASSWORD);
    const forms = {
      literal: PASSWORD,
      json: JSON.stringify({ password: PASSWORD }),
      uri: `https://h/?password=${encodeURIComponent(PASSWORD)}`,
      form: `password=${encodeURIComponent(PASSWORD).replaceAll('%20', '+')}`,
      html: '<td>p@ss w0rd/&quot;quoted&quot;&amp;+more</td>',
      base64: Buffer.from(PASSWORD).toString('base64'),
      base64url: Buffer.from(PASSWORD).toString('base64url'),
    };
    for (const [name, text] of Object.entries(forms)) {
      const masked = mask.mask(`before ${text} after`);
      expect(masked, name).toContain(MASK);
      for (const form of encodings(PASSWORD)) expect(masked, name).not.toContain(form);
    }
  });

  it('masks a secret inside a longer base64 value at every alignment (an HTTP Basic header)', () => {
    const mask = maskWith('correct-horse-battery');
    for (const user of ['a', 'ab', 'abc', 'admin']) {
      const header = `Authorization: Basic ${Buffer.from(`${user}:correct-horse-battery`).toString('base64')}`;
      const masked = mask.mask(header);
      expect(masked, user).toContain(MASK);
      // What is left cannot be decoded back to the password.
      const left = masked.slice('Authorization: Basic '.length).split(MASK);
      for (const part of left) expect(Buffer.from(part, 'base64').toString('latin1')).not.toContain('battery');
    }
  });

  it('masks every string of a value, keys included, and returns a copy', () => {
    const mask = maskWith('s3cret-value');
    const value = { a: ['x s3cret-value y', 1, null], 's3cret-value': { b: true } };
    const masked = mask.maskDeep(value);
    expect(masked).toEqual({ a: [`x ${MASK} y`, 1, null], [MASK]: { b: true } });
    expect(value.a[0]).toBe('x s3cret-value y');
  });

  it('copies only what it masks: a part with no secret in it is the very same object (a whole result is never copied for nothing)', () => {
    const mask = maskWith('s3cret-value');
    const clean = { probes: [{ evidence: [{ observed: 'allowed' }] }], samples: [{ lag: 2 }] };
    expect(mask.maskDeep(clean)).toBe(clean);
    const value = { clean: clean.samples, dirty: [{ detail: 'as s3cret-value' }, { detail: 'fine' }] };
    const masked = mask.maskDeep(value);
    expect(masked).not.toBe(value);
    expect(masked.clean).toBe(value.clean);
    expect(masked.dirty).toEqual([{ detail: `as ${MASK}` }, { detail: 'fine' }]);
    expect(masked.dirty[1]).toBe(value.dirty[1]);
    expect(value.dirty[0]!.detail).toBe('as s3cret-value');
    // A copy keeps the keys in their order, the unchanged ones before the first change included.
    const keyed = mask.maskDeep({ first: 'ok', second: [1], 's3cret-value': 2, last: 'as s3cret-value' });
    expect(Object.entries(keyed)).toEqual([
      ['first', 'ok'],
      ['second', [1]],
      [MASK, 2],
      ['last', `as ${MASK}`],
    ]);
  });

  it('ignores empty secrets and leaves text without secrets alone', () => {
    const mask = maskWith('', 'abc-123-xyz');
    mask.add(undefined);
    expect(mask.size).toBe(1);
    expect(mask.mask('nothing to see')).toBe('nothing to see');
  });

  it('masks the longer of two overlapping secrets whole', () => {
    const mask = maskWith('token', 'token-extended-part');
    expect(mask.mask('a token-extended-part b token c')).toBe(`a ${MASK} b ${MASK} c`);
  });
});

describe('private keys', () => {
  it('masks a PEM private key block wherever it appears, also JSON-escaped, without registering it', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';
    const mask = new SecretMask();
    expect(mask.mask(`key: ${pem}done`)).toBe(`key: ${MASK}\ndone`);
    expect(mask.mask(JSON.stringify({ key: pem.replaceAll('PRIVATE KEY', 'EC PRIVATE KEY') }))).toBe(`{"key":"${MASK}\\n"}`);
    expect(mask.maskDeep({ context: { tls: { key: pem } } })).toEqual({ context: { tls: { key: `${MASK}\n` } } });
  });

  it('masks every stretch some form covers, overlapping forms and short secrets included, as a search form by form would find them', () => {
    // A form starting inside another and reaching further; a form inside another.
    expect(maskWith('abcd', 'cdefghij').mask('>abcdefghij<')).toBe(`>${MASK}<`);
    expect(maskWith('abcabcab', 'cabc').mask('>abcabcab<')).toBe(`>${MASK}<`);
    // Seeded: secrets made of a small alphabet overlap often in texts built from their pieces.
    let seed = 7;
    const random = (below: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % below;
    const word = (length: number) => Array.from({ length }, () => 'abcd'[random(4)]).join('');
    for (let round = 0; round < 500; round++) {
      const secrets = Array.from({ length: 1 + random(6) }, () => word(1 + random(12)));
      const mask = maskWith(...secrets);
      const text = Array.from({ length: 1 + random(8) }, () => (random(2) ? secrets[random(secrets.length)]!.slice(random(3)) : word(random(5)))).join(random(2) ? '' : 'x');
      // The reference: mark every character some form occurrence covers, then mask each marked run of long forms once.
      const forms = mask.forms();
      const covered = Array<boolean>(text.length).fill(false);
      for (const form of forms.filter((f) => f.length >= 4)) for (let at = text.indexOf(form); at >= 0; at = text.indexOf(form, at + 1)) covered.fill(true, at, at + form.length);
      let expected = text.replace(/./gs, (char, at: number) => (covered[at] ? '\u0000' : char)).replace(/\u0000+/g, MASK);
      for (const form of forms.filter((f) => f.length < 4)) expected = expected.replaceAll(form, MASK);
      const masked = mask.mask(text);
      expect(masked, JSON.stringify({ secrets, text })).toBe(expected);
      for (const form of forms.filter((f) => f.length >= 4)) expect(masked).not.toContain(form);
    }
  });

  it('with thousands of secrets, masks what they cover and nothing else', () => {
    const secrets = Array.from({ length: 2_000 }, (_, index) => `generated-password-${index.toString(36).padStart(6, '0')}`);
    const mask = maskWith(...secrets);
    const texts = Array.from({ length: 200 }, (_, index) => `User:svc-${index} was refused WRITE on topic orders-${index}`);
    expect(texts.map((text) => mask.mask(text))).toEqual(texts);
    expect(mask.mask(`login with ${secrets[1_234]} failed`)).toBe(`login with ${MASK} failed`);
  });
});
