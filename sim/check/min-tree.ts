/** A fixed-size array of numbers with point updates and an O(1) minimum (a segment tree). */
export class MinTree {
  private readonly size: number;
  private readonly nodes: Float64Array;

  constructor(values: readonly number[]) {
    let size = 1;
    while (size < values.length) size *= 2;
    this.size = size;
    this.nodes = new Float64Array(2 * size).fill(Infinity);
    values.forEach((v, i) => (this.nodes[size + i] = v));
    for (let i = size - 1; i >= 1; i--)
      this.nodes[i] = Math.min(this.nodes[2 * i]!, this.nodes[2 * i + 1]!);
  }

  get min(): number {
    return this.nodes[1]!;
  }

  set(index: number, value: number): void {
    let i = this.size + index;
    this.nodes[i] = value;
    for (i >>= 1; i >= 1; i >>= 1)
      this.nodes[i] = Math.min(this.nodes[2 * i]!, this.nodes[2 * i + 1]!);
  }
}
