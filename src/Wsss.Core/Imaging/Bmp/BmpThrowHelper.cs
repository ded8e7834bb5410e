using System.Diagnostics.CodeAnalysis;
using Wsss.Core.IO;

namespace Wsss.Core.Imaging.Bmp;

/// <summary>Cold throw paths of the BMP decoder; every message names the file and the problem.</summary>
internal static class BmpThrowHelper
{
    private const string Kind = "BMP";

    [DoesNotReturn]
    internal static void InvalidData(string? name, string problem) =>
        throw new InvalidDataException($"Invalid {IoThrowHelper.Describe(name, Kind)}: {problem}");

    [DoesNotReturn]
    internal static void Unsupported(string? name, string problem) =>
        throw new InvalidDataException($"Unsupported {IoThrowHelper.Describe(name, Kind)}: {problem}");

    [DoesNotReturn]
    internal static void Truncated(string? name, string what) =>
        throw new InvalidDataException($"Invalid {IoThrowHelper.Describe(name, Kind)}: truncated {what}");
}
