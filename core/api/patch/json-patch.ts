/**
 * JSON Patch (RFC 6902) through fast-json-patch, a maintained implementation, with upstream's
 * answers: a patch that is not a list of well-formed operations is a 400, one that does not fit
 * the document a 422 with evanphx/json-patch's wording (what kube-apiserver applies patches with).
 */
import jsonpatch from 'fast-json-patch';
import { isJsonObject, patchError, type PatchError } from './json.ts';

const MALFORMED = new Set([
  'SEQUENCE_NOT_AN_ARRAY',
  'OPERATION_NOT_AN_OBJECT',
  'OPERATION_OP_INVALID',
  'OPERATION_PATH_INVALID',
  'OPERATION_FROM_REQUIRED',
  'OPERATION_VALUE_REQUIRED',
  'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED',
]);

/** The document `ops` turn `doc` into; `doc` itself is left alone. */
export function applyJsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) {
    return patchError(400, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  for (const op of ops) {
    const kind = isJsonObject(op) ? op.op : undefined;
    if (!['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(kind as string)) {
      return patchError(422, `Unexpected kind: ${String(kind)}`);
    }
  }
  try {
    return jsonpatch.applyPatch(doc, ops as jsonpatch.Operation[], true, false).newDocument;
  } catch (e) {
    if (!(e instanceof jsonpatch.JsonPatchError)) throw e;
    return describe(e);
  }
}

function describe(e: InstanceType<typeof jsonpatch.JsonPatchError>): PatchError {
  const op = (e.operation ?? {}) as { op?: string; path?: string; from?: string };
  if (MALFORMED.has(e.name))
    return patchError(400, `${e.message} (${op.op ?? ''} ${op.path ?? ''})`);
  switch (e.name) {
    case 'TEST_OPERATION_FAILED':
      return patchError(422, `testing value ${op.path ?? ''} failed: test failed`);
    case 'OPERATION_FROM_UNRESOLVABLE':
      return patchError(
        422,
        `${op.op ?? ''} operation does not apply: doc is missing from path: ${op.from ?? ''}: missing value`,
      );
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
    case 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX':
      return patchError(
        422,
        `${op.op ?? ''} operation does not apply: index out of bounds: ${op.path ?? ''}`,
      );
    default:
      return patchError(
        422,
        `${op.op ?? ''} operation does not apply: doc is missing path: ${JSON.stringify(op.path ?? '')}: missing value`,
      );
  }
}
