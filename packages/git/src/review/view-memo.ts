/**
 * The review views of the sides shown last, kept for the sections that show the same blob again.
 * In `git log -p` a file's version is the new side of one commit's section and the old side of
 * the next one shown, so without this every version was read and rendered (decrypted, with a key)
 * twice. A blob id names its content (git abbreviates it only as far as it stays unique), and a
 * view depends on the content and the path alone, so the kept view is the one rendering would give.
 * (`git diff` names a working-tree file by the id of its content too.)
 */

/** The most bytes of views kept: past it the least recently used go first. */
const KEPT_BYTES = 32 * 1024 * 1024;

/** A view function that renders each (path, blob) once while its view is among those kept. */
export function memoizedViews<Side extends { readonly path: string; readonly blob: string }>(view: (side: Side) => Promise<Buffer>): (side: Side) => Promise<Buffer> {
  // Insertion order is use order: a hit is moved to the end, eviction takes from the front.
  const kept = new Map<string, Buffer>();
  let bytes = 0;
  return async (side) => {
    // An id of zeros names no content (a side git did not hash): rendered every time.
    if (/^0+$/.test(side.blob)) return view(side);
    const key = `${side.blob}\0${side.path}`;
    const found = kept.get(key);
    if (found !== undefined) {
      kept.delete(key);
      kept.set(key, found);
      return found;
    }
    const rendered = await view(side);
    kept.set(key, rendered);
    bytes += rendered.length;
    for (const [oldest, buffer] of kept) {
      if (bytes <= KEPT_BYTES || oldest === key) break;
      kept.delete(oldest);
      bytes -= buffer.length;
    }
    return rendered;
  };
}
