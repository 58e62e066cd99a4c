import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetError, formatVoc, parseVoc, readVocFile } from '../../../lib/dataset/index.js';
import type { VocAnnotation } from '../../../lib/dataset/types.js';

const LABELIMG = `<?xml version="1.0" encoding="utf-8"?>
<!-- written by labelImg -->
<annotation verified="yes">
  <folder>JPEGImages</folder>
  <filename>x &amp; y&#46;jpeg</filename>
  <path>/tmp/x.jpeg</path>
  <source><database>Unknown</database></source>
  <size>
    <width> 800 </width>
    <height>600</height>
    <depth>3</depth>
  </size>
  <segmented>0</segmented>
  <object>
    <name>Bad_podu</name>
    <pose>Unspecified</pose>
    <truncated>0</truncated>
    <difficult>1</difficult>
    <bndbox><xmin>333</xmin><ymin>225</ymin><xmax>344</xmax><ymax>256</ymax></bndbox>
  </object>
  <object>
    <name><![CDATA[Bad_qiaojiao]]></name>
    <bndbox>
      <ymin>146</ymin><xmin>112.5</xmin><ymax>186</ymax><xmax>122</xmax>
    </bndbox>
  </object>
</annotation>
`;

describe('parseVoc', () => {
  it('reads labelImg-style VOC: declaration, comment, attributes, entities, CDATA, any child order', () => {
    expect(parseVoc(LABELIMG, 'x.xml')).toEqual({
      filename: 'x & y.jpeg',
      width: 800,
      height: 600,
      depth: 3,
      objects: [
        { name: 'Bad_podu', xmin: 333, ymin: 225, xmax: 344, ymax: 256, difficult: true },
        { name: 'Bad_qiaojiao', xmin: 112.5, ymin: 146, xmax: 122, ymax: 186 },
      ],
    });
  });

  it('reads the compact PCB-AoI layout, with and without objects', () => {
    const xml =
      '<annotation><folder>JPEGImages</folder><filename>t.jpeg</filename>\n' +
      '<size><width>600</width><height>600</height><depth>3</depth></size><segmented>0</segmented>\n</annotation>';
    expect(parseVoc(xml, 't.xml')).toEqual({
      filename: 't.jpeg',
      width: 600,
      height: 600,
      depth: 3,
      objects: [],
    });
  });

  it('names the image after the XML, as Ianvs does, when <filename> is missing', () => {
    const xml = '<annotation><size><width>10</width><height>10</height></size></annotation>';
    expect(parseVoc(xml, '/d/Annotations/img-7.xml').filename).toBe('img-7.jpeg');
  });

  it.each([
    ['not XML at all', 'garbage', /char 'g' is not expected/],
    [
      'a truncated file',
      '<annotation><size><width>10</width>',
      /Invalid '\[.*"annotation",.*"size"\]' found/,
    ],
    [
      'mismatched tags',
      '<annotation><size></sise></annotation>',
      /Expected closing tag 'size'.*instead of closing tag 'sise'/,
    ],
    ['a wrong root', '<voc></voc>', /root element is <voc>/],
    ['a missing size', '<annotation><filename>a</filename></annotation>', /missing <size>/],
    [
      'a non-numeric width',
      '<annotation><size><width>wide</width><height>1</height></size></annotation>',
      /<width>.*not a number/,
    ],
    [
      'a zero height',
      '<annotation><size><width>10</width><height>0</height></size></annotation>',
      /positive integer/,
    ],
    [
      'an object without bndbox',
      '<annotation><size><width>10</width><height>10</height></size><object><name>a</name></object></annotation>',
      /no <bndbox>/,
    ],
    [
      'an inverted box',
      '<annotation><size><width>10</width><height>10</height></size><object><name>a</name><bndbox><xmin>5</xmin><ymin>1</ymin><xmax>2</xmax><ymax>3</ymax></bndbox></object></annotation>',
      /min > max/,
    ],
    ['an unknown entity', '<annotation>&nbsp;</annotation>', /Unknown entity "&nbsp;"/],
    [
      'a DOCTYPE (entity expansion)',
      '<!DOCTYPE a [<!ENTITY e "zz">]><annotation>&e;</annotation>',
      /DOCTYPE is not allowed/,
    ],
    [
      'trailing content',
      '<annotation><size><width>1</width><height>1</height></size></annotation><x/>',
      /expected one root element, found 2: annotation, x/,
    ],
  ])('rejects %s with a DatasetError naming the file', (_what, xml, why) => {
    let error: unknown;
    try {
      parseVoc(xml, '/data/Annotations/bad.xml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DatasetError);
    expect(error).toMatchObject({ code: 'INVALID_ANNOTATION', file: '/data/Annotations/bad.xml' });
    expect((error as Error).message).toContain('/data/Annotations/bad.xml');
    expect((error as Error).message).toMatch(why);
  });
});

describe('formatVoc', () => {
  const annotation: VocAnnotation = {
    filename: 'a<b>&"c\'.jpeg',
    width: 640,
    height: 480,
    depth: 3,
    objects: [
      { name: 'Bad_podu', xmin: 1, ymin: 2, xmax: 30, ymax: 40 },
      { name: 'R&D <x>', xmin: 5, ymin: 6, xmax: 7, ymax: 8, difficult: true },
    ],
  };

  it('round-trips through parseVoc, escaping text', () => {
    const xml = formatVoc(annotation);
    expect(xml).toContain('<filename>a&lt;b&gt;&amp;&quot;c&apos;.jpeg</filename>');
    expect(parseVoc(xml, 'a.xml')).toEqual(annotation);
  });

  it('writes depth 3 when none is given and round-trips an annotation without objects', () => {
    const bare: VocAnnotation = { filename: 'e.jpeg', width: 5, height: 6, objects: [] };
    expect(parseVoc(formatVoc(bare), 'e.xml')).toEqual({ ...bare, depth: 3 });
  });
});

describe('readVocFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'voc-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads a file and names it in errors', async () => {
    await writeFile(join(dir, 'ok.xml'), LABELIMG);
    await writeFile(join(dir, 'corrupt.xml'), '<annotation><size>');
    expect((await readVocFile(join(dir, 'ok.xml'))).objects).toHaveLength(2);
    await expect(readVocFile(join(dir, 'corrupt.xml'))).rejects.toMatchObject({
      code: 'INVALID_ANNOTATION',
      message: expect.stringContaining('corrupt.xml'),
    });
    await expect(readVocFile(join(dir, 'missing.xml'))).rejects.toMatchObject({
      code: 'DATASET_FILE_MISSING',
    });
  });
});
