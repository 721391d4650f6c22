// Writes src/generated/router.ts: the type of the platform's tRPC router (packages/api's AppRouter) as
// plain, self-contained TypeScript, so the published client carries every procedure's input and output types
// and nothing of the server. The real AppRouter's types reach into the server's modules (Prisma's generated
// payload types, zod schemas, services); a .d.ts bundler would have to follow them into @prisma/client or
// resolve them to `any`. Here the TypeScript checker resolves each procedure's input and output to the
// structural type it finally is, and the router is rebuilt from @trpc/server's public procedure types.
// Runs before `tsc` and `tsup` (package scripts `typecheck` and `build`); prints the procedure count.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const here = import.meta.dirname;
const apiRoot = join(here, '../../api');
const rootFile = join(apiRoot, 'src/trpc/root.ts');
const outDir = join(here, '../src/generated');

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
 * A type's identity: instantiations of a generic alias (Record<string, X>) are created anew at each use of
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
  // The server's own name when it has one (Execution), else one from where it was met.
  const own = type.aliasSymbol?.name ?? type.getSymbol()?.name;
  const base = own && /^[A-Z][A-Za-z0-9]*$/.test(own) ? own : pascal(hint) || 'Shape';
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
  // An interface that only extends an array (Prisma's `JsonArray extends Array<JsonValue>`) is that array.
  const bases = type.isClassOrInterface() ? (checker.getBaseTypes(type) ?? []) : [];
  if (
    bases.length === 1 &&
    checker.isArrayType(bases[0]!) &&
    checker.getPropertiesOfType(type).length === checker.getPropertiesOfType(bases[0]!).length
  ) {
    return print(bases[0]!, hint);
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
    // A property that may be undefined (or unknown) is optional, as over JSON (tRPC's client types and zod's
    // input types say the same).
    const type = checker.getTypeOfSymbol(symbol);
    const mayBeUndefined = [type, ...(type.isUnion() ? type.types : [])].some(
      (t) => t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Unknown | ts.TypeFlags.Any),
    );
    const optional = symbol.flags & ts.SymbolFlags.Optional || mayBeUndefined ? '?' : '';
    const value = print(type, `${hint} ${symbol.name}`);
    members.push(`${key(symbol.name)}${optional}: ${value};`);
  }
  const body = members.length ? `{ ${members.join(' ')} }` : '{}';
  if (aliasOf.has(typeId(type)) || (members.length <= 4 && body.length < 160)) return body;
  // A larger shape is declared once and named (print() returns the name from then on).
  const name = reserve(type, hint);
  declarations.push(`export type ${name} = ${body};`);
  return name;
}

/** The yielded type of a subscription's AsyncIterable output (what the client's onData receives). */
function yieldOf(output: ts.Type, where: string): ts.Type {
  if (
    output.flags & ts.TypeFlags.Object &&
    (output as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference
  ) {
    const [first] = checker.getTypeArguments(output as ts.TypeReference);
    if (first && /^Async(Iterable|Generator|IterableIterator)$/.test(output.getSymbol()?.name ?? ''))
      return first;
  }
  throw new Error(
    `${where}: a subscription's output is not an AsyncIterable (${checker.typeToString(output)})`,
  );
}

/** Whether the input may be left out (`undefined`/`void` in it): the client's parameter is optional then. */
const optionalInput = (input: ts.Type) =>
  [input, ...(input.isUnion() ? input.types : [])].some(
    (t) => t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void),
  );

interface Printed {
  /** The record as @trpc/server's procedure types (for the workspace check that it equals the server's). */
  router: string;
  /** The record as the client's call signatures (what the published package declares). */
  api: string;
  count: number;
}

function printRecord(record: ts.Type, path: string[], indent: string): Printed {
  let count = 0;
  const router: string[] = [];
  const api: string[] = [];
  for (const symbol of checker.getPropertiesOfType(record)) {
    const value = checker.getTypeOfSymbol(symbol);
    const here = [...path, symbol.name];
    const def = checker.getPropertyOfType(value, '_def');
    if (def && checker.getPropertyOfType(checker.getTypeOfSymbol(def), 'procedure')) {
      const defType = checker.getTypeOfSymbol(def);
      const kind = checker.typeToString(prop(defType, 'type')).replace(/"/g, '');
      const types = prop(defType, '$types');
      const inputType = prop(types, 'input');
      const outputType = prop(types, 'output');
      const input = print(inputType, `${here.join(' ')} input`);
      const output = print(outputType, `${here.join(' ')} output`);
      const wrapper = {
        query: 'TRPCQueryProcedure',
        mutation: 'TRPCMutationProcedure',
        subscription: 'TRPCSubscriptionProcedure',
      }[kind];
      if (!wrapper) throw new Error(`${here.join('.')}: unknown procedure type ${kind}`);
      router.push(
        `${indent}${key(symbol.name)}: ${wrapper}<{ input: ${input}; output: ${output}; meta: object }>;`,
      );
      const callInput = optionalInput(inputType) && input !== 'void' ? `${input} | void` : input;
      const callOutput =
        kind === 'subscription'
          ? print(yieldOf(outputType, here.join('.')), `${here.join(' ')} event`)
          : output;
      const docs = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
      if (docs) api.push(`${indent}/** ${docs.replace(/\*\//g, '*\\/').replace(/\n/g, `\n${indent} * `)} */`);
      api.push(`${indent}${key(symbol.name)}: ${pascal(kind)}<${callInput}, ${callOutput}>;`);
      count++;
    } else {
      const nested = printRecord(value, here, `${indent}  `);
      router.push(`${indent}${key(symbol.name)}: {\n${nested.router}\n${indent}};`);
      api.push(`${indent}${key(symbol.name)}: {\n${nested.api}\n${indent}};`);
      count += nested.count;
    }
  }
  return { router: router.join('\n'), api: api.join('\n'), count };
}

const record = prop(prop(appRouter, '_def'), 'record');
const { router, api, count } = printRecord(record, [], '  ');
if (problems.length) {
  throw new Error(`router types that cannot be carried to the client:\n  ${problems.join('\n  ')}`);
}
const header = `// Generated by packages/client/scripts/router-types.ts from packages/api's AppRouter: do not edit.`;
const shapes = `${header}
import type { Mutation, Query, Subscription } from '../procedures';

${declarations.join('\n\n')}

/** Every tRPC procedure of the platform as the client calls it (${count} procedures). */
export interface TrainhubApi {
${api}
}
`;
const names = declarations.map((d) => /^export type (\w+)/.exec(d)![1]!);
const routerFile = `${header}
// The same procedures as @trpc/server's router type: the client's runtime type parameter, and what the
// workspace typecheck compares with the server's own AppRouter (test/router-types.check.ts).
import type {
  TRPCBuiltRouter,
  TRPCDefaultErrorShape,
  TRPCMutationProcedure,
  TRPCQueryProcedure,
  TRPCSubscriptionProcedure,
} from '@trpc/server';
import type {
${names.map((n) => `  ${n},`).join('\n')}
} from './api';

export type AppRouter = TRPCBuiltRouter<
  { ctx: object; meta: object; errorShape: TRPCDefaultErrorShape; transformer: true },
  {
${router}
  }
>;
`;
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'api.ts'), shapes);
writeFileSync(join(outDir, 'router.ts'), routerFile);
console.log(`router-types: ${count} procedures, ${declarations.length} shared shapes -> ${outDir}`);
