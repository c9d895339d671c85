import { textProblem } from '@bulk-export/domain';

/** One thing wrong with parsed input, named by its path (`export.events.1`). */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * Keys that name an object's prototype. JSON.parse makes them ordinary own properties, but
 * class-transformer skips them without a word, so whitelisting never sees them.
 */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const UNKNOWN = 'is not a known field';

/**
 * What validation by class would miss anywhere in a parsed body or message: strings that
 * PostgreSQL cannot store (see textProblem) and prototype keys. Walks without recursion,
 * so any input is safe.
 */
export function findInputProblems(value: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [v, path] = stack.pop() as [unknown, string];
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) problems.push({ field: path, message: problem });
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    const children: [unknown, string][] = [];
    for (const [key, child] of Object.entries(v)) {
      const field = path ? `${path}.${key}` : key;
      if (PROTOTYPE_KEYS.has(key)) problems.push({ field, message: UNKNOWN });
      else children.push([child, field]);
    }
    // Reversed onto the stack, so problems come out in the order of the input.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return problems;
}

/**
 * The same for a raw query string (`limit=5&constructor[x]=1`), read key by key: a query
 * parser drops some prototype keys itself, so the parsed query cannot show them. A key is
 * refused when any of its `a[b]` / `a.b` parts is a prototype key.
 */
export function findQueryProblems(query: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const [key, value] of new URLSearchParams(query)) {
    if (key.split(/[[\].]/).some((part) => PROTOTYPE_KEYS.has(part))) {
      problems.push({ field: key, message: UNKNOWN });
      continue;
    }
    const problem = textProblem(value);
    if (problem) problems.push({ field: key, message: problem });
  }
  return problems;
}
