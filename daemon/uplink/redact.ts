/** Keeps secrets out of logs and status: a broker URL is shown without its user info. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
  } catch {
    // Not a URL we can parse: show only the scheme rather than risk printing a password.
    return `${url.split(':')[0] ?? 'mqtt'}://<unparsable>`;
  }
}

/** An error message with every occurrence of the given secrets replaced. */
export function redactSecrets(message: string, secrets: readonly (string | undefined)[]): string {
  let out = message;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out;
}
