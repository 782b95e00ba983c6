/**
 * pkg/scheduler/framework/plugins/helper/shape_score.go BuildBrokenLinearFunction: a piecewise
 * linear function through the points (utilization ascending), constant beyond both ends,
 * evaluated in integer arithmetic (Go int64 division truncates).
 */
export interface FunctionShapePoint {
  readonly utilization: number;
  readonly score: number;
}

export function buildBrokenLinearFunction(
  shape: readonly FunctionShapePoint[],
): (p: number) => number {
  return (p) => {
    for (let i = 0; i < shape.length; i++) {
      const cur = shape[i] as FunctionShapePoint;
      if (p <= cur.utilization) {
        if (i === 0) return cur.score;
        const prev = shape[i - 1] as FunctionShapePoint;
        return (
          prev.score +
          Math.trunc(
            ((cur.score - prev.score) * (p - prev.utilization)) /
              (cur.utilization - prev.utilization),
          )
        );
      }
    }
    return (shape[shape.length - 1] as FunctionShapePoint).score;
  };
}
