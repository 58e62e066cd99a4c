import { Observable, type ConfigurationOptions } from '@kubernetes/client-node';

/**
 * Call options that cancel one @kubernetes/client-node request when `signal` aborts (the socket is
 * destroyed, so a request held up by the network never reaches the server afterwards). Without a
 * signal the options are returned unchanged.
 */
export function withSignal(
  signal: AbortSignal | undefined,
  options?: ConfigurationOptions,
): ConfigurationOptions | undefined {
  if (!signal) return options;
  return {
    ...options,
    middleware: [
      ...(options?.middleware ?? []),
      {
        pre: (context) => {
          context.setSignal(signal);
          return new Observable(Promise.resolve(context));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append', // keep the client's own middleware (auth) and the caller's
  };
}
