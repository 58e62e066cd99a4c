/**
 * Options every port call may take. `signal` cancels the call: an adapter passes it to its client
 * (an aborted HTTP request never reaches the server afterwards) and makes no write once it aborts.
 */
export interface CallOptions {
  signal?: AbortSignal;
}
