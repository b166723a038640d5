/** How a URI is written, in words: said when a configured or scanned value is not one. */
export const URI_FORM =
  'write scheme:rest without spaces, e.g. urn:example:dock-1 or https://example.com/dock-1';
