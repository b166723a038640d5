/**
 * Secrets in the configuration, and how everything that reports on it keeps them in: a value
 * under a secret key (password, token, passphrase, ...) is never shown, whatever its type, and a
 * URL is shown without its user info (`mqtt://***@central:8883`). The loader's problems, the
 * logs and the health topic all go through here.
 */

import { redactSecrets } from '../daemon/uplink/redact.js';

type Segment = string | number;

/** Key names whose value is a secret. `passwordFile` names a file: that path may be shown. */
const SECRET_KEY = /pass(word|wd|phrase)|secret|token|credential|private.?key|authorization/i;

export function isSecretKey(name: string): boolean {
  return SECRET_KEY.test(name) && !/File$/.test(name);
}

/** True when `path` leads to, or into, a secret value. */
export function isSecretPath(path: readonly Segment[]): boolean {
  return path.some((s) => typeof s === 'string' && isSecretKey(s));
}

/**
 * `scheme://user:password@host` -> `scheme://***@host`, for every URL in `text`. Everything up to
 * the last `@` before a blank goes, so a password holding `/`, `:` or `@` goes with it.
 */
export function withoutUserinfo(text: string, mask = '***'): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s"'<>]*@/gi, `$1${mask}@`);
}

/** The user info of a URL-like string (`user:password`), however malformed the rest is. */
function userinfoOf(text: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(.*)@/is.exec(text.trim());
  return m?.[1];
}

/** Also its decoded form and each half: a message may carry any of them. */
function forms(secret: string): string[] {
  const out = [secret];
  try {
    out.push(decodeURIComponent(secret));
  } catch {
    // Not percent-encoded: the raw form is all there is.
  }
  return out;
}

/** Shorter values are hidden by their key alone: replacing them in text would mangle messages. */
const MIN_SECRET_LENGTH = 3;

/**
 * Every secret in a parsed configuration: the values under secret keys (numbers and lists too)
 * and the user info of every URL, with its password on its own.
 */
export function secretsIn(data: unknown): string[] {
  const found = new Set<string>();
  const all = (value: unknown): void => {
    if (value === null || value === undefined) return;
    if (typeof value === 'object') for (const v of Object.values(value)) all(v);
    else for (const f of forms(String(value))) found.add(f);
  };
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      const info = userinfoOf(value);
      if (info === undefined) return;
      const colon = info.indexOf(':');
      for (const part of colon < 0 ? [info] : [info, info.slice(colon + 1)])
        for (const f of forms(part)) found.add(f);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, v] of Object.entries(value)) {
      if (isSecretKey(key)) all(v);
      else walk(v);
    }
  };
  walk(data);
  return [...found].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** `text` with URL user info cut and every one of `secrets` replaced by `***`. */
export function hideSecrets(text: string, secrets: readonly string[]): string {
  return redactSecrets(withoutUserinfo(text), secrets);
}
