using System.Diagnostics.CodeAnalysis;

namespace Wsss.Core.Tensors;

/// <summary>Cold throw paths shared by the engine.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Argument(string argName, string message) => throw new ArgumentException(message, argName);

    [DoesNotReturn]
    public static T Argument<T>(string argName, string message) => throw new ArgumentException(message, argName);

    [DoesNotReturn]
    public static void ArgumentOutOfRange(string argName, object? actual, string message) => throw new ArgumentOutOfRangeException(argName, actual, message);

    [DoesNotReturn]
    public static void InvalidOperation(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    public static void ShapeMismatch(string argName, string op, ReadOnlySpan<int> expected, ReadOnlySpan<int> actual)
        => throw new ArgumentException($"{op}: expected shape {Tensor.ShapeString(expected)}, got {Tensor.ShapeString(actual)}", argName);
}
