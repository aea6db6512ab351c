// Where a malformed JSON config goes wrong. JSON.parse names a position only for some errors
// ("Unexpected token ']', ..." has none), so this scans the text once it has failed and reports
// the first problem in a person's words (a trailing comma, a missing comma, single quotes, YAML
// in a .json file). A library such as jsonc-parser reports terse codes instead ("CommaExpected"
// for a number written 01), so the few rules of RFC 8259 are written out here; a test fuzzes this
// scanner against JSON.parse.

/** The first syntax error of `text` as JSON (RFC 8259): its offset and what is wrong, or null if it is JSON. */
export function jsonProblem(text: string): { offset: number; message: string } | null {
  const closers: ('}' | ']')[] = [];
  // What comes next: a value (top level or after ':'), an array element or object key right
  // after the opening bracket or after a comma, or a comma or closing bracket after a value.
  let expect: 'value' | 'first-element' | 'element' | 'first-key' | 'key' | 'after' = 'value';
  let lastComma = -1;
  let i = 0;
  const problem = (offset: number, message: string) => ({ offset, message });
  for (;;) {
    i = skipSpace(text, i);
    const c = text[i];
    if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*'))
      return problem(i, 'comments are not allowed in JSON; remove them (or write the config in YAML)');
    const closer = closers[closers.length - 1];
    if (expect === 'after') {
      if (closer === undefined)
        return i >= text.length
          ? null
          : problem(i, `found ${tokenAt(text, i)} after the end of the JSON value; remove it`);
      if (c === ',') {
        lastComma = i++;
        expect = closer === '}' ? 'key' : 'element';
      } else if (c === closer) {
        closers.pop();
        i++;
      } else {
        const what = closer === '}' ? 'a property value' : 'a list element';
        const hint = c === '"' || c === '{' || c === '[' ? ' (a missing comma?)' : '';
        return problem(i, `expected ',' or '${closer}' after ${what}, got ${tokenAt(text, i)}${hint}`);
      }
      continue;
    }
    if ((expect === 'key' && c === '}') || (expect === 'element' && c === ']'))
      return problem(lastComma, `trailing comma before '${c}'; remove it`);
    if ((expect === 'first-key' && c === '}') || (expect === 'first-element' && c === ']')) {
      closers.pop();
      i++;
      expect = 'after';
      continue;
    }
    if (c === "'") return problem(i, 'strings and property names need double quotes (")');
    if (expect === 'key' || expect === 'first-key') {
      if (c !== '"') return problem(i, `expected a property name in double quotes, got ${tokenAt(text, i)}`);
      const end = scanString(text, i);
      if (typeof end !== 'number') return end;
      i = end;
      i = skipSpace(text, i);
      if (text[i] !== ':') return problem(i, `expected ':' after the property name, got ${tokenAt(text, i)}`);
      i++;
      expect = 'value';
      continue;
    }
    // A value.
    if (c === '{' || c === '[') {
      closers.push(c === '{' ? '}' : ']');
      i++;
      expect = c === '{' ? 'first-key' : 'first-element';
      continue;
    }
    expect = 'after';
    if (c === '"') {
      const end = scanString(text, i);
      if (typeof end !== 'number') return end;
      i = end;
      continue;
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: raw control characters end a JSON token
    const token = /[^\s{}[\],:"\u0000-\u001f\u007f]*/y;
    token.lastIndex = i;
    const word = token.exec(text)?.[0] ?? '';
    if (word === 'true' || word === 'false' || word === 'null') {
      i += word.length;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      if (!/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(word)) return problem(i, `invalid number '${word}'`);
      i += word.length;
      continue;
    }
    const yaml = /^[\s\uFEFF]*$/.test(text.slice(0, i)) && /^[A-Za-z_][\w-]*\s*:/.test(text.slice(i, i + 100));
    return problem(
      i,
      `expected a value (an object, list, string, number, true, false or null), got ` +
        `${tokenAt(text, i)}${yaml ? ' (this looks like YAML; name the file .yaml)' : ''}`,
    );
  }
}

/** The offset of the first character at or after `i` that is not JSON white space. */
function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  return i;
}

/** Scans the string starting at the quote text[start]: the offset after it, or the problem. */
function scanString(text: string, start: number): number | { offset: number; message: string } {
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '"') return i + 1;
    if (c === '\\') {
      const escaped = text[i + 1];
      if (escaped === 'u' && /^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) i += 5;
      else if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) i++;
      else
        return { offset: i, message: `invalid escape '${text.slice(i, i + (escaped === 'u' ? 6 : 2))}' in a string` };
    } else if (c === '\n' || c === '\r') {
      return { offset: i, message: 'line break inside a string; close the string with " before it, or write \\n' };
    } else if (c < ' ') {
      const code = `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
      return {
        offset: i,
        message: `control character ${code} inside a string; write it as an escape (e.g. \\t for a tab)`,
      };
    }
  }
  return { offset: start, message: 'this string is never closed; add the closing "' };
}

/** The token at `offset`, quoted, for "got ..." (a word, or one punctuation character). */
function tokenAt(text: string, offset: number): string {
  if (offset >= text.length) return 'the end of the file';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: raw control characters end a JSON token
  const token = /[^\s{}[\],:"\u0000-\u001f\u007f]+/y;
  token.lastIndex = offset;
  const word = token.exec(text)?.[0] ?? text[offset];
  if (word < ' ' || word === '\u007f')
    return `the control character U+${word.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${word.length > 20 ? `${word.slice(0, 20)}...` : word}'`;
}
