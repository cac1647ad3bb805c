const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/**
 * Joins surrogate pairs cut across deltas: a trailing high surrogate waits for
 * its pair, so no delta boundary can put half a character (U+FFFD once the
 * editor stores it) into the buffer. Halves that never find their pair are
 * dropped and counted.
 */
export class SurrogateJoiner {
  private held = '';
  /** Unpaired halves dropped so far. */
  dropped = 0;

  push(chunk: string): string {
    let text = this.held + chunk;
    this.held = '';
    if (text.length > 0 && isHighSurrogate(text.charCodeAt(text.length - 1))) {
      this.held = text.slice(-1);
      text = text.slice(0, -1);
    }
    return this.dropLoneHalves(text);
  }

  finish(): string {
    if (this.held) this.dropped++;
    this.held = '';
    return '';
  }

  private dropLoneHalves(text: string): string {
    // Fast path: the common chunk has no surrogate at all.
    if (!/[\ud800-\udfff]/.test(text)) return text;
    let out = '';
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (isHighSurrogate(c) && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
        out += text[i]! + text[i + 1]!;
        i++;
      } else if (isHighSurrogate(c) || isLowSurrogate(c)) {
        this.dropped++;
      } else {
        out += text[i]!;
      }
    }
    return out;
  }
}

/**
 * Streaming clean-ups between the model's raw text and the diff: whole
 * characters only, line endings follow the document, and a markdown fence the
 * model wraps its answer in is dropped. Each holds back only what it cannot
 * decide yet (half a surrogate pair, a trailing '\r', the first line, a
 * possible closing fence), so tokens still flow at once.
 */
export class OutputNormalizer {
  private readonly characters = new SurrogateJoiner();
  private pendingCr = false;
  private atStart = true;
  private firstLine = '';
  private inFence = false;
  /** Text after the last newline while a closing fence is still possible. */
  private heldLine = '';
  private holdingLine = false;
  /** After a closing fence, the rest (an explanation, a newline) is not code. */
  private fenceClosed = false;

  /**
   * @param keepFinalNewline whether the original region ended with a newline:
   * the newline before a closing fence is then content, not fence.
   */
  constructor(
    private readonly eol: '\n' | '\r\n',
    private readonly keepFinalNewline = false,
  ) {}

  /** Halves of surrogate pairs dropped because their other half never came. */
  get droppedHalfCharacters(): number {
    return this.characters.dropped;
  }

  push(chunk: string): string {
    return this.stripFence(this.normalizeEol(this.characters.push(chunk)));
  }

  finish(): string {
    this.characters.finish();
    let out = this.pendingCr ? this.stripFence('\r') : '';
    this.pendingCr = false;
    if (this.atStart) {
      out += this.firstLine;
      this.firstLine = '';
      this.atStart = false;
    }
    if (this.holdingLine && !this.fenceClosed) {
      // A closing fence at the very end is dropped, together with the newline before it.
      const closing = this.inFence && /^\s*```\s*$/.test(this.heldLine);
      if (!closing) out += this.eol + this.heldLine;
      else if (this.keepFinalNewline) out += this.eol;
      this.heldLine = '';
      this.holdingLine = false;
    }
    return out;
  }

  private normalizeEol(chunk: string): string {
    let text = this.pendingCr ? '\r' + chunk : chunk;
    this.pendingCr = text.endsWith('\r');
    if (this.pendingCr) text = text.slice(0, -1);
    const lf = text.replace(/\r\n?/g, '\n');
    return this.eol === '\n' ? lf : lf.replace(/\n/g, '\r\n');
  }

  private stripFence(text: string): string {
    if (this.fenceClosed) return '';
    let out = '';
    if (this.atStart) {
      this.firstLine += text;
      const newline = this.firstLine.indexOf('\n');
      const maybeFence = /^\s*(`{1,3}[\w+-]*)?\s*$/.test(newline < 0 ? this.firstLine : this.firstLine.slice(0, newline));
      if (newline < 0 && maybeFence) return '';
      this.atStart = false;
      const head = this.firstLine;
      this.firstLine = '';
      if (newline >= 0 && /^\s*```[\w+-]*\s*\r?$/.test(head.slice(0, newline))) {
        this.inFence = true;
        text = head.slice(newline + 1);
      } else {
        text = head;
      }
    }
    if (!this.inFence) return out + text;
    // Inside a fence: hold the text after the last newline until it cannot be a closing fence.
    for (;;) {
      const newline = text.indexOf('\n');
      if (!this.holdingLine) {
        if (newline < 0) return out + text;
        out += text.slice(0, newline).replace(/\r$/, '');
        this.holdingLine = true;
        this.heldLine = '';
        text = text.slice(newline + 1);
        continue;
      }
      if (newline < 0) {
        this.heldLine += text;
        if (!/^\s*`{0,3}\s*$/.test(this.heldLine)) {
          out += this.eol + this.heldLine;
          this.heldLine = '';
          this.holdingLine = false;
        }
        return out;
      }
      const line = this.heldLine + text.slice(0, newline).replace(/\r$/, '');
      if (/^\s*```\s*$/.test(line)) {
        if (this.keepFinalNewline) out += this.eol;
        this.fenceClosed = true;
        this.heldLine = '';
        this.holdingLine = false;
        return out;
      }
      out += this.eol + line;
      this.heldLine = '';
      text = text.slice(newline + 1);
    }
  }
}
