export * from './clientEvents';
export * from './serverEvents';
export * from './codec';
