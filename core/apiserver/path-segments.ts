/**
 * The non-empty segments of a request path. Every request's path is split twice, one right
 * after the other, for authorization (requestAttributes) and for routing (parseRequest), so
 * the last split is kept and handed out again for the same path: one array per request instead
 * of five. The array is shared and frozen; callers read it by index.
 */
let lastPath: string | undefined;
let lastSegments: readonly string[] = Object.freeze([]);

export function pathSegments(path: string): readonly string[] {
  if (path === lastPath) return lastSegments;
  lastSegments = Object.freeze(path.split('/').filter((p) => p !== ''));
  lastPath = path;
  return lastSegments;
}
