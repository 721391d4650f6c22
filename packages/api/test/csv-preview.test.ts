import { describe, expect, it } from 'vitest';
import { previewCsv } from '../src/services/csv-preview';

describe('previewCsv', () => {
  it('reads quoted fields, a BOM, CRLF and skips empty lines', () => {
    const preview = previewCsv('\uFEFFa,b,label\r\n1,2,"x, y"\r\n\r\n3,4,"two\nlines"\r\n', {
      complete: true,
    });
    expect(preview).toEqual({
      header: ['a', 'b', 'label'],
      rows: [
        ['1', '2', 'x, y'],
        ['3', '4', 'two\nlines'],
      ],
      rowCount: 2,
    });
  });

  it('leaves out a cut-off last row of a file head, but not of a whole file', () => {
    const head = 'a,b\n1,2\n3,4\n5,';
    expect(previewCsv(head)).toMatchObject({
      rowCount: 2,
      rows: [
        ['1', '2'],
        ['3', '4'],
      ],
    });
    expect(previewCsv(head, { complete: true })).toMatchObject({ rowCount: 3 });
    expect(previewCsv('a,b\n1,2\n')).toMatchObject({ rowCount: 1 });
  });

  it('keeps at most maxRows rows but counts them all; empty text has no preview', () => {
    const text = `a,b\n${Array.from({ length: 50 }, (_, i) => `${i},${i}`).join('\n')}\n`;
    const preview = previewCsv(text, { maxRows: 5 });
    expect(preview?.rows).toHaveLength(5);
    expect(preview?.rowCount).toBe(50);
    expect(previewCsv('')).toBeNull();
    expect(previewCsv('\n\n')).toBeNull();
  });
});
