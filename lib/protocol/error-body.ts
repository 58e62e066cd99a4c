import { Type, type Static } from '@sinclair/typebox';

/**
 * The body of every error reply of every edge-stl HTTP API (operator coordination, edge agent,
 * labeling, trainer ops server). Clients branch on `error`; `message` is for people.
 */
export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'Stable machine-readable code, e.g. IMAGE_SHAPE, NOT_LEADER' }),
    message: Type.String({ description: 'What went wrong, safe to show' }),
  },
  { additionalProperties: false },
);
export type ErrorBody = Static<typeof ErrorBody>;
