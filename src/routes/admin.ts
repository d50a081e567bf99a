/** The effective configuration, secrets redacted. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { redactConfig } from '../config.js';
import type { Services } from '../services.js';

export const adminRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const redacted = redactConfig(services.config);
  app.get(
    '/v1/config',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'The effective configuration: environment, mode and providers, secrets redacted',
        response: { 200: Type.Record(Type.String(), Type.Unknown()) },
      },
    },
    async () => redacted,
  );
};
