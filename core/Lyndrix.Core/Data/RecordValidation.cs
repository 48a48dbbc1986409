namespace Lyndrix.Core.Data;

/// <summary>Checks values against the column limits before a statement runs, so bad input fails with a clear message and changes nothing.</summary>
internal static class RecordValidation
{
    public static void Required(string? value, string what, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"{what} must not be empty.");
        }

        Optional(value, what, maxLength);
    }

    public static void Optional(string? value, string what, int maxLength)
    {
        if (value is not null && value.Length > maxLength)
        {
            throw new ArgumentException($"{what} is {value.Length} characters long; at most {maxLength} fit.");
        }
    }
}
