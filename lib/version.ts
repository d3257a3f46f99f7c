import { version } from '../package.json';

/**
 * Propeller's version, as package.json holds it: one place to bump, read by the
 * banner of `npm start` and `npm run cluster`, `/healthz` and the
 * `propeller_build_info` metric. Workflow code never imports it: the bundle
 * would carry package.json, and a workflow must not behave by build.
 */
export const PROPELLER_VERSION: string = version;

/** The banner's first line: `Propeller 1.0.0 is running.`, or `... is running on a Temporal cluster.` */
export const runningLine = (where?: string) => `Propeller ${PROPELLER_VERSION} is running${where ? ` ${where}` : ''}.`;
