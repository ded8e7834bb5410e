using System.Diagnostics.CodeAnalysis;

namespace Wsss.Core.IO;

/// <summary>Cold throw paths shared by the array readers and writers.</summary>
internal static class IoThrowHelper
{
    /// <summary>Describes a source for error messages: the quoted file name, or a generic label.</summary>
    internal static string Describe(string? name, string kind) =>
        name is null ? $"{kind} stream" : $"{kind} file '{name}'";

    [DoesNotReturn]
    internal static void ThrowInvalidData(string? name, string kind, string problem) =>
        throw new InvalidDataException($"Invalid {Describe(name, kind)}: {problem}");

    [DoesNotReturn]
    internal static T ThrowInvalidData<T>(string? name, string kind, string problem) =>
        throw new InvalidDataException($"Invalid {Describe(name, kind)}: {problem}");

    [DoesNotReturn]
    internal static void ThrowInvalidData(string? name, string kind, string problem, Exception inner) =>
        throw new InvalidDataException($"Invalid {Describe(name, kind)}: {problem}", inner);

    [DoesNotReturn]
    internal static void ThrowTruncated(string? name, string kind, string what, long expected, long actual) =>
        throw new InvalidDataException(
            $"Invalid {Describe(name, kind)}: truncated {what}; expected {expected} bytes, found {actual}");

    [DoesNotReturn]
    internal static void ThrowArgument(string paramName, string message) =>
        throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    internal static void ThrowArgumentOutOfRange(string paramName, object? actual, string message) =>
        throw new ArgumentOutOfRangeException(paramName, actual, message);

    [DoesNotReturn]
    internal static void ThrowShapeMismatch(string paramName, IReadOnlyList<int> shape, long shapeElements, long dataLength) =>
        throw new ArgumentException(
            $"Shape {FormatShape(shape)} holds {shapeElements} element(s) but the data has {dataLength}.", paramName);

    [DoesNotReturn]
    internal static void ThrowConversion(string source, string target) =>
        throw new InvalidOperationException(
            $"Cannot convert elements of type {source} to {target} without losing information; convert to a floating-point type and round explicitly.");

    [DoesNotReturn]
    internal static void ThrowOverflow(string source, string target, long index, string value) =>
        throw new OverflowException($"Element {index} ({source} value {value}) does not fit in {target}.");

    [DoesNotReturn]
    internal static void ThrowWriterClosedStream(string path) =>
        throw new InvalidOperationException(
            $"The writer for '{path}' closed the stream; it must leave it open so it can be flushed to disk.");

    /// <summary>Formats a shape like Python's tuple repr: <c>()</c>, <c>(3,)</c>, <c>(2, 3)</c>.</summary>
    internal static string FormatShape(IReadOnlyList<int> shape) => shape.Count switch
    {
        0 => "()",
        1 => $"({shape[0]},)",
        _ => "(" + string.Join(", ", shape) + ")",
    };
}
