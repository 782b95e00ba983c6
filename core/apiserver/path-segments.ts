/**
 * The non-empty segments of a request path. Every request's path is split twice, one right
 * after the other, for authorization (requestAttributes) and for routing (parseRequest), so
 * the last split is kept and handed out again for the same path: one array per request instead
 * of five. The array is shared and frozen; callers read it by index. It is built in one pass
 * (split then filter made two arrays and a closure call per segment).
 */
let lastPath: string | undefined;
let lastSegments: readonly string[] = Object.freeze([]);

export function pathSegments(path: string): readonly string[] {
  if (path === lastPath) return lastSegments;
  lastSegments = Object.freeze(split(path));
  lastPath = path;
  return lastSegments;
}

function split(path: string): string[] {
  const segments: string[] = [];
  let start = 0;
  for (;;) {
    const slash = path.indexOf('/', start);
    const end = slash < 0 ? path.length : slash;
    if (end > start) segments.push(path.slice(start, end));
    if (slash < 0) return segments;
    start = slash + 1;
  }
}
