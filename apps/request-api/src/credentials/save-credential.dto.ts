import { IsDefined, IsString, MaxLength, ValidateBy, ValidationOptions } from 'class-validator';

function IsKeyInput(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isKeyInput',
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'string' && value.length <= 20_000) || (typeof value === 'object' && value !== null && !Array.isArray(value)),
        defaultMessage: () => 'must be the service-account key file, as a JSON object or as its text',
      },
    },
    options,
  );
}

/** POST /v1/credentials/gcp */
export class SaveCredentialDto {
  /** The service-account key file: a JSON object, or its text. */
  @IsDefined()
  @IsKeyInput()
  serviceKey: unknown;

  /** The bucket's exact name. */
  @IsString()
  @MaxLength(222)
  bucket: string;
}
