/**
 * A strict reader and evaluator for the part of udev's rule language that 61-readpoint.rules
 * uses, so the tests can run a device event through the rules without udev (systemd 252's
 * udevadm has no `verify`, and CI has no USB readers). Anything outside that part (another key,
 * an operator a key does not take, unquoted values, a GOTO without its LABEL) is an error
 * naming the line: a rule this does not understand fails the test instead of passing unseen.
 *
 * Semantics followed (udev(7)): rules run in order; every match key of a rule must hold for its
 * assignments to apply; SUBSYSTEMS and ATTRS must all hold on one device of the chain from the
 * event's device up through its parents; `|` separates alternatives of a pattern, and `*`, `?`
 * and `[...]` are shell globs; `!=` holds when no alternative matches; an unset property
 * matches as the empty string; GOTO skips to its LABEL; `$env{KEY}` in a value is replaced.
 */

type Op = '==' | '!=' | '=' | '+=';

/** One KEY{attr}OP"value" of a rule. */
export interface Pair {
  readonly key: string;
  readonly attr: string | undefined;
  readonly op: Op;
  readonly value: string;
}

/** One rule line. */
export interface Rule {
  readonly line: number;
  readonly pairs: Pair[];
}

/** What a key may be used for. */
const KEYS: Record<string, { match: boolean; assign: boolean; attr: boolean }> = {
  ACTION: { match: true, assign: false, attr: false },
  SUBSYSTEM: { match: true, assign: false, attr: false },
  SUBSYSTEMS: { match: true, assign: false, attr: false },
  ATTRS: { match: true, assign: false, attr: true },
  ENV: { match: true, assign: true, attr: true },
  GROUP: { match: false, assign: true, attr: false },
  MODE: { match: false, assign: true, attr: false },
  SYMLINK: { match: false, assign: true, attr: false },
  GOTO: { match: false, assign: true, attr: false },
  LABEL: { match: false, assign: true, attr: false },
};

const PAIR = /^([A-Z]+)(?:\{([^}]+)\})?(==|!=|\+=|=)"([^"]*)"$/;

/** Parses a rules file; throws `line N: ...` at the first thing it does not accept. */
export function parseRules(text: string): Rule[] {
  const rules: Rule[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const s = raw.trim();
    if (s === '' || s.startsWith('#')) return;
    if (s.endsWith('\\')) throw new Error(`line ${line}: continued lines are not used here`);
    const pairs = s.split(/,\s*/).map((part): Pair => {
      const m = PAIR.exec(part);
      if (!m) throw new Error(`line ${line}: not KEY{attr}OP"value": ${part}`);
      const [, key, attr, op, value] = m as unknown as [string, string, string | undefined, Op, string];
      const k = KEYS[key];
      if (!k) throw new Error(`line ${line}: key ${key} is not one these rules use`);
      if (k.attr !== (attr !== undefined))
        throw new Error(`line ${line}: ${key} ${k.attr ? 'needs' : 'takes no'} {attr}`);
      const matching = op === '==' || op === '!=';
      if (matching && !k.match) throw new Error(`line ${line}: ${key} cannot be matched`);
      if (!matching && !k.assign) throw new Error(`line ${line}: ${key} cannot be assigned`);
      if (op === '+=' && key !== 'SYMLINK') throw new Error(`line ${line}: += only for SYMLINK`);
      return { key, attr, op, value };
    });
    const labels = pairs.filter((p) => p.key === 'LABEL');
    if (labels.length > 0 && pairs.length > 1) throw new Error(`line ${line}: LABEL stands alone`);
    if (!pairs.some((p) => p.op !== '==' && p.op !== '!='))
      throw new Error(`line ${line}: a rule that does nothing`);
    rules.push({ line, pairs });
  });
  const labels = new Set(rules.flatMap((r) => r.pairs.filter((p) => p.key === 'LABEL').map((p) => p.value)));
  for (const r of rules) {
    for (const p of r.pairs) {
      if (p.key === 'GOTO' && !labels.has(p.value))
        throw new Error(`line ${r.line}: GOTO ${p.value} has no LABEL`);
    }
  }
  return rules;
}

/** One device of an event's chain: the event's device first, then its parents. */
export interface ChainDevice {
  readonly subsystem: string;
  readonly attrs?: Record<string, string>;
}

/** A uevent as udev's rules see it. */
export interface DeviceEvent {
  readonly action: string;
  /** chain[0] is the device the event is about. */
  readonly chain: ChainDevice[];
  /** Properties already set (by the kernel or by earlier rules files). */
  readonly env?: Record<string, string>;
}

/** What the rules did to an event. */
export interface Outcome {
  env: Record<string, string>;
  group: string | undefined;
  mode: string | undefined;
  symlinks: string[];
}

/** True when `value` matches the udev pattern (alternatives separated by `|`). */
export function globMatch(pattern: string, value: string): boolean {
  return pattern.split('|').some((alt) => {
    const re = alt
      .replace(/[.+^${}()\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.');
    return new RegExp(`^${re}$`).test(value);
  });
}

/** Runs `event` through `rules`. */
export function evaluate(rules: Rule[], event: DeviceEvent): Outcome {
  const out: Outcome = { env: { ...event.env }, group: undefined, mode: undefined, symlinks: [] };
  const self = event.chain[0];
  if (!self) throw new Error('an event needs its device');
  const subst = (v: string) => v.replace(/\$env\{([^}]+)\}/g, (_, k: string) => out.env[k] ?? '');
  let skipTo: string | undefined;
  for (const rule of rules) {
    const label = rule.pairs.find((p) => p.key === 'LABEL');
    if (label) {
      if (skipTo === label.value) skipTo = undefined;
      continue;
    }
    if (skipTo !== undefined) continue;
    const matches = rule.pairs.filter((p) => p.op === '==' || p.op === '!=');
    const holds = (p: Pair, actual: string | undefined) =>
      globMatch(p.value, actual ?? '') === (p.op === '==');
    const own = matches.every((p) => {
      if (p.key === 'ACTION') return holds(p, event.action);
      if (p.key === 'SUBSYSTEM') return holds(p, self.subsystem);
      if (p.key === 'ENV') return holds(p, out.env[p.attr!]);
      return true;
    });
    const upward = matches.filter((p) => p.key === 'SUBSYSTEMS' || p.key === 'ATTRS');
    const chainHolds =
      upward.length === 0 ||
      event.chain.some((d) =>
        upward.every((p) => {
          if (p.key === 'SUBSYSTEMS') return holds(p, d.subsystem);
          const attr = d.attrs?.[p.attr!];
          return attr !== undefined && holds(p, attr);
        }),
      );
    if (!own || !chainHolds) continue;
    for (const p of rule.pairs) {
      if (p.op === '==' || p.op === '!=') continue;
      const value = subst(p.value);
      if (p.key === 'ENV') out.env[p.attr!] = value;
      else if (p.key === 'GROUP') out.group = value;
      else if (p.key === 'MODE') out.mode = value;
      else if (p.key === 'SYMLINK') out.symlinks.push(value);
      else if (p.key === 'GOTO') skipTo = value;
    }
  }
  return out;
}
