export {
  createRestHandler,
  readJson,
  multipartFiles,
  BadRequestError,
  ContractError,
  type RestDeps,
  type RestStyle,
  type RouteDef,
} from './http';
export { mlwStyle, mlwErrorResponse } from './mlw/routes';
export { cumulocityStyle, CUMULOCITY_PREFIXES } from './cumulocity/routes';
export { edgeImpulseStyle, eiErrorResponse } from './edge-impulse/routes';
export { edgeImpulseIngestionStyle, INGESTION_BASE } from './edge-impulse/ingestion';
export { trainingModuleStyle, tmErrorResponse } from './training-module/routes';
export { nodeRequestHandler, type Mount } from './node';
