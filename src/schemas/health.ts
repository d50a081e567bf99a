/** Schemas of /health and /ready, apart from the routes so the typed client reads their types without server code. */
import Type from 'typebox';

export const HealthSchema = Type.Object({ status: Type.Literal('ok') });

export const ProviderStatusSchema = Type.Object({
  name: Type.String(),
  provider: Type.String(),
  ok: Type.Boolean(),
  latencyMs: Type.Number(),
  error: Type.Optional(Type.String()),
});

export const ReadySchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  providers: Type.Array(ProviderStatusSchema),
});
