namespace Wsss.Core.IO;

/// <summary>
/// A read-only wrapper over a zip member's stream that turns failures of the archive layer
/// (bad compressed data, I/O errors) into <see cref="InvalidDataException"/>s naming the archive
/// and the member, so they are distinguishable from defects inside the member's own format.
/// </summary>
internal sealed class ArchiveMemberStream(Stream inner, string? archiveName, string memberName) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return inner.Read(buffer);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or NotSupportedException)
        {
            IoThrowHelper.ThrowInvalidData(archiveName, ".npz", $"cannot read member '{memberName}': {ex.Message}", ex);
            return 0;
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
