import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { DatasetError } from './dataset-error.js';
import type { VocAnnotation, VocObject } from './types.js';
import { escapeXml, parseXml, XmlSyntaxError, type XmlElement } from './xml-lite.js';

function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** Reads Pascal VOC XML. Throws {@link DatasetError} `INVALID_ANNOTATION` naming `sourceName` and the fault. */
export function parseVoc(xml: string, sourceName: string): VocAnnotation {
  const fail = (why: string, cause?: unknown): never => {
    throw new DatasetError('INVALID_ANNOTATION', `Invalid VOC annotation ${sourceName}: ${why}`, {
      file: sourceName,
      cause,
    });
  };
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (err) {
    if (err instanceof XmlSyntaxError) return fail(`${err.message} at character ${err.offset}`, err);
    throw err;
  }
  if (root.name !== 'annotation') fail(`root element is <${root.name}>, expected <annotation>`);

  const number = (parent: XmlElement, name: string, where: string): number => {
    const el = child(parent, name);
    if (!el) return fail(`missing <${name}> in ${where}`);
    const text = el.text.trim();
    const value = Number(text);
    if (text === '' || !Number.isFinite(value))
      return fail(`<${name}> in ${where} is "${text}", not a number`);
    return value;
  };

  const size = child(root, 'size');
  if (!size) return fail('missing <size>');
  const width = number(size, 'width', '<size>');
  const height = number(size, 'height', '<size>');
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0) fail(`<${name}> is ${value}, expected a positive integer`);
  }
  const depthEl = child(size, 'depth');
  const filenameEl = child(root, 'filename');

  const objects: VocObject[] = root.children
    .filter((c) => c.name === 'object')
    .map((obj, i) => {
      const where = `<object> #${i + 1}`;
      const name = child(obj, 'name')?.text.trim() ?? '';
      if (!name) fail(`${where} has no <name>`);
      const box = child(obj, 'bndbox');
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
      if (child(obj, 'difficult')?.text.trim() === '1') out.difficult = true;
      return out;
    });

  const annotation: VocAnnotation = {
    // Without <filename>, name the image as Ianvs does: the XML's stem plus `.jpeg`.
    filename: filenameEl?.text.trim() || `${basename(sourceName).split('.')[0]}.jpeg`,
    width,
    height,
    objects,
  };
  if (depthEl) annotation.depth = number(size, 'depth', '<size>');
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
