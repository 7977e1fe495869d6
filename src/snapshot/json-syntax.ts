/**
 * Where a JSON text first goes wrong, as line and column. JSON.parse's own messages differ
 * between Node versions and often carry no position, so a failed parse is re-scanned here.
 */
export interface JsonSyntaxProblem {
  reason: string;
  line: number;
  column: number;
}

class Stop {
  constructor(readonly index: number, readonly reason: string) {}
}

/** The first syntax problem in `text`, or undefined if it is valid JSON. */
export function findJsonSyntaxProblem(text: string): JsonSyntaxProblem | undefined {
  try {
    scan(text);
    return undefined;
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    const before = text.slice(0, error.index);
    const lastNewline = before.lastIndexOf('\n');
    return { reason: error.reason, line: before.split('\n').length, column: error.index - lastNewline };
  }
}

function scan(text: string): void {
  let i = 0;
  const unexpected = (): never => {
    if (i >= text.length) throw new Stop(i, 'unexpected end of input');
    throw new Stop(i, `unexpected character ${JSON.stringify(text[i])}`);
  };
  const skipWhitespace = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const expect = (char: string) => {
    if (text[i] !== char) unexpected();
    i++;
  };
  const literal = (word: string) => {
    for (const char of word) expect(char);
  };
  const string = () => {
    expect('"');
    for (;;) {
      const char = text[i];
      if (char === undefined) unexpected();
      if (char === '"') return void i++;
      if (char! < ' ') throw new Stop(i, 'control character inside a string');
      if (char === '\\') {
        i++;
        if (text[i] === 'u') {
          i++;
          for (let n = 0; n < 4; n++) {
            if (!/[0-9a-fA-F]/.test(text[i] ?? '')) unexpected();
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
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match) unexpected();
    i += match![0].length;
  };
  const value = (): void => {
    skipWhitespace();
    const char = text[i];
    if (char === '{') {
      i++;
      skipWhitespace();
      if (text[i] === '}') return void i++;
      for (;;) {
        skipWhitespace();
        string();
        skipWhitespace();
        expect(':');
        value();
        skipWhitespace();
        if (text[i] === '}') return void i++;
        expect(',');
      }
    }
    if (char === '[') {
      i++;
      skipWhitespace();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        skipWhitespace();
        if (text[i] === ']') return void i++;
        expect(',');
      }
    }
    if (char === '"') return string();
    if (char === 't') return literal('true');
    if (char === 'f') return literal('false');
    if (char === 'n') return literal('null');
    number();
  };
  value();
  skipWhitespace();
  if (i < text.length) throw new Stop(i, `unexpected character ${JSON.stringify(text[i])} after the end of the document`);
}
