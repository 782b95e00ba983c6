export * from './cronjob-controller.ts';
export * from './schedule.ts';
