using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Wsss.Core.Crf;

/// <summary>Cold throw paths of the dense CRF; every message names the argument and the problem.</summary>
internal static class CrfThrowHelper
{
    [DoesNotReturn]
    public static void Argument(string argName, string message) => throw new ArgumentException(message, argName);

    [DoesNotReturn]
    public static void OutOfRange(string argName, object? actual, string message) => throw new ArgumentOutOfRangeException(argName, actual, message);

    [DoesNotReturn]
    public static void InvalidOperation(string message) => throw new InvalidOperationException(message);

    /// <summary>Throws unless <paramref name="value"/> is finite and strictly positive (a standard deviation).</summary>
    public static void CheckStdDev(float value, string argName)
    {
        if (!(value > 0f) || !float.IsFinite(value))
            OutOfRange(argName, value, $"Standard deviation {argName} must be finite and > 0, got {value.ToString(CultureInfo.InvariantCulture)}.");
    }

    /// <summary>Throws unless <paramref name="value"/> is finite.</summary>
    public static void CheckFinite(float value, string argName)
    {
        if (!float.IsFinite(value))
            OutOfRange(argName, value, $"{argName} must be finite, got {value.ToString(CultureInfo.InvariantCulture)}.");
    }

    /// <summary>Index of the first non-finite value, or -1.</summary>
    public static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i])) return i;
        }

        return -1;
    }
}
