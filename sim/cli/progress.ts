/**
 * The progress display of a long run on a terminal: virtual time reached, events per
 * wall-clock second and wall time. Drawn on stderr (stdout stays the command's result) and
 * erased when the run ends; nothing is drawn when stderr is not a terminal or with --quiet.
 */
import { SingleBar } from 'cli-progress';
import { seconds } from './format.ts';

export class RunProgress {
  private readonly bar: SingleBar;
  private readonly startedMs = performance.now();

  constructor(
    terminal: NodeJS.WritableStream,
    private readonly totalUs: number,
  ) {
    this.bar = new SingleBar({
      stream: terminal,
      format:
        ' {bar} {percentage}%  virtual {virtual} of {end}  {events} events  {rate} events/s  wall {wall}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      // Redraws happen when the run reports, between slices of events: the run holds the
      // thread, so a timer-driven redraw would never get to run.
      synchronousUpdate: true,
      fps: 5,
    });
    this.bar.start(totalUs, 0, this.payload(0, 0));
  }

  update(virtualUs: number, events: number): void {
    this.bar.update(virtualUs, this.payload(virtualUs, events));
  }

  stop(): void {
    this.bar.stop();
  }

  private payload(virtualUs: number, events: number): Record<string, string> {
    const wallMs = performance.now() - this.startedMs;
    return {
      virtual: seconds(virtualUs),
      end: seconds(this.totalUs),
      events: events.toLocaleString('en-US'),
      rate: wallMs > 0 ? Math.round((events / wallMs) * 1000).toLocaleString('en-US') : '-',
      wall: `${(wallMs / 1000).toFixed(1)}s`,
    };
  }
}
