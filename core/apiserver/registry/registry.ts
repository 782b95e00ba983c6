/**
 * The generic REST registry (upstream registry/generic/registry.Store) for every resource the
 * kind definitions describe. It reads definitions only: what differs between kinds is in
 * core/api/kinds, and each verb's logic is in this folder (create, read, update, patch,
 * deletion, subresources).
 */
import type { ApiResponse } from '../../api/http.ts';
import type { DeleteOptions } from '../../api/meta-types.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Random } from '../../ports/random.ts';
import { AdmissionChain } from '../admission/chain.ts';
import type { RequestInfo } from '../request-info.ts';
import type { ObjectStorage } from '../storage.ts';
import { createAs } from './actions.ts';
import { answer, statusReply, type RegistryContext } from './context.ts';
import { createObject } from './create.ts';
import { deleteCollection, deleteObject } from './deletion.ts';
import { patchObject } from './patch.ts';
import { getObject, listObjects } from './read.ts';
import type { Selectors } from './selectors.ts';
import { serveSubresource } from './subresources.ts';
import { mainPath, updateObject } from './update.ts';

export class Registry {
  private readonly ctx: RegistryContext;

  constructor(
    storage: ObjectStorage,
    clock: Clock,
    random: Random,
    admission: AdmissionChain = new AdmissionChain([]),
  ) {
    this.ctx = { storage, clock, random, admission };
  }

  async get(info: RequestInfo, name: string): Promise<ApiResponse> {
    return answer(await getObject(this.ctx, info, name));
  }

  async list(info: RequestInfo, sel: Selectors, atRv: number | undefined): Promise<ApiResponse> {
    return answer(await listObjects(this.ctx, info, sel, atRv));
  }

  async create(info: RequestInfo, body: unknown): Promise<ApiResponse> {
    if (info.definition.createAs !== undefined) {
      return statusReply(await createAs(this.ctx, info, body));
    }
    return answer(await createObject(this.ctx, info, body), 201);
  }

  async update(info: RequestInfo, name: string, body: unknown): Promise<ApiResponse> {
    return answer(await updateObject(this.ctx, info, name, body, mainPath(info.definition)));
  }

  /** JSON merge patch (RFC 7386) of the main resource. */
  async patch(info: RequestInfo, name: string, body: unknown): Promise<ApiResponse> {
    return answer(await patchObject(this.ctx, info, name, body, mainPath(info.definition)));
  }

  async delete(info: RequestInfo, name: string, options: DeleteOptions): Promise<ApiResponse> {
    return answer(await deleteObject(this.ctx, info, name, options));
  }

  async deleteCollection(
    info: RequestInfo,
    sel: Selectors,
    options: DeleteOptions,
  ): Promise<ApiResponse> {
    return answer(await deleteCollection(this.ctx, info, sel, options));
  }

  /** Any verb on `{resource}/{name}/{subresource}`. */
  subresource(info: RequestInfo, name: string, body: unknown): Promise<ApiResponse> {
    return serveSubresource(this.ctx, info, name, body);
  }
}
