/**
 * pkg/scheduler/framework/plugins/helper/normalize_score.go DefaultNormalizeScore: scale so the
 * highest score becomes `maxPriority` (integer division); `reverse` flips it so the lowest raw
 * score wins. All-zero scores stay 0 (or all become maxPriority when reversed).
 */
export function defaultNormalizeScore(
  maxPriority: number,
  reverse: boolean,
  scores: number[],
): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    if (reverse) scores.fill(maxPriority);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    let s = Math.trunc((maxPriority * (scores[i] as number)) / max);
    if (reverse) s = maxPriority - s;
    scores[i] = s;
  }
}
