import fs from 'node:fs';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { temporalAddress, type Config } from './config';

export interface TemporalHandle {
  connection: Connection;
  client: Client;
}

/** The connection options the client and the worker share (address, TLS, API key). */
export function temporalConnectionOptions(config: Config) {
  const { apiKey, tls } = config.temporal;
  return {
    address: temporalAddress(config),
    apiKey,
    tls: tls
      ? { clientCertPair: { crt: fs.readFileSync(tls.certPath), key: fs.readFileSync(tls.keyPath) } }
      : apiKey
        ? true
        : undefined,
  };
}

/**
 * The API's gRPC retries: a few quick ones (about half a second) for a dropped
 * connection, then the error. The SDK's default retries an unreachable server
 * ten times over about 20 s, so a request made while Temporal was down waited
 * that long, and a move the caller had been told failed could still be
 * delivered when the server came back within those retries.
 */
export const API_GRPC_ATTEMPTS = 4;
export const apiGrpcInterceptors = () => [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: API_GRPC_ATTEMPTS }))];

/** The API's Temporal connection (one per process; callers pass the client down). */
export async function connectTemporal(config: Config): Promise<TemporalHandle> {
  const connection = await Connection.connect({ ...temporalConnectionOptions(config), interceptors: apiGrpcInterceptors() });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return { connection, client };
}
