/**
 * Where a JSON text first goes wrong, as line and column. JSON.parse's own messages differ
 * between Node versions and often carry no position, and it accepts two things a snapshot must
 * not have: a key given twice (the last one silently wins) and nesting deep enough to overflow
 * the stack of whatever walks the document next. This scan runs before JSON.parse; it is
 * iterative, so no input can overflow it.
 */
export interface JsonSyntaxProblem {
  /** syntax: not JSON at all; duplicate-key and too-deep: JSON this tool refuses. */
  kind: 'syntax' | 'duplicate-key' | 'too-deep';
  reason: string;
  line: number;
  column: number;
  /** Keys and indexes down to where the problem is, e.g. ['topics', 0, 'configs']. */
  path: (string | number)[];
}

/** Deeper than any snapshot Kafka can produce, far shallower than a stack overflow. */
export const maxJsonDepth = 64;

class Stop {
  constructor(
    readonly index: number,
    readonly reason: string,
    readonly kind: JsonSyntaxProblem['kind'] = 'syntax',
    readonly path: (string | number)[] = [],
  ) {}
}

/** The first syntax problem in `text`, or undefined if it is valid JSON within `maxDepth` and without duplicate keys. */
export function findJsonSyntaxProblem(text: string, maxDepth = maxJsonDepth): JsonSyntaxProblem | undefined {
  try {
    scan(text, maxDepth);
    return undefined;
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    let line = 1;
    let lineStart = 0;
    for (let at = text.indexOf('\n'); at !== -1 && at < error.index; at = text.indexOf('\n', at + 1)) {
      line++;
      lineStart = at + 1;
    }
    return { kind: error.kind, reason: error.reason, line, column: error.index - lineStart + 1, path: error.path };
  }
}

const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const hexDigit = /[0-9a-fA-F]/;
const whitespace = /[ \t\n\r]*/y;
const plainRun = /[^"\\\u0000-\u001f]*/y;

/** An open object (with the keys seen so far and the current one) or array (with the current index). */
type Container = { kind: 'object'; keys: Set<string>; key: string } | { kind: 'array'; index: number };

function scan(text: string, maxDepth: number): void {
  let i = 0;
  const stack: Container[] = [];
  const unexpected = (): never => {
    if (i >= text.length) throw new Stop(i, 'unexpected end of input');
    throw new Stop(i, `unexpected character ${JSON.stringify(text[i])}`);
  };
  const skipWhitespace = () => {
    whitespace.lastIndex = i;
    whitespace.test(text);
    i = whitespace.lastIndex;
  };
  const expect = (char: string) => {
    if (text[i] !== char) unexpected();
    i++;
  };
  const literal = (word: string) => {
    for (const char of word) expect(char);
  };
  /** Scans a string; returns its decoded value only when asked (object keys). */
  const string = (decode: boolean): string | undefined => {
    const start = i;
    expect('"');
    let escaped = false;
    for (;;) {
      // Runs of plain characters are skipped in one step: strings are most of a snapshot.
      plainRun.lastIndex = i;
      plainRun.test(text);
      i = plainRun.lastIndex;
      const code = text.charCodeAt(i);
      if (Number.isNaN(code)) unexpected();
      if (code === 0x22) {
        i++;
        if (!decode) return undefined;
        return escaped ? (JSON.parse(text.slice(start, i)) as string) : text.slice(start + 1, i - 1);
      }
      if (code < 0x20) throw new Stop(i, 'control character inside a string');
      if (code === 0x5c) {
        escaped = true;
        i++;
        if (text[i] === 'u') {
          i++;
          for (let n = 0; n < 4; n++) {
            if (!hexDigit.test(text[i] ?? '')) unexpected();
            i++;
          }
        } else {
          if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) unexpected();
          i++;
        }
      } else i++;
    }
  };
  const number = () => {
    numberPattern.lastIndex = i;
    if (!numberPattern.test(text)) unexpected();
    i = numberPattern.lastIndex;
  };
  const pathHere = () => stack.map((container) => (container.kind === 'object' ? container.key : container.index));
  const open = (container: Container) => {
    if (stack.length >= maxDepth) throw new Stop(i, `nested more than ${maxDepth} levels deep`, 'too-deep', pathHere());
    stack.push(container);
    i++;
  };
  /** Scans an object key and its colon; refuses a key the object already has. */
  const key = (object: { keys: Set<string>; key: string }) => {
    skipWhitespace();
    const at = i;
    const name = string(true)!;
    object.key = name;
    if (object.keys.has(name)) throw new Stop(at, `duplicate key ${JSON.stringify(name)}`, 'duplicate-key', pathHere());
    object.keys.add(name);
    skipWhitespace();
    expect(':');
  };

  // A value, then: close containers, or a comma and the next value, until the document ends.
  for (;;) {
    skipWhitespace();
    const char = text[i];
    let scalar = true;
    if (char === '{') {
      const object = { kind: 'object' as const, keys: new Set<string>(), key: '' };
      open(object);
      skipWhitespace();
      if (text[i] !== '}') {
        key(object);
        continue;
      }
      scalar = false;
    } else if (char === '[') {
      open({ kind: 'array', index: 0 });
      skipWhitespace();
      if (text[i] !== ']') continue;
      scalar = false;
    }
    if (scalar) {
      if (char === '"') string(false);
      else if (char === 't') literal('true');
      else if (char === 'f') literal('false');
      else if (char === 'n') literal('null');
      else number();
    } else {
      i++; // the empty container's closing bracket
      stack.pop();
    }
    // After a value: close what ends here; stop at a comma (next value) or at the end of the document.
    for (;;) {
      skipWhitespace();
      const top = stack.at(-1);
      if (!top) {
        if (i < text.length) throw new Stop(i, `unexpected character ${JSON.stringify(text[i])} after the end of the document`);
        return;
      }
      if (text[i] === (top.kind === 'object' ? '}' : ']')) {
        i++;
        stack.pop();
        continue;
      }
      expect(',');
      if (top.kind === 'object') key(top);
      else top.index++;
      break;
    }
  }
}
