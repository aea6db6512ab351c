// "Did you mean": the closest known name to a mistyped one, and the messages that offer it (config
// fields, kinds, parameters, command-line choices).

/** `unknown <what> "name"; known: ...`, with the closest known name offered. */
export function unknownName(what: string, name: string, known: readonly string[]): string {
  const hint = suggest(name, known);
  return `unknown ${what} "${name}"; known: ${known.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`;
}

/** Adds "did you mean" to resolveParams' unknown-parameter messages. */
export function withSuggestion(field: string, message: string): string {
  const known = /^unknown parameter; known: (.*)$/.exec(message);
  if (!known) return message;
  if (known[1] === '') return 'unknown parameter; this takes no parameters, remove it';
  const key = field.slice(field.lastIndexOf('.') + 1);
  const hint = suggest(key, known[1].split(', '));
  return hint ? `${message} (did you mean "${hint}"?)` : message;
}

/** The closest known name within an edit distance of a third of its length (at least 2), or null. */
export function suggest(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(2, Math.floor((best?.length ?? 0) / 3));
  return best !== null && bestDistance <= limit ? best : null;
}

/** Levenshtein distance (insertions, deletions, substitutions), two-row dynamic programme. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
    }
    previous = current;
  }
  return previous[b.length];
}
