/**
 * Kubernetes manifests a scenario creates or applies: written inline in the scenario file or
 * read from manifest files and directories (`{file: manifests/}`), multi-document YAML or JSON
 * as kubectl reads them. Each manifest remembers where it came from, so a problem found in it
 * (at load, or when the API server refuses it during the run) names its file and line.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { isNode, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { KObject } from '../../core/api/types.ts';
import { formatPath } from './schema.ts';

/** One object of a scenario: what to send, and where it is written. */
export interface Manifest {
  readonly object: KObject;
  /** `file:line` of the manifest's first line, for messages. */
  readonly source: string;
  /** `file:line: path` of a field of the manifest (steps from the manifest's root). */
  at(field: readonly (string | number)[]): string;
}

/** Where a YAML document's nodes are: the file's name, its lines, the manifest's root path. */
export class YamlSource {
  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * `file:line: path` of `path`, or of its nearest ancestor the document holds (a missing
   * field is reported where its parent is written). `shown` is the path as printed, if any.
   */
  at(path: readonly (string | number)[], shown: readonly (string | number)[] = path): string {
    return shown.length === 0
      ? this.location(path)
      : `${this.location(path)}: ${formatPath(shown)}`;
  }

  /** `file:line` of `path` or of its nearest ancestor in the document. */
  location(path: readonly (string | number)[]): string {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) {
        return `${this.file}:${this.lines.linePos(node.range[0]).line}`;
      }
    }
    return this.file;
  }

  /** The manifest at `root` of this document. */
  manifest(object: unknown, root: readonly (string | number)[]): Manifest {
    return {
      object: object as KObject,
      source: this.location(root),
      at: (field) => this.at([...root, ...field], root.length === 0 ? field : [...root, ...field]),
    };
  }
}

/** A manifest file or directory could not be read; `problems` say where and why. */
export interface ManifestFiles {
  readonly manifests: readonly Manifest[];
  readonly problems: readonly string[];
}

/** Files a directory contributes, as `kubectl apply -f dir/` takes them (not recursive). */
const MANIFEST_FILE = /\.(ya?ml|json)$/;

/**
 * The manifests of `path` (a file, or the manifest files of a directory in name order),
 * resolved against `baseDir`. Documents that are empty or null are skipped, as kubectl does;
 * a `kind: List` is not unpacked.
 */
export function readManifests(path: string, baseDir: string, shownFrom: string): ManifestFiles {
  const full = resolve(baseDir, path);
  let files: string[];
  try {
    files = statSync(full).isDirectory()
      ? readdirSync(full)
          .filter((f) => MANIFEST_FILE.test(f))
          .sort()
          .map((f) => join(full, f))
      : [full];
  } catch (e) {
    return { manifests: [], problems: [`cannot read ${path}: ${(e as Error).message}`] };
  }
  if (files.length === 0) {
    return { manifests: [], problems: [`${path}: no .yaml, .yml or .json files in the directory`] };
  }
  const manifests: Manifest[] = [];
  const problems: string[] = [];
  for (const f of files) {
    const shown = relative(shownFrom, f) || f;
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      problems.push(`cannot read ${shown}: ${(e as Error).message}`);
      continue;
    }
    const read = parseManifests(text, shown);
    manifests.push(...read.manifests);
    problems.push(...read.problems);
  }
  return { manifests, problems };
}

/** The documents of one manifest file's text. */
export function parseManifests(text: string, file: string): ManifestFiles {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const manifests: Manifest[] = [];
  const problems: string[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        problems.push(
          `${file}:${lines.linePos(e.pos[0]).line}: YAML syntax: ${e.message.split('\n')[0]}`,
        );
      }
      continue;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    manifests.push(new YamlSource(file, doc, lines).manifest(value, []));
  }
  return { manifests, problems };
}
