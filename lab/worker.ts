// The body of a pool worker: runs named exported functions of our modules on request.
import { parentPort } from 'node:worker_threads';
import type { TaskMessage, TaskReply } from './pool.ts';

const port = parentPort;
if (!port) throw new Error('lab/worker.ts must run in a worker thread');

port.on('message', async (message: TaskMessage) => {
  let reply: TaskReply;
  const report = (value: unknown) => port.postMessage({ id: message.id, kind: 'progress', value } satisfies TaskReply);
  try {
    const module = (await import(message.module)) as Record<string, (...args: unknown[]) => unknown>;
    const args = message.progress ? [...message.args, report] : message.args;
    const value = await module[message.fn](...args);
    reply = { id: message.id, kind: 'done', ok: true, value };
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    reply = { id: message.id, kind: 'done', ok: false, message: err.message, stack: err.stack ?? '' };
  }
  port.postMessage(reply);
});
