/**
 * What PersistentVolumes and PersistentVolumeClaims share: access modes (validation and
 * helper.GetAccessModesAsString), volume modes, storage class names and the storage quantity
 * checks (pkg/apis/core/validation/validation.go).
 */
import { isDNS1123Subdomain } from '../content-checks.ts';
import {
  child,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  type FieldError,
} from '../field-error.ts';
import { formatQuantity, isQuantityError, parseQuantity } from '../quantity.ts';

export const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
export const VOLUME_MODES = ['Block', 'Filesystem'];

/** The access modes of a volume or claim spec at `path`. */
export function validateAccessModes(
  modes: readonly string[] | undefined,
  path: string,
): FieldError[] {
  const p = child(path, 'accessModes');
  const list = modes ?? [];
  if (list.length === 0) return [fieldRequired(p, '')];
  const errs: FieldError[] = [];
  for (const mode of list) {
    if (!ACCESS_MODES.includes(mode)) errs.push(fieldNotSupported(p, mode, ACCESS_MODES));
  }
  if (list.includes('ReadWriteOncePod') && list.length > 1) {
    errs.push(fieldForbidden(p, 'may not use ReadWriteOncePod with other access modes'));
  }
  return errs;
}

export function validateVolumeMode(mode: string | undefined | null, path: string): FieldError[] {
  if (mode === undefined || mode === null || VOLUME_MODES.includes(mode)) return [];
  return [fieldNotSupported(child(path, 'volumeMode'), mode, VOLUME_MODES)];
}

/** ValidateClassName with the storageClassName path. */
export function validateStorageClassName(
  name: string | undefined | null,
  path: string,
): FieldError[] {
  if (!name) return [];
  return isDNS1123Subdomain(name).map((m) =>
    fieldInvalid(child(path, 'storageClassName'), name, m),
  );
}

/** validateBasicResource and ValidatePositiveQuantityValue: a parseable quantity above zero. */
export function validatePositiveQuantity(raw: string, path: string): FieldError[] {
  const q = parseQuantity(String(raw));
  if (isQuantityError(q)) return [fieldInvalid(path, raw, q.reason)];
  return q.nanos > 0n ? [] : [fieldInvalid(path, formatQuantity(q), 'must be greater than zero')];
}

/** GetAccessModesAsString: "RWO,ROX,RWX,RWOP", in that order, without repeats. */
export function accessModesString(modes: readonly string[] | undefined): string {
  const short: readonly [string, string][] = [
    ['ReadWriteOnce', 'RWO'],
    ['ReadOnlyMany', 'ROX'],
    ['ReadWriteMany', 'RWX'],
    ['ReadWriteOncePod', 'RWOP'],
  ];
  return short
    .filter(([mode]) => (modes ?? []).includes(mode))
    .map(([, s]) => s)
    .join(',');
}

/** A ResourceList's storage as printers show it: the canonical quantity. */
export function storageString(list: Readonly<Record<string, string>> | undefined): string {
  const raw = list?.storage;
  if (raw === undefined) return '';
  const q = parseQuantity(raw);
  return isQuantityError(q) ? raw : formatQuantity(q);
}
