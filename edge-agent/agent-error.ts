import { HttpError } from '../lib/http/http-error.js';

/** An error the agent answers over HTTP (see {@link HttpError}): no model, queue full, bad image. */
export class AgentError extends HttpError {}
