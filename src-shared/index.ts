/** src-shared: the contract between processes. Pure TypeScript: imports nothing from node, electron, DOM or packages. */
export * from './geometry';
export * from './errors';
export * from './volume';
export * from './labels';
export * from './services';
export * from './protocol';
export * from './desktop';
export * from './simd';
