import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { startNats } from './nats.ts';

async function readAll(url: string, stream: string, count: number): Promise<string[]> {
  const nc = await connect({ servers: url });
  try {
    const consumer = await jetstream(nc).consumers.get(stream);
    const out: string[] = [];
    const messages = await consumer.fetch({ max_messages: count, expires: 5_000 });
    for await (const m of messages) out.push(m.string());
    return out;
  } finally {
    await nc.close();
  }
}

describe('startNats', () => {
  let server: Awaited<ReturnType<typeof startNats>> | undefined;
  afterAll(() => server?.stop());

  it('runs JetStream, keeps the stream across SIGKILL + restart on the same port', async () => {
    server = await startNats();
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'smoke', subjects: ['smoke.>'] });
    const js = jetstream(nc);
    for (let i = 0; i < 5; i++) await js.publish('smoke.a', `m${i}`);
    await nc.close();
    const expected = ['m0', 'm1', 'm2', 'm3', 'm4'];
    expect(await readAll(server.url, 'smoke', 5)).toEqual(expected);

    await server.kill();
    await server.restart();
    expect(await readAll(server.url, 'smoke', 5)).toEqual(expected);

    await server.restart(); // graceful restart
    expect(await readAll(server.url, 'smoke', 5)).toEqual(expected);
    await server.stop();
  });
});
