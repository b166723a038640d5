/**
 * uplink.url names one broker or the nodes of one clustered broker; everything that connects
 * reads it through here, so a single URL and a list of one are the same thing.
 */

/** The broker URLs of uplink.url, in the order they are tried; [] without one. */
export function brokerNodes(url: string | readonly string[] | undefined): readonly string[] {
  if (url === undefined) return [];
  return typeof url === 'string' ? [url] : url;
}
