namespace Wsss.Core.IO;

/// <summary>
/// Writes files so that readers see either the old content or the complete new content, never a
/// partially written file: data goes to a uniquely named temporary file in the destination folder,
/// is flushed to disk, and then replaces the destination with a single rename.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> atomically. <paramref name="writer"/> receives a writable stream
    /// positioned at the start of an empty temporary file; it must not dispose the stream. When the
    /// writer returns, the data is flushed to disk (<see cref="FileStream.Flush(bool)"/> with
    /// <see langword="true"/>) and the temporary file is moved over <paramref name="path"/>.
    /// If anything fails the temporary file is deleted and <paramref name="path"/> is left untouched.
    /// </summary>
    /// <param name="path">Destination file. Its folder must exist.</param>
    /// <param name="writer">Callback that writes the full content.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or names a folder.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="writer"/> closed the stream.</exception>
    public static void Write(string path, Action<Stream> writer)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(writer);

        string fullPath = Path.GetFullPath(path);
        string fileName = Path.GetFileName(fullPath);
        if (fileName.Length == 0)
        {
            IoThrowHelper.ThrowArgument(nameof(path), $"Path '{path}' names a folder, expected a file path.");
        }

        string directory = Path.GetDirectoryName(fullPath) ?? Directory.GetCurrentDirectory();
        string tempPath = Path.Combine(directory, $".{fileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920))
            {
                writer(stream);
                if (!stream.CanWrite)
                {
                    IoThrowHelper.ThrowWriterClosedStream(path);
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    private static void TryDelete(string tempPath)
    {
        try
        {
            File.Delete(tempPath);
        }
        catch (IOException)
        {
            // Best effort: the original exception matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
