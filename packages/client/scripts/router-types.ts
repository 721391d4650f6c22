// Writes src/generated/router.ts: the type of the platform's tRPC router (packages/api's AppRouter) as
// plain, self-contained TypeScript, so the published client carries every procedure's input and output types
// and nothing of the server. The real AppRouter's types reach into the server's modules (Prisma's generated
// payload types, zod schemas, services); a .d.ts bundler would have to follow them into @prisma/client or
// resolve them to `any`. Here the TypeScript checker resolves each procedure's input and output to the
// structural type it finally is, and the router is rebuilt from @trpc/server's public procedure types.
// Runs before `tsc` and `tsup` (package scripts `typecheck` and `build`); prints the procedure count.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';

const here = import.meta.dirname;
const apiRoot = join(here, '../../api');
const rootFile = join(apiRoot, 'src/trpc/root.ts');
const outFile = join(here, '../src/generated/router.ts');

const configPath = join(apiRoot, 'tsconfig.json');
const config = ts.parseJsonConfigFileContent(
  ts.readConfigFile(configPath, ts.sys.readFile).config,
  ts.sys,
  apiRoot,
);
const program = ts.createProgram([rootFile], { ...config.options, noEmit: true });
const checker = program.getTypeChecker();
const source = program.getSourceFile(rootFile);
if (!source) throw new Error(`cannot read ${rootFile}`);
const moduleSymbol = checker.getSymbolAtLocation(source);
const routerSymbol =
  moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === 'AppRouter');
if (!routerSymbol) throw new Error('packages/api/src/trpc/root.ts exports no AppRouter type');
const appRouter = checker.getDeclaredTypeOfSymbol(routerSymbol);

const idOf = (type: ts.Type) => (type as unknown as { id: number }).id;
/**
 * A type's identity: instantiations of a generic alias (Jsonify<JsonObject>) are created anew at each use of
 * a recursive type, so they are known by the alias and its arguments, everything else by the checker's id.
 */
const typeId = (type: ts.Type): string =>
  type.aliasSymbol
    ? `${type.aliasSymbol.name}<${(type.aliasTypeArguments ?? []).map(idOf).join(',')}>`
    : String(idOf(type));
const prop = (type: ts.Type, name: string): ts.Type => {
  const symbol = checker.getPropertyOfType(type, name);
  if (!symbol) throw new Error(`no property ${name} on ${checker.typeToString(type)}`);
  return checker.getTypeOfSymbol(symbol);
};
/** A named interface or class of TypeScript's lib (Date, AsyncIterable): kept by name. */
const isLibType = (type: ts.Type) => {
  const symbol = type.getSymbol();
  if (!symbol || !(symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class))) return false;
  return (symbol.declarations ?? []).some((d) =>
    /[\\/]typescript[\\/]lib[\\/]lib\./.test(d.getSourceFile().fileName),
  );
};
const identifier = /^[A-Za-z_$][\w$]*$/;
const key = (name: string) => (identifier.test(name) ? name : JSON.stringify(name));
const pascal = (text: string) =>
  text.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, _s, c: string) => c.toUpperCase());

/** Hoisted declarations (shared or recursive object shapes), in the order they were finished. */
const declarations: string[] = [];
const aliasOf = new Map<string, string>();
const usedNames = new Set<string>();
const printing = new Set<string>();
const problems: string[] = [];

function reserve(type: ts.Type, hint: string): string {
  const existing = aliasOf.get(typeId(type));
  if (existing) return existing;
  // The server's own name when it has one (Jsonify<Execution> -> Execution), else one from where it was met.
  const inner = type.aliasSymbol?.name === 'Jsonify' ? type.aliasTypeArguments?.[0] : type;
  const own = inner?.aliasSymbol?.name ?? inner?.getSymbol()?.name;
  const base = own && /^[A-Z][A-Za-z0-9]*$/.test(own) && own !== 'Jsonify' ? own : pascal(hint) || 'Shape';
  let name = base;
  for (let n = 2; usedNames.has(name); n++) name = `${base}${n}`;
  usedNames.add(name);
  aliasOf.set(typeId(type), name);
  return name;
}

/** The type as self-contained TypeScript; object shapes of more than a few members become named aliases. */
let depth = 0;
function print(type: ts.Type, hint: string): string {
  if (++depth > 60)
    throw new Error(`${hint}: type nested too deeply (${checker.typeToString(type).slice(0, 200)})`);
  try {
    if (!(type.flags & (ts.TypeFlags.Union | ts.TypeFlags.Intersection | ts.TypeFlags.Object))) {
      return printType(type, hint);
    }
    // A type met again inside itself (JSON values: arrays and objects of themselves) becomes a named alias.
    const id = typeId(type);
    if (printing.has(id)) return reserve(type, hint);
    const known = aliasOf.get(id);
    if (known) return known;
    printing.add(id);
    let text: string;
    try {
      text = printType(type, hint);
    } finally {
      printing.delete(id);
    }
    const recursive = aliasOf.get(id);
    if (recursive && text !== recursive) {
      declarations.push(`export type ${recursive} = ${text};`);
      return recursive;
    }
    return text;
  } finally {
    depth--;
  }
}

function printType(type: ts.Type, hint: string): string {
  const f = type.flags;
  if (f & ts.TypeFlags.Any) {
    problems.push(`${hint}: any`);
    return 'any';
  }
  if (f & ts.TypeFlags.Unknown) return 'unknown';
  if (f & ts.TypeFlags.Never) return 'never';
  if (f & ts.TypeFlags.Void) return 'void';
  if (f & ts.TypeFlags.Undefined) return 'undefined';
  if (f & ts.TypeFlags.Null) return 'null';
  if (f & ts.TypeFlags.String) return 'string';
  if (f & ts.TypeFlags.Number) return 'number';
  if (f & ts.TypeFlags.Boolean) return 'boolean';
  if (f & ts.TypeFlags.BigInt) return 'bigint';
  if (f & ts.TypeFlags.ESSymbolLike) return 'symbol';
  if (f & ts.TypeFlags.BooleanLiteral) return checker.typeToString(type);
  if (type.isStringLiteral()) return JSON.stringify(type.value);
  if (type.isNumberLiteral()) return String(type.value);
  if (f & ts.TypeFlags.BigIntLiteral) return checker.typeToString(type);
  if (f & ts.TypeFlags.TemplateLiteral) return checker.typeToString(type);
  if (type.isUnion()) {
    const parts = [...new Set(type.types.map((t) => print(t, hint)))];
    // `true | false` as TypeScript writes it back.
    const hasTrue = parts.includes('true');
    const hasFalse = parts.includes('false');
    const rest = parts.filter((p) => !(hasTrue && hasFalse && (p === 'true' || p === 'false')));
    return (hasTrue && hasFalse ? ['boolean', ...rest] : rest).map(paren).join(' | ');
  }
  if (type.isIntersection()) return type.types.map((t) => paren(print(t, hint))).join(' & ');
  if (f & ts.TypeFlags.NonPrimitive) return 'object';
  if (f & ts.TypeFlags.Object) return printObject(type as ts.ObjectType, hint);
  problems.push(`${hint}: unsupported ${checker.typeToString(type)}`);
  return 'unknown';
}

/** The text in parentheses when it has a top-level `|` or `&` (inside an array or another union's member). */
function paren(text: string): string {
  let depth = 0;
  let quote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === '"') quote = false;
    } else if (c === '"') quote = true;
    else if ('{[(<'.includes(c)) depth++;
    else if ('}])>'.includes(c)) depth--;
    else if (depth === 0 && (c === '|' || c === '&')) return `(${text})`;
  }
  return text;
}

function printObject(type: ts.ObjectType, hint: string): string {
  if (checker.isArrayType(type)) {
    const [element] = checker.getTypeArguments(type as ts.TypeReference);
    const readonly = type.getSymbol()?.name === 'ReadonlyArray' ? 'readonly ' : '';
    return `${readonly}${paren(print(element!, hint))}[]`;
  }
  if (checker.isTupleType(type)) {
    return `[${checker
      .getTypeArguments(type as ts.TypeReference)
      .map((t) => print(t, hint))
      .join(', ')}]`;
  }
  if (isLibType(type)) {
    const name = type.getSymbol()!.name;
    const args =
      type.flags & ts.TypeFlags.Object && (type as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference
        ? checker.getTypeArguments(type as ts.TypeReference)
        : [];
    // A lib type's own `any` defaults (AsyncIterable<T, TReturn = any, TNext = any>) are kept as they are.
    const arg = (t: ts.Type) => (t.flags & ts.TypeFlags.Any ? 'any' : print(t, hint));
    return args.length ? `${name}<${args.map(arg).join(', ')}>` : name;
  }
  if (type.getCallSignatures().length) problems.push(`${hint}: function type`);
  const members: string[] = [];
  for (const info of checker.getIndexInfosOfType(type)) {
    members.push(`[key: ${print(info.keyType, hint)}]: ${print(info.type, `${hint}Value`)};`);
  }
  for (const symbol of checker.getPropertiesOfType(type)) {
    const optional = symbol.flags & ts.SymbolFlags.Optional ? '?' : '';
    const value = print(checker.getTypeOfSymbol(symbol), `${hint} ${symbol.name}`);
    members.push(`${key(symbol.name)}${optional}: ${value};`);
  }
  const body = members.length ? `{ ${members.join(' ')} }` : '{}';
  if (aliasOf.has(typeId(type)) || (members.length <= 4 && body.length < 160)) return body;
  // A larger shape is declared once and named (print() returns the name from then on).
  const name = reserve(type, hint);
  declarations.push(`export type ${name} = ${body};`);
  return name;
}

/** The router record as @trpc/server's public procedure types, with every input and output printed. */
function printRecord(record: ts.Type, path: string[], indent: string): { text: string; count: number } {
  let count = 0;
  const lines: string[] = [];
  for (const symbol of checker.getPropertiesOfType(record)) {
    const value = checker.getTypeOfSymbol(symbol);
    const here = [...path, symbol.name];
    const def = checker.getPropertyOfType(value, '_def');
    if (def && checker.getPropertyOfType(checker.getTypeOfSymbol(def), 'procedure')) {
      const defType = checker.getTypeOfSymbol(def);
      const kind = checker.typeToString(prop(defType, 'type')).replace(/"/g, '');
      const types = prop(defType, '$types');
      const input = print(prop(types, 'input'), `${here.join(' ')} input`);
      const output = print(prop(types, 'output'), `${here.join(' ')} output`);
      const wrapper = {
        query: 'TRPCQueryProcedure',
        mutation: 'TRPCMutationProcedure',
        subscription: 'TRPCSubscriptionProcedure',
      }[kind];
      if (!wrapper) throw new Error(`${here.join('.')}: unknown procedure type ${kind}`);
      lines.push(
        `${indent}${key(symbol.name)}: ${wrapper}<{ input: ${input}; output: ${output}; meta: object }>;`,
      );
      count++;
    } else {
      const nested = printRecord(value, here, `${indent}  `);
      lines.push(`${indent}${key(symbol.name)}: {\n${nested.text}\n${indent}};`);
      count += nested.count;
    }
  }
  return { text: lines.join('\n'), count };
}

const record = prop(prop(appRouter, '_def'), 'record');
const { text, count } = printRecord(record, [], '  ');
if (problems.length) {
  throw new Error(`router types that cannot be carried to the client:\n  ${problems.join('\n  ')}`);
}
const out = `// Generated by packages/client/scripts/router-types.ts from packages/api's AppRouter: do not edit.
import type {
  TRPCBuiltRouter,
  TRPCDefaultErrorShape,
  TRPCMutationProcedure,
  TRPCQueryProcedure,
  TRPCSubscriptionProcedure,
} from '@trpc/server';

${declarations.join('\n\n')}

/** The platform's tRPC router: every procedure with its input and output (${count} procedures). */
export type AppRouter = TRPCBuiltRouter<
  { ctx: object; meta: object; errorShape: TRPCDefaultErrorShape; transformer: false },
  {
${text}
  }
>;
`;
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, out);
console.log(`router-types: ${count} procedures, ${declarations.length} shared shapes -> ${outFile}`);
