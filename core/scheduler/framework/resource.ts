/**
 * Resource amounts as plain numbers (pkg/scheduler/framework/types.go Resource): cpu in
 * millicores, everything else in base units. Extended resources live in `scalar`.
 */
import {
  RESOURCE_CPU,
  RESOURCE_EPHEMERAL_STORAGE,
  RESOURCE_MEMORY,
  RESOURCE_PODS,
} from '../../api/resource-list.ts';

export class Resource {
  milliCPU = 0;
  memory = 0;
  ephemeralStorage = 0;
  allowedPodNumber = 0;
  /** Extended, hugepages and other scalar resources; absent means 0. */
  scalar: Map<string, number> | undefined = undefined;

  /** Adds one amount by resource name; names that are neither native nor scalar are ignored. */
  addNamed(name: string, amount: number): void {
    switch (name) {
      case RESOURCE_CPU:
        this.milliCPU += amount;
        return;
      case RESOURCE_MEMORY:
        this.memory += amount;
        return;
      case RESOURCE_EPHEMERAL_STORAGE:
        this.ephemeralStorage += amount;
        return;
      case RESOURCE_PODS:
        this.allowedPodNumber += amount;
        return;
      default:
        if (isScalarResourceName(name)) this.addScalar(name, amount);
    }
  }

  addScalar(name: string, amount: number): void {
    this.scalar ??= new Map();
    this.scalar.set(name, (this.scalar.get(name) ?? 0) + amount);
  }

  getScalar(name: string): number {
    return this.scalar?.get(name) ?? 0;
  }

  /** Amount of a resource by name, in the units above. */
  get(name: string): number {
    switch (name) {
      case RESOURCE_CPU:
        return this.milliCPU;
      case RESOURCE_MEMORY:
        return this.memory;
      case RESOURCE_EPHEMERAL_STORAGE:
        return this.ephemeralStorage;
      case RESOURCE_PODS:
        return this.allowedPodNumber;
      default:
        return this.getScalar(name);
    }
  }

  /** this += sign * other (pods are counted by NodeInfo, not here). */
  addResource(other: Resource, sign: 1 | -1): void {
    this.milliCPU += sign * other.milliCPU;
    this.memory += sign * other.memory;
    this.ephemeralStorage += sign * other.ephemeralStorage;
    if (other.scalar !== undefined)
      for (const [name, v] of other.scalar) this.addScalar(name, sign * v);
  }

  /** Overwrites this with `other`'s amounts (keeps this object: no allocation, stable memory). */
  setFrom(other: Resource): void {
    this.milliCPU = other.milliCPU;
    this.memory = other.memory;
    this.ephemeralStorage = other.ephemeralStorage;
    this.allowedPodNumber = other.allowedPodNumber;
    if (other.scalar === undefined) this.scalar = undefined;
    else if (this.scalar === undefined) this.scalar = new Map(other.scalar);
    else {
      this.scalar.clear();
      for (const [k, v] of other.scalar) this.scalar.set(k, v);
    }
  }

  clone(): Resource {
    const r = new Resource();
    r.milliCPU = this.milliCPU;
    r.memory = this.memory;
    r.ephemeralStorage = this.ephemeralStorage;
    r.allowedPodNumber = this.allowedPodNumber;
    if (this.scalar !== undefined) r.scalar = new Map(this.scalar);
    return r;
  }

  isZero(): boolean {
    if (this.milliCPU !== 0 || this.memory !== 0 || this.ephemeralStorage !== 0) return false;
    if (this.scalar !== undefined) for (const v of this.scalar.values()) if (v !== 0) return false;
    return true;
  }
}

const NATIVE_PREFIX = 'kubernetes.io/';

/**
 * IsScalarResourceName (pkg/scheduler/util): extended resources (a domain-qualified name
 * outside kubernetes.io/), hugepages-*, attachable-volumes-*, and prefixed native resources.
 */
export function isScalarResourceName(name: string): boolean {
  return (
    name.includes('/') || name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')
  );
}

/** IsExtendedResourceName: domain-qualified outside kubernetes.io, and not a `requests.` quota name. */
export function isExtendedResourceName(name: string): boolean {
  return name.includes('/') && !name.includes(NATIVE_PREFIX) && !name.startsWith('requests.');
}
