import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { escapeXml } from '../text/escape-xml.js';
import { DatasetError } from './dataset-error.js';
import type { VocAnnotation, VocObject } from './types.js';

/** An element as fast-xml-parser gives it with text kept as strings: text or children by name. */
type XmlValue = string | XmlElement | XmlValue[];
interface XmlElement {
  [name: string]: XmlValue;
}

const XML_ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  parseTagValue: false, // numbers are checked here, with the element named in the error
  textNodeName: '#text',
  // `&#65;`-style references are decoded; DOCTYPE entities are refused before parsing.
  htmlEntities: true,
  isArray: (_name, jpath) => jpath === 'annotation.object',
});

/** The text of a child element (CDATA and entities decoded), or undefined when it is absent. */
function text(el: XmlElement | undefined, name: string): string | undefined {
  const value = el?.[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return undefined;
  const inner = value['#text'];
  return typeof inner === 'string' ? inner : '';
}

function element(el: XmlElement, name: string): XmlElement | undefined {
  const value = el[name];
  if (value === undefined || Array.isArray(value)) return undefined;
  // `<bndbox/>` or `<bndbox></bndbox>` parse to '': an element with no children.
  return typeof value === 'string' ? {} : value;
}

/** Reads Pascal VOC XML. Throws {@link DatasetError} `INVALID_ANNOTATION` naming `sourceName` and the fault. */
export function parseVoc(xml: string, sourceName: string): VocAnnotation {
  const fail = (why: string, cause?: unknown): never => {
    throw new DatasetError('INVALID_ANNOTATION', `Invalid VOC annotation ${sourceName}: ${why}`, {
      file: sourceName,
      cause,
    });
  };
  // A VOC file never declares a DTD; refusing one rules out entity expansion.
  if (/<!DOCTYPE/i.test(xml)) fail('a DOCTYPE is not allowed');
  // Without a DTD only XML's five named entities exist (fast-xml-parser would pass others through).
  const outsideCdata = xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->/g, '');
  for (const [entity, name] of outsideCdata.matchAll(/&([A-Za-z][\w.-]*);/g)) {
    if (!XML_ENTITIES.has(name)) fail(`Unknown entity "${entity}"`);
  }
  const valid = XMLValidator.validate(xml);
  if (valid !== true) fail(`${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  const document = parser.parse(xml) as XmlElement;
  const roots = Object.keys(document);
  if (roots.length !== 1) fail(`expected one root element, found ${roots.length}: ${roots.join(', ')}`);
  const rootName = roots[0];
  if (rootName !== 'annotation') fail(`root element is <${rootName}>, expected <annotation>`);
  const root = element(document, 'annotation') ?? fail('<annotation> is not an element');

  const number = (parent: XmlElement, name: string, where: string): number => {
    const raw = text(parent, name);
    if (raw === undefined) return fail(`missing <${name}> in ${where}`);
    const trimmed = raw.trim();
    const value = Number(trimmed);
    if (trimmed === '' || !Number.isFinite(value))
      return fail(`<${name}> in ${where} is "${trimmed}", not a number`);
    return value;
  };

  const size = element(root, 'size');
  if (!size) return fail('missing <size>');
  const width = number(size, 'width', '<size>');
  const height = number(size, 'height', '<size>');
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0) fail(`<${name}> is ${value}, expected a positive integer`);
  }

  const objects: VocObject[] = ((root.object ?? []) as XmlValue[]).map((value, i) => {
    const where = `<object> #${i + 1}`;
    const obj: XmlElement = typeof value === 'object' && !Array.isArray(value) ? value : {};
    const name = text(obj, 'name')?.trim() ?? '';
    if (!name) fail(`${where} has no <name>`);
    const box = element(obj, 'bndbox');
    if (!box) return fail(`${where} (${name}) has no <bndbox>`);
    const out: VocObject = {
      name,
      xmin: number(box, 'xmin', where),
      ymin: number(box, 'ymin', where),
      xmax: number(box, 'xmax', where),
      ymax: number(box, 'ymax', where),
    };
    if (out.xmin > out.xmax || out.ymin > out.ymax) {
      fail(`${where} (${name}) has min > max: (${out.xmin}, ${out.ymin}, ${out.xmax}, ${out.ymax})`);
    }
    if (text(obj, 'difficult')?.trim() === '1') out.difficult = true;
    return out;
  });

  const annotation: VocAnnotation = {
    // Without <filename>, name the image as Ianvs does: the XML's stem plus `.jpeg`.
    filename: text(root, 'filename')?.trim() || `${basename(sourceName).split('.')[0]}.jpeg`,
    width,
    height,
    objects,
  };
  if (text(size, 'depth') !== undefined) annotation.depth = number(size, 'depth', '<size>');
  return annotation;
}

/** Writes Pascal VOC XML (the layout labelImg and the Ianvs datasets use), text escaped. */
export function formatVoc(annotation: VocAnnotation): string {
  const lines = [
    '<annotation>',
    '  <folder>JPEGImages</folder>',
    `  <filename>${escapeXml(annotation.filename)}</filename>`,
    '  <size>',
    `    <width>${annotation.width}</width>`,
    `    <height>${annotation.height}</height>`,
    `    <depth>${annotation.depth ?? 3}</depth>`,
    '  </size>',
    '  <segmented>0</segmented>',
  ];
  for (const obj of annotation.objects) {
    lines.push(
      '  <object>',
      `    <name>${escapeXml(obj.name)}</name>`,
      '    <pose>Unspecified</pose>',
      '    <truncated>0</truncated>',
      `    <difficult>${obj.difficult ? 1 : 0}</difficult>`,
      '    <bndbox>',
      `      <xmin>${obj.xmin}</xmin>`,
      `      <ymin>${obj.ymin}</ymin>`,
      `      <xmax>${obj.xmax}</xmax>`,
      `      <ymax>${obj.ymax}</ymax>`,
      '    </bndbox>',
      '  </object>',
    );
  }
  lines.push('</annotation>', '');
  return lines.join('\n');
}

function unreadable(path: string, err: unknown): DatasetError {
  const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
  return new DatasetError(
    missing ? 'DATASET_FILE_MISSING' : 'DATASET_UNREADABLE',
    missing ? `Annotation file not found: ${path}` : `Cannot read annotation file ${path}`,
    { file: path, cause: err },
  );
}

/** Reads and parses a VOC file. */
export async function readVocFile(path: string): Promise<VocAnnotation> {
  let xml: string;
  try {
    xml = await readFile(path, 'utf8');
  } catch (err) {
    throw unreadable(path, err);
  }
  return parseVoc(xml, path);
}

/** Synchronous {@link readVocFile}, for the synchronous Ianvs metric signature. */
export function readVocFileSync(path: string): VocAnnotation {
  let xml: string;
  try {
    xml = readFileSync(path, 'utf8');
  } catch (err) {
    throw unreadable(path, err);
  }
  return parseVoc(xml, path);
}
