// Where the command line writes. Tests capture it; the process writes to stdout and stderr.

/** Where the CLI writes; tests capture it. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress then rewrites one line instead of printing many). */
  readonly stderrIsTTY: boolean;
}

// A reader that goes away (`slatelab run x.yaml 2>&1 | head`) must not stop the experiment: once a
// stream reports EPIPE, further output to it is dropped and the run carries on writing its results.
const closed = new Set<NodeJS.WriteStream>();
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    closed.add(stream);
  });
}
const write = (stream: NodeJS.WriteStream, text: string): void => {
  if (!closed.has(stream)) stream.write(text);
};

export const processIo: Io = {
  stdout: (text) => write(process.stdout, text),
  stderr: (text) => write(process.stderr, text),
  stderrIsTTY: process.stderr.isTTY === true,
};
