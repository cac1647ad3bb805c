/**
 * A short fingerprint of a text (its length and a 32-bit FNV-1a hash of its
 * UTF-16 code units): enough to tell whether the text around a stored run is
 * still the text it was stored beside. Not a security measure.
 */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return `${text.length}:${(hash >>> 0).toString(16)}`;
}
