import { BucketNotFound, Conflict, InvalidBucketName, InvalidServiceKey, NotFound } from '@bulk-export/domain';
import { GcsCredential } from '@bulk-export/persistence';
import { AccountFixture, gcs, makeServiceKey, TestWorld } from '@bulk-export/testing';
import { DeleteCredentialUseCase } from '../../apps/request-api/src/credentials/delete-credential.use-case';
import { SaveCredentialUseCase } from '../../apps/request-api/src/credentials/save-credential.use-case';

/** The credentials use cases in-process against Postgres and fake-gcs-server. */
describe('credentials use cases', () => {
  let world: TestWorld;
  let save: SaveCredentialUseCase;
  let remove: DeleteCredentialUseCase;
  let owner: AccountFixture;

  beforeAll(async () => {
    world = await TestWorld.open();
    save = new SaveCredentialUseCase(world.credentials, world.cipher, world.clients);
    remove = new DeleteCredentialUseCase(world.credentials);
    owner = await world.account();
  });

  afterAll(async () => {
    await world?.close();
  });

  const stored = (id: string) => world.db.getRepository(GcsCredential).findOneByOrFail({ id });

  describe('SaveCredentialUseCase', () => {
    it('probes the bucket, then stores the key sealed under the row id; the probe object is gone', async () => {
      const bucket = await gcs.createBucket();
      const serviceKey = makeServiceKey('a');
      const saved = await save.execute({ accountId: owner.account.id, serviceKey, bucket });
      const row = await stored(saved.id);
      expect(row).toMatchObject({
        accountId: owner.account.id,
        bucket,
        clientEmail: serviceKey.client_email,
        projectId: 'bulk-export-test',
        kekId: 'test',
        deletedAt: null,
      });
      expect(row.ciphertext.toString('utf8')).not.toContain('PRIVATE KEY');
      expect(JSON.parse(world.cipher.open(row, row.id))).toMatchObject({
        private_key: serviceKey.private_key,
        client_email: serviceKey.client_email,
      });
      expect(await gcs.list(bucket)).toEqual([]);
    });

    it('replaces the key of saved credentials in place (same id), and refuses to replace unknown ones (404)', async () => {
      const bucket = await gcs.createBucket();
      const first = await save.execute({ accountId: owner.account.id, serviceKey: makeServiceKey('old'), bucket });
      const rotated = makeServiceKey('new');
      const replaced = await save.execute({
        accountId: owner.account.id,
        serviceKey: rotated,
        bucket,
        replaceId: first.id,
      });
      expect(replaced.id).toBe(first.id);
      const row = await stored(first.id);
      expect(JSON.parse(world.cipher.open(row, row.id)).private_key_id).toBe('idnew');
      expect(await world.db.getRepository(GcsCredential).countBy({ accountId: owner.account.id, bucket })).toBe(1);
      await expect(
        save.execute({
          accountId: owner.account.id,
          serviceKey: rotated,
          bucket,
          replaceId: '01JUNKNOWNCREDENTIAL00000',
        }),
      ).rejects.toThrow(NotFound);
    });

    it('refuses a bucket that does not exist, a bucket name that is not valid and a key that is not one, storing nothing', async () => {
      const before = await world.db.getRepository(GcsCredential).countBy({ accountId: owner.account.id });
      await expect(
        save.execute({ accountId: owner.account.id, serviceKey: makeServiceKey(), bucket: `bx-missing-${Date.now()}` }),
      ).rejects.toThrow(BucketNotFound);
      await expect(
        save.execute({ accountId: owner.account.id, serviceKey: makeServiceKey(), bucket: 'No_Such..Bucket' }),
      ).rejects.toThrow(InvalidBucketName);
      await expect(
        save.execute({
          accountId: owner.account.id,
          serviceKey: { type: 'service_account' },
          bucket: await gcs.createBucket(),
        }),
      ).rejects.toThrow(InvalidServiceKey);
      expect(await world.db.getRepository(GcsCredential).countBy({ accountId: owner.account.id })).toBe(before);
    });
  });

  describe('DeleteCredentialUseCase', () => {
    it('deletes unused credentials for good: the row stays (old exports name its bucket), the key is gone; a second delete is a 404', async () => {
      const { credential, bucket } = await world.credential(owner.account.id);
      await remove.execute({ accountId: owner.account.id, credentialId: credential.id });
      const row = await stored(credential.id);
      expect(row).toMatchObject({ bucket, deletedAt: expect.any(Date) });
      expect([row.wrappedKey.length, row.ciphertext.length]).toEqual([0, 0]);
      await expect(remove.execute({ accountId: owner.account.id, credentialId: credential.id })).rejects.toThrow(
        NotFound,
      );
    });

    it('refuses (409, naming the export) while a one-time export not finished or a scheduled recurring one uses them', async () => {
      for (const active of [
        { status: 'pending' },
        { status: 'running' },
        { frequency: 'recurring', status: 'pending' },
      ] as const) {
        const { credential } = await world.credential(owner.account.id);
        const exportRow = await world.export(owner.account.id, credential.id, active);
        await expect(remove.execute({ accountId: owner.account.id, credentialId: credential.id })).rejects.toThrow(
          new Conflict(`export ${exportRow.id} still uses these credentials: stop it (or let it finish) first`),
        );
        expect((await stored(credential.id)).deletedAt).toBeNull();
      }
    });

    it('deletes credentials whose exports are over (done, failed, stopped, paused)', async () => {
      const { credential } = await world.credential(owner.account.id);
      await world.export(owner.account.id, credential.id, { status: 'done' });
      await world.export(owner.account.id, credential.id, { status: 'failed' });
      await world.export(owner.account.id, credential.id, { frequency: 'recurring', status: 'stopped' });
      await world.export(owner.account.id, credential.id, { frequency: 'recurring', status: 'paused' });
      await remove.execute({ accountId: owner.account.id, credentialId: credential.id });
      expect((await stored(credential.id)).deletedAt).not.toBeNull();
    });

    it("answers 404 for another account's credentials and leaves them", async () => {
      const stranger = await world.account();
      const { credential } = await world.credential(stranger.account.id);
      await expect(remove.execute({ accountId: owner.account.id, credentialId: credential.id })).rejects.toThrow(
        NotFound,
      );
      expect((await stored(credential.id)).deletedAt).toBeNull();
    });
  });
});
