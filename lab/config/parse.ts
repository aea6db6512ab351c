// Reading a config file's text into plain data: YAML, or JSON by its extension, with each syntax
// error as one line naming the file, line and column and what to fix (lab/config/json-problem.ts
// says where malformed JSON goes wrong). Validation (lab/config/config.ts) takes it from there.
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from './config-error.ts';
import { jsonProblem } from './json-problem.ts';

/**
 * Parses YAML (or JSON, by the .json extension). Malformed input gives errors with line and
 * column; an empty file says what a config must contain.
 */
export function parseConfigText(text: string, file: string): unknown {
  if (extname(file).toLowerCase() === '.json') {
    // Editors on Windows may start a UTF-8 file with a byte-order mark; JSON.parse rejects it.
    const json = text.startsWith('\uFEFF') ? text.slice(1) : text;
    if (json.trim() === '')
      throw new ConfigError([`${file}: ${EMPTY_FILE} e.g. {"agents": [{"name": "random", "kind": "random"}]}`]);
    try {
      return JSON.parse(json) as unknown;
    } catch (error) {
      // JSON.parse's messages carry a position only sometimes ("Unexpected token ']', ..." has
      // none), so find the first error ourselves.
      const problem = jsonProblem(json);
      if (problem) {
        const { line, column } = lineColumn(json, problem.offset);
        throw new ConfigError([`${file}: malformed JSON at line ${line}, column ${column}: ${problem.message}`]);
      }
      throw new ConfigError([`${file}: malformed JSON: ${firstLine((error as Error).message)}`]);
    }
  }
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((error) => {
        const start = error.linePos?.[0];
        const where = start ? `:${start.line}:${start.col}` : '';
        // The position goes up front (file:line:column), so drop yaml's own " at line L, column C:".
        const message = firstLine(error.message).replace(/ at line \d+, column \d+:?$/, '');
        return `${file}${where}: malformed YAML: ${message}`;
      }),
    );
  }
  const value = document.toJS() as unknown;
  // Nothing but blank lines, comments and document markers ("---", "...") reads as null.
  if (
    value == null &&
    text.split('\n').every((line) => /^\s*(#.*|---|\.\.\.)?\s*$/.test(line.replace(/^\uFEFF/, '')))
  ) {
    throw new ConfigError([`${file}: ${EMPTY_FILE} e.g. "agents: [{ name: random, kind: random }]"`]);
  }
  return value;
}

const EMPTY_FILE =
  'the file is empty; a config is a mapping that needs at least agents (name, seed, world, ' +
  'seeds and evaluation are optional),';

/** 1-based line and column (in UTF-16 code units, as editors and yaml count) of `offset`. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

export function firstLine(message: string): string {
  return message.split('\n')[0].trim();
}
