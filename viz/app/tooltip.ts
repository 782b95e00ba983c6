/** One floating tooltip for the page. */
import { select } from 'd3';

let el: HTMLDivElement | undefined;

function node(): HTMLDivElement {
  el ??= select(document.body).append('div').attr('class', 'tooltip').node() as HTMLDivElement;
  return el;
}

export const tooltip = {
  /** Shows lines of trusted HTML (callers escape what came from the trace). */
  show(e: MouseEvent, lines: readonly string[]): void {
    const t = node();
    t.innerHTML = lines.filter((l) => l !== '').join('<br>');
    t.style.display = 'block';
    t.style.left = `${Math.min(e.pageX + 12, window.innerWidth - 420)}px`;
    t.style.top = `${e.pageY + 12}px`;
  },
  hide(): void {
    node().style.display = 'none';
  },
};
