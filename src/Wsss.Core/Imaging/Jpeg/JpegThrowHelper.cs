using System.Diagnostics.CodeAnalysis;

namespace Wsss.Core.Imaging.Jpeg;

/// <summary>Cold throw paths of the JPEG decoder; every message names the file and the problem.</summary>
internal static class JpegThrowHelper
{
    internal static string Describe(string? name) => name is null ? "JPEG stream" : $"JPEG file '{name}'";

    [DoesNotReturn]
    internal static void ThrowInvalid(string? name, string problem) =>
        throw new InvalidDataException($"Invalid {Describe(name)}: {problem}");

    [DoesNotReturn]
    internal static T ThrowInvalid<T>(string? name, string problem) =>
        throw new InvalidDataException($"Invalid {Describe(name)}: {problem}");

    [DoesNotReturn]
    internal static void ThrowUnsupported(string? name, string feature) =>
        throw new InvalidDataException($"Unsupported {Describe(name)}: {feature} is not supported");

    [DoesNotReturn]
    internal static void ThrowTruncated(string? name, string where) =>
        throw new InvalidDataException($"Invalid {Describe(name)}: truncated file (end of data inside {where})");
}
