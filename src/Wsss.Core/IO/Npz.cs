using System.IO.Compression;

namespace Wsss.Core.IO;

/// <summary>
/// Reads and writes NumPy <c>.npz</c> archives: zip files holding one <c>.npy</c> member per array,
/// as produced by <c>numpy.savez</c> (stored members) and <c>numpy.savez_compressed</c> (deflated).
/// </summary>
public static class Npz
{
    private const string Kind = ".npz";
    private const string Suffix = ".npy";

    /// <summary>Fixed timestamp for written members, so equal inputs give byte-identical archives.</summary>
    private static readonly DateTimeOffset MemberTimestamp = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Reads every array of a <c>.npz</c> archive.</summary>
    /// <param name="path">Archive to read.</param>
    /// <returns>Arrays keyed by member name without the <c>.npy</c> suffix, in archive order.</returns>
    /// <exception cref="InvalidDataException">The archive or one of its members is corrupt or unsupported.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static IReadOnlyDictionary<string, NpyArray> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(stream, path);
    }

    /// <summary>Reads every array of a <c>.npz</c> archive from a stream.</summary>
    /// <param name="stream">Readable stream holding the archive (seekable streams avoid a buffering copy).</param>
    /// <param name="nameForErrors">Name used in error messages, typically the file path.</param>
    /// <returns>Arrays keyed by member name without the <c>.npy</c> suffix, in archive order.</returns>
    /// <exception cref="InvalidDataException">The archive or one of its members is corrupt or unsupported.</exception>
    public static IReadOnlyDictionary<string, NpyArray> Read(Stream stream, string? nameForErrors = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ZipArchive? archive = null;
        IReadOnlyList<ZipArchiveEntry> entries;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            entries = archive.Entries;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            archive?.Dispose();
            IoThrowHelper.ThrowInvalidData(nameForErrors, Kind, $"not a readable zip archive ({ex.Message})", ex);
            return null!;
        }

        using (archive)
        {
            var result = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
            foreach (ZipArchiveEntry entry in entries)
            {
                if (entry.FullName.EndsWith('/'))
                {
                    continue; // directory record
                }

                string key = entry.FullName.EndsWith(Suffix, StringComparison.Ordinal)
                    ? entry.FullName[..^Suffix.Length]
                    : entry.FullName;
                if (result.ContainsKey(key))
                {
                    IoThrowHelper.ThrowInvalidData(nameForErrors, Kind, $"duplicate member for array '{key}'");
                }

                string memberName = nameForErrors is null ? entry.FullName : $"{nameForErrors}:{entry.FullName}";
                Stream raw;
                try
                {
                    raw = entry.Open();
                }
                catch (InvalidDataException ex)
                {
                    IoThrowHelper.ThrowInvalidData(nameForErrors, Kind, $"cannot open member '{entry.FullName}' ({ex.Message})", ex);
                    return null!;
                }

                using var member = new ArchiveMemberStream(raw, nameForErrors, entry.FullName);
                result.Add(key, Npy.ReadCore(member, memberName, entry.Length));
            }

            return result;
        }
    }

    /// <summary>Writes arrays to a <c>.npz</c> archive atomically (see <see cref="AtomicFile"/>).</summary>
    /// <param name="path">Destination file; replaced if it exists.</param>
    /// <param name="arrays">Arrays by name; each becomes the member <c>name.npy</c>.</param>
    /// <param name="compressed">
    /// <see langword="true"/> to deflate members like <c>numpy.savez_compressed</c>;
    /// <see langword="false"/> to store them like <c>numpy.savez</c>.
    /// </param>
    /// <exception cref="ArgumentException">A name is empty or an array is null.</exception>
    public static void Write(string path, IReadOnlyDictionary<string, NpyArray> arrays, bool compressed = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Validate(arrays);
        AtomicFile.Write(path, s => WriteCore(s, arrays, compressed));
    }

    /// <summary>Writes arrays as a <c>.npz</c> archive to a stream, which is left open.</summary>
    /// <param name="stream">Writable stream.</param>
    /// <param name="arrays">Arrays by name; each becomes the member <c>name.npy</c>.</param>
    /// <param name="compressed"><see langword="true"/> to deflate members, <see langword="false"/> to store them.</param>
    /// <exception cref="ArgumentException">A name is empty or an array is null.</exception>
    public static void Write(Stream stream, IReadOnlyDictionary<string, NpyArray> arrays, bool compressed = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Validate(arrays);
        WriteCore(stream, arrays, compressed);
    }

    private static void Validate(IReadOnlyDictionary<string, NpyArray> arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        foreach ((string key, NpyArray array) in arrays)
        {
            if (string.IsNullOrEmpty(key))
            {
                IoThrowHelper.ThrowArgument(nameof(arrays), "Array names must be non-empty.");
            }

            if (array is null)
            {
                IoThrowHelper.ThrowArgument(nameof(arrays), $"Array '{key}' is null.");
            }
        }
    }

    private static void WriteCore(Stream stream, IReadOnlyDictionary<string, NpyArray> arrays, bool compressed)
    {
        CompressionLevel level = compressed ? CompressionLevel.Optimal : CompressionLevel.NoCompression;
        using var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        foreach ((string key, NpyArray array) in arrays)
        {
            ZipArchiveEntry entry = archive.CreateEntry(key + Suffix, level);
            entry.LastWriteTime = MemberTimestamp;
            using Stream member = entry.Open();
            Npy.Write(member, array);
        }
    }
}
