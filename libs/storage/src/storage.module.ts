import { Global, Module } from '@nestjs/common';
import { AppConfig } from '@bulk-export/config';
import { CredentialCipher } from './credential-cipher';
import { GcsClientFactory } from './gcs-client.factory';

/** GCS clients and the credential cipher, for the services that touch customers' buckets. */
@Global()
@Module({
  providers: [
    { provide: GcsClientFactory, inject: [AppConfig], useFactory: (c: AppConfig) => new GcsClientFactory(c) },
    {
      provide: CredentialCipher,
      inject: [AppConfig],
      useFactory: (c: AppConfig) => new CredentialCipher(c.CREDENTIALS_KEKS as string),
    },
  ],
  exports: [GcsClientFactory, CredentialCipher],
})
export class StorageModule {}
