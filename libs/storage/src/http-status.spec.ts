import { httpStatus } from './http-status';

describe('httpStatus', () => {
  it('reads the status wherever the storage client puts it', () => {
    expect(httpStatus({ code: 412 })).toBe(412);
    // Resumable uploads fail with a GaxiosError: no numeric code, the status beside it or on its response.
    expect(httpStatus({ code: undefined, status: 412 })).toBe(412);
    expect(httpStatus({ code: 'ERR_BAD_RESPONSE', response: { status: 403 } })).toBe(403);
    expect(httpStatus(new Error('socket hang up'))).toBeUndefined();
    expect(httpStatus(null)).toBeUndefined();
  });
});
