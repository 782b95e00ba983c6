/**
 * Plugin results (staging/src/k8s.io/kube-scheduler/framework/interface.go, Code and Status).
 *
 * `undefined` stands for Success everywhere a plugin returns a status, so the hot filter and
 * score loops allocate nothing for nodes that pass. Statuses are immutable: plugins may return
 * shared constants for their fixed reasons.
 */
export type Code =
  | 'Success'
  | 'Error'
  | 'Unschedulable'
  | 'UnschedulableAndUnresolvable'
  | 'Wait'
  | 'Skip'
  | 'Pending';

export class Status {
  private constructor(
    readonly code: Code,
    readonly reasons: readonly string[],
    /** The plugin that returned it; set by the framework (or by a plugin for its constants). */
    readonly plugin: string,
  ) {}

  static of(code: Code, ...reasons: string[]): Status {
    return new Status(code, reasons, '');
  }

  static error(message: string): Status {
    return new Status('Error', [message], '');
  }

  static unschedulable(...reasons: string[]): Status {
    return new Status('Unschedulable', reasons, '');
  }

  static unresolvable(...reasons: string[]): Status {
    return new Status('UnschedulableAndUnresolvable', reasons, '');
  }

  withPlugin(plugin: string): Status {
    return this.plugin === plugin ? this : new Status(this.code, this.reasons, plugin);
  }

  /** Status.Message(): the reasons joined with ", ". */
  message(): string {
    return this.reasons.join(', ');
  }
}

export const SKIP: Status = Status.of('Skip');
export const SUCCESS: Status = Status.of('Success');

export type MaybeStatus = Status | undefined;

export function isSuccess(s: MaybeStatus): boolean {
  return s === undefined || s.code === 'Success';
}

/** Unschedulable or UnschedulableAndUnresolvable: the pod was turned down, nothing broke. */
export function isRejected(s: MaybeStatus): boolean {
  return (
    s !== undefined && (s.code === 'Unschedulable' || s.code === 'UnschedulableAndUnresolvable')
  );
}

export function codeOf(s: MaybeStatus): Code {
  return s === undefined ? 'Success' : s.code;
}
