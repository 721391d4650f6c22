// The response models of Edge Impulse's official Node bindings (npm `edge-impulse-api`, generated from Edge
// Impulse's OpenAPI), read from the package's .d.ts files with the TypeScript compiler, and a validator that
// checks a JSON answer against them: every required field present, every value of the declared JSON type
// (string, number, boolean, array, object; enum members; dates as ISO strings). Used by
// edge-impulse-fields.test.ts and the whole-platform bindings test.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';

const require = createRequire(import.meta.url);
const packageRoot = dirname(require.resolve('edge-impulse-api/package.json'));

let loaded: { checker: ts.TypeChecker; apis: Map<string, ts.Type> } | undefined;

function load() {
  if (loaded) return loaded;
  const entry = join(packageRoot, 'build/library/api.d.ts');
  const program = ts.createProgram([entry], { noEmit: true, skipLibCheck: true, strict: true, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (!source) throw new Error(`cannot read ${entry}`);
  let cls: ts.ClassDeclaration | undefined;
  source.forEachChild((node) => {
    if (ts.isClassDeclaration(node) && node.name?.text === 'EdgeImpulseApi') cls = node;
  });
  if (!cls) throw new Error('EdgeImpulseApi not found in the bindings');
  const apis = new Map<string, ts.Type>();
  for (const member of cls.members) {
    if (!ts.isPropertyDeclaration(member) || !member.name || !ts.isIdentifier(member.name)) continue;
    const type = checker.getTypeAtLocation(member);
    if (type.getProperties().length) apis.set(member.name.text, type);
  }
  loaded = { checker, apis };
  return loaded;
}

export interface ModelRef {
  /** e.g. `jobs.listActiveJobs` */
  binding: string;
  /** e.g. `ListJobsResponse` */
  typeName: string;
  type: ts.Type;
}

/** The bindings' method for an Edge Impulse operationId and the model its promise resolves to, or null. */
export function responseModel(operationId: string): ModelRef | null {
  const { checker, apis } = load();
  for (const [apiName, apiType] of apis) {
    const method = apiType.getProperty(operationId);
    if (!method?.valueDeclaration) continue;
    const signature = checker
      .getTypeOfSymbolAtLocation(method, method.valueDeclaration)
      .getCallSignatures()[0];
    if (!signature) continue;
    const returned = signature.getReturnType();
    const inner =
      returned.getSymbol()?.getName() === 'Promise'
        ? checker.getTypeArguments(returned as ts.TypeReference)[0]
        : returned;
    if (!inner) continue;
    return { binding: `${apiName}.${operationId}`, typeName: checker.typeToString(inner), type: inner };
  }
  return null;
}

/** Required property names of a model type (for reports). */
export function requiredFields(type: ts.Type): string[] {
  return type
    .getProperties()
    .filter((p) => !(p.flags & ts.SymbolFlags.Optional))
    .map((p) => p.getName());
}

/**
 * Problems of `value` against `type`: `path: missing required field` and `path: expected ...`. Empty when
 * it matches. Unions are matched member by member; `Date` fields must be ISO-8601 strings (the bindings turn
 * them into Dates); `any`/`unknown` accept anything.
 */
export function validate(value: unknown, type: ts.Type, path = '$', depth = 0): string[] {
  const { checker } = load();
  if (depth > 30) return [];
  const flags = type.getFlags();
  if (flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return [];
  if (type.isUnion()) {
    const members = type.types;
    if (value === null && members.some((t) => t.getFlags() & ts.TypeFlags.Null)) return [];
    if (value === undefined && members.some((t) => t.getFlags() & ts.TypeFlags.Undefined)) return [];
    const candidates = members.filter((t) => !(t.getFlags() & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
    // A union of only literals/booleans (an enum): one member must match.
    let best: string[] | null = null;
    for (const member of candidates) {
      const problems = validate(value, member, path, depth + 1);
      if (problems.length === 0) return [];
      if (!best || problems.length < best.length) best = problems;
    }
    if (candidates.every((t) => t.isLiteral() || t.getFlags() & ts.TypeFlags.BooleanLiteral))
      return [`${path}: ${JSON.stringify(value)} is not one of ${checker.typeToString(type)}`];
    return best ?? [];
  }
  if (value === null || value === undefined)
    return [`${path}: expected ${checker.typeToString(type)}, got ${value}`];
  if (type.isStringLiteral() || type.isNumberLiteral())
    return value === type.value ? [] : [`${path}: expected ${JSON.stringify(type.value)}`];
  if (flags & ts.TypeFlags.BooleanLiteral) {
    const want = checker.typeToString(type) === 'true';
    return value === want ? [] : [`${path}: expected ${want}`];
  }
  if (flags & ts.TypeFlags.StringLike) return typeof value === 'string' ? [] : [`${path}: expected a string`];
  if (flags & ts.TypeFlags.NumberLike) return typeof value === 'number' ? [] : [`${path}: expected a number`];
  if (flags & ts.TypeFlags.BooleanLike)
    return typeof value === 'boolean' ? [] : [`${path}: expected a boolean`];
  if (type.getSymbol()?.getName() === 'Date') {
    // On the wire an ISO-8601 string; the bindings hand callers a Date.
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? [`${path}: invalid Date`] : [];
    return typeof value === 'string' && !Number.isNaN(Date.parse(value))
      ? []
      : [`${path}: expected an ISO-8601 date string`];
  }
  if (checker.isArrayType(type)) {
    if (!Array.isArray(value)) return [`${path}: expected an array`];
    const item = checker.getTypeArguments(type as ts.TypeReference)[0];
    return item ? value.flatMap((v, i) => validate(v, item, `${path}[${i}]`, depth + 1)) : [];
  }
  if (flags & ts.TypeFlags.Object || type.isIntersection()) {
    if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected an object`];
    const record = value as Record<string, unknown>;
    const problems: string[] = [];
    for (const prop of checker.getPropertiesOfType(type)) {
      const name = prop.getName();
      const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
      if (record[name] === undefined) {
        if (!optional) problems.push(`${path}.${name}: missing required field`);
        continue;
      }
      problems.push(...validate(record[name], checker.getTypeOfSymbol(prop), `${path}.${name}`, depth + 1));
    }
    const index = checker.getIndexInfosOfType(type)[0];
    if (index) {
      for (const [k, v] of Object.entries(record)) {
        if (checker.getPropertyOfType(type, k)) continue;
        problems.push(...validate(v, index.type, `${path}.${k}`, depth + 1));
      }
    }
    return problems;
  }
  return [];
}

/** Problems of an answer of an Edge Impulse operation against the bindings' model; throws for unknown ops. */
export function checkResponse(operationId: string, body: unknown): string[] {
  const model = responseModel(operationId);
  if (!model) throw new Error(`no Edge Impulse binding has an operation ${operationId}`);
  return validate(body, model.type, model.typeName);
}

/** The type checker the models were read with (for reports). */
export function modelChecker(): ts.TypeChecker {
  return load().checker;
}
