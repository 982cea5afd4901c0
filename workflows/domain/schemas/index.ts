/**
 * The wire contract of P2P Orchestrator, as zod schemas: scalars, the closed lists of the business,
 * the commands parties send and the views the API answers. Used by the HTTP API and the OpenAPI
 * document; workflow code imports types only.
 */
export * from './scalars';
export * from './enums';
export * from './commands';
export * from './finance';
export * from './views';
export * from './reports';
export * from './events';
export * from './finance-reports';
export * from './edi';
export * from './work-queue';
