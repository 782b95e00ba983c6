/**
 * A controller run by the controller manager: it registers its informers and handlers when it
 * is built, and `run` waits for the caches and starts its workers and loops (detached work goes
 * through ProcessPorts.spawn).
 */
export interface Controller {
  readonly name: string;
  run(): Promise<void>;
  stop(): void;
}
