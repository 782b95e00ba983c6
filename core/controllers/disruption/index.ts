export * from './disruption-controller.ts';
