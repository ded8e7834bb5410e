using System.Diagnostics.CodeAnalysis;
using Wsss.Core.IO;

namespace Wsss.Core.Imaging.Png;

/// <summary>Cold throw paths of the PNG codec; every message names the file and the problem.</summary>
internal static class PngThrowHelper
{
    private const string Kind = "PNG";

    [DoesNotReturn]
    internal static void InvalidData(string? name, string problem) =>
        throw new InvalidDataException($"Invalid {IoThrowHelper.Describe(name, Kind)}: {problem}");

    [DoesNotReturn]
    internal static void InvalidData(string? name, string problem, Exception inner) =>
        throw new InvalidDataException($"Invalid {IoThrowHelper.Describe(name, Kind)}: {problem}", inner);

    [DoesNotReturn]
    internal static void Unsupported(string? name, string problem) =>
        throw new InvalidDataException($"Unsupported {IoThrowHelper.Describe(name, Kind)}: {problem}");

    [DoesNotReturn]
    internal static void Truncated(string? name, string what) =>
        throw new InvalidDataException($"Invalid {IoThrowHelper.Describe(name, Kind)}: truncated {what}");
}
