// Failures of Kubiya or GitHub requests, as values a user can act on. Messages never carry a key.

export class ServiceError extends Error {
  override name = 'ServiceError';
  /** HTTP status, when a response came back */
  readonly status: number | undefined;
  /** an attempt got no answer (network error or timeout): the request may have taken effect */
  readonly outcomeUnknown: boolean;
  /** no attempt left the runner (the host did not resolve, the connection was refused, sealing failed): it had no effect */
  readonly notSent: boolean;

  constructor(message: string, options: { status?: number; outcomeUnknown?: boolean; notSent?: boolean } = {}) {
    super(message);
    this.status = options.status;
    this.outcomeUnknown = options.outcomeUnknown ?? false;
    this.notSent = options.notSent ?? false;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
