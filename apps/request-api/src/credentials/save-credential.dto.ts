import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString, MaxLength, ValidateBy, ValidationOptions } from 'class-validator';

function IsKeyInput(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isKeyInput',
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'string' && value.length <= 20_000) ||
          (typeof value === 'object' && value !== null && !Array.isArray(value)),
        defaultMessage: () => 'must be the service-account key file, as a JSON object or as its text',
      },
    },
    options,
  );
}

/** POST /v1/credentials/gcp */
export class SaveCredentialDto {
  /** The service-account key file: a JSON object, or its text. */
  @ApiProperty({
    oneOf: [{ type: 'object' }, { type: 'string' }],
    description:
      'The service-account key file as downloaded from Google Cloud, as a JSON object or as its text. Never returned.',
  })
  @IsDefined()
  @IsKeyInput()
  serviceKey: unknown;

  /** The bucket's exact name. */
  @ApiProperty({ example: 'acme-exports', description: 'The bucket name, exactly (names are case-sensitive).' })
  @IsString()
  @MaxLength(222)
  bucket: string;
}
