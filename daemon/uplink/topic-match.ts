/**
 * Whether an MQTT topic filter matches a topic: `+` is one whole level, a trailing `#` the
 * level before it and everything below; a filter starting with a wildcard never matches a topic
 * starting with `$` (MQTT 3.1.1, 4.7.2).
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
