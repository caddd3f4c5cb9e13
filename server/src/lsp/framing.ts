// The --stdio message reader. vscode-jsonrpc's own stream reader loses the framing for good after
// a header without a usable Content-Length (it drops the header and then reads the next bytes,
// body and following header alike, as headers), so one bad frame from a client leaves the
// server deaf but alive. This reader drops such a frame, skips to the next `Content-Length:`
// and carries on; a body that is not JSON is dropped and reported the same way.
import { AbstractMessageReader, DataCallback, Disposable, Message, MessageReader } from 'vscode-languageserver/node';

const HEADER_END = Buffer.from('\r\n\r\n', 'ascii');
const CONTENT_LENGTH = /^content-length:[ \t]*(\d+)[ \t]*$/im;
/** Longest header block accepted before the bytes are taken for garbage. */
const MAX_HEADER_BYTES = 64 * 1024;

export class ResyncingStreamReader extends AbstractMessageReader implements MessageReader {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Body length of the frame being read, -1 while reading headers. */
  private expected = -1;
  private callback: DataCallback | undefined;

  constructor(
    private readonly readable: NodeJS.ReadableStream,
    private readonly report: (message: string) => void,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer | string) => this.onData(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    const onError = (error: Error) => this.fireError(error);
    const onClose = () => this.fireClose();
    this.readable.on('data', onData);
    this.readable.on('error', onError);
    this.readable.on('close', onClose);
    this.readable.on('end', onClose);
    return Disposable.create(() => {
      this.callback = undefined;
      this.readable.off('data', onData);
      this.readable.off('error', onError);
      this.readable.off('close', onClose);
      this.readable.off('end', onClose);
    });
  }

  private take(): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [all];
    return all;
  }

  private keep(rest: Buffer): void {
    this.chunks = rest.length > 0 ? [rest] : [];
    this.size = rest.length;
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    for (;;) {
      if (this.expected < 0) {
        const buffer = this.take();
        const end = buffer.indexOf(HEADER_END);
        if (end < 0) {
          if (buffer.length > MAX_HEADER_BYTES) this.resync(buffer, 1, 'a header block longer than 64 KiB');
          return;
        }
        const header = buffer.subarray(0, end).toString('latin1');
        const length = CONTENT_LENGTH.exec(header);
        if (!length) {
          // The next `Content-Length:` may sit inside this block, after a bad frame's leftover body.
          this.resync(buffer, 1, `a header without a usable Content-Length (${JSON.stringify(header.slice(0, 200))})`);
          continue;
        }
        this.expected = Number(length[1]);
        this.keep(buffer.subarray(end + HEADER_END.length));
      }
      if (this.size < this.expected) return;
      const buffer = this.take();
      const body = buffer.subarray(0, this.expected);
      this.keep(buffer.subarray(this.expected));
      this.expected = -1;
      let message: Message;
      try {
        message = JSON.parse(body.toString('utf8')) as Message;
      } catch (error) {
        this.report(`dropped a message whose body is not JSON (${body.length} bytes): ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      if (typeof message !== 'object' || message === null || Array.isArray(message)) {
        this.report(`dropped a message that is not a JSON-RPC object: ${body.toString('utf8').slice(0, 200)}`);
        continue;
      }
      this.callback?.(message);
    }
  }

  /** Drops bytes up to the next `Content-Length:` at or after `from` (all of them when there is none). */
  private resync(buffer: Buffer, from: number, why: string): void {
    const text = buffer.toString('latin1');
    const next = text.toLowerCase().indexOf('content-length:', from);
    this.report(`dropped ${next < 0 ? buffer.length : next} bytes of input: ${why}`);
    // Without a next header, the tail is kept: it may be the start of one still arriving.
    this.keep(next < 0 ? buffer.subarray(Math.max(from, buffer.length - 15)) : buffer.subarray(next));
  }
}
