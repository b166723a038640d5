/** Turns Ajv's errors into problems a technician understands, one per mistake. */
import type { ErrorObject } from 'ajv';
import { isSecretPath, withoutUserinfo } from './secrets.js';

type Segment = string | number;

export interface Described {
  /** Path of the value in the config (for the message). */
  path: Segment[];
  /** Path of the YAML node to point at, and for unknown keys the key's own name. */
  nodePath: Segment[];
  keyOfParent?: string;
  message: string;
}

function parse(pointer: string): Segment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = c.toLowerCase() === word.toLowerCase() ? 0 : distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestScore) {
      best = c;
      bestScore = d;
    }
  }
  return bestScore <= Math.max(2, Math.floor(word.length / 4)) ? best : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

const show = (v: unknown) => withoutUserinfo(typeof v === 'string' ? JSON.stringify(v) : String(v));

/** What a value under a secret key is, without the value: the technician still learns what is wrong. */
function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a mapping';
  return `a ${typeof v}`;
}

/** The value as a message shows it; under a secret key, only its kind. */
const shown = (path: readonly Segment[], v: unknown) =>
  isSecretPath(path) ? `${kindOf(v)} (not shown: a secret)` : show(v);

/**
 * The errors of the one branch of union `u` whose JSON type is the value's (a string against a
 * string-or-list union), or [] when no single branch is of that type.
 */
function ofForm(errors: ErrorObject[], u: ErrorObject): ErrorObject[] {
  const kind = Array.isArray(u.data) ? 'array' : typeof u.data;
  const branches = (u.parentSchema as { anyOf?: { type?: unknown }[] } | undefined)?.anyOf ?? [];
  const matching = branches.flatMap((b, i) => (b.type === kind ? [i] : []));
  if (matching.length !== 1) return [];
  const under = `${u.schemaPath.replace(/\/anyOf$/, '/anyOf/')}${matching[0]}/`;
  return errors.filter((e) => e !== u && e.schemaPath.startsWith(under));
}

export function describeError(errors: ErrorObject[], prefix: Segment[]): Described[] {
  const out: Described[] = [];
  // anyOf of constants (enums): one message listing the allowed values, not one per branch.
  const unions = errors.filter((e) => e.keyword === 'anyOf');
  const inUnion = (e: ErrorObject) =>
    unions.some(
      (u) =>
        u !== e &&
        e.schemaPath.startsWith(u.schemaPath.replace(/\/anyOf$/, '/anyOf/')) &&
        e.instancePath === u.instancePath,
    );
  for (const e of errors) {
    if (e.keyword !== 'anyOf' && inUnion(e)) continue;
    const path = [...prefix, ...parse(e.instancePath)];
    switch (e.keyword) {
      case 'additionalProperty':
      case 'additionalProperties': {
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
        const guess = closest(key, allowed);
        out.push({
          path: [...path, key],
          nodePath: path,
          keyOfParent: key,
          message: `unknown key "${key}"${guess ? ` (did you mean "${guess}"?)` : ` (allowed: ${allowed.join(', ')})`}`,
        });
        break;
      }
      case 'required': {
        const key = (e.params as { missingProperty: string }).missingProperty;
        out.push({ path: [...path, key], nodePath: path, message: `missing required key "${key}"` });
        break;
      }
      case 'anyOf': {
        // One value or a list of them (uplink.url): say what is wrong in the form it was given.
        const given = ofForm(errors, e);
        if (given.length > 0) {
          out.push(
            ...describeError(
              given.filter((g) => g.instancePath === e.instancePath),
              prefix,
            ),
          );
          break;
        }
        const branches = ((e.parentSchema as { anyOf?: { const?: unknown }[] })?.anyOf ?? []).map(
          (b) => b.const,
        );
        const message = branches.every((b) => b !== undefined)
          ? `must be one of ${branches.map(show).join(', ')}, got ${shown(path, e.data)}`
          : `does not match any allowed form`;
        out.push({ path, nodePath: path, message });
        break;
      }
      case 'pattern': {
        // The schema says each form in words (patternErrorMessage): a technician reads no regex.
        const form = (e.parentSchema as { patternErrorMessage?: string } | undefined)?.patternErrorMessage;
        out.push({
          path,
          nodePath: path,
          message: `${shown(path, e.data)} is ${form ?? 'not in the form this key takes'}`,
        });
        break;
      }
      case 'type':
        out.push({
          path,
          nodePath: path,
          message: `must be ${(e.params as { type: string }).type}, got ${shown(path, e.data)}`,
        });
        break;
      default:
        out.push({
          path,
          nodePath: path,
          message: `${e.message ?? 'is invalid'}${e.data !== undefined && typeof e.data !== 'object' ? `, got ${shown(path, e.data)}` : ''}`,
        });
    }
  }
  return out;
}
