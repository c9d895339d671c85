import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { InvalidConfiguration, loadConfig } from '@bulk-export/config';
import {
  AccountsRepository,
  CredentialsRepository,
  dataSourceOptions,
  WebhooksRepository,
} from '@bulk-export/persistence';
import { timeZoneName, TIME_ZONE_EXAMPLE } from '@bulk-export/domain';
import { duckDbKnowsTimeZone } from '@bulk-export/duckdb';
import { CredentialCipher } from '@bulk-export/storage';

/**
 * Operator commands:
 *   create-account <name> <databaseId> [timeZone]   creates an account and prints its first API key
 *   create-api-key <accountId> <name>               adds an API key and prints it (shown once)
 *   list-api-keys <accountId>                       the account's keys (never the secrets)
 *   revoke-api-key <keyId>                          the key stops working at once
 *   rotate-keks                                     re-encrypts every stored key and webhook secret under the
 *                                                   first of CREDENTIALS_KEKS
 *   ensure-dev-account <apiKey>                     the local stack's development account, with that key
 */
const DEV_ACCOUNT_ID = '01JDEVACC0VNT000000000000D';

async function main(args: string[]): Promise<void> {
  const config = loadConfig(process.env, { defaults: { HTTP_PORT: 0 } });
  const dataSource = await new DataSource(dataSourceOptions(config.DATABASE_URL)).initialize();
  const accounts = new AccountsRepository(dataSource);
  try {
    const [command, ...rest] = args;
    switch (command) {
      case 'create-account': {
        const [name, databaseId, timeZone = 'UTC'] = rest;
        const usage = 'usage: create-account <name> <databaseId> [timeZone]';
        if (!name || !databaseId) throw new Error(usage);
        // Both readers of the zone must know it: Intl (file days) and DuckDB (staging).
        const zone = timeZoneName(timeZone);
        if (zone === null || !(await duckDbKnowsTimeZone(zone))) {
          throw new Error(`${usage}\ntime zone "${timeZone}" is not known: give ${TIME_ZONE_EXAMPLE}`);
        }
        const account = await accounts.createAccount({ name, databaseId, timeZone: zone });
        const { secret } = await accounts.addApiKey(account.id, 'initial');
        console.log(JSON.stringify({ accountId: account.id, databaseId, apiKey: secret }));
        break;
      }
      case 'create-api-key': {
        const [accountId, name] = rest;
        if (!accountId || !name) throw new Error('usage: create-api-key <accountId> <name>');
        if (!(await accounts.findAccount(accountId))) throw new Error(`account ${accountId} does not exist`);
        const { key, secret } = await accounts.addApiKey(accountId, name);
        console.log(JSON.stringify({ keyId: key.id, apiKey: secret }));
        break;
      }
      case 'list-api-keys': {
        const [accountId] = rest;
        if (!accountId) throw new Error('usage: list-api-keys <accountId>');
        for (const k of await accounts.listApiKeys(accountId)) {
          console.log(
            JSON.stringify({
              keyId: k.id,
              name: k.name,
              prefix: k.prefix,
              createdAt: k.createdAt,
              lastUsedAt: k.lastUsedAt,
              revokedAt: k.revokedAt,
            }),
          );
        }
        break;
      }
      case 'revoke-api-key': {
        const [keyId] = rest;
        if (!keyId) throw new Error('usage: revoke-api-key <keyId>');
        if (!(await accounts.revokeApiKey(keyId))) throw new Error(`no live API key ${keyId}`);
        console.log(JSON.stringify({ revoked: keyId }));
        break;
      }
      case 'rotate-keks': {
        if (!config.CREDENTIALS_KEKS)
          throw new Error('CREDENTIALS_KEKS is required: the new key first, then the old ones');
        const cipher = new CredentialCipher(config.CREDENTIALS_KEKS);
        const credentials = new CredentialsRepository(dataSource);
        let rotated = 0;
        for (const credential of await credentials.allActive()) {
          if (credential.kekId === cipher.activeKekId) continue;
          Object.assign(credential, cipher.rewrap(credential, credential.id));
          await credentials.save(credential);
          rotated += 1;
        }
        // Webhook secrets are sealed the same way.
        const webhooks = new WebhooksRepository(dataSource);
        for (const endpoint of await webhooks.allEndpoints()) {
          if (endpoint.kekId === cipher.activeKekId) continue;
          const { kekId, wrappedKey, ciphertext } = cipher.rewrap(endpoint, endpoint.id);
          await webhooks.updateSealedSecret(endpoint.id, { kekId, wrappedKey, ciphertext });
          rotated += 1;
        }
        console.log(JSON.stringify({ rotated, kekId: cipher.activeKekId }));
        break;
      }
      case 'ensure-dev-account': {
        const [apiKey] = rest;
        if (!apiKey) throw new Error('usage: ensure-dev-account <apiKey>');
        const account =
          (await accounts.findAccount(DEV_ACCOUNT_ID)) ??
          (await accounts.createAccount({ id: DEV_ACCOUNT_ID, name: 'Development', databaseId: 'dev' }));
        if (!(await accounts.hasApiKey(apiKey))) await accounts.addApiKey(account.id, 'development', apiKey);
        console.log(JSON.stringify({ accountId: account.id, databaseId: account.databaseId }));
        break;
      }
      default:
        throw new Error(
          'commands: create-account, create-api-key, list-api-keys, revoke-api-key, rotate-keks, ensure-dev-account',
        );
    }
  } finally {
    await dataSource.destroy();
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(e instanceof InvalidConfiguration ? 78 : 1); // EX_CONFIG, as the services
});
