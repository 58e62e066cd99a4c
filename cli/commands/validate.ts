import { readFile } from 'node:fs/promises';
import { parseFlags } from '../../lib/cli/args.js';
import { UsageError } from '../../lib/errors/index.js';
import { displayPath, validateYamlText, type DocumentResult } from '../../lib/validation/index.js';

export const usage = `Usage: edge-stl validate FILE.yaml... [--json]

Checks SingleTaskLearningJob resources (multi-document YAML allowed; "-" reads stdin) against the
CRD's openAPIV3Schema and the semantic rules. Prints "FILE: path: message" for every error, or
"FILE: valid"; exits 1 when any document is invalid, 0 when all are valid.

Options:
  --json    print only JSON, one object per line and file: { file, valid, documents: [{ document,
            name, errors }] }, plus "error" when the file cannot be read`;

/** `edge-stl validate`: validates the files and prints every error with its path. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('expects at least one FILE.yaml');
  let failed = false;
  for (const file of positionals) {
    const read = await readInput(file);
    if ('error' in read) {
      failed = true;
      if (values.json) console.log(JSON.stringify({ file, valid: false, error: read.error, documents: [] }));
      else console.log(`${file}: ${read.error}`);
      continue;
    }
    const text = read.text;
    const results = validateYamlText(text, file);
    const valid = results.every((r) => r.errors.length === 0);
    failed ||= !valid;
    if (values.json) console.log(JSON.stringify({ file, valid, documents: results }));
    else printResults(file, results, valid);
  }
  return failed ? 1 : 0;
}

function printResults(file: string, results: DocumentResult[], valid: boolean): void {
  if (valid) {
    console.log(`${file}: valid`);
    return;
  }
  for (const r of results) {
    // With several documents, say which one: FILE#2 (name).
    const where = results.length > 1 ? `${file}#${r.document}${r.name ? ` (${r.name})` : ''}` : file;
    for (const e of r.errors) console.log(`${where}: ${displayPath(e.path)}: ${e.message}`);
  }
}

/** The file's text, or why it cannot be read (the other files still run). */
async function readInput(file: string): Promise<{ text: string } | { error: string }> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return { text: Buffer.concat(chunks).toString('utf8') };
  }
  try {
    return { text: await readFile(file, 'utf8') };
  } catch (err) {
    return { error: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
}
