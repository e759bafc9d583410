export * from './errors/index.js';
export * from './transport/index.js';
export * from './headers/index.js';
export * from './cors/index.js';
export * from './input/index.js';
export * from './audit/index.js';
export * from './config/index.js';
export * from './auth/index.js';
