// The ceiling: a bare Fastify hello-world route, defaults only.
import fastify from 'fastify';

const app = fastify();
app.get('/', async () => ({ hello: 'world' }));
app.get('/health', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
