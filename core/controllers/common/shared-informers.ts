import type { Kind } from '../../api/types.ts';
import type { ApiClient } from '../../client/api-client.ts';
import { Informer, type IndexFunc } from '../../client/informer.ts';
import type { KindOf } from '../../api/types.ts';
import type { ProcessPorts } from '../../ports/process.ts';

/**
 * client-go's SharedInformerFactory: one informer per (kind, namespace) shared by every
 * controller of the process, so a controller manager watches each resource once. Controllers
 * ask for informers and add handlers and indexers while they are built; `start` then starts
 * whatever has not started yet.
 */
export class SharedInformers {
  private readonly informers = new Map<string, Informer<Kind>>();
  private readonly started = new Set<string>();
  private readonly indexNames = new Map<string, Set<string>>();

  constructor(
    private readonly ports: ProcessPorts,
    private readonly client: ApiClient,
  ) {}

  informer<K extends Kind>(kind: K, namespace?: string): Informer<K> {
    const id = informerId(kind, namespace);
    let inf = this.informers.get(id) as Informer<K> | undefined;
    if (inf === undefined) {
      inf = new Informer(
        this.ports,
        this.client,
        kind,
        namespace === undefined ? {} : { namespace },
      );
      this.informers.set(id, inf as unknown as Informer<Kind>);
    }
    return inf;
  }

  /** Adds an index once: controllers sharing an informer may all ask for the same index. */
  addIndexer<K extends Kind>(
    kind: K,
    namespace: string | undefined,
    name: string,
    fn: IndexFunc<KindOf<K>>,
  ): void {
    const id = informerId(kind, namespace);
    let names = this.indexNames.get(id);
    if (names === undefined) {
      names = new Set();
      this.indexNames.set(id, names);
    }
    if (names.has(name)) return;
    names.add(name);
    this.informer(kind, namespace).addIndexer(name, fn);
  }

  start(): void {
    for (const [id, inf] of this.informers) {
      if (this.started.has(id)) continue;
      this.started.add(id);
      inf.start();
    }
  }

  stop(): void {
    for (const inf of this.informers.values()) inf.stop();
  }
}

function informerId(kind: Kind, namespace: string | undefined): string {
  return namespace === undefined ? kind : `${kind}/${namespace}`;
}
