namespace Lyndrix.Core.Crypto;

/// <summary>Argon2 variants with the numeric values of the reference implementation's <c>argon2_type</c>.</summary>
internal enum Argon2Variant
{
    D = 0,
    I = 1,
    Id = 2,
}
