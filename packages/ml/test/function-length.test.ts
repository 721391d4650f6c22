import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// Issue 15 (5): packages/ml as small parts. Every function in packages/ml/src (declarations, methods, arrow
// functions, accessors) spans at most MAX_LINES lines, counted from its first token to its closing brace.
const MAX_LINES = 80;
const SRC = path.resolve(__dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Every function with a body in `file`: where it starts and how many lines it spans. */
function functionLengths(
  file: string,
  text = readFileSync(file, 'utf8'),
): { where: string; lines: number }[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: { where: string; lines: number }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name =
        node.name?.getText(sf) ??
        (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(sf) : '(anonymous)');
      found.push({ where: `${path.relative(SRC, file)}:${start + 1} ${name}`, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe('packages/ml/src as small parts', () => {
  it(`has no function longer than ${MAX_LINES} lines`, () => {
    const all = sourceFiles(SRC).flatMap((file) => functionLengths(file));
    expect(all.length).toBeGreaterThan(100); // the scan sees the package, not an empty folder
    const long = all.filter((f) => f.lines > MAX_LINES).map((f) => `${f.where}: ${f.lines} lines`);
    expect(long).toEqual([]);
  });

  it('measures functions, methods and arrow functions from first token to closing brace', () => {
    const body = Array.from({ length: MAX_LINES }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const text = `function probe() {\n${body}\n}\nclass C {\n  m() {\n    return 1;\n  }\n}\nconst f = () => {\n  return 2;\n};\n`;
    const lengths = functionLengths(path.join(SRC, 'probe.ts'), text);
    expect(lengths).toEqual([
      { where: 'probe.ts:1 probe', lines: MAX_LINES + 2 },
      { where: `probe.ts:${MAX_LINES + 4} m`, lines: 3 },
      { where: `probe.ts:${MAX_LINES + 8} f`, lines: 3 },
    ]);
  });
});
