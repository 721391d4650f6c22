export {
  createRestHandler,
  readJson,
  multipartFiles,
  BadRequestError,
  ContractError,
  route,
  type AuthMode,
  type RestDeps,
  type RestStyle,
  type RouteDef,
  type RouteInput,
} from './http';
export { mlwStyle, mlwErrorResponse } from './mlw/routes';
export { cumulocityStyle, CUMULOCITY_PREFIXES } from './cumulocity/routes';
export { edgeImpulseStyle, eiErrorResponse } from './edge-impulse/routes';
export { edgeImpulseIngestionStyle, INGESTION_BASE } from './edge-impulse/ingestion';
export { trainingModuleStyle, tmErrorResponse } from './training-module/routes';
export { nodeRequestHandler, type Mount } from './node';
