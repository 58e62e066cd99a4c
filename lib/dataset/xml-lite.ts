/**
 * A small, strict XML reader for the subset Pascal VOC files use: elements, attributes, text,
 * character/entity references, comments, processing instructions, a DOCTYPE and CDATA. No
 * namespaces, no external entities (nothing is ever fetched). Enough to read every VOC tool's
 * output without pulling in a heavy dependency.
 */

/** One element: its name, attributes, child elements in document order, and its own text. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element (entities decoded, not trimmed). */
  text: string;
}

/** Thrown by {@link parseXml}; `offset` is the character position of the fault. */
export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes `&lt;`-style and numeric references; an unknown entity is a syntax error. */
function decodeEntities(raw: string, offset: number): string {
  return raw.replace(/&([^;&\s]*);?/g, (match, body: string) => {
    if (!match.endsWith(';')) throw new XmlSyntaxError(`Unterminated entity reference "${match}"`, offset);
    if (body.startsWith('#x') || body.startsWith('#X'))
      return codePoint(parseInt(body.slice(2), 16), match, offset);
    if (body.startsWith('#')) return codePoint(parseInt(body.slice(1), 10), match, offset);
    const named = PREDEFINED[body];
    if (named === undefined) throw new XmlSyntaxError(`Unknown entity "${match}"`, offset);
    return named;
  });
}

function codePoint(value: number, match: string, offset: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0x10ffff) {
    throw new XmlSyntaxError(`Invalid character reference "${match}"`, offset);
  }
  return String.fromCodePoint(value);
}

/** Cursor over the document; every method advances `pos` or throws. */
class Reader {
  pos = 0;
  constructor(readonly src: string) {}

  fail(message: string): never {
    throw new XmlSyntaxError(message, this.pos);
  }

  startsWith(token: string): boolean {
    return this.src.startsWith(token, this.pos);
  }

  skipWhitespace(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos += 1;
  }

  /** Skips up to and including `terminator`. */
  skipPast(terminator: string, what: string): string {
    const end = this.src.indexOf(terminator, this.pos);
    if (end === -1) this.fail(`Unterminated ${what}`);
    const body = this.src.slice(this.pos, end);
    this.pos = end + terminator.length;
    return body;
  }

  name(): string {
    NAME.lastIndex = this.pos;
    const match = NAME.exec(this.src);
    if (!match) this.fail('Expected a name');
    this.pos += match[0].length;
    return match[0];
  }

  /** Comments, processing instructions and DOCTYPE between elements. Returns false when none. */
  skipMisc(): boolean {
    if (this.startsWith('<!--')) {
      this.pos += 4;
      this.skipPast('-->', 'comment');
      return true;
    }
    if (this.startsWith('<?')) {
      this.pos += 2;
      this.skipPast('?>', 'processing instruction');
      return true;
    }
    if (this.startsWith('<!DOCTYPE')) {
      // An internal subset could declare entities; VOC files never have one, so refuse it.
      const body = this.skipPast('>', 'DOCTYPE');
      if (body.includes('[')) this.fail('DOCTYPE internal subsets are not supported');
      return true;
    }
    return false;
  }

  attributes(): Record<string, string> {
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = this.pos;
      this.skipWhitespace();
      if (this.startsWith('>') || this.startsWith('/>')) return attributes;
      if (this.pos === before) this.fail('Expected whitespace before an attribute');
      const key = this.name();
      this.skipWhitespace();
      if (!this.startsWith('=')) this.fail(`Expected "=" after attribute "${key}"`);
      this.pos += 1;
      this.skipWhitespace();
      const quote = this.src[this.pos];
      if (quote !== '"' && quote !== "'") this.fail(`Expected a quoted value for attribute "${key}"`);
      this.pos += 1;
      const start = this.pos;
      const raw = this.skipPast(quote, `value of attribute "${key}"`);
      if (raw.includes('<')) throw new XmlSyntaxError(`"<" in the value of attribute "${key}"`, start);
      if (key in attributes) this.fail(`Duplicate attribute "${key}"`);
      attributes[key] = decodeEntities(raw, start);
    }
  }

  /** Reads one element starting at `<name`. Iterative, so deep nesting cannot overflow the stack. */
  element(): XmlElement {
    const stack: XmlElement[] = [];
    let root: XmlElement | undefined;
    const open = (): void => {
      this.pos += 1;
      const el: XmlElement = { name: this.name(), attributes: this.attributes(), children: [], text: '' };
      stack.at(-1)?.children.push(el);
      root ??= el;
      if (this.startsWith('/>')) this.pos += 2;
      else {
        this.pos += 1;
        stack.push(el);
      }
    };
    open();
    while (stack.length > 0) {
      const current = stack.at(-1)!;
      if (this.pos >= this.src.length) this.fail(`Unclosed element <${current.name}>`);
      if (this.startsWith('</')) {
        this.pos += 2;
        const name = this.name();
        if (name !== current.name) this.fail(`Expected </${current.name}> but found </${name}>`);
        this.skipWhitespace();
        if (!this.startsWith('>')) this.fail(`Expected ">" to close </${name}>`);
        this.pos += 1;
        stack.pop();
      } else if (this.startsWith('<![CDATA[')) {
        this.pos += 9;
        current.text += this.skipPast(']]>', 'CDATA section');
      } else if (this.skipMisc()) {
        continue;
      } else if (this.startsWith('<')) {
        open();
      } else {
        const start = this.pos;
        const end = this.src.indexOf('<', this.pos);
        this.pos = end === -1 ? this.src.length : end;
        current.text += decodeEntities(this.src.slice(start, this.pos), start);
      }
    }
    return root!;
  }
}

/** Parses a whole document and returns its root element. Throws {@link XmlSyntaxError}. */
export function parseXml(source: string): XmlElement {
  const reader = new Reader(source.charCodeAt(0) === 0xfeff ? source.slice(1) : source);
  for (;;) {
    reader.skipWhitespace();
    if (!reader.skipMisc()) break;
  }
  if (!reader.startsWith('<')) reader.fail('Expected the root element');
  const root = reader.element();
  for (;;) {
    reader.skipWhitespace();
    if (!reader.skipMisc()) break;
  }
  if (reader.pos < reader.src.length) reader.fail('Content after the root element');
  return root;
}

/** Escapes text for element content or a double-quoted attribute value. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
