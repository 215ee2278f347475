import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { startRedis } from './redis.ts';

function newClient(url: string) {
  return createClient({ url });
}

async function withClient<T>(url: string, fn: (c: ReturnType<typeof newClient>) => Promise<T>) {
  const client = newClient(url);
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    client.destroy();
  }
}

describe('startRedis', () => {
  let server: Awaited<ReturnType<typeof startRedis>> | undefined;
  afterAll(() => server?.stop());

  it('serves, and keeps data across SIGKILL + restart (append-only file)', async () => {
    server = await startRedis();
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    await withClient(server.url, (c) => c.set('k', 'v'));
    expect(await withClient(server.url, (c) => c.get('k'))).toBe('v');
    await server.kill();
    await server.restart();
    expect(await withClient(server.url, (c) => c.get('k'))).toBe('v');
    await server.stop();
  });
});
