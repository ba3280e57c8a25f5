import { expect } from 'chai';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { ChatClient, ChatRequestError } from '../../../interfaces/client/chat-client.js';
import { encodeFrame, FrameDecoder } from '../../../interfaces/wire/index.js';

type AckAnswer = { data: Record<string, unknown> } | { fail: { code: string; message: string; data: Record<string, unknown> } };

/** A server that answers every `ack` as `answer` says, and remembers the ids of each. */
async function ackServer(answer: (ids: number[]) => AckAnswer): Promise<{ server: Server; port: number; requests: number[][] }> {
  const requests: number[][] = [];
  const server = createServer((socket) => {
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const { id, args } = (frame as { payload: { id: number; args: { ids: number[] } } }).payload;
        requests.push(args.ids);
        const reply = answer(args.ids);
        const response =
          'data' in reply
            ? { type: 'response', id, status: 'ok', data: reply.data }
            : { type: 'response', id, status: 'fail', ...reply.fail };
        socket.write(encodeFrame(response));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, requests };
}

describe('ChatClient.acknowledge', () => {
  let server: Server | undefined;
  let client: ChatClient | undefined;

  afterEach(async () => {
    await client?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function connectTo(answer: (ids: number[]) => AckAnswer) {
    const fake = await ackServer(answer);
    server = fake.server;
    client = await ChatClient.connect({ port: fake.port, token: 't' });
    return { client, requests: fake.requests };
  }

  it('returns what the server removed and what was no longer waiting', async () => {
    const { client } = await connectTo((ids) => ({ data: { acknowledged: ids.filter((id) => id < 10), unknown: ids.filter((id) => id >= 10) } }));
    expect(await client.acknowledge([1, 2, 10])).to.deep.equal({ acknowledged: [1, 2], unknown: [10] });
    expect(await client.acknowledge([])).to.deep.equal({ acknowledged: [], unknown: [] });
  });

  it('splits a long list into requests of at most 1000 ids', async () => {
    const { client, requests } = await connectTo((ids) => ({ data: { acknowledged: ids, unknown: [] } }));
    const ids = Array.from({ length: 2500 }, (_, i) => i + 1);
    expect(await client.acknowledge(ids)).to.deep.equal({ acknowledged: ids, unknown: [] });
    expect(requests.map((r) => r.length)).to.deep.equal([1000, 1000, 500]);
  });

  it('accepts an older server that answers only `acknowledged`', async () => {
    const { client } = await connectTo((ids) => ({ data: { acknowledged: ids.filter((id) => id !== 3) } }));
    expect(await client.acknowledge([1, 2, 3])).to.deep.equal({ acknowledged: [1, 2], unknown: [3] });
  });

  it('acknowledges the rest when an older server refuses a batch for its unknown ids', async () => {
    const removed = new Set([1]);
    const { client, requests } = await connectTo((ids) => {
      const unknown = ids.filter((id) => removed.has(id) || id > 100);
      if (unknown.length > 0) return { fail: { code: 'UNKNOWN_MESSAGE', message: 'not waiting for you', data: { ids: unknown } } };
      for (const id of ids) removed.add(id);
      return { data: { acknowledged: ids } };
    });
    expect(await client.acknowledge([1, 2, 3, 101])).to.deep.equal({ acknowledged: [2, 3], unknown: [1, 101] });
    expect(requests).to.deep.equal([
      [1, 2, 3, 101],
      [2, 3],
    ]);
  });

  it('still fails on any other refusal', async () => {
    const { client } = await connectTo(() => ({ fail: { code: 'SESSION_EXPIRED', message: 'log in again', data: {} } }));
    const error = await client.acknowledge([1]).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ChatRequestError).and.include({ code: 'SESSION_EXPIRED' });
  });
});
