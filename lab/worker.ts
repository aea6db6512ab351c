// The body of a pool worker: runs named exported functions of our modules on request.
import { parentPort } from 'node:worker_threads';
import type { TaskMessage, TaskReply } from './pool.ts';

const port = parentPort;
if (!port) throw new Error('lab/worker.ts must run in a worker thread');

port.on('message', async (message: TaskMessage) => {
  let reply: TaskReply;
  try {
    const module = (await import(message.module)) as Record<string, (...args: unknown[]) => unknown>;
    const value = await module[message.fn](...message.args);
    reply = { id: message.id, ok: true, value };
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    reply = { id: message.id, ok: false, message: err.message, stack: err.stack ?? '' };
  }
  port.postMessage(reply);
});
