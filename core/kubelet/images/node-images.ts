/**
 * The images a Node's status lists (pkg/kubelet/nodestatus/setters.go Images, with the image
 * manager's cache order): the 50 largest, largest first (equal sizes: the greater id first, as
 * sliceutils.ByImageSize), each with up to 5 names, digests before tags.
 */
import type { ContainerImage } from '../../api/node-types.ts';
import type { ImageInfo } from '../../ports/runtime.ts';

/** nodeStatusMaxImages. */
export const NODE_STATUS_MAX_IMAGES = 50;
/** MaxNamesPerImageInNodeStatus. */
export const MAX_NAMES_PER_IMAGE = 5;

export function nodeStatusImages(images: readonly ImageInfo[]): ContainerImage[] {
  return [...images]
    .sort((a, b) =>
      a.sizeBytes !== b.sizeBytes
        ? b.sizeBytes - a.sizeBytes
        : a.id > b.id
          ? -1
          : a.id < b.id
            ? 1
            : 0,
    )
    .slice(0, NODE_STATUS_MAX_IMAGES)
    .map((i) => ({
      names: [...i.repoDigests, ...i.repoTags].slice(0, MAX_NAMES_PER_IMAGE),
      sizeBytes: i.sizeBytes,
    }));
}
